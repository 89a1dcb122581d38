import {
  checkNotLatestAggregation,
  checkRangeList,
  isAmount,
  type ChargeModelProperties,
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
