import { Decimal } from '../../lib/money.ts';
import { reachedTiers, tiersOf, type Tier } from './graduated.ts';
import {
  amountPerUnit,
  decimalProperty,
  decimalText,
  usageFigures,
  ZERO,
  type ChargeAmount,
  type ChargeUsage,
  type GraduatedPercentageRangeDetail,
} from './pricing.ts';
import {
  checkNotLatestAggregation,
  checkRangeList,
  isAmount,
  type ChargeModelProperties,
  type Properties,
  type RangeRules,
} from './properties.ts';

const rules: RangeRules = {
  field: 'graduated_percentage_ranges',
  invalidCode: 'invalid_graduated_percentage_ranges',
  checkAmounts: (range, errors) => {
    if (!isAmount(range.flat_amount)) errors.add('flat_amount', 'invalid_amount');
    if (!isAmount(range.rate)) errors.add('rate', 'invalid_rate');
  },
  nextFrom: (to) => to,
};

/**
 * Graduated percentage: each tier of the aggregated amount is charged its own `rate` percent, plus its flat amount:
 * `{"graduated_percentage_ranges": [{"from_value": 0, "to_value": 1000, "rate": "1", "flat_amount": "200"},
 * {"from_value": 1001, "to_value": null, "rate": "0.5", "flat_amount": "0"}]}`.
 */
export const graduatedPercentageProperties: ChargeModelProperties = {
  keys: ['graduated_percentage_ranges'],
  defaults: () => ({
    graduated_percentage_ranges: [{ from_value: 0, to_value: null, rate: '0', fixed_amount: '0', flat_amount: '0' }],
  }),
  check: (properties, context, errors) => {
    checkNotLatestAggregation(context, errors);
    checkRangeList(
      properties.graduated_percentage_ranges,
      { field: 'graduated_percentage_ranges', code: 'missing_graduated_percentage_ranges' },
      rules,
      errors,
    );
  },
};

/**
 * Units of a graduated-percentage tier, by Lago's own rule for this model, which always counts a tier's first unit
 * (`to - from + 1`, a tier from 0 holding `to`) and has no adjacent mode: a tier starting at the previous `to_value`
 * (which validation allows) bills that bound in both tiers.
 */
const unitsInTier = (tier: Tier, units: Decimal): Decimal => {
  if (tier.to !== null && units.gte(tier.to)) return tier.to.minus(tier.from.isZero() ? 1 : tier.from).plus(1);
  if (tier.from.isZero()) return units;
  return units.minus(tier.from).plus(1);
};

/**
 * Graduated percentage pricing: each tier of the aggregated units (an amount, typically) is charged its `rate` percent,
 * plus its `flat_amount` as soon as it is reached (the first tier's even at zero units). The unit amount is the amount
 * over the units.
 * Example: tiers 0–10 at 1 % + "200", 11–20 at 2 % + "300", 21–∞ at 3 % + "400": 12 units give
 * (200 + 10 × 1 %) + (300 + 2 × 2 %) = 500.14, unit amount 41.678…, details `[{from_value: 0, to_value: 10,
 * flat_unit_amount: "200.0", rate: "1.0", units: "10.0", per_unit_total_amount: "0.1", total_with_flat_amount:
 * "200.1"}, {from_value: 11, to_value: 20, flat_unit_amount: "300.0", rate: "2.0", units: "2.0",
 * per_unit_total_amount: "0.04", total_with_flat_amount: "300.04"}]`.
 */
export const priceGraduatedPercentage = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  // Before a pay-in-advance event at zero units, no flat amount is owed yet: the event entering the tier pays it.
  const noFlat = usage.excludingEvent === true && usage.units.isZero();
  let amount = ZERO;
  const details: GraduatedPercentageRangeDetail[] = reachedTiers(tiersOf(properties.graduated_percentage_ranges), usage.units).map(
    (tier) => {
      const tierUnits = unitsInTier(tier, usage.units);
      const rate = decimalProperty(tier.raw.rate);
      const flat = noFlat ? ZERO : decimalProperty(tier.raw.flat_amount);
      const perUnitTotal = tierUnits.mul(rate).div(100);
      amount = amount.plus(perUnitTotal).plus(flat);
      return {
        from_value: tier.raw.from_value,
        to_value: tier.raw.to_value ?? null,
        flat_unit_amount: noFlat ? 0 : decimalText(flat),
        rate: decimalText(rate),
        units: decimalText(tierUnits),
        per_unit_total_amount: decimalText(perUnitTotal),
        total_with_flat_amount: noFlat ? 0 : decimalText(perUnitTotal.plus(flat)),
      };
    },
  );
  return {
    amount,
    unitAmount: amountPerUnit(amount, usage.fullUnits ?? usage.units),
    ...usageFigures(usage),
    amountDetails: { graduated_percentage_ranges: details },
  };
};
