import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chargeCents,
  percentageEventNeeds,
  priceCharge,
  withoutNegativeFee,
  type ChargeModel,
  type ChargeUsage,
} from '../../src/billing/charge-models/index.ts';
import { Decimal } from '../../src/lib/money.ts';

/** Usage as written in the tables: decimals as strings. */
interface UsageRow {
  units: string;
  eventsCount?: number;
  fullUnits?: string;
  totalAggregatedUnits?: string;
  totalPreciseAmountCents?: string;
  currency?: string;
  /** 'event_count' for count metrics, or a sum metric's leading event values. */
  basis?: 'event_count' | string[];
  transactionValues?: string[];
  excludingEvent?: boolean;
}

interface Row {
  name: string;
  properties: Record<string, unknown>;
  usage: UsageRow;
  expected: {
    amount: string;
    /** Exact, or a [numerator, denominator] pair for a repeating quotient. */
    unitAmount: string | [string, string];
    amountDetails?: unknown;
  };
}

const toUsage = (row: UsageRow): ChargeUsage => {
  const dec = (v: string) => new Decimal(v);
  const usage: ChargeUsage = { units: dec(row.units), eventsCount: row.eventsCount ?? 1 };
  if (row.fullUnits !== undefined) usage.fullUnits = dec(row.fullUnits);
  if (row.totalAggregatedUnits !== undefined) usage.totalAggregatedUnits = dec(row.totalAggregatedUnits);
  if (row.totalPreciseAmountCents !== undefined) usage.totalPreciseAmountCents = dec(row.totalPreciseAmountCents);
  if (row.currency !== undefined) usage.currency = row.currency;
  if (row.basis === 'event_count') usage.freeUnitsBasis = { kind: 'event_count' };
  else if (row.basis !== undefined) usage.freeUnitsBasis = { kind: 'event_values', values: row.basis.map(dec) };
  if (row.transactionValues !== undefined) usage.transactionValues = row.transactionValues.map(dec);
  if (row.excludingEvent !== undefined) usage.excludingEvent = row.excludingEvent;
  return usage;
};

const check = (model: ChargeModel, rows: Row[]) => {
  describe(`${model} pricing`, () => {
    for (const row of rows) {
      test(row.name, () => {
        const result = priceCharge(model, row.properties, toUsage(row.usage));
        assert.equal(result.amount.toFixed(), new Decimal(row.expected.amount).toFixed(), 'amount');
        const unit = row.expected.unitAmount;
        const expectedUnit = typeof unit === 'string' ? new Decimal(unit) : new Decimal(unit[0]).div(unit[1]);
        assert.equal(result.unitAmount.toFixed(), expectedUnit.toFixed(), 'unit amount');
        if (row.expected.amountDetails !== undefined) assert.deepEqual(result.amountDetails, row.expected.amountDetails);
        // What comes out is plain JSON, ready for the fee's amount_details column.
        assert.deepEqual(JSON.parse(JSON.stringify(result.amountDetails)), result.amountDetails);
      });
    }
  });
};

// ---------------------------------------------------------------------------------------------------------------
// standard (spec/services/charge_models/standard_service_spec.rb)

check('standard', [
  { name: 'spec: 10 units at 5.12345', properties: { amount: '5.12345' }, usage: { units: '10' }, expected: { amount: '51.2345', unitAmount: '5.12345', amountDetails: {} } },
  {
    name: 'spec: prorated, unit amount over the full units',
    properties: { amount: '5.12345' },
    usage: { units: '10', fullUnits: '100' },
    expected: { amount: '51.2345', unitAmount: '0.512345' },
  },
  { name: 'spec: fixed charge, 10 units at 10', properties: { amount: '10' }, usage: { units: '10' }, expected: { amount: '100', unitAmount: '10' } },
  { name: 'zero units', properties: { amount: '5' }, usage: { units: '0', eventsCount: 0 }, expected: { amount: '0', unitAmount: '0', amountDetails: {} } },
  { name: 'negative units give a negative amount', properties: { amount: '2' }, usage: { units: '-3' }, expected: { amount: '-6', unitAmount: '2' } },
  { name: 'a tiny unit price stays exact', properties: { amount: '0.0002' }, usage: { units: '1000001' }, expected: { amount: '200.0002', unitAmount: '0.0002' } },
  { name: 'a price with spaces, as validation lets through', properties: { amount: ' 0.5 ' }, usage: { units: '3' }, expected: { amount: '1.5', unitAmount: '0.5' } },
]);

// ---------------------------------------------------------------------------------------------------------------
// package (spec/services/charge_models/package_service_spec.rb, lago-reference §5.3)

check('package', [
  {
    name: 'spec: 121 units in packages of 10 at 100',
    properties: { amount: '100', package_size: 10, free_units: 0 },
    usage: { units: '121' },
    expected: {
      amount: '1300',
      unitAmount: ['1300', '121'],
      amountDetails: { free_units: '0.0', paid_units: '121.0', per_package_size: 10, per_package_unit_amount: '100.0' },
    },
  },
  {
    name: 'spec: with 10 free units',
    properties: { amount: '100', package_size: 10, free_units: 10 },
    usage: { units: '121' },
    expected: {
      amount: '1200',
      unitAmount: ['1200', '111'],
      amountDetails: { free_units: '10.0', paid_units: '111.0', per_package_size: 10, per_package_unit_amount: '100.0' },
    },
  },
  {
    name: 'spec: more free units than units',
    properties: { amount: '100', package_size: 10, free_units: 200 },
    usage: { units: '121' },
    expected: {
      amount: '0',
      unitAmount: '0',
      amountDetails: { free_units: '200.0', paid_units: '0.0', per_package_size: 10, per_package_unit_amount: '100.0' },
    },
  },
  {
    name: 'reference: 1,250 units, 100 free, packages of 1,000 at 5',
    properties: { amount: '5', package_size: 1000, free_units: 100 },
    usage: { units: '1250' },
    expected: {
      amount: '10',
      unitAmount: ['10', '1150'],
      amountDetails: { free_units: '100.0', paid_units: '1150.0', per_package_size: 1000, per_package_unit_amount: '5.0' },
    },
  },
  {
    name: 'paid units exactly one package',
    properties: { amount: '5', package_size: 1000, free_units: 100 },
    usage: { units: '1100' },
    expected: { amount: '5', unitAmount: '0.005' },
  },
  {
    name: 'one unit past a package starts the next one',
    properties: { amount: '5', package_size: 1000, free_units: 100 },
    usage: { units: '1101' },
    expected: { amount: '10', unitAmount: ['10', '1001'] },
  },
  {
    name: 'units equal to the free units',
    properties: { amount: '5', package_size: 1000, free_units: 100 },
    usage: { units: '100' },
    expected: {
      amount: '0',
      unitAmount: '0',
      amountDetails: { free_units: '100.0', paid_units: '0.0', per_package_size: 1000, per_package_unit_amount: '5.0' },
    },
  },
  {
    name: 'zero units: Lago zeroes every detail, package size included',
    properties: { amount: '5', package_size: 1000, free_units: 100 },
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '0', unitAmount: '0', amountDetails: { free_units: '0.0', paid_units: '0.0', per_package_size: 0, per_package_unit_amount: '0.0' } },
  },
  {
    name: 'negative units bill nothing',
    properties: { amount: '5', package_size: 10, free_units: 0 },
    usage: { units: '-5' },
    expected: { amount: '0', unitAmount: '0', amountDetails: { free_units: '0.0', paid_units: '0.0', per_package_size: 10, per_package_unit_amount: '5.0' } },
  },
  {
    name: 'decimal units start a package',
    properties: { amount: '2', package_size: 1, free_units: 0 },
    usage: { units: '1.5' },
    expected: { amount: '4', unitAmount: ['4', '1.5'] },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// volume (spec/services/charge_models/volume_service_spec.rb, lago-reference §5.3)

const volume3 = {
  volume_ranges: [
    { from_value: 0, to_value: 100, per_unit_amount: '2', flat_amount: '10' },
    { from_value: 101, to_value: 200, per_unit_amount: '1', flat_amount: '0' },
    { from_value: 201, to_value: null, per_unit_amount: '0.5', flat_amount: '50' },
  ],
};
const volumeDetails = (flat: string, perUnit: string, total: string) => ({
  flat_unit_amount: flat,
  per_unit_amount: perUnit,
  per_unit_total_amount: total,
});

check('volume', [
  { name: 'spec: zero units pay the first flat amount', properties: volume3, usage: { units: '0', eventsCount: 0 }, expected: { amount: '10', unitAmount: '0', amountDetails: volumeDetails('10.0', '0.0', '0.0') } },
  {
    name: 'spec: zero units with a free first range',
    properties: {
      volume_ranges: [
        { from_value: 0, to_value: 1, per_unit_amount: '0', flat_amount: '0' },
        { from_value: 2, to_value: 100, per_unit_amount: '2', flat_amount: '10' },
        { from_value: 101, to_value: null, per_unit_amount: '0.5', flat_amount: '50' },
      ],
    },
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '0', unitAmount: '0', amountDetails: volumeDetails('0.0', '0.0', '0.0') },
  },
  { name: 'spec: 1 unit', properties: volume3, usage: { units: '1' }, expected: { amount: '12', unitAmount: '12', amountDetails: volumeDetails('10.0', '2.0', '2.0') } },
  { name: 'spec: exactly the first range top', properties: volume3, usage: { units: '100' }, expected: { amount: '210', unitAmount: '2.1', amountDetails: volumeDetails('10.0', '2.0', '200.0') } },
  {
    name: 'spec: 100.5 falls in the range starting at 101 (volume rounded up)',
    properties: volume3,
    usage: { units: '100.5' },
    expected: { amount: '100.5', unitAmount: '1', amountDetails: volumeDetails('0.0', '1.0', '100.5') },
  },
  { name: 'spec: exactly the second range bottom', properties: volume3, usage: { units: '101' }, expected: { amount: '101', unitAmount: '1', amountDetails: volumeDetails('0.0', '1.0', '101.0') } },
  { name: 'spec: exactly the second range top', properties: volume3, usage: { units: '200' }, expected: { amount: '200', unitAmount: '1', amountDetails: volumeDetails('0.0', '1.0', '200.0') } },
  { name: 'spec: in the open last range', properties: volume3, usage: { units: '300' }, expected: { amount: '200', unitAmount: ['200', '300'], amountDetails: volumeDetails('50.0', '0.5', '150.0') } },
  {
    name: 'spec: prorated, range picked by the full units, prorated units priced',
    properties: volume3,
    usage: { units: '198.6', fullUnits: '300' },
    expected: { amount: '149.3', unitAmount: ['149.3', '300'], amountDetails: volumeDetails('50.0', '0.331', '99.3') },
  },
  { name: 'spec: fixed charge, 210 units', properties: volume3, usage: { units: '210' }, expected: { amount: '155', unitAmount: ['155', '210'] } },
  {
    name: 'reference: 65,000 calls in the third tier at 0.0006 + 10',
    properties: {
      volume_ranges: [
        { from_value: 0, to_value: 10000, per_unit_amount: '0.001', flat_amount: '0' },
        { from_value: 10001, to_value: 50000, per_unit_amount: '0.0008', flat_amount: '5' },
        { from_value: 50001, to_value: null, per_unit_amount: '0.0006', flat_amount: '10' },
      ],
    },
    usage: { units: '65000' },
    expected: { amount: '49', unitAmount: ['49', '65000'], amountDetails: volumeDetails('10.0', '0.0006', '39.0') },
  },
  {
    name: 'the per-unit detail is an exact decimal (Lago divides in floats)',
    properties: { volume_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0.1', flat_amount: '0' }] },
    usage: { units: '3' },
    expected: { amount: '0.3', unitAmount: '0.1', amountDetails: volumeDetails('0.0', '0.1', '0.3') },
  },
  {
    name: 'Billow: zero units below a first range starting at 1 use that range (Lago errors)',
    properties: {
      volume_ranges: [
        { from_value: 1, to_value: 10, per_unit_amount: '1', flat_amount: '5' },
        { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '0' },
      ],
    },
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '5', unitAmount: '0', amountDetails: volumeDetails('5.0', '0.0', '0.0') },
  },
  {
    name: 'Billow: a volume in the gap a to_value + 2 bound leaves uses the range above (Lago errors)',
    properties: {
      volume_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 12, to_value: null, per_unit_amount: '2', flat_amount: '0' },
      ],
    },
    usage: { units: '11' },
    expected: { amount: '22', unitAmount: '2' },
  },
  {
    name: 'negative units use the first range (Lago: only down to -1, errors below)',
    properties: volume3,
    usage: { units: '-5' },
    expected: { amount: '0', unitAmount: '0', amountDetails: volumeDetails('10.0', '2.0', '-10.0') },
  },
  {
    name: 'ranges listed out of order are sorted by from_value',
    properties: { volume_ranges: [volume3.volume_ranges[2], volume3.volume_ranges[0], volume3.volume_ranges[1]] },
    usage: { units: '150' },
    expected: { amount: '150', unitAmount: '1' },
  },
  {
    name: 'bounds given as numeric strings',
    properties: {
      volume_ranges: [
        { from_value: '0', to_value: '100', per_unit_amount: '2', flat_amount: '10' },
        { from_value: '101', to_value: null, per_unit_amount: '1', flat_amount: '0' },
      ],
    },
    usage: { units: '100' },
    expected: { amount: '210', unitAmount: '2.1' },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// graduated (spec/services/charge_models/graduated_service_spec.rb, amount_details/range_graduated_service_spec.rb)

const graduated3 = {
  graduated_ranges: [
    { from_value: 0, to_value: 10, per_unit_amount: '10', flat_amount: '2' },
    { from_value: 11, to_value: 20, per_unit_amount: '5', flat_amount: '3' },
    { from_value: 21, to_value: null, per_unit_amount: '5', flat_amount: '3' },
  ],
};
const tier = (from: unknown, to: unknown, flat: string, perUnit: string, units: string, perUnitTotal: string, total: string) => ({
  from_value: from,
  to_value: to,
  flat_unit_amount: flat,
  per_unit_amount: perUnit,
  units,
  per_unit_total_amount: perUnitTotal,
  total_with_flat_amount: total,
});
const firstTenAt10 = tier(0, 10, '2.0', '10.0', '10.0', '100.0', '102.0');
const adjacentDecimal = {
  graduated_ranges: [
    { from_value: 0, to_value: 0.1, per_unit_amount: '10', flat_amount: '0' },
    { from_value: 0.1, to_value: 1, per_unit_amount: '5', flat_amount: '0' },
    { from_value: 1, to_value: null, per_unit_amount: '2', flat_amount: '0' },
  ],
};
const adjacentIntegers = {
  graduated_ranges: [
    { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
    { from_value: 10, to_value: 20, per_unit_amount: '2', flat_amount: '0' },
    { from_value: 20, to_value: null, per_unit_amount: '3', flat_amount: '0' },
  ],
};

check('graduated', [
  {
    name: 'spec: zero units pay the first flat amount',
    properties: graduated3,
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '2', unitAmount: '0', amountDetails: { graduated_ranges: [tier(0, 10, '2.0', '0.0', '0.0', '0.0', '2.0')] } },
  },
  {
    name: 'spec: zero units with a free first tier',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 0.01, per_unit_amount: '0', flat_amount: '0' },
        { from_value: 0.01, to_value: 10, per_unit_amount: '10', flat_amount: '2' },
        { from_value: 11, to_value: null, per_unit_amount: '5', flat_amount: '3' },
      ],
    },
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '0', unitAmount: '0', amountDetails: { graduated_ranges: [tier(0, 0.01, '0.0', '0.0', '0.0', '0.0', '0.0')] } },
  },
  {
    name: 'spec: 1 unit',
    properties: graduated3,
    usage: { units: '1' },
    expected: { amount: '12', unitAmount: '12', amountDetails: { graduated_ranges: [tier(0, 10, '2.0', '10.0', '1.0', '10.0', '12.0')] } },
  },
  {
    name: 'spec: exactly the first tier top stays in it',
    properties: graduated3,
    usage: { units: '10' },
    expected: { amount: '102', unitAmount: '10.2', amountDetails: { graduated_ranges: [firstTenAt10] } },
  },
  {
    name: 'spec: the first unit of the second tier adds its flat amount',
    properties: graduated3,
    usage: { units: '11' },
    expected: { amount: '110', unitAmount: '10', amountDetails: { graduated_ranges: [firstTenAt10, tier(11, 20, '3.0', '5.0', '1.0', '5.0', '8.0')] } },
  },
  {
    name: 'spec: 12 units',
    properties: graduated3,
    usage: { units: '12' },
    expected: { amount: '115', unitAmount: ['115', '12'], amountDetails: { graduated_ranges: [firstTenAt10, tier(11, 20, '3.0', '5.0', '2.0', '10.0', '13.0')] } },
  },
  {
    name: 'spec: 21 units reach the open tier',
    properties: graduated3,
    usage: { units: '21' },
    expected: {
      amount: '163',
      unitAmount: ['163', '21'],
      amountDetails: {
        graduated_ranges: [firstTenAt10, tier(11, 20, '3.0', '5.0', '10.0', '50.0', '53.0'), tier(21, null, '3.0', '5.0', '1.0', '5.0', '8.0')],
      },
    },
  },
  {
    name: 'spec: adjacent decimal tiers, within the first (0.05)',
    properties: adjacentDecimal,
    usage: { units: '0.05' },
    expected: { amount: '0.5', unitAmount: '10', amountDetails: { graduated_ranges: [tier(0, 0.1, '0.0', '10.0', '0.05', '0.5', '0.5')] } },
  },
  {
    name: 'spec: adjacent decimal tiers, across two (0.5)',
    properties: adjacentDecimal,
    usage: { units: '0.5' },
    expected: {
      amount: '3',
      unitAmount: '6',
      amountDetails: { graduated_ranges: [tier(0, 0.1, '0.0', '10.0', '0.1', '1.0', '1.0'), tier(0.1, 1, '0.0', '5.0', '0.4', '2.0', '2.0')] },
    },
  },
  {
    name: 'spec (range detail): adjacent decimal tier exhausted holds to - from (1.5)',
    properties: adjacentDecimal,
    usage: { units: '1.5' },
    expected: {
      amount: '6.5',
      unitAmount: ['6.5', '1.5'],
      amountDetails: {
        graduated_ranges: [
          tier(0, 0.1, '0.0', '10.0', '0.1', '1.0', '1.0'),
          tier(0.1, 1, '0.0', '5.0', '0.9', '4.5', '4.5'),
          tier(1, null, '0.0', '2.0', '0.5', '1.0', '1.0'),
        ],
      },
    },
  },
  {
    name: 'spec (range detail): 15 units, 5 of them in the 11–20 tier',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '10', flat_amount: '2' },
        { from_value: 11, to_value: 20, per_unit_amount: '8', flat_amount: '1' },
        { from_value: 21, to_value: null, per_unit_amount: '1', flat_amount: '0' },
      ],
    },
    usage: { units: '15' },
    expected: { amount: '143', unitAmount: ['143', '15'], amountDetails: { graduated_ranges: [firstTenAt10, tier(11, 20, '1.0', '8.0', '5.0', '40.0', '41.0')] } },
  },
  {
    name: 'reference: 150 units over 0–100 at 1 and 101–∞ at 0.5 + 10',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 100, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 101, to_value: null, per_unit_amount: '0.5', flat_amount: '10' },
      ],
    },
    usage: { units: '150' },
    expected: { amount: '135', unitAmount: '0.9' },
  },
  {
    name: 'adjacent integer tiers: exactly at the shared bound stays in the lower tier',
    properties: adjacentIntegers,
    usage: { units: '10' },
    expected: { amount: '10', unitAmount: '1', amountDetails: { graduated_ranges: [tier(0, 10, '0.0', '1.0', '10.0', '10.0', '10.0')] } },
  },
  {
    name: 'adjacent integer tiers: just past the shared bound',
    properties: adjacentIntegers,
    usage: { units: '10.5' },
    expected: { amount: '11', unitAmount: ['11', '10.5'] },
  },
  {
    name: 'adjacent integer tiers: exactly at the second bound',
    properties: adjacentIntegers,
    usage: { units: '20' },
    expected: {
      amount: '30',
      unitAmount: '1.5',
      amountDetails: { graduated_ranges: [tier(0, 10, '0.0', '1.0', '10.0', '10.0', '10.0'), tier(10, 20, '0.0', '2.0', '10.0', '20.0', '20.0')] },
    },
  },
  { name: 'adjacent integer tiers: 25 units', properties: adjacentIntegers, usage: { units: '25' }, expected: { amount: '45', unitAmount: '1.8' } },
  {
    name: 'non-adjacent tiers: decimal units between two tiers',
    properties: graduated3,
    usage: { units: '10.5' },
    expected: { amount: '107.5', unitAmount: ['107.5', '10.5'], amountDetails: { graduated_ranges: [firstTenAt10, tier(11, 20, '3.0', '5.0', '0.5', '2.5', '5.5')] } },
  },
  {
    name: 'Lago quirk: a list mixing shared and +1 bounds bills the shared bound twice (16 units for 15)',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 10, to_value: 20, per_unit_amount: '2', flat_amount: '0' },
        { from_value: 21, to_value: null, per_unit_amount: '3', flat_amount: '0' },
      ],
    },
    usage: { units: '15' },
    expected: { amount: '22', unitAmount: ['22', '15'] },
  },
  {
    name: 'Lago quirk: an adjacent list starting at 1 bills one unit less in its first tier',
    properties: {
      graduated_ranges: [
        { from_value: 1, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 10, to_value: null, per_unit_amount: '2', flat_amount: '0' },
      ],
    },
    usage: { units: '5' },
    expected: { amount: '4', unitAmount: '0.8' },
  },
  {
    name: 'a first tier starting at 1 (non-adjacent) counts its first unit',
    properties: {
      graduated_ranges: [
        { from_value: 1, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
        { from_value: 11, to_value: null, per_unit_amount: '2', flat_amount: '0' },
      ],
    },
    usage: { units: '12' },
    expected: { amount: '14', unitAmount: ['14', '12'] },
  },
  {
    name: 'negative units price negatively in the first tier',
    properties: graduated3,
    usage: { units: '-5' },
    expected: { amount: '-48', unitAmount: '9.6', amountDetails: { graduated_ranges: [tier(0, 10, '2.0', '10.0', '-5.0', '-50.0', '-48.0')] } },
  },
  {
    name: 'before a pay-in-advance event at zero units: no flat amount yet',
    properties: graduated3,
    usage: { units: '0', eventsCount: 0, excludingEvent: true },
    expected: { amount: '0', unitAmount: '0', amountDetails: { graduated_ranges: [tier(0, 10, '2.0', '0.0', '0.0', '0.0', '2.0')] } },
  },
  {
    name: 'before a pay-in-advance event with units: priced as usual',
    properties: graduated3,
    usage: { units: '1', excludingEvent: true },
    expected: { amount: '12', unitAmount: '12' },
  },
  {
    name: 'bounds given as numeric strings are shown as given',
    properties: {
      graduated_ranges: [
        { from_value: '0', to_value: '10', per_unit_amount: '10', flat_amount: '2' },
        { from_value: '11', to_value: null, per_unit_amount: '5', flat_amount: '3' },
      ],
    },
    usage: { units: '11' },
    expected: {
      amount: '110',
      unitAmount: '10',
      amountDetails: { graduated_ranges: [tier('0', '10', '2.0', '10.0', '10.0', '100.0', '102.0'), tier('11', null, '3.0', '5.0', '1.0', '5.0', '8.0')] },
    },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// graduated_percentage (spec/services/charge_models/graduated_percentage_service_spec.rb,
// amount_details/range_graduated_percentage_service_spec.rb, lago-reference §5.3)

const percentTiers = {
  graduated_percentage_ranges: [
    { from_value: 0, to_value: 10, flat_amount: '200', rate: '1' },
    { from_value: 11, to_value: 20, flat_amount: '300', rate: '2' },
    { from_value: 21, to_value: null, flat_amount: '400', rate: '3' },
  ],
};
const pctTier = (from: unknown, to: unknown, flat: string | 0, rate: string, units: string, perUnitTotal: string, total: string | 0) => ({
  from_value: from,
  to_value: to,
  flat_unit_amount: flat,
  rate,
  units,
  per_unit_total_amount: perUnitTotal,
  total_with_flat_amount: total,
});
const firstPctTier = pctTier(0, 10, '200.0', '1.0', '10.0', '0.1', '200.1');

check('graduated_percentage', [
  {
    name: 'spec: zero units pay the first flat amount',
    properties: percentTiers,
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '200', unitAmount: '0', amountDetails: { graduated_percentage_ranges: [pctTier(0, 10, '200.0', '1.0', '0.0', '0.0', '200.0')] } },
  },
  {
    name: 'spec: zero units with a free first tier',
    properties: {
      graduated_percentage_ranges: [
        { from_value: 0, to_value: 0.01, flat_amount: '0', rate: '0' },
        { from_value: 0.01, to_value: 10, flat_amount: '200', rate: '1' },
        { from_value: 11, to_value: null, flat_amount: '300', rate: '2' },
      ],
    },
    usage: { units: '0', eventsCount: 0 },
    expected: { amount: '0', unitAmount: '0' },
  },
  {
    name: 'spec: 1 unit',
    properties: percentTiers,
    usage: { units: '1' },
    expected: { amount: '200.01', unitAmount: '200.01', amountDetails: { graduated_percentage_ranges: [pctTier(0, 10, '200.0', '1.0', '1.0', '0.01', '200.01')] } },
  },
  {
    name: 'spec: exactly the first tier top',
    properties: percentTiers,
    usage: { units: '10' },
    expected: { amount: '200.1', unitAmount: '20.01', amountDetails: { graduated_percentage_ranges: [firstPctTier] } },
  },
  {
    name: 'spec: 11 units reach the second tier and its flat amount',
    properties: percentTiers,
    usage: { units: '11' },
    expected: {
      amount: '500.12',
      unitAmount: ['500.12', '11'],
      amountDetails: { graduated_percentage_ranges: [firstPctTier, pctTier(11, 20, '300.0', '2.0', '1.0', '0.02', '300.02')] },
    },
  },
  {
    name: 'spec: 12 units',
    properties: percentTiers,
    usage: { units: '12' },
    expected: {
      amount: '500.14',
      unitAmount: ['500.14', '12'],
      amountDetails: { graduated_percentage_ranges: [firstPctTier, pctTier(11, 20, '300.0', '2.0', '2.0', '0.04', '300.04')] },
    },
  },
  {
    name: 'spec: 21 units reach the open tier',
    properties: percentTiers,
    usage: { units: '21' },
    expected: {
      amount: '900.33',
      unitAmount: ['900.33', '21'],
      amountDetails: {
        graduated_percentage_ranges: [
          firstPctTier,
          pctTier(11, 20, '300.0', '2.0', '10.0', '0.2', '300.2'),
          pctTier(21, null, '400.0', '3.0', '1.0', '0.03', '400.03'),
        ],
      },
    },
  },
  {
    name: 'spec (range detail): tiers 7–10 at 2.9 % + 2 and 11–20 at 1 % + 1 with 15 units',
    properties: {
      graduated_percentage_ranges: [
        { from_value: 0, to_value: 6, flat_amount: '0', rate: '0' },
        { from_value: 7, to_value: 10, flat_amount: '2', rate: '2.9' },
        { from_value: 11, to_value: 20, flat_amount: '1', rate: '1' },
        { from_value: 21, to_value: null, flat_amount: '0', rate: '0' },
      ],
    },
    usage: { units: '15' },
    expected: {
      amount: '3.166',
      unitAmount: ['3.166', '15'],
      amountDetails: {
        graduated_percentage_ranges: [
          pctTier(0, 6, '0.0', '0.0', '6.0', '0.0', '0.0'),
          pctTier(7, 10, '2.0', '2.9', '4.0', '0.116', '2.116'),
          pctTier(11, 20, '1.0', '1.0', '5.0', '0.05', '1.05'),
        ],
      },
    },
  },
  {
    name: 'reference: a 500 transaction in the 0–1,000 tier at 1 % + 200',
    properties: {
      graduated_percentage_ranges: [
        { from_value: 0, to_value: 1000, flat_amount: '200', rate: '1' },
        { from_value: 1001, to_value: null, flat_amount: '0', rate: '0.5' },
      ],
    },
    usage: { units: '500' },
    expected: { amount: '205', unitAmount: '0.41' },
  },
  {
    name: 'Lago quirk: a tier starting at the previous to_value counts that bound again (16 units for 15)',
    properties: {
      graduated_percentage_ranges: [
        { from_value: 0, to_value: 10, flat_amount: '0', rate: '1' },
        { from_value: 10, to_value: null, flat_amount: '0', rate: '2' },
      ],
    },
    usage: { units: '15' },
    expected: {
      amount: '0.22',
      unitAmount: ['0.22', '15'],
      amountDetails: {
        graduated_percentage_ranges: [pctTier(0, 10, '0.0', '1.0', '10.0', '0.1', '0.1'), pctTier(10, null, '0.0', '2.0', '6.0', '0.12', '0.12')],
      },
    },
  },
  {
    name: 'before a pay-in-advance event at zero units: flat amounts shown as 0',
    properties: percentTiers,
    usage: { units: '0', eventsCount: 0, excludingEvent: true },
    expected: { amount: '0', unitAmount: '0', amountDetails: { graduated_percentage_ranges: [pctTier(0, 10, 0, '1.0', '0.0', '0.0', 0)] } },
  },
  {
    name: 'negative units lower the first tier',
    properties: percentTiers,
    usage: { units: '-100' },
    expected: { amount: '199', unitAmount: '-1.99', amountDetails: { graduated_percentage_ranges: [pctTier(0, 10, '200.0', '1.0', '-100.0', '-1.0', '199.0')] } },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// percentage (spec/services/charge_models/percentage_service_spec.rb, lago-reference §2.4)

// The spec's running total [50, 150, 400] is the cumulative sum of a sum metric's first events 50, 100, 250.
const specPercentage = { rate: '1.3', fixed_amount: '2.0', free_units_per_events: 3, free_units_per_total_aggregation: '250.0' };
const specValues = ['50', '100', '250'];
const pctDetails = (d: {
  units: string;
  free_units: string;
  free_events: number;
  paid_units: string;
  rate: string;
  per_unit_total_amount: string | 0;
  paid_events: number;
  fixed_fee_unit_amount: string;
  fixed_fee_total_amount: string;
  min_max_adjustment_total_amount?: string;
}) => ({ min_max_adjustment_total_amount: '0.0', ...d });
const minMax = { rate: '2.99', fixed_amount: '0', free_units_per_total_aggregation: '0', per_transaction_min_amount: '1.75', per_transaction_max_amount: '12' };
const minMaxUsage = { units: '10090', eventsCount: 3, basis: ['10', '80', '10000'], transactionValues: ['10', '80', '10000'] };

check('percentage', [
  {
    name: 'spec: zero units owe nothing, free units still shown',
    properties: specPercentage,
    usage: { units: '0', eventsCount: 4, basis: specValues },
    expected: {
      amount: '0',
      unitAmount: '0',
      amountDetails: pctDetails({
        units: '0.0', free_units: '250.0', free_events: 2, paid_units: '0.0', rate: '1.3', per_unit_total_amount: 0,
        paid_events: 2, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '0.0',
      }),
    },
  },
  {
    name: 'spec: free units capped by the free total, free events by the totals under it',
    properties: specPercentage,
    usage: { units: '800', eventsCount: 4, basis: specValues },
    expected: {
      amount: '11.15',
      unitAmount: '0.0139375',
      amountDetails: pctDetails({
        units: '800.0', free_units: '250.0', free_events: 2, paid_units: '550.0', rate: '1.3', per_unit_total_amount: '7.15',
        paid_events: 2, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '4.0',
      }),
    },
  },
  {
    name: 'spec: small units, rate only',
    properties: { rate: '2.9' },
    usage: { units: '4', eventsCount: 4 },
    expected: {
      amount: '0.116',
      unitAmount: '0.029',
      amountDetails: pctDetails({
        units: '4.0', free_units: '0.0', free_events: 0, paid_units: '4.0', rate: '2.9', per_unit_total_amount: '0.116',
        paid_events: 4, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0',
      }),
    },
  },
  {
    name: 'spec: rate 0 leaves the fixed amount per event',
    properties: { rate: '0', fixed_amount: '2.0' },
    usage: { units: '800', eventsCount: 4 },
    expected: {
      amount: '8',
      unitAmount: '0.01',
      amountDetails: pctDetails({
        units: '800.0', free_units: '0.0', free_events: 0, paid_units: '800.0', rate: '0.0', per_unit_total_amount: '0.0',
        paid_events: 4, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '8.0',
      }),
    },
  },
  {
    name: 'spec: free total only (running totals cut after the first above it)',
    properties: { rate: '1.3', fixed_amount: '2.0', free_units_per_total_aggregation: '250.0' },
    usage: { units: '800', eventsCount: 4, basis: [...specValues, '400'] },
    expected: {
      amount: '11.15',
      unitAmount: '0.0139375',
      amountDetails: pctDetails({
        units: '800.0', free_units: '250.0', free_events: 2, paid_units: '550.0', rate: '1.3', per_unit_total_amount: '7.15',
        paid_events: 2, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '4.0',
      }),
    },
  },
  {
    name: 'spec: free events only: the first 3 events are free',
    properties: { rate: '1.3', fixed_amount: '2.0', free_units_per_events: 3 },
    usage: { units: '800', eventsCount: 4, basis: [...specValues, '400'] },
    expected: {
      amount: '7.2',
      unitAmount: '0.009',
      amountDetails: pctDetails({
        units: '800.0', free_units: '400.0', free_events: 3, paid_units: '400.0', rate: '1.3', per_unit_total_amount: '5.2',
        paid_events: 1, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '2.0',
      }),
    },
  },
  {
    name: 'spec: no free units',
    properties: { rate: '1.3', fixed_amount: '2.0' },
    usage: { units: '800', eventsCount: 4, basis: specValues },
    expected: {
      amount: '18.4',
      unitAmount: '0.023',
      amountDetails: pctDetails({
        units: '800.0', free_units: '0.0', free_events: 0, paid_units: '800.0', rate: '1.3', per_unit_total_amount: '10.4',
        paid_events: 4, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '8.0',
      }),
    },
  },
  {
    name: 'spec: free total above the free events\' total',
    properties: { ...specPercentage, free_units_per_total_aggregation: '500.0' },
    usage: { units: '800', eventsCount: 4, basis: specValues },
    expected: {
      amount: '7.2',
      unitAmount: '0.009',
      amountDetails: pctDetails({
        units: '800.0', free_units: '400.0', free_events: 3, paid_units: '400.0', rate: '1.3', per_unit_total_amount: '5.2',
        paid_events: 1, fixed_fee_unit_amount: '2.0', fixed_fee_total_amount: '2.0',
      }),
    },
  },
  {
    name: 'spec: more free events than events',
    properties: { rate: '1.3', fixed_amount: '2.0', free_units_per_events: 5 },
    usage: { units: '400', eventsCount: 4, basis: [...specValues, '0'] },
    expected: {
      amount: '0',
      unitAmount: '0',
      amountDetails: pctDetails({
        units: '400.0', free_units: '400.0', free_events: 4, paid_units: '0.0', rate: '1.3', per_unit_total_amount: '0.0',
        paid_events: 0, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0',
      }),
    },
  },
  {
    name: 'spec: per-transaction min and max',
    properties: minMax,
    usage: minMaxUsage,
    expected: {
      amount: '16.142',
      unitAmount: ['16.142', '10090'],
      amountDetails: pctDetails({
        units: '10090.0', free_units: '0.0', free_events: 0, paid_units: '10090.0', rate: '2.99', per_unit_total_amount: '301.691',
        paid_events: 3, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0', min_max_adjustment_total_amount: '-285.549',
      }),
    },
  },
  {
    name: 'spec: the same usage without min and max (Lago without a premium licence)',
    properties: { rate: '2.99', fixed_amount: '0' },
    usage: minMaxUsage,
    expected: { amount: '301.691', unitAmount: ['301.691', '10090'] },
  },
  {
    name: 'spec: per-transaction min and max with a fixed amount',
    properties: { ...minMax, fixed_amount: '2.0' },
    usage: minMaxUsage,
    expected: { amount: '18.691', unitAmount: ['18.691', '10090'] },
  },
  {
    name: 'spec: per-transaction min and max after 2 free events',
    properties: { ...minMax, free_units_per_events: 2 },
    usage: minMaxUsage,
    expected: {
      amount: '12',
      unitAmount: ['12', '10090'],
      amountDetails: pctDetails({
        units: '10090.0', free_units: '90.0', free_events: 2, paid_units: '10000.0', rate: '2.99', per_unit_total_amount: '299.0',
        paid_events: 1, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0', min_max_adjustment_total_amount: '-287.0',
      }),
    },
  },
  {
    name: 'spec: per-transaction min and max after a free total of 30',
    properties: { ...minMax, free_units_per_total_aggregation: '30' },
    usage: minMaxUsage,
    expected: {
      amount: '13.794',
      unitAmount: ['13.794', '10090'],
      amountDetails: pctDetails({
        units: '10090.0', free_units: '30.0', free_events: 1, paid_units: '10060.0', rate: '2.99', per_unit_total_amount: '300.794',
        paid_events: 2, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0', min_max_adjustment_total_amount: '-287.0',
      }),
    },
  },
  {
    name: 'spec: per-transaction min and max with 3 free events and a free total of 10,000',
    properties: { ...minMax, free_units_per_events: 3, free_units_per_total_aggregation: '10000' },
    usage: minMaxUsage,
    expected: {
      amount: '2.691',
      unitAmount: ['2.691', '10090'],
      amountDetails: pctDetails({
        units: '10090.0', free_units: '10000.0', free_events: 2, paid_units: '90.0', rate: '2.99', per_unit_total_amount: '2.691',
        paid_events: 1, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0', min_max_adjustment_total_amount: '0.0',
      }),
    },
  },
  {
    name: 'reference: every setting at once',
    properties: {
      rate: '1', fixed_amount: '0.5', free_units_per_events: 5, free_units_per_total_aggregation: '500',
      per_transaction_min_amount: '1.75', per_transaction_max_amount: '3.75',
    },
    // Per transaction: 100 and 200 free, 300 pays for its last 100 (1.5 -> 1.75), then 1.75, 1.75, 3.75, 1.75.
    usage: { units: '1680', eventsCount: 7, basis: ['100', '200', '300', '50', '10'], transactionValues: ['100', '200', '300', '50', '10', '1000', '20'] },
    expected: {
      amount: '10.75',
      unitAmount: ['10.75', '1680'],
      amountDetails: pctDetails({
        units: '1680.0', free_units: '500.0', free_events: 2, paid_units: '1180.0', rate: '1.0', per_unit_total_amount: '11.8',
        paid_events: 5, fixed_fee_unit_amount: '0.5', fixed_fee_total_amount: '2.5', min_max_adjustment_total_amount: '-3.55',
      }),
    },
  },
  {
    name: 'per transaction, the free total outlasts the free events',
    properties: { rate: '10', free_units_per_events: 1, free_units_per_total_aggregation: '100', per_transaction_max_amount: '100' },
    usage: { units: '30', eventsCount: 2, basis: ['10', '20'], transactionValues: ['10', '20'] },
    expected: { amount: '0', unitAmount: '0' },
  },
  {
    name: 'per transaction, an empty max is no bound',
    properties: { rate: '10', per_transaction_max_amount: '', per_transaction_min_amount: '1' },
    usage: { units: '30', eventsCount: 2, transactionValues: ['5', '25'] },
    expected: { amount: '3.5', unitAmount: ['3.5', '30'] },
  },
  {
    name: 'count metric: free events are the first units',
    properties: { rate: '10', fixed_amount: '1', free_units_per_events: 2 },
    usage: { units: '5', eventsCount: 5, basis: 'event_count' },
    expected: {
      amount: '3.3',
      unitAmount: '0.66',
      amountDetails: pctDetails({
        units: '5.0', free_units: '2.0', free_events: 2, paid_units: '3.0', rate: '10.0', per_unit_total_amount: '0.3',
        paid_events: 3, fixed_fee_unit_amount: '1.0', fixed_fee_total_amount: '3.0',
      }),
    },
  },
  {
    name: 'count metric, Lago quirk: with more units than free events the free total is not applied',
    properties: { rate: '10', fixed_amount: '1', free_units_per_events: 2, free_units_per_total_aggregation: '1.5' },
    usage: { units: '5', eventsCount: 5, basis: 'event_count' },
    expected: { amount: '4.3', unitAmount: '0.86' },
  },
  {
    name: 'sum metric with the same settings and events of 1: the free total caps',
    properties: { rate: '10', fixed_amount: '1', free_units_per_events: 2, free_units_per_total_aggregation: '1.5' },
    usage: { units: '5', eventsCount: 5, basis: ['1', '1', '1', '1', '1'] },
    expected: { amount: '4.35', unitAmount: '0.87' },
  },
  {
    name: 'count metric: free total only',
    properties: { rate: '10', fixed_amount: '1', free_units_per_total_aggregation: '3' },
    usage: { units: '5', eventsCount: 5, basis: 'event_count' },
    expected: { amount: '3.2', unitAmount: '0.64' },
  },
  {
    name: 'a metric without running total (max): free events only, no free units',
    properties: { rate: '10', fixed_amount: '1', free_units_per_events: 2 },
    usage: { units: '7', eventsCount: 4 },
    expected: { amount: '2.7', unitAmount: ['2.7', '7'] },
  },
  {
    name: 'negative units: no percentage amount (Lago\'s integer zero)',
    properties: { rate: '10' },
    usage: { units: '-50', eventsCount: 2 },
    expected: {
      amount: '0',
      unitAmount: '0',
      amountDetails: pctDetails({
        units: '-50.0', free_units: '0.0', free_events: 0, paid_units: '0.0', rate: '10.0', per_unit_total_amount: 0,
        paid_events: 2, fixed_fee_unit_amount: '0.0', fixed_fee_total_amount: '0.0',
      }),
    },
  },
  {
    name: 'extra leading values beyond the free events are ignored',
    properties: { rate: '1.3', fixed_amount: '2.0', free_units_per_events: 3 },
    usage: { units: '800', eventsCount: 4, basis: ['50', '100', '250', '400', '999'] },
    expected: { amount: '7.2', unitAmount: '0.009' },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// dynamic (spec/services/charge_models/dynamic_service_spec.rb)

check('dynamic', [
  {
    name: 'spec: the events\' own amounts, in major units',
    properties: {},
    usage: { units: '20', totalPreciseAmountCents: '40.2', currency: 'EUR' },
    expected: { amount: '0.402', unitAmount: '0.0201', amountDetails: {} },
  },
  { name: 'spec: zero units owe nothing', properties: {}, usage: { units: '0', totalPreciseAmountCents: '40.2', currency: 'EUR' }, expected: { amount: '0', unitAmount: '0' } },
  { name: 'a currency without minor unit', properties: {}, usage: { units: '20', totalPreciseAmountCents: '402', currency: 'JPY' }, expected: { amount: '402', unitAmount: '20.1' } },
  { name: 'a three-decimal currency', properties: {}, usage: { units: '2', totalPreciseAmountCents: '1500', currency: 'BHD' }, expected: { amount: '1.5', unitAmount: '0.75' } },
  { name: 'negative units and amounts', properties: {}, usage: { units: '-2', totalPreciseAmountCents: '-300', currency: 'USD' }, expected: { amount: '-3', unitAmount: '1.5' } },
]);

// ---------------------------------------------------------------------------------------------------------------

describe('fee figures', () => {
  test('units, total aggregated units and events count pass through', () => {
    const plain = priceCharge('standard', { amount: '1' }, { units: new Decimal(4), eventsCount: 3 });
    assert.equal(plain.units.toFixed(), '4');
    assert.equal(plain.totalAggregatedUnits.toFixed(), '4');
    assert.equal(plain.eventsCount, 3);

    const prorated = priceCharge('standard', { amount: '1' }, { units: new Decimal('2.5'), fullUnits: new Decimal(5), eventsCount: 1 });
    assert.equal(prorated.units.toFixed(), '5', 'a prorated fee shows its full units');
    assert.equal(prorated.amount.toFixed(), '2.5');

    const weighted = priceCharge('standard', { amount: '1' }, { units: new Decimal('1.5'), totalAggregatedUnits: new Decimal(3), eventsCount: 2 });
    assert.equal(weighted.totalAggregatedUnits.toFixed(), '3');
  });

  test('negative usage or amount gives an empty fee, keeping a weighted-sum total', () => {
    const usage = { units: new Decimal(-3), eventsCount: 2, totalAggregatedUnits: new Decimal(7) };
    const fee = withoutNegativeFee(priceCharge('standard', { amount: '2' }, usage), usage);
    assert.deepEqual([fee.amount.toFixed(), fee.unitAmount.toFixed(), fee.units.toFixed(), fee.totalAggregatedUnits.toFixed()], ['0', '0', '0', '7']);

    const negativeAmount = { units: new Decimal(-100), eventsCount: 1 };
    const graduated = priceCharge('graduated', graduated3, negativeAmount);
    assert.equal(withoutNegativeFee(graduated, negativeAmount).amount.toFixed(), '0');

    const positive = { units: new Decimal(3), eventsCount: 1 };
    const kept = priceCharge('standard', { amount: '2' }, positive);
    assert.equal(withoutNegativeFee(kept, positive), kept);
  });
});

describe('charge cents', () => {
  const cases: { name: string; amount: string; unit: string; currency: string; cents: bigint; precise: string; unitCents: bigint }[] = [
    { name: 'half a cent rounds up', amount: '10.005', unit: '1', currency: 'EUR', cents: 1001n, precise: '1000.5', unitCents: 100n },
    { name: 'half a cent rounds away from zero when negative', amount: '-10.005', unit: '-1', currency: 'EUR', cents: -1001n, precise: '-1000.5', unitCents: -100n },
    { name: 'below half a cent rounds down', amount: '10.7438', unit: '0.107438', currency: 'EUR', cents: 1074n, precise: '1074.38', unitCents: 10n },
    { name: 'a currency without minor unit', amount: '0.402', unit: '0.0201', currency: 'JPY', cents: 0n, precise: '0.402', unitCents: 0n },
    { name: 'half a yen', amount: '0.5', unit: '0.5', currency: 'JPY', cents: 1n, precise: '0.5', unitCents: 0n },
    { name: 'a three-decimal currency', amount: '1.2345', unit: '1.2345', currency: 'BHD', cents: 1235n, precise: '1234.5', unitCents: 1234n },
    { name: 'unit cents are truncated toward zero', amount: '-0.1', unit: '-0.10799', currency: 'USD', cents: -10n, precise: '-10', unitCents: -10n },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const result = chargeCents({ amount: new Decimal(c.amount), unitAmount: new Decimal(c.unit) }, c.currency);
      assert.equal(result.amountCents, c.cents);
      assert.equal(result.preciseAmountCents.toFixed(), new Decimal(c.precise).toFixed());
      assert.equal(result.unitAmountCents, c.unitCents);
      assert.equal(result.preciseUnitAmount.toFixed(), new Decimal(c.unit).toFixed());
    });
  }

  test('a priced graduated charge to cents', () => {
    const priced = priceCharge('graduated', graduated3, { units: new Decimal(12), eventsCount: 12 });
    const cents = chargeCents(priced, 'EUR');
    assert.equal(cents.amountCents, 11500n);
    assert.equal(cents.unitAmountCents, 958n);
  });
});

describe('percentage event needs', () => {
  test('what to read from the events', () => {
    assert.deepEqual(percentageEventNeeds({ rate: '1' }), { leadingValues: null, transactionValues: false });
    assert.deepEqual(percentageEventNeeds({ rate: '1', free_units_per_events: 3, free_units_per_total_aggregation: '500' }), {
      leadingValues: { limit: 3 },
      transactionValues: false,
    });
    const byTotal = percentageEventNeeds({ rate: '1', free_units_per_total_aggregation: '500', per_transaction_max_amount: '3' });
    assert.ok(byTotal.leadingValues !== null && 'untilRunningTotalAbove' in byTotal.leadingValues);
    assert.equal(byTotal.leadingValues.untilRunningTotalAbove.toFixed(), '500');
    assert.equal(byTotal.transactionValues, true);
    assert.deepEqual(percentageEventNeeds({ rate: '1', free_units_per_total_aggregation: '0', per_transaction_min_amount: '' }), {
      leadingValues: null,
      transactionValues: false,
    });
  });

  test('min or max without transaction values is a caller bug', () => {
    assert.throws(() => priceCharge('percentage', { rate: '1', per_transaction_min_amount: '1' }, { units: new Decimal(1), eventsCount: 1 }));
  });
});
