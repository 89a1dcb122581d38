/** Aggregates are kept per UTC hour, day and calendar month. */
export type Grain = 'h' | 'd' | 'm';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const monthStart = (epochMs: number): number => {
  const date = new Date(epochMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
};
const nextMonth = (start: number): number => {
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
};

/** Start of the UTC hour, day or month holding an instant, in epoch milliseconds. */
export const bucketStart = (epochMs: number, grain: Grain): number => {
  if (grain === 'm') return monthStart(epochMs);
  const size = grain === 'h' ? HOUR_MS : DAY_MS;
  return Math.floor(epochMs / size) * size;
};

export const bucketEnd = (start: number, grain: Grain): number =>
  grain === 'm' ? nextMonth(start) : start + (grain === 'h' ? HOUR_MS : DAY_MS);

/** The first bucket boundary at or after an instant. */
const ceilTo = (ms: number, grain: Grain): number => {
  const start = bucketStart(ms, grain);
  return start === ms ? ms : bucketEnd(start, grain);
};

/** A half-open range of epoch milliseconds [from, to). */
export interface MsRange {
  from: number;
  to: number;
}

/** The pieces a range is read from: whole buckets of each grain, and raw events for what no bucket covers exactly. */
export interface RangePlan {
  buckets: { grain: Grain; range: MsRange }[];
  raw: MsRange[];
}

const GRAINS_COARSE_FIRST: readonly Grain[] = ['m', 'd', 'h'];

/**
 * How a usage window [from, to) is read with the fewest rows: whole UTC months from monthly buckets, whole days from
 * daily ones, whole hours from hourly ones, and the pieces of hours at the edges (a subscription started at 10:37, a
 * time zone at +05:30) from the raw events. Example: [2024-03-01T10:37Z, 2024-05-01T00:00Z) reads raw [10:37, 11:00),
 * hours [11:00, 03-02T00:00), days [03-02, 04-01) and the month of April.
 */
export const planRange = (range: MsRange, grains: readonly Grain[] = GRAINS_COARSE_FIRST): RangePlan => {
  if (range.to <= range.from) return { buckets: [], raw: [] };
  const [grain, ...finer] = grains;
  if (grain === undefined) return { buckets: [], raw: [range] };
  const first = ceilTo(range.from, grain);
  const last = bucketStart(range.to, grain);
  if (first >= last) return planRange(range, finer);
  const before = planRange({ from: range.from, to: first }, finer);
  const after = planRange({ from: last, to: range.to }, finer);
  return {
    buckets: [...before.buckets, { grain, range: { from: first, to: last } }, ...after.buckets],
    raw: [...before.raw, ...after.raw],
  };
};
