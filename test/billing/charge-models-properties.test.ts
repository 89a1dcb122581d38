import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeProperties, presentProperties, validateProperties } from '../../src/billing/charge-models/index.ts';

interface Row {
  name: string;
  properties: Record<string, unknown>;
  expected: string[];
  aggregationType?: string;
}

const check = (model: string, rows: Row[]) => {
  describe(`${model} properties`, () => {
    for (const row of rows) {
      test(row.name, () => {
        const properties = normalizeProperties(model, row.properties, 'charge');
        assert.deepEqual(validateProperties(model, properties, { aggregationType: row.aggregationType ?? 'sum_agg' }), row.expected);
      });
    }
  });
};

const range = (from: unknown, to: unknown, extra: Record<string, unknown> = { per_unit_amount: '1', flat_amount: '0' }) => ({
  from_value: from,
  to_value: to,
  ...extra,
});

check('standard', [
  { name: 'a decimal string', properties: { amount: '0.0002' }, expected: [] },
  { name: 'zero', properties: { amount: '0' }, expected: [] },
  { name: 'no properties gets the default amount', properties: {}, expected: [] },
  { name: 'amount missing next to other keys', properties: { pricing_group_keys: ['region'] }, expected: ['invalid_amount'] },
  { name: 'a JSON number', properties: { amount: 5 }, expected: ['invalid_amount'] },
  { name: 'not a number', properties: { amount: 'Foo' }, expected: ['invalid_amount'] },
  { name: 'negative', properties: { amount: '-12' }, expected: ['invalid_amount'] },
  { name: 'null', properties: { amount: null }, expected: ['invalid_amount'] },
  { name: 'group keys as a string', properties: { amount: '1', pricing_group_keys: 'region' }, expected: ['invalid_type'] },
  { name: 'group keys holding numbers', properties: { amount: '1', pricing_group_keys: ['a', 3] }, expected: ['invalid_type'] },
  { name: 'group keys holding null', properties: { amount: '1', grouped_by: [null] }, expected: ['invalid_type'] },
  { name: 'empty group key strings are dropped', properties: { amount: '1', pricing_group_keys: ['', ''] }, expected: [] },
  { name: 'a blank group key', properties: { amount: '1', pricing_group_keys: [' '] }, expected: ['invalid_type'] },
  {
    name: 'presentation keys',
    properties: { amount: '1', presentation_group_keys: [{ value: 'region', options: { display_in_invoice: true } }, { value: 'tier' }] },
    expected: [],
  },
  { name: 'presentation keys: three of them', properties: { amount: '1', presentation_group_keys: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }, expected: ['too_many_keys'] },
  { name: 'presentation keys: duplicated', properties: { amount: '1', presentation_group_keys: [{ value: 'a' }, { value: 'a' }] }, expected: ['value_is_duplicated'] },
  { name: 'presentation keys: unknown entry key', properties: { amount: '1', presentation_group_keys: [{ value: 'a', other: 1 }] }, expected: ['invalid_type'] },
  { name: 'presentation keys: option not boolean', properties: { amount: '1', presentation_group_keys: [{ value: 'a', options: { display_in_invoice: 'yes' } }] }, expected: ['invalid_type'] },
  { name: 'presentation keys: extra option', properties: { amount: '1', presentation_group_keys: [{ value: 'a', options: { display_in_invoice: true, x: 1 } }] }, expected: ['invalid_type'] },
  { name: 'presentation keys: plain strings', properties: { amount: '1', presentation_group_keys: ['a'] }, expected: ['invalid_type'] },
  { name: 'bad amount and bad group keys, in that order', properties: { amount: 1, pricing_group_keys: 'x' }, expected: ['invalid_amount', 'invalid_type'] },
]);

check('package', [
  { name: 'valid', properties: { amount: '5', package_size: 1000, free_units: 100 }, expected: [] },
  { name: 'defaults', properties: {}, expected: [] },
  { name: 'everything missing, in Lago order', properties: { pricing_group_keys: [] }, expected: ['invalid_amount', 'invalid_free_units', 'invalid_package_size'] },
  { name: 'package size zero', properties: { amount: '5', package_size: 0, free_units: 0 }, expected: ['invalid_package_size'] },
  { name: 'package size as a string', properties: { amount: '5', package_size: '10', free_units: 0 }, expected: ['invalid_package_size'] },
  { name: 'negative free units', properties: { amount: '5', package_size: 10, free_units: -3 }, expected: ['invalid_free_units'] },
  { name: 'fractional free units', properties: { amount: '5', package_size: 10, free_units: 1.5 }, expected: ['invalid_free_units'] },
]);

check('percentage', [
  { name: 'rate only', properties: { rate: '1' }, expected: [] },
  { name: 'zero rate', properties: { rate: '0.00' }, expected: [] },
  {
    name: 'everything',
    properties: {
      rate: '1',
      fixed_amount: '0.5',
      free_units_per_events: 5,
      free_units_per_total_aggregation: '500',
      per_transaction_min_amount: '1.75',
      per_transaction_max_amount: '3.75',
    },
    expected: [],
  },
  { name: 'rate as a number', properties: { rate: 0.25 }, expected: ['invalid_rate'] },
  { name: 'rate negative', properties: { rate: '-0.50' }, expected: ['invalid_rate'] },
  { name: 'rate missing', properties: { fixed_amount: '1' }, expected: ['invalid_rate'] },
  { name: 'fixed amount as a number', properties: { rate: '1', fixed_amount: 2 }, expected: ['invalid_fixed_amount'] },
  { name: 'free events zero', properties: { rate: '1', free_units_per_events: 0 }, expected: ['invalid_free_units_per_events'] },
  { name: 'free events a string', properties: { rate: '1', free_units_per_events: 'foo' }, expected: ['invalid_free_units_per_events'] },
  { name: 'free total not a number', properties: { rate: '1', free_units_per_total_aggregation: 'x' }, expected: ['invalid_free_units_per_total_aggregation'] },
  { name: 'nulls are "not set"', properties: { rate: '1', fixed_amount: null, free_units_per_events: null, free_units_per_total_aggregation: null }, expected: [] },
  { name: 'per-transaction minimum not a number', properties: { rate: '1', per_transaction_min_amount: 'foo' }, expected: ['invalid_amount'] },
  { name: 'per-transaction maximum as a number', properties: { rate: '1', per_transaction_max_amount: 3 }, expected: ['invalid_amount'] },
  {
    name: 'maximum below minimum',
    properties: { rate: '1', per_transaction_min_amount: '5', per_transaction_max_amount: '3' },
    expected: ['per_transaction_max_lower_than_per_transaction_min'],
  },
  {
    name: 'both limits invalid: no comparison',
    properties: { rate: '1', per_transaction_min_amount: 'a', per_transaction_max_amount: 'b' },
    expected: ['invalid_amount', 'invalid_amount'],
  },
  { name: 'on a latest metric', properties: { rate: '1' }, aggregationType: 'latest_agg', expected: ['invalid_value'] },
  {
    name: 'every problem, in Lago order',
    properties: { rate: 'x', fixed_amount: 'y', free_units_per_events: -1, free_units_per_total_aggregation: 'z', pricing_group_keys: 'k' },
    aggregationType: 'latest_agg',
    expected: ['invalid_value', 'invalid_rate', 'invalid_fixed_amount', 'invalid_free_units_per_events', 'invalid_free_units_per_total_aggregation', 'invalid_type'],
  },
]);

check('graduated', [
  { name: 'three tiers', properties: { graduated_ranges: [range(0, 10), range(11, 20), range(21, null)] }, expected: [] },
  { name: 'adjacent tiers sharing a bound', properties: { graduated_ranges: [range(0, 10), range(10, null)] }, expected: [] },
  { name: 'decimal bounds', properties: { graduated_ranges: [range(0, 0.1), range(0.1, 1), range(1, null)] }, expected: [] },
  { name: 'numeric strings as bounds', properties: { graduated_ranges: [range('0', '10'), range('11', null)] }, expected: [] },
  { name: 'first tier from 1', properties: { graduated_ranges: [range(1, null)] }, expected: [] },
  { name: 'the default', properties: {}, expected: [] },
  { name: 'no ranges', properties: { graduated_ranges: [] }, expected: ['missing_graduated_ranges'] },
  { name: 'ranges null', properties: { graduated_ranges: null, pricing_group_keys: [] }, expected: ['missing_graduated_ranges'] },
  { name: 'ranges not a list', properties: { graduated_ranges: 'x' }, expected: ['invalid_graduated_ranges'] },
  { name: 'not starting at 0 or 1', properties: { graduated_ranges: [range(-1, 100), range(101, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'starting at 2', properties: { graduated_ranges: [range(2, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'last tier closed', properties: { graduated_ranges: [range(0, 100)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'a gap', properties: { graduated_ranges: [range(0, 100), range(120, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'an overlap', properties: { graduated_ranges: [range(0, 100), range(90, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'a decimal gap', properties: { graduated_ranges: [range(0, 0.1), range(0.5, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'to below from', properties: { graduated_ranges: [range(0, 0), range(0, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'from missing', properties: { graduated_ranges: [{ to_value: null, per_unit_amount: '1', flat_amount: '0' }] }, expected: ['invalid_graduated_ranges'] },
  { name: 'from not a number', properties: { graduated_ranges: [range('abc', null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'middle to not a number', properties: { graduated_ranges: [range(0, ''), range(1, null)] }, expected: ['invalid_graduated_ranges'] },
  { name: 'a range that is not an object', properties: { graduated_ranges: [5] }, expected: ['invalid_amount', 'invalid_amount', 'invalid_graduated_ranges'] },
  {
    name: 'bad prices and bounds: grouped by inner field, duplicates kept',
    properties: {
      graduated_ranges: [
        range(0, 10, { per_unit_amount: 1, flat_amount: '0' }),
        range(20, 30, { per_unit_amount: '1', flat_amount: '0' }),
        range(40, null, { per_unit_amount: '-1', flat_amount: 'x' }),
      ],
    },
    expected: ['invalid_amount', 'invalid_amount', 'invalid_graduated_ranges', 'invalid_graduated_ranges', 'invalid_amount'],
  },
]);

check('volume', [
  { name: 'two ranges', properties: { volume_ranges: [range(0, 100), range(101, null)] }, expected: [] },
  { name: 'a next range two units later', properties: { volume_ranges: [range(0, 100), range(102, null)] }, expected: [] },
  { name: 'sharing a bound is refused', properties: { volume_ranges: [range(0, 100), range(100, null)] }, expected: ['invalid_volume_ranges'] },
  { name: 'a gap', properties: { volume_ranges: [range(0, 100), range(103, null)] }, expected: ['invalid_volume_ranges'] },
  { name: 'no ranges', properties: { volume_ranges: [] }, expected: ['missing_volume_ranges'] },
  { name: 'string bounds', properties: { volume_ranges: [range(0, '10'), range('11', null)] }, expected: [] },
  { name: 'last range closed', properties: { volume_ranges: [range(0, 10)] }, expected: ['invalid_volume_ranges'] },
  { name: 'bad flat amount', properties: { volume_ranges: [range(0, null, { per_unit_amount: '1', flat_amount: null })] }, expected: ['invalid_amount'] },
]);

check('graduated_percentage', [
  {
    name: 'two tiers',
    properties: { graduated_percentage_ranges: [range(0, 1000, { rate: '1', flat_amount: '200' }), range(1001, null, { rate: '0.5', flat_amount: '0' })] },
    expected: [],
  },
  { name: 'the default', properties: {}, expected: [] },
  { name: 'no ranges', properties: { graduated_percentage_ranges: [] }, expected: ['missing_graduated_percentage_ranges'] },
  { name: 'ranges missing (a 500 in Lago)', properties: { pricing_group_keys: ['a'] }, expected: ['missing_graduated_percentage_ranges'] },
  {
    name: 'bad flat amount then bad rate',
    properties: { graduated_percentage_ranges: [range(0, null, { rate: 5, flat_amount: 5 })] },
    expected: ['invalid_amount', 'invalid_rate'],
  },
  {
    name: 'a gap',
    properties: { graduated_percentage_ranges: [range(0, 10, { rate: '1', flat_amount: '0' }), range(12, null, { rate: '1', flat_amount: '0' })] },
    expected: ['invalid_graduated_percentage_ranges'],
  },
  {
    name: 'on a latest metric',
    properties: { graduated_percentage_ranges: [range(0, null, { rate: '1', flat_amount: '0' })] },
    aggregationType: 'latest_agg',
    expected: ['invalid_value'],
  },
]);

check('dynamic', [
  { name: 'nothing', properties: {}, expected: [] },
  { name: 'group keys', properties: { pricing_group_keys: ['region'] }, expected: [] },
  { name: 'bad group keys', properties: { pricing_group_keys: [1] }, expected: ['invalid_type'] },
]);

describe('properties normalization', () => {
  test('blank properties take the model defaults, on charges only', () => {
    assert.deepEqual(normalizeProperties('standard', null, 'charge'), { amount: '0' });
    assert.deepEqual(normalizeProperties('standard', {}, 'charge'), { amount: '0' });
    assert.deepEqual(normalizeProperties('package', undefined, 'charge'), { package_size: 1, amount: '0', free_units: 0 });
    assert.deepEqual(normalizeProperties('percentage', {}, 'charge'), { rate: '0' });
    assert.deepEqual(normalizeProperties('volume', {}, 'charge'), {
      volume_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0', flat_amount: '0' }],
    });
    assert.deepEqual(normalizeProperties('graduated_percentage', {}, 'charge'), {
      graduated_percentage_ranges: [{ from_value: 0, to_value: null, rate: '0', fixed_amount: '0', flat_amount: '0' }],
    });
    assert.deepEqual(normalizeProperties('dynamic', {}, 'charge'), {});
    assert.deepEqual(normalizeProperties('standard', {}, 'filter'), {});
  });

  test('only the model keys and the group keys are kept, values untouched', () => {
    assert.deepEqual(normalizeProperties('standard', { amount: 100, rate: '1', other: true, pricing_group_keys: ['a'] }, 'charge'), {
      amount: 100,
      pricing_group_keys: ['a'],
    });
    assert.deepEqual(normalizeProperties('percentage', { rate: '1', amount: '2', per_transaction_min_amount: '1' }, 'charge'), {
      rate: '1',
      per_transaction_min_amount: '1',
    });
    assert.deepEqual(normalizeProperties('dynamic', { amount: '1' }, 'charge'), {});
    assert.deepEqual(normalizeProperties('nonsense', { amount: '1', pricing_group_keys: ['a'] }, 'charge'), { pricing_group_keys: ['a'] });
    assert.deepEqual(normalizeProperties(null, { amount: '1', pricing_group_keys: ['a'] }, 'charge'), {});
  });

  test('grouped_by is read into pricing_group_keys, which wins when both are sent', () => {
    assert.deepEqual(normalizeProperties('standard', { amount: '1', grouped_by: ['a'] }, 'charge'), { amount: '1', pricing_group_keys: ['a'] });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', grouped_by: ['a'], pricing_group_keys: ['b'] }, 'charge'), {
      amount: '1',
      pricing_group_keys: ['b'],
    });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', grouped_by: ['a'], pricing_group_keys: [] }, 'charge'), {
      amount: '1',
      pricing_group_keys: ['a'],
    });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', pricing_group_keys: ['', 'a'] }, 'charge'), { amount: '1', pricing_group_keys: ['a'] });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', pricing_group_keys: [] }, 'charge'), { amount: '1' });
  });

  test('presentation keys stay on charges (unless empty) and never reach filters', () => {
    const keys = [{ value: 'region' }];
    assert.deepEqual(normalizeProperties('standard', { amount: '1', presentation_group_keys: keys }, 'charge'), { amount: '1', presentation_group_keys: keys });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', presentation_group_keys: [] }, 'charge'), { amount: '1' });
    assert.deepEqual(normalizeProperties('standard', { amount: '1', presentation_group_keys: keys }, 'filter'), { amount: '1' });
  });

  test('the JSON mirrors pricing_group_keys and grouped_by', () => {
    assert.deepEqual(presentProperties({ amount: '1', pricing_group_keys: ['a'] }), { amount: '1', pricing_group_keys: ['a'], grouped_by: ['a'] });
    assert.deepEqual(presentProperties({ amount: '1', pricing_group_keys: [] }), { amount: '1', pricing_group_keys: [] });
    assert.deepEqual(presentProperties({ amount: '1' }), { amount: '1' });
  });
});
