import { Temporal } from 'temporal-polyfill';
import { Decimal } from '../../lib/money.ts';
import { billedDays, localDateAt } from '../periods/index.ts';

/** The window a prorated charge is computed over. */
export interface ProrationWindow {
  /** Charges window start (the exact start instant in a first period). */
  from: Temporal.Instant;
  /** Charges window end, inclusive (23:59:59.999 local of the last day). */
  to: Temporal.Instant;
  /** Days of the whole charges period (Lago's charges_duration). */
  durationDays: number;
  timeZone: string;
}

/**
 * PostgreSQL's `numeric / numeric` for two small non-negative integers, which Lago's SQL divides day counts with: at
 * least 16 significant digits, i.e. 20 decimals below 1 and 16 from 1 up, rounded half away from zero. Reproducing
 * it keeps Lago's last digits (31 units × (1/31) is 1.00000000000000000006 there, which `ceil(5)` makes 1.00001).
 */
export const pgDayRatio = (days: number, duration: number): Decimal =>
  new Decimal(days).div(duration).toDecimalPlaces(days < duration ? 20 : 16, Decimal.ROUND_HALF_UP);

/** Local calendar days from a's date to b's date in the zone (b − a). */
const dayDiff = (a: Temporal.Instant, b: Temporal.Instant, timeZone: string): number =>
  localDateAt(a, timeZone).until(localDateAt(b, timeZone), { largestUnit: 'days' }).days;

const ms = (instant: Temporal.Instant): number => instant.epochMilliseconds;

/** One event of a prorated sum: when, and its numeric value (events without one are skipped, as Lago skips them). */
export interface ValuedEvent {
  timestampMs: number;
  value: Decimal;
}

export interface ProratedSum {
  /** Σ value × share of the period it is held, `ceil(5)`: what the amount is priced on. */
  prorated: Decimal;
  /** Σ value: the units shown. */
  full: Decimal;
  eventsCount: number;
  /** Per event (the persisted total first), full and prorated values: what prorated graduated tiers are filled with. */
  perEvent: { full: Decimal[]; prorated: Decimal[] };
}

/**
 * A recurring, prorated sum (Lago's `ProratedAggregations::SumService`), from the events of every period up to the
 * window's end, oldest first:
 * - a value from before the window is held the whole window: × billed days of the window / period days (Lago takes that
 *   share as a float);
 * - a value added inside the window is held from its local day to the last day, both counted: × (days) / period days.
 * Example (May 2023, 31 days): 2 × 2.5 before the period and 2 × 12 on May 26 give 5 + 2 × 12 × 6/31 = 9.64517, full 29.
 */
export const proratedSum = (events: readonly ValuedEvent[], window: ProrationWindow): ProratedSum => {
  const fromMs = ms(window.from);
  const persistedShare = new Decimal(String(billedDays(window.from, window.to, window.timeZone) / window.durationDays));
  let persisted = new Decimal(0);
  let persistedCount = 0;
  let prorated = new Decimal(0);
  let full = new Decimal(0);
  const perEventFull: Decimal[] = [];
  const perEventProrated: Decimal[] = [];
  for (const event of events) {
    if (event.timestampMs > ms(window.to)) continue;
    full = full.plus(event.value);
    if (event.timestampMs < fromMs) {
      persisted = persisted.plus(event.value);
      persistedCount++;
      continue;
    }
    const days = dayDiff(Temporal.Instant.fromEpochMilliseconds(event.timestampMs), window.to, window.timeZone) + 1;
    const value = event.value.mul(pgDayRatio(days, window.durationDays));
    prorated = prorated.plus(value);
    perEventFull.push(event.value);
    perEventProrated.push(value);
  }
  const persistedProrated = persisted.mul(persistedShare);
  const recurring = persisted.isZero() ? { full: [], prorated: [] } : { full: [persisted], prorated: [persistedProrated] };
  return {
    prorated: prorated.plus(persistedProrated).toDecimalPlaces(5, Decimal.ROUND_CEIL),
    full,
    eventsCount: persistedCount + perEventFull.length,
    perEvent: { full: [...recurring.full, ...perEventFull], prorated: [...recurring.prorated, ...perEventProrated] },
  };
};

/** One add or remove of a unique-count value. */
export interface UniqueEvent {
  timestampMs: number;
  value: string;
  isAdd: boolean;
}

export interface ProratedUniqueCount {
  /** Σ share of the period each value was held, `ceil(5)`. */
  prorated: Decimal;
  /** The values held at the window's end: the units shown. */
  full: Decimal;
  /** Per add (+1, its share `ceil(5)`) and remove (−1, 0), in time then value order: prorated graduated tiers. */
  perEvent: { full: Decimal[]; prorated: Decimal[] };
}

/**
 * A recurring, prorated unique count (Lago's `UniqueCountQuery#prorated_query`), from every add and remove up to the
 * window's end, oldest first:
 * 1. a remove followed later the same local day by an add of the same value is ignored (the value stays held);
 * 2. repeated operations are collapsed (add, add counts once; a remove of a value not held is nothing);
 * 3. each add is held from its local day (the window's first day at the earliest) to the local day of the next remove,
 *    or to the last day, both days counted: days / period days. A value added and removed the same day counts one day.
 * `grouped` applies Lago's grouped formula, which differs only for an add and remove both before the window: one day
 * there, none ungrouped.
 * Example (2022-07-09 → 2022-08-08, 31 days): a value held from before the window and one added on 07-19 give
 * 1 + 21/31 = 1.67742.
 */
export const proratedUniqueCount = (events: readonly UniqueEvent[], window: ProrationWindow, grouped: boolean): ProratedUniqueCount => {
  const fromMs = ms(window.from);
  const toMs = ms(window.to);
  const tz = window.timeZone;
  const byValue = new Map<string, UniqueEvent[]>();
  for (const event of events) {
    if (event.timestampMs > toMs) continue;
    let list = byValue.get(event.value);
    if (!list) byValue.set(event.value, (list = []));
    list.push(event);
  }
  let prorated = new Decimal(0);
  let held = 0;
  const breakdown: { timestampMs: number; value: string; full: Decimal; prorated: Decimal }[] = [];
  const dateOf = (timestampMs: number) => localDateAt(Temporal.Instant.fromEpochMilliseconds(timestampMs), tz);
  for (const list of byValue.values()) {
    if (list.at(-1)?.isAdd) held++;
    const kept = list.filter(
      (event, i) =>
        event.isAdd ||
        !list.some((later, j) => j > i && later.isAdd && later.timestampMs > event.timestampMs && dateOf(later.timestampMs).equals(dateOf(event.timestampMs))),
    );
    const changes: UniqueEvent[] = [];
    let previousIsAdd = false;
    for (const event of kept) {
      if (event.isAdd !== previousIsAdd) {
        const last = changes.at(-1);
        if (!last || last.timestampMs !== event.timestampMs || last.isAdd !== event.isAdd) changes.push(event);
      }
      previousIsAdd = event.isAdd;
    }
    changes.forEach((event, i) => {
      if (!event.isAdd) {
        breakdown.push({ timestampMs: event.timestampMs, value: event.value, full: new Decimal(-1), prorated: new Decimal(0) });
        return;
      }
      const nextMs = changes[i + 1]?.timestampMs ?? toMs;
      const start = Temporal.Instant.fromEpochMilliseconds(Math.max(event.timestampMs, fromMs));
      // Lago's ungrouped formula adds a day to the next change and counts the days between; the grouped one adds one
      // to the difference. They differ only when the next change is before the window.
      const ungroupedEnd = Temporal.Instant.fromEpochMilliseconds(nextMs < fromMs ? fromMs : nextMs + 86_400_000);
      const ungrouped = pgDayRatio(dayDiff(start, ungroupedEnd, tz), window.durationDays);
      const groupedEnd = Temporal.Instant.fromEpochMilliseconds(nextMs < fromMs ? fromMs : nextMs);
      prorated = prorated.plus(grouped ? pgDayRatio(dayDiff(start, groupedEnd, tz) + 1, window.durationDays) : ungrouped);
      breakdown.push({
        timestampMs: event.timestampMs,
        value: event.value,
        full: new Decimal(1),
        prorated: ungrouped.toDecimalPlaces(5, Decimal.ROUND_CEIL),
      });
    });
  }
  breakdown.sort((a, b) => a.timestampMs - b.timestampMs || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return {
    prorated: prorated.toDecimalPlaces(5, Decimal.ROUND_CEIL),
    full: new Decimal(held),
    perEvent: { full: breakdown.map((b) => b.full), prorated: breakdown.map((b) => b.prorated) },
  };
};

/** The persisted share Lago compares with 1 for pay-in-advance prorated charges: billed days of the window / period days. */
export const persistedShare = (window: ProrationWindow): number => billedDays(window.from, window.to, window.timeZone) / window.durationDays;
