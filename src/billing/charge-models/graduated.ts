import { Decimal } from '../../lib/money.ts';
import {
  amountPerUnit,
  decimalProperty,
  decimalText,
  usageFigures,
  ZERO,
  type ChargeAmount,
  type ChargeUsage,
  type GraduatedRangeDetail,
} from './pricing.ts';
import {
  checkRangeAmounts,
  checkRangeList,
  isPlainObject,
  rangeBound,
  type ChargeModelProperties,
  type Properties,
  type RangeRules,
} from './properties.ts';

const rules: RangeRules = {
  field: 'graduated_ranges',
  invalidCode: 'invalid_graduated_ranges',
  checkAmounts: checkRangeAmounts,
  // Tiers may share a bound: 0–10 then 10–20 bills the 10th unit in the first tier.
  nextFrom: (to) => to,
};

/**
 * Graduated: each tier prices the units that fall in it, plus its flat amount once reached:
 * `{"graduated_ranges": [{"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
 * {"from_value": 101, "to_value": null, "per_unit_amount": "0.5", "flat_amount": "10"}]}`.
 */
export const graduatedProperties: ChargeModelProperties = {
  keys: ['graduated_ranges'],
  defaults: () => ({ graduated_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0', flat_amount: '0' }] }),
  check: (properties, _context, errors) =>
    checkRangeList(properties.graduated_ranges, { field: 'graduated_ranges', code: 'missing_graduated_ranges' }, rules, errors),
};

/** One tier of a graduated list: its bounds as stored (for the details) and as decimals (for the arithmetic). */
export interface Tier {
  raw: Record<string, unknown>;
  from: Decimal;
  to: Decimal | null;
}

/** The tiers in the order the properties list them (Lago does not sort graduated ranges). */
export const tiersOf = (ranges: unknown): Tier[] =>
  (Array.isArray(ranges) ? ranges : [])
    .filter(isPlainObject)
    .map((raw) => ({ raw, from: rangeBound(raw.from_value) ?? ZERO, to: rangeBound(raw.to_value) }));

/**
 * The tiers that take part for `units`: every tier up to the first one that is open or whose `to_value` reaches the
 * units. Zero or negative units stop at the first tier, whose flat amount is therefore always due.
 */
export const reachedTiers = (tiers: readonly Tier[], units: Decimal): Tier[] => {
  const reached: Tier[] = [];
  for (const tier of tiers) {
    reached.push(tier);
    if (tier.to === null || tier.to.gte(units)) break;
  }
  return reached;
};

/**
 * Units billed in one graduated tier. A tier bills from its `from_value` up to its `to_value` (or the units, when
 * lower). When every tier starts at the previous one's `to_value` (adjacent tiers, decimal-friendly), a tier holds
 * `to - from` units; otherwise (`from_value` = previous `to_value` + 1) it holds `to - from + 1`, counting its first
 * unit. A tier starting at 0 holds `to` units either way. This is Lago's rule, quirks included: the mode is chosen for
 * the whole list, so a list mixing both kinds of bound bills the shared bound twice, and an adjacent list whose first
 * tier starts at 1 bills one unit less in that tier.
 */
const unitsInTier = (tier: Tier, units: Decimal, adjacent: boolean): Decimal => {
  const top = tier.to !== null && units.gte(tier.to) ? tier.to : units;
  if (tier.from.isZero()) return top;
  const span = top.minus(tier.from);
  return adjacent ? span : span.plus(1);
};

/** Every tier starts exactly where the previous one ends (two tiers at least). */
const adjacentTiers = (tiers: readonly Tier[]): boolean =>
  tiers.length >= 2 && tiers.every((tier, i) => i === 0 || tier.from.eq(tiers[i - 1]?.to ?? ZERO));

/**
 * Graduated pricing: each tier bills its units at its `per_unit_amount`, plus its `flat_amount` as soon as it is
 * reached (the first tier's flat amount is due even at zero units). The unit amount is the amount over the units
 * (the full units of a prorated charge).
 * Example: tiers 0–10 at "10" + "2", 11–20 at "5" + "3", 21–∞ at "5" + "3": 12 units give (10 × 10 + 2) + (2 × 5 + 3)
 * = 115, unit amount 9.58333…, details `[{from_value: 0, to_value: 10, flat_unit_amount: "2.0", per_unit_amount:
 * "10.0", units: "10.0", per_unit_total_amount: "100.0", total_with_flat_amount: "102.0"}, {from_value: 11, to_value:
 * 20, …, units: "2.0", per_unit_total_amount: "10.0", total_with_flat_amount: "13.0"}]`. Adjacent decimal tiers
 * 0–0.1 at "10", 0.1–1 at "5": 0.5 units give 0.1 × 10 + 0.4 × 5 = 3.
 */
export const priceGraduated = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const tiers = tiersOf(properties.graduated_ranges);
  const adjacent = adjacentTiers(tiers);
  let total = ZERO;
  const details: GraduatedRangeDetail[] = reachedTiers(tiers, usage.units).map((tier) => {
    const tierUnits = unitsInTier(tier, usage.units, adjacent);
    const flat = decimalProperty(tier.raw.flat_amount);
    const perUnit = tierUnits.isZero() ? ZERO : decimalProperty(tier.raw.per_unit_amount);
    const perUnitTotal = tierUnits.mul(perUnit);
    total = total.plus(perUnitTotal).plus(flat);
    return {
      from_value: tier.raw.from_value,
      to_value: tier.raw.to_value ?? null,
      flat_unit_amount: decimalText(flat),
      per_unit_amount: decimalText(perUnit),
      units: decimalText(tierUnits),
      per_unit_total_amount: decimalText(perUnitTotal),
      total_with_flat_amount: decimalText(perUnitTotal.plus(flat)),
    };
  });
  // Before a pay-in-advance event at zero units, nothing is owed yet: the event that enters the first tier pays its flat amount.
  const amount = usage.excludingEvent === true && usage.units.isZero() ? ZERO : total;
  return {
    amount,
    unitAmount: amountPerUnit(amount, usage.fullUnits ?? usage.units),
    ...usageFigures(usage),
    amountDetails: { graduated_ranges: details },
  };
};
