import type { Temporal } from 'temporal-polyfill';
import { Decimal, toCents } from '../../lib/money.ts';
import type { ChargeModel, Properties } from '../charge-models/index.ts';
import { decimalProperty } from '../charge-models/pricing.ts';
import { rangeBound } from '../charge-models/properties.ts';
import { billedDays } from '../periods/index.ts';
import type { UsageLine } from './lines.ts';

const ZERO = new Decimal(0);

/**
 * The share of the billing period gone by at `now`, as Lago's projections take it: days begun since the period's start
 * over the period's days (both counted as `date_diff_with_timezone` counts them, in the customer's zone), 1 from the
 * period's end on, 0 before its start. A binary float, as in Lago, whose shortest decimal text the projections divide by.
 * Example: July 2025 (UTC) at 07-03 10:00 has begun its 3rd day: 3/31.
 */
export const periodRatio = (from: Temporal.Instant, to: Temporal.Instant, now: Temporal.Instant, timeZone: string): number => {
  if (now.epochMilliseconds >= to.epochMilliseconds) return 1;
  if (now.epochMilliseconds < from.epochMilliseconds) return 0;
  const ratio = billedDays(from, now, timeZone) / billedDays(from, to, timeZone);
  return Math.min(Math.max(ratio, 0), 1);
};

/** A line's projection to the end of the period. */
export interface LineProjection {
  units: Decimal;
  amountCents: bigint;
}

export const NO_PROJECTION: LineProjection = { units: ZERO, amountCents: 0n };

/** Graduated tiers filled in order with `units`, each touched tier adding its flat amount (Lago's projected graduated). */
const projectGraduated = (properties: Properties, units: Decimal): Decimal => {
  if (units.isZero()) return ZERO;
  const ranges = Array.isArray(properties.graduated_ranges) ? (properties.graduated_ranges as Record<string, unknown>[]) : [];
  let remaining = units;
  let priced = ZERO;
  let total = ZERO;
  for (const range of ranges) {
    const to = rangeBound(range.to_value);
    const capacity = to === null ? null : to.minus(priced);
    const inTier = capacity === null || remaining.lt(capacity) ? remaining : capacity;
    if (inTier.gt(0)) {
      total = total.plus(inTier.mul(decimalProperty(range.per_unit_amount))).plus(decimalProperty(range.flat_amount));
      remaining = remaining.minus(inTier);
      priced = priced.plus(inTier);
    }
    if (remaining.lte(0)) break;
  }
  return total;
};

/** The volume range holding `units` (from_value at most the units rounded up, to_value at least the units). */
const projectVolume = (properties: Properties, units: Decimal): Decimal => {
  if (units.isZero()) return ZERO;
  const ranges = Array.isArray(properties.volume_ranges) ? (properties.volume_ranges as Record<string, unknown>[]) : [];
  const range = ranges.find((r) => {
    const from = rangeBound(r.from_value) ?? ZERO;
    const to = rangeBound(r.to_value);
    return from.lte(units.ceil()) && (to === null || units.lte(to));
  });
  if (!range) return ZERO;
  return units.mul(decimalProperty(range.per_unit_amount)).plus(decimalProperty(range.flat_amount));
};

const projectPackage = (properties: Properties, units: Decimal): Decimal => {
  if (units.isZero()) return ZERO;
  const paid = units.minus(decimalProperty(properties.free_units));
  if (paid.lte(0)) return ZERO;
  return paid.div(decimalProperty(properties.package_size)).ceil().mul(decimalProperty(properties.amount));
};

/**
 * A line projected to the period's end, Lago's way (`Fees::ProjectionService` and each model's projected amount):
 * - a recurring metric's usage already lasts the whole period: the projection is the current usage;
 * - otherwise, with the period ratio r in (0, 1]: projected units = units / r rounded to 2 decimals (never below 0);
 *   standard prices them at its amount, graduated fills its tiers with them, volume takes the range they fall in,
 *   package counts its packages past the free units; percentage, graduated percentage and dynamic divide the current
 *   amount by r. The amount is rounded once to the currency's minor unit, and a negative one is 0.
 * Example: 3 units of a standard charge at "10" on July 3 10:00 (r = 3/31): 31.0 units, 31 000 cents; 1 unit at "20":
 * 10.33 units, 20 660 cents.
 */
export const projectLine = (
  line: UsageLine,
  model: ChargeModel,
  options: { recurring: boolean; ratio: number; currency: string },
): LineProjection => {
  if (options.recurring) return { units: line.units, amountCents: line.amountCents };
  const { ratio } = options;
  if (!(ratio > 0 && ratio <= 1)) return NO_PROJECTION;
  // Lago divides by the float's shortest decimal text (Ruby's Float#to_s), as JavaScript prints it too.
  const r = new Decimal(String(ratio));
  const units = line.pricedUnits.isZero() ? ZERO : line.pricedUnits.div(r).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  let amount: Decimal;
  switch (model) {
    case 'standard':
      amount = units.mul(decimalProperty(line.properties.amount));
      break;
    case 'graduated':
      amount = projectGraduated(line.properties, units);
      break;
    case 'volume':
      amount = projectVolume(line.properties, units);
      break;
    case 'package':
      amount = projectPackage(line.properties, units);
      break;
    default:
      amount = line.modelAmount.isZero() ? ZERO : line.modelAmount.div(r);
  }
  return {
    units: units.isNegative() ? ZERO : units,
    amountCents: amount.isNegative() ? 0n : toCents(amount, options.currency),
  };
};
