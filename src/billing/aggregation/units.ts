import { Decimal } from '../../lib/money.ts';
import type { AggregationType } from './metric-config.ts';
import type { WindowState } from './window-state.ts';

/** What a charge prices and shows for a window: units, the events that made them, and the level they end at. */
export interface AggregatedUnits {
  units: Decimal;
  eventsCount: number;
  /** Lago's `total_aggregated_units`: the units, except for weighted sums, where it is the level at the window's end. */
  totalAggregatedUnits: Decimal;
}

const ZERO = new Decimal(0);
const SECONDS_PER_DAY = 86_400;

export interface UnitsContext {
  /** The window the state covers, in epoch milliseconds [from, to). */
  fromMs: number;
  toMs: number;
  /** Days in the whole charges period (Lago's charges_duration): the divisor of time-weighted sums. */
  periodDays: number;
  /** A recurring weighted sum's level when the window opens (the sum of every earlier change). */
  initialLevel?: Decimal;
}

/**
 * The units of one aggregation type from a window's state, as Lago computes them.
 * - count: the events; sum: Σ values (events without a numeric value do not count); max; latest (never below 0);
 * - unique_count: the values whose last operation in the window is an add (events_count is that count, as in Lago);
 * - weighted_sum: Σ level × seconds held / seconds in the whole period, the level held until the window's end, starting
 *   from `initialLevel`. Example: a level of 2500 from March 5 to the end of a 31-day March gives 2500 × 27/31 =
 *   2177.4193548387096774.
 */
export const unitsOf = (type: AggregationType, state: WindowState, context: UnitsContext): AggregatedUnits => {
  switch (type) {
    case 'count_agg': {
      const units = new Decimal(state.eventsCount);
      return { units, eventsCount: state.eventsCount, totalAggregatedUnits: units };
    }
    case 'sum_agg':
      return { units: state.valueSum, eventsCount: state.valuedCount, totalAggregatedUnits: state.valueSum };
    case 'max_agg': {
      const units = state.valueMax ?? ZERO;
      return { units, eventsCount: state.valuedCount, totalAggregatedUnits: units };
    }
    case 'latest_agg': {
      const units = state.latestValue === null || state.latestValue.isNegative() ? ZERO : state.latestValue;
      return { units, eventsCount: state.valuedCount, totalAggregatedUnits: units };
    }
    case 'unique_count_agg': {
      let count = state.uniqueAdds;
      for (const value of state.uniques.values()) if (value.isAdd) count++;
      const units = new Decimal(count);
      return { units, eventsCount: count, totalAggregatedUnits: units };
    }
    case 'weighted_sum_agg': {
      const initial = context.initialLevel ?? ZERO;
      const held = initial.mul(new Decimal(context.toMs - context.fromMs).div(1000)).add(state.weightedToEnd);
      // Postgres, which Lago computes this in, keeps 16 decimals of such a quotient.
      const units = held.div(context.periodDays * SECONDS_PER_DAY).toDecimalPlaces(16, Decimal.ROUND_HALF_UP);
      return { units, eventsCount: state.valuedCount, totalAggregatedUnits: initial.add(state.valueSum) };
    }
  }
};

export type RoundingFunction = 'round' | 'ceil' | 'floor';

/**
 * A metric's rounding of its aggregated units: `round` half away from zero, `ceil`, `floor`, to `precision` decimals
 * (negative rounds to tens, hundreds; null means 0). Example: 123.456 with round/2 → 123.46, ceil/null → 124,
 * floor/-2 → 100.
 */
export const roundUnits = (units: Decimal, fn: RoundingFunction | null, precision: number | null): Decimal => {
  if (!fn) return units;
  const places = precision ?? 0;
  const mode = fn === 'round' ? Decimal.ROUND_HALF_UP : fn === 'ceil' ? Decimal.ROUND_CEIL : Decimal.ROUND_FLOOR;
  if (places >= 0) return units.toDecimalPlaces(places, mode);
  const scale = new Decimal(10).pow(-places);
  return units.div(scale).toDecimalPlaces(0, mode).mul(scale);
};
