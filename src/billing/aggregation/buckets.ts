import type { Temporal } from 'temporal-polyfill';

export type Grain = 'h' | 'd';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const GRAIN_MS: Record<Grain, number> = { h: HOUR_MS, d: DAY_MS };

/** Start of the UTC hour or day holding an instant, in epoch milliseconds. */
export const bucketStart = (epochMs: number, grain: Grain): number => Math.floor(epochMs / GRAIN_MS[grain]) * GRAIN_MS[grain];
export const bucketEnd = (start: number, grain: Grain): number => start + GRAIN_MS[grain];

const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** A half-open range of epoch milliseconds [from, to). */
export interface MsRange {
  from: number;
  to: number;
}

/**
 * How a usage window [from, to) is read: whole UTC days from daily buckets, whole hours from hourly buckets, and the
 * pieces of hours at the edges (a subscription started at 10:37, a time zone at +05:30) from the raw events.
 * Example: [2024-03-01T10:37Z, 2024-04-01T00:00Z) → raw [10:37, 11:00), hours [11:00, 2024-03-02T00:00),
 * days [2024-03-02, 2024-04-01).
 */
export const decomposeRange = (range: MsRange): { days: MsRange | null; hours: MsRange[]; raw: MsRange[] } => {
  const { from, to } = range;
  if (to <= from) return { days: null, hours: [], raw: [] };
  const firstHour = ceilTo(from, HOUR_MS);
  const lastHour = floorTo(to, HOUR_MS);
  if (firstHour >= lastHour) return { days: null, hours: [], raw: [{ from, to }] };
  const raw: MsRange[] = [];
  if (from < firstHour) raw.push({ from, to: firstHour });
  if (lastHour < to) raw.push({ from: lastHour, to });
  const firstDay = ceilTo(firstHour, DAY_MS);
  const lastDay = floorTo(lastHour, DAY_MS);
  if (firstDay >= lastDay) return { days: null, hours: [{ from: firstHour, to: lastHour }], raw };
  const hours: MsRange[] = [];
  if (firstHour < firstDay) hours.push({ from: firstHour, to: firstDay });
  if (lastDay < lastHour) hours.push({ from: lastDay, to: lastHour });
  return { days: { from: firstDay, to: lastDay }, hours, raw };
};

export const instantMs = (instant: Temporal.Instant): number => instant.epochMilliseconds;
