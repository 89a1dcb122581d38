import { bucketEnd, bucketStart, planRange, type Grain, type MsRange } from '../../billing/aggregation/buckets.ts';

/**
 * Where a page of the event listing lies in time, found from exact event counts per UTC month, day and hour (the
 * usage aggregates count every stored event once) instead of sorting and skipping the events themselves.
 */

/** Event timestamps are whole milliseconds from 1970 to the end of year 9999 (see parseTimestamp). */
export const EVENT_TIME_END_MS = Date.UTC(10000, 0, 1);

export interface TimeFilter {
  fromMs?: number | undefined;
  /** Inclusive, as Lago's timestamp_to. */
  toMs?: number | undefined;
}

/** The half-open range of instants a listing covers; empty when from is after to. */
export const listingRange = ({ fromMs, toMs }: TimeFilter): MsRange => {
  const from = Math.max(fromMs ?? 0, 0);
  // Stored timestamps are whole milliseconds, so "at or before to" is "before to + 1 ms".
  const to = Math.min(toMs === undefined ? EVENT_TIME_END_MS : toMs + 1, EVENT_TIME_END_MS);
  return { from, to: Math.max(from, to) };
};

/**
 * A stretch of time and how many listed events it holds: a whole bucket of a grain, a piece of an hour read from the
 * events (raw), or what is left of a bucket once the part holding the page has been split off (rest).
 */
export interface Segment {
  grain: Grain | 'raw' | 'rest';
  from: number;
  to: number;
  count: number;
}

export type BucketRanges = readonly { grain: Grain; from: number; to: number }[];

/** What to count to cut a range into segments: whole buckets per grain, and the edges no bucket covers. */
export const rangePieces = (range: MsRange): { buckets: { grain: Grain; from: number; to: number }[]; raw: MsRange[] } => {
  const plan = planRange(range);
  return { buckets: plan.buckets.map((b) => ({ grain: b.grain, ...b.range })), raw: plan.raw };
};

/** A bucket's segment from its start. */
export const bucketSegment = (grain: Grain, from: number, count: number): Segment => ({ grain, from, to: bucketEnd(from, grain), count });

/** Segments with events, newest first. */
export const newestFirst = (segments: readonly Segment[]): Segment[] => segments.filter((s) => s.count > 0).sort((a, b) => b.from - a.from);

/** The grain a bucket splits into, or null when it is as fine as the aggregates go. */
export const finerGrain = (grain: Segment['grain']): Grain | null => (grain === 'm' ? 'd' : grain === 'd' ? 'h' : null);

/** Pending hourly counts summed per bucket of a grain, for the hours inside a range. */
export const pendingPerBucket = (pendingHours: ReadonlyMap<number, number>, grain: Grain, range: MsRange): Map<number, number> => {
  const sums = new Map<number, number>();
  for (const [hour, count] of pendingHours) {
    if (hour < range.from || hour >= range.to) continue;
    const start = bucketStart(hour, grain);
    sums.set(start, (sums.get(start) ?? 0) + count);
  }
  return sums;
};

/** Consolidated bucket segments with the pending counts of their hours added (raw pieces already count every event). */
export const withPending = (segments: readonly Segment[], pendingHours: ReadonlyMap<number, number>, buckets: BucketRanges): Segment[] => {
  const byKey = new Map(segments.map((s) => [`${s.grain}:${s.from}`, { ...s }]));
  for (const range of buckets) {
    for (const [start, count] of pendingPerBucket(pendingHours, range.grain, range)) {
      const key = `${range.grain}:${start}`;
      const segment = byKey.get(key);
      if (segment) segment.count += count;
      else byKey.set(key, bucketSegment(range.grain, start, count));
    }
  }
  return [...byKey.values()];
};

/** Whether a pending hour overlaps a range. */
export const hasPendingIn = (pendingHours: ReadonlyMap<number, number>, range: MsRange): boolean =>
  [...pendingHours.keys()].some((hour) => hour < range.to && bucketEnd(hour, 'h') > range.from);

export interface PageLocation {
  /** Indexes (newest first) of the newest and oldest segments holding a row of the page. */
  first: number;
  last: number;
  /** How many of the first segment's events come before the page. */
  skip: number;
}

/**
 * The segments holding ranks [offset, offset + limit) of the listing (newest first), or null when the page is past
 * the end. Example: counts [5, 10, 7] and offset 8, limit 4 give first 1, last 1, skip 3 (ranks 8..11 are the second
 * segment's 4th to 7th events).
 */
export const locatePage = (segments: readonly Segment[], offset: number, limit: number): PageLocation | null => {
  let newer = 0;
  let first = -1;
  let last = -1;
  let skip = 0;
  for (let i = 0; i < segments.length && newer < offset + limit; i++) {
    const count = segments[i]!.count;
    if (newer + count > offset) {
      if (first < 0) {
        first = i;
        skip = offset - newer;
      }
      last = i;
    }
    newer += count;
  }
  return first < 0 ? null : { first, last, skip };
};

/** A segment at the page's end that a finer grain can narrow, and the ranks of the page inside it (from its newest). */
export interface CoarseEnd {
  index: number;
  firstRank: number;
  lastRank: number;
}

/** The page's end segments that are whole months or days: the page is only located once they are hours or raw pieces. */
export const coarseEnds = (segments: readonly Segment[], at: PageLocation, offset: number, limit: number): CoarseEnd[] => {
  let newer = 0;
  const ends: CoarseEnd[] = [];
  for (let i = 0; i <= at.last; i++) {
    const segment = segments[i]!;
    if ((i === at.first || i === at.last) && finerGrain(segment.grain) !== null) {
      ends.push({ index: i, firstRank: Math.max(offset - newer, 0), lastRank: Math.min(offset + limit - 1 - newer, segment.count - 1) });
    }
    if ((i === at.first || i === at.last) && segment.grain === 'rest') throw new Error('a page end fell in a segment already split off');
    newer += segment.count;
  }
  return ends;
};

/**
 * Which end of a segment to walk its finer buckets from, and how many of its events the walk must cover to reach
 * every rank of the page in it: from the newest end for ranks near it, else from the oldest. Example: a month of
 * 1,000 events holding the page's ranks 10..109 is walked from its newest end over 110 events.
 */
export const walkPlan = (count: number, firstRank: number, lastRank: number): { newestFirst: boolean; events: number } =>
  lastRank + 1 <= count - firstRank ? { newestFirst: true, events: lastRank + 1 } : { newestFirst: false, events: count - firstRank };

/**
 * The segments that replace a walked one: the finer buckets walked (their counts covering the page's ranks), then
 * what is left as one rest segment, newest first. The counts come from one snapshot, so a rest below zero is a bug.
 */
export const splitWalked = (segment: Segment, grain: Grain, walked: readonly { from: number; count: number }[], newestFirstWalk: boolean): Segment[] => {
  const children = walked.map((w) => bucketSegment(grain, w.from, w.count));
  const covered = children.reduce((sum, c) => sum + c.count, 0);
  const left = segment.count - covered;
  if (left < 0) throw new Error(`event counts disagree: ${segment.grain} bucket at ${segment.from} counts ${segment.count}, its buckets ${covered}`);
  const edge = children.at(-1);
  const rest: Segment[] =
    left === 0 || !edge
      ? []
      : [newestFirstWalk ? { grain: 'rest', from: segment.from, to: edge.from, count: left } : { grain: 'rest', from: edge.to, to: segment.to, count: left }];
  return newestFirstWalk ? [...children, ...rest] : [...rest, ...children.reverse()];
};
