import { checkRangeAmounts, checkRangeList, type ChargeModelProperties, type RangeRules } from './properties.ts';

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
