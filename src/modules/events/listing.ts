import { bucketEnd, DAY_MS, HOUR_MS, type Grain, type MsRange } from '../../billing/aggregation/buckets.ts';
import type { Db } from '../../db/database.ts';
import {
  coarseEnds,
  finerGrain,
  hasPendingIn,
  locatePage,
  newestFirst,
  pendingPerBucket,
  rangePieces,
  splitWalked,
  walkPlan,
  withPending,
  type Segment,
} from './page-locator.ts';
import * as repo from './repository.ts';

/** A month or day at the page's end with this few events is read whole: cheaper than narrowing it down first. */
export const READ_WHOLE = 1_000;

/**
 * Walks a segment's finer buckets from one end until they cover `events` of its events: consolidated counts a few
 * buckets at a time (as many as the segment's density suggests, then four times more), pending counts added.
 */
const walk = async (
  db: Db,
  organizationId: string,
  filters: repo.EventFilters,
  pendingHours: ReadonlyMap<number, number>,
  segment: Segment,
  grain: Grain,
  plan: { newestFirst: boolean; events: number },
): Promise<{ from: number; count: number }[]> => {
  const buckets = Math.ceil((segment.to - segment.from) / (grain === 'd' ? DAY_MS : HOUR_MS));
  let limit = Math.min(buckets, Math.ceil((buckets * plan.events * 1.25) / segment.count) + 1);
  let bound = plan.newestFirst ? segment.to : segment.from;
  const walked: { from: number; count: number }[] = [];
  let covered = 0;
  for (;;) {
    const rest: MsRange = plan.newestFirst ? { from: segment.from, to: bound } : { from: bound, to: segment.to };
    const rows = await repo.walkBuckets(db, organizationId, filters, grain, rest, plan.newestFirst, limit);
    // Past the last bucket read, consolidated counts are not known yet; up to it, they are, pending ones added.
    const complete = rows.length < limit;
    const last = rows.at(-1);
    const edge = complete || !last ? (plan.newestFirst ? rest.from : rest.to) : plan.newestFirst ? last.from : bucketEnd(last.from, grain);
    const known = plan.newestFirst ? { from: edge, to: bound } : { from: bound, to: edge };
    const counts = new Map(rows.map((r) => [r.from, r.count]));
    for (const [start, count] of pendingPerBucket(pendingHours, grain, known)) counts.set(start, (counts.get(start) ?? 0) + count);
    const ordered = [...counts.entries()].sort(([a], [b]) => (plan.newestFirst ? b - a : a - b));
    for (const [from, count] of ordered) {
      walked.push({ from, count });
      covered += count;
      if (covered >= plan.events) return walked;
    }
    if (complete) throw new Error(`event counts disagree: ${segment.grain} bucket at ${segment.from} counts ${segment.count}, its buckets fewer`);
    bound = edge;
    limit = Math.min(buckets, limit * 4);
  }
};

/**
 * One page of an organization's events in a time range, newest first, and how many there are in all. The page is
 * located by counting: the range's whole months, days and hours from the aggregates and its partial hours from the
 * events (which gives the total), then, at the page's ends only, days and hours walked from the nearer end; the
 * events are read from the hours holding the page alone. Must run in one snapshot (a repeatable-read transaction):
 * the counts and the events must agree.
 */
export const listingPage = async (
  db: Db,
  organizationId: string,
  filters: repo.EventFilters,
  range: MsRange,
  offset: number,
  limit: number,
  readWhole = READ_WHOLE,
): Promise<{ rows: repo.EventRow[]; total: number }> => {
  const pieces = rangePieces(range);
  const pending = await repo.pendingHours(db, organizationId, filters);
  const raw = pieces.raw.map((r) => ({ ...r, withPending: hasPendingIn(pending, r) }));
  let segments = newestFirst(withPending(await repo.countEvents(db, organizationId, filters, pieces.buckets, raw), pending, pieces.buckets));
  const total = segments.reduce((sum, s) => sum + s.count, 0);
  for (;;) {
    const at = locatePage(segments, offset, limit);
    if (!at) return { rows: [], total };
    const ends = coarseEnds(segments, at, offset, limit).filter((end) => segments[end.index]!.count > readWhole);
    if (ends.length === 0) {
      const window = { from: segments[at.last]!.from, to: segments[at.first]!.to };
      const rows = await repo.eventsInWindow(db, organizationId, filters, window, at.skip, limit, hasPendingIn(pending, window));
      const expected = Math.min(limit, total - offset);
      if (rows.length !== expected) throw new Error(`event page holds ${rows.length} events where the counts promise ${expected}`);
      return { rows, total };
    }
    const replaced = new Map<number, Segment[]>();
    for (const end of ends) {
      const segment = segments[end.index]!;
      const grain = finerGrain(segment.grain)!;
      const plan = walkPlan(segment.count, end.firstRank, end.lastRank);
      const walked = await walk(db, organizationId, filters, pending, segment, grain, plan);
      replaced.set(end.index, splitWalked(segment, grain, walked, plan.newestFirst));
    }
    segments = segments.flatMap((segment, index) => replaced.get(index) ?? [segment]);
  }
};
