import { Decimal } from '../../lib/money.ts';
import { decimalProperty, decimalText, usageFigures, ZERO, type ChargeAmount, type ChargeUsage } from './pricing.ts';
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
  field: 'volume_ranges',
  invalidCode: 'invalid_volume_ranges',
  checkAmounts: checkRangeAmounts,
  // Volume ranges never share a bound: the whole volume falls in exactly one of them.
  nextFrom: (to) => to.plus(1),
};

/**
 * Volume: the range the total volume falls in prices every unit:
 * `{"volume_ranges": [{"from_value": 0, "to_value": 10000, "per_unit_amount": "0.001", "flat_amount": "10"},
 * {"from_value": 10001, "to_value": null, "per_unit_amount": "0.0005", "flat_amount": "0"}]}`.
 */
export const volumeProperties: ChargeModelProperties = {
  keys: ['volume_ranges'],
  defaults: () => ({ volume_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0', flat_amount: '0' }] }),
  check: (properties, _context, errors) =>
    checkRangeList(properties.volume_ranges, { field: 'volume_ranges', code: 'missing_volume_ranges' }, rules, errors),
};

interface VolumeRange {
  from: Decimal;
  to: Decimal | null;
  perUnit: Decimal;
  flat: Decimal;
}

const volumeRanges = (properties: Properties): VolumeRange[] => {
  const raw = Array.isArray(properties.volume_ranges) ? properties.volume_ranges : [];
  return raw
    .filter(isPlainObject)
    .map((range) => ({
      from: rangeBound(range.from_value) ?? ZERO,
      to: rangeBound(range.to_value),
      perUnit: decimalProperty(range.per_unit_amount),
      flat: decimalProperty(range.flat_amount),
    }))
    .sort((a, b) => a.from.comparedTo(b.from));
};

/**
 * The range that prices a volume: the first one, by `from_value`, that reaches up to it. Lago asks besides that the
 * range starts at or below the volume rounded up, and has no answer (an error) for a volume below the first range
 * (negative units; zero units when the first range starts at 1) or in the gap a `from_value` of `to_value + 2`
 * leaves; Billow prices those volumes in the range just above.
 */
const rangeFor = (ranges: readonly VolumeRange[], volume: Decimal): VolumeRange | undefined =>
  ranges.find((range) => range.to === null || volume.lte(range.to));

/**
 * Volume pricing: every unit is priced at the `per_unit_amount` of the range the volume falls in, plus that range's
 * flat amount (which is due at zero units too). A prorated charge picks its range with its full units and prices its
 * prorated units; the unit amount is taken over the full units.
 * Example: ranges 0–100 at "2" + "10", 101–200 at "1", 201–∞ at "0.5" + "50": 300 units give 300 × 0.5 + 50 = 200,
 * unit amount 0.666…, details `{flat_unit_amount: "50.0", per_unit_amount: "0.5", per_unit_total_amount: "150.0"}`;
 * 100.5 units fall in the second range (it starts at 101, the volume rounded up): 100.5.
 */
export const priceVolume = (properties: Properties, usage: ChargeUsage): ChargeAmount => {
  const volume = usage.fullUnits ?? usage.units;
  const range = rangeFor(volumeRanges(properties), volume);
  if (range === undefined) throw new Error('volume pricing needs validated volume_ranges');

  const perUnitTotal = usage.units.mul(range.perUnit);
  const amount = perUnitTotal.plus(range.flat);
  return {
    amount,
    unitAmount: volume.isZero() ? ZERO : amount.div(volume),
    ...usageFigures(usage),
    amountDetails: {
      flat_unit_amount: decimalText(range.flat),
      // Lago divides in binary floating point here; the exact quotient shows "0.1" where it may show "0.09999999999999999".
      per_unit_amount: decimalText(volume.isZero() ? ZERO : perUnitTotal.div(volume)),
      per_unit_total_amount: decimalText(perUnitTotal),
    },
  };
};
