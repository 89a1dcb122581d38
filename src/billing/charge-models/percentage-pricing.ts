import { Decimal } from '../../lib/money.ts';
import {
  amountPerUnit,
  decimalProperty,
  decimalText,
  usageFigures,
  ZERO,
  type ChargeAmount,
  type ChargeUsage,
  type FreeUnitsBasis,
  type PercentageAmountDetails,
} from './pricing.ts';
import { isPresent, type Properties } from './properties.ts';

/*
 * Lago's percentage model reads two things from the events besides the aggregated units and event count:
 *
 * 1. A running total (the metric's `running_total`) for the free units. A sum metric returns the cumulative sums of its
 *    event values, oldest first: of the first `free_units_per_events` events when that is set, otherwise of the events
 *    up to the first one whose cumulative sum goes above `free_units_per_total_aggregation`. A count or unique-count
 *    metric returns 1, 2, …, units. Other metrics return none. The free units and free events are then read off it:
 *    - free units: the running total after the `free_units_per_events`-th event when the list is longer than that
 *      (only a count metric's list can be), else its last value, capped at `free_units_per_total_aggregation`;
 *    - free events: the smallest of `free_units_per_events` and the number of running totals still under
 *      `free_units_per_total_aggregation` (a setting that is 0 or absent does not count).
 * 2. With a per-transaction minimum or maximum, every event's value in order: the rate, fixed amount and bounds apply
 *    event by event, the leading events free (see `perTransactionTotal`).
 *
 * Billow's pre-aggregated store cannot give these, so the caller passes the smallest inputs that reproduce them: the
 * leading event values of a sum metric (a handful: at most `free_units_per_events`, or up to the free total), and
 * every event's value only when a minimum or maximum is set. The trade-off: those two cases read raw events (bounded
 * by the free-event count, or by the free total, for the first; a full scan of the window for the second), every other
 * percentage charge prices from the aggregates alone. `percentageEventNeeds` tells the caller which case it is in.
 */

/** What a percentage charge needs from the events beyond units and event count. */
export interface PercentageEventNeeds {
  /**
   * For a sum metric's `freeUnitsBasis`: how many leading event values (oldest first) to read, as a count, or up to
   * and including the first event whose running total goes above a free total. Null when no free units are set.
   */
  leadingValues: { limit: number } | { untilRunningTotalAbove: Decimal } | null;
  /** True when every event's value is needed (`transactionValues`): a per-transaction minimum or maximum is set. */
  transactionValues: boolean;
}

interface PercentageSettings {
  rate: Decimal;
  fixedAmount: Decimal;
  /** 0 when not set, as Lago reads it. */
  freeEvents: number;
  /** 0 when not set. */
  freeTotal: Decimal;
  min: Decimal | null;
  max: Decimal | null;
}

const settingsOf = (properties: Properties): PercentageSettings => ({
  rate: decimalProperty(properties.rate),
  fixedAmount: decimalProperty(properties.fixed_amount),
  freeEvents: typeof properties.free_units_per_events === 'number' ? Math.trunc(properties.free_units_per_events) : 0,
  freeTotal: decimalProperty(properties.free_units_per_total_aggregation),
  // An empty string is no bound, as in Lago.
  min: isPresent(properties.per_transaction_min_amount) ? decimalProperty(properties.per_transaction_min_amount) : null,
  max: isPresent(properties.per_transaction_max_amount) ? decimalProperty(properties.per_transaction_max_amount) : null,
});

/**
 * What to fetch for a percentage charge's usage besides units and event count.
 * Example: `{"rate": "1", "free_units_per_events": 3}` needs the first 3 event values of a sum metric and no
 * per-transaction values; `{"rate": "1", "free_units_per_total_aggregation": "500", "per_transaction_max_amount":
 * "3"}` needs the values up to the first event whose running total passes 500, and every event's value.
 */
export const percentageEventNeeds = (properties: Properties): PercentageEventNeeds => {
  const s = settingsOf(properties);
  let leadingValues: PercentageEventNeeds['leadingValues'] = null;
  if (s.freeEvents > 0) leadingValues = { limit: s.freeEvents };
  else if (!s.freeTotal.isZero()) leadingValues = { untilRunningTotalAbove: s.freeTotal };
  return { leadingValues, transactionValues: s.min !== null || s.max !== null };
};

/** Lago's running total, in the few figures the free-unit rules read from it. */
interface RunningTotal {
  count: number;
  /** The last running total; 0 for none. */
  last: Decimal;
  /** The `n`-th running total (1-based), for `n` ≤ `count`. */
  at(n: number): Decimal;
  /** How many running totals are strictly below `limit`. */
  countBelow(limit: Decimal): number;
}

const NO_RUNNING_TOTAL: RunningTotal = { count: 0, last: ZERO, at: () => ZERO, countBelow: () => 0 };

/** Count metrics: 1, 2, …, units, figured without building the list. */
const countedRunningTotal = (units: Decimal): RunningTotal => {
  const count = units.gte(1) ? units.floor().toNumber() : 0;
  return {
    count,
    last: new Decimal(count),
    at: (n) => new Decimal(n),
    // The integers k in 1..count with k < limit.
    countBelow: (limit) => Math.min(count, Math.max(0, limit.ceil().minus(1).toNumber())),
  };
};

/** Sum metrics: cumulative sums of the leading values, cut as Lago's sum aggregation cuts them. */
const summedRunningTotal = (values: readonly Decimal[], s: PercentageSettings): RunningTotal => {
  const totals: Decimal[] = [];
  let sum = ZERO;
  if (s.freeEvents > 0) {
    for (const value of values.slice(0, s.freeEvents)) totals.push((sum = sum.plus(value)));
  } else if (!s.freeTotal.isZero()) {
    // Each value is added while the total so far has not gone above the free total: the list ends with the first
    // total above it.
    for (const value of values) {
      if (s.freeTotal.lt(sum)) break;
      totals.push((sum = sum.plus(value)));
    }
  }
  return {
    count: totals.length,
    last: totals.at(-1) ?? ZERO,
    at: (n) => totals[n - 1] ?? ZERO,
    countBelow: (limit) => totals.filter((t) => t.lt(limit)).length,
  };
};

const runningTotalOf = (basis: FreeUnitsBasis | undefined, units: Decimal, s: PercentageSettings): RunningTotal => {
  // Lago's metrics compute no running total when neither free setting is given.
  if (basis === undefined || (s.freeEvents === 0 && s.freeTotal.isZero())) return NO_RUNNING_TOTAL;
  return basis.kind === 'event_count' ? countedRunningTotal(units) : summedRunningTotal(basis.values, s);
};

/**
 * Free units, Lago's way. Note the count-metric quirk: when there are more units than free events, the free units are
 * the free events and `free_units_per_total_aggregation` is not applied; a sum metric always caps at it.
 */
const freeUnitsOf = (running: RunningTotal, s: PercentageSettings): Decimal => {
  if (running.last.isZero()) return ZERO;
  if (s.freeEvents > 0 && s.freeEvents < running.count) return running.at(s.freeEvents);
  if (s.freeTotal.isZero() || running.last.lte(s.freeTotal)) return running.last;
  return s.freeTotal;
};

const freeEventsOf = (running: RunningTotal, s: PercentageSettings): number => {
  const candidates = [s.freeEvents, running.countBelow(s.freeTotal)].filter((n) => n !== 0);
  return candidates.length === 0 ? 0 : Math.min(...candidates);
};

/**
 * The per-transaction computation Lago switches to when a minimum or maximum is set: events in order; while free
 * events remain or free total is left, an event is free (with free total left it consumes it, the event that exhausts
 * the free total paying for its remainder and ending the free events too); every paying event costs its value × rate
 * + fixed amount, raised to the minimum or lowered to the maximum.
 */
const perTransactionTotal = (values: readonly Decimal[], s: PercentageSettings): Decimal => {
  let freeEventsLeft = s.freeEvents;
  let freeTotalLeft = s.freeTotal;
  let total = ZERO;
  for (const eventValue of values) {
    let value = eventValue;
    if (freeEventsLeft > 0 || freeTotalLeft.gt(0)) {
      freeEventsLeft -= 1;
      if (!freeTotalLeft.gt(0)) continue;
      if (freeTotalLeft.gt(value)) {
        freeTotalLeft = freeTotalLeft.minus(value);
        continue;
      }
      value = value.minus(freeTotalLeft);
      freeTotalLeft = ZERO;
      freeEventsLeft = 0;
    }
    let amount = value.mul(s.rate).div(100).plus(s.fixedAmount);
    if (s.min !== null && amount.lt(s.min)) amount = s.min;
    else if (s.max !== null && amount.gt(s.max)) amount = s.max;
    total = total.plus(amount);
  }
  return total;
};

/**
 * Percentage pricing: `rate` percent of the units past the free units, plus `fixed_amount` per event past the free
 * events; with a per-transaction minimum or maximum, the same priced event by event and each event's price bounded
 * (the difference to the plain computation shows as `min_max_adjustment_total_amount`). The unit amount is the amount
 * over the units. Billow applies the per-transaction bounds to every organization (Lago only with a premium licence).
 * Inputs: see `ChargeUsage.freeUnitsBasis` and `transactionValues`, and `percentageEventNeeds`.
 * Example: `{"rate": "1.3", "fixed_amount": "2.0", "free_units_per_events": 3, "free_units_per_total_aggregation":
 * "250.0"}`, a sum metric with 4 events for 800 units whose first values are 50, 100 and 250: the running totals 50,
 * 150, 400 give 250 free units (capped) and 2 free events (two totals under 250), so (800 − 250) × 1.3 % + (4 − 2) × 2
 * = 11.15, unit amount 0.0139375.
 */
export const pricePercentage = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const s = settingsOf(properties);
  const units = usage.units;
  const running = runningTotalOf(usage.freeUnitsBasis, units, s);
  const freeUnits = freeUnitsOf(running, s);
  const freeEventsSetting = freeEventsOf(running, s);

  const percentageAmount = freeUnits.gt(units) ? null : units.minus(freeUnits).mul(s.rate).div(100);
  const fixedTotal =
    units.isZero() || freeEventsSetting >= usage.eventsCount ? ZERO : new Decimal(usage.eventsCount - freeEventsSetting).mul(s.fixedAmount);
  const plainAmount = (percentageAmount ?? ZERO).plus(fixedTotal);

  let amount = plainAmount;
  let adjustment = ZERO;
  if (s.min !== null || s.max !== null) {
    if (usage.transactionValues === undefined) throw new Error('percentage pricing with min/max needs transactionValues');
    amount = perTransactionTotal(usage.transactionValues, s);
    adjustment = amount.minus(plainAmount);
  }

  const paidUnits = units.minus(freeUnits);
  const freeEvents = Math.min(usage.eventsCount, freeEventsSetting);
  const paidEvents = usage.eventsCount - freeEvents;
  const amountDetails: PercentageAmountDetails = {
    units: decimalText(units),
    free_units: decimalText(freeUnits),
    free_events: freeEvents,
    paid_units: decimalText(paidUnits.isNegative() ? ZERO : paidUnits),
    rate: decimalText(s.rate),
    per_unit_total_amount: percentageAmount === null ? 0 : decimalText(percentageAmount),
    paid_events: paidEvents,
    fixed_fee_unit_amount: decimalText(paidEvents > 0 ? s.fixedAmount : ZERO),
    fixed_fee_total_amount: decimalText(fixedTotal),
    min_max_adjustment_total_amount: decimalText(adjustment),
  };
  return { amount, unitAmount: amountPerUnit(amount, usage.fullUnits ?? usage.units), ...usageFigures(usage), amountDetails };
};
