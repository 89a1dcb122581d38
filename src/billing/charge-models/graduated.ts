import { checkRangeAmounts, checkRangeList, type ChargeModelProperties, type RangeRules } from './properties.ts';

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
