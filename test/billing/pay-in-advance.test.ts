import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import {
  countStep,
  daysToPeriodEnd,
  priceInAdvanceEvent,
  proratedStep,
  sumStep,
  uniqueCountStep,
  type InAdvanceLevel,
  type InAdvanceStep,
  type InAdvanceUsage,
} from '../../src/billing/charge-models/in-advance.ts';
import { percentageEventNeeds, type ChargeModel } from '../../src/billing/charge-models/index.ts';
import { Decimal } from '../../src/lib/money.ts';

// Each row is one charge's period: its events in the order they are billed, and the fee each one gets. Numbers come
// from Lago's spec/scenarios/pay_in_advance_charges_spec.rb (named in the row) or are worked out in the comment.

type Aggregation = 'count_agg' | 'sum_agg' | 'unique_count_agg';

interface EventRow {
  /** Sum metrics: the value; unique counts: the value added or removed. */
  value?: string;
  remove?: boolean;
  /** Dynamic charges: the event's precise_total_amount_cents. */
  amount?: string;
}

interface Row {
  name: string;
  model: ChargeModel;
  aggregation: Aggregation;
  properties: Record<string, unknown>;
  currency?: string;
  events: EventRow[];
  expected: { amountCents: number; units: string; details?: Record<string, unknown> }[];
}

/** Bills the events one after the other, as the fees of one charge, filter and group in one period are made. */
const simulate = (row: Row) => {
  let level: InAdvanceLevel | null = null;
  const values: Decimal[] = [];
  const active = new Set<string>();
  let amountTotal = new Decimal(0);
  return row.events.map((event, index) => {
    let step: InAdvanceStep;
    if (row.aggregation === 'count_agg') step = countStep();
    else if (row.aggregation === 'sum_agg') step = sumStep(level, new Decimal(event.value!));
    else {
      step = uniqueCountStep(level, { isAdd: !event.remove, wasActive: active.has(event.value!) });
      if (event.remove) active.delete(event.value!);
      else active.add(event.value!);
    }
    level = step.level;
    values.push(row.aggregation === 'sum_agg' ? new Decimal(event.value!) : new Decimal(1));
    amountTotal = amountTotal.add(event.amount ?? 0);
    const units = row.aggregation === 'sum_agg' ? values.reduce((a, b) => a.add(b), new Decimal(0)) : new Decimal(row.aggregation === 'count_agg' ? index + 1 : active.size);
    const usage: InAdvanceUsage = { units, eventsCount: row.aggregation === 'unique_count_agg' ? active.size : index + 1 };
    if (row.model === 'dynamic') usage.amountCents = { total: amountTotal, event: new Decimal(event.amount ?? 0) };
    if (row.model === 'percentage') {
      const needs = percentageEventNeeds(row.properties);
      usage.freeUnitsBasis = row.aggregation === 'sum_agg' ? { kind: 'event_values', values: [...values] } : { kind: 'event_count' };
      if (needs.transactionValues) usage.transactionValues = [...values];
    }
    const price = priceInAdvanceEvent(row.model, row.properties, step, usage, row.currency ?? 'EUR');
    return { amountCents: Number(price.amountCents), units: price.units.toFixed(), details: price.amountDetails };
  });
};

const rows: Row[] = [
  {
    name: 'count / standard: every event pays the unit price (pay_in_advance_charges_spec, count_agg / standard)',
    model: 'standard',
    aggregation: 'count_agg',
    properties: { amount: '10' },
    events: [{}, {}],
    expected: [
      { amountCents: 1000, units: '1', details: {} },
      { amountCents: 1000, units: '1', details: {} },
    ],
  },
  {
    name: 'count / graduated, a batch at one instant: each event at its own position, 0, 0 then 2 (count_agg / graduated same second)',
    model: 'graduated',
    aggregation: 'count_agg',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 2, per_unit_amount: '0', flat_amount: '0' },
        { from_value: 3, to_value: null, per_unit_amount: '2', flat_amount: '0' },
      ],
    },
    events: [{}, {}, {}],
    expected: [
      { amountCents: 0, units: '1' },
      { amountCents: 0, units: '1' },
      { amountCents: 200, units: '1' },
    ],
  },
  {
    name: 'sum / standard: a negative value bills nothing and does not refund; the total is billed again only above its mark (sum_agg / standard)',
    model: 'standard',
    aggregation: 'sum_agg',
    properties: { amount: '1' },
    events: [{ value: '10' }, { value: '-4' }, { value: '8' }],
    expected: [
      { amountCents: 1000, units: '10' },
      { amountCents: 0, units: '0' },
      { amountCents: 400, units: '4' },
    ],
  },
  {
    name: 'sum / standard: a first negative value leaves the mark at 0 (Billow: nothing is billed below 0)',
    model: 'standard',
    aggregation: 'sum_agg',
    properties: { amount: '1' },
    // Totals -5, -2, 2: only the 2 units above 0 are billed.
    events: [{ value: '-5' }, { value: '3' }, { value: '4' }],
    expected: [
      { amountCents: 0, units: '0' },
      { amountCents: 0, units: '3' },
      { amountCents: 200, units: '2' },
    ],
  },
  {
    name: 'sum / package with free units (sum_agg / package)',
    model: 'package',
    aggregation: 'sum_agg',
    properties: { amount: '100', free_units: 3, package_size: 2 },
    // 3 free; 4 opens a first package of 2; 6 opens a second one.
    events: [{ value: '3' }, { value: '1' }, { value: '2' }],
    expected: [
      { amountCents: 0, units: '3', details: {} },
      { amountCents: 10_000, units: '1' },
      { amountCents: 10_000, units: '2' },
    ],
  },
  {
    name: 'sum / graduated crossing a tier with flat amounts (sum_agg / graduated)',
    model: 'graduated',
    aggregation: 'sum_agg',
    properties: {
      graduated_ranges: [
        { from_value: 0, to_value: 5, per_unit_amount: '0.02', flat_amount: '0.01' },
        { from_value: 6, to_value: null, per_unit_amount: '0.01', flat_amount: '0.01' },
      ],
    },
    events: [{ value: '3' }, { value: '1' }, { value: '2' }],
    expected: [
      { amountCents: 7, units: '3', details: {} },
      { amountCents: 2, units: '1' },
      { amountCents: 4, units: '2' },
    ],
  },
  {
    name: 'sum / percentage with free events (sum_agg / percentage, free_units_per_events)',
    model: 'percentage',
    aggregation: 'sum_agg',
    properties: { rate: '5', fixed_amount: '1', free_units_per_events: 2 },
    events: [{ value: '8' }, { value: '5' }, { value: '3' }],
    expected: [
      {
        amountCents: 0,
        units: '8',
        details: {
          rate: '5.0', fixed_fee_unit_amount: '0.0', units: '8.0', free_units: '8.0', paid_units: '0.0', free_events: '1.0',
          paid_events: '0.0', fixed_fee_total_amount: '0.0', min_max_adjustment_total_amount: '0.0', per_unit_total_amount: '0.0',
        },
      },
      { amountCents: 0, units: '5' },
      {
        amountCents: 115,
        units: '3',
        details: {
          rate: '5.0', fixed_fee_unit_amount: '1.0', units: '3.0', free_units: '0.0', paid_units: '3.0', free_events: '0.0',
          paid_events: '1.0', fixed_fee_total_amount: '1.0', min_max_adjustment_total_amount: '0.0', per_unit_total_amount: '0.15',
        },
      },
    ],
  },
  {
    name: 'sum / percentage with a free total (sum_agg / percentage, free_units_per_total_aggregation)',
    model: 'percentage',
    aggregation: 'sum_agg',
    properties: { rate: '5', fixed_amount: '1', free_units_per_total_aggregation: '120.0' },
    events: [{ value: '100' }, { value: '10' }, { value: '20' }, { value: '20' }],
    expected: [
      { amountCents: 0, units: '100' },
      { amountCents: 0, units: '10' },
      {
        amountCents: 150,
        units: '20',
        details: {
          rate: '5.0', fixed_fee_unit_amount: '1.0', units: '20.0', free_units: '10.0', paid_units: '10.0', free_events: '0.0',
          paid_events: '1.0', fixed_fee_total_amount: '1.0', min_max_adjustment_total_amount: '0.0', per_unit_total_amount: '0.5',
        },
      },
      { amountCents: 200, units: '20' },
    ],
  },
  {
    name: 'sum / percentage with a minimum and a maximum per transaction (sum_agg / percentage, min / max per transaction)',
    model: 'percentage',
    aggregation: 'sum_agg',
    properties: { rate: '1', fixed_amount: '0.5', per_transaction_max_amount: '2', per_transaction_min_amount: '1.75' },
    // 100 × 1 % + 0.5 = 1.5 → raised to 1.75; 1000 → 10.5 → lowered to 2; 10000 → 2.
    events: [{ value: '100' }, { value: '1000' }, { value: '10000' }],
    expected: [
      { amountCents: 175, units: '100' },
      { amountCents: 200, units: '1000' },
      { amountCents: 200, units: '10000' },
    ],
  },
  {
    name: 'sum / percentage with a free total smaller than the first event (sum_agg / percentage, 215 − 110)',
    model: 'percentage',
    aggregation: 'sum_agg',
    properties: { rate: '5', fixed_amount: '1', free_units_per_total_aggregation: '3.0' },
    events: [{ value: '5' }, { value: '1' }],
    expected: [
      { amountCents: 110, units: '5' },
      { amountCents: 105, units: '1' },
    ],
  },
  {
    name: 'sum / graduated percentage entering tiers and their flat amounts (sum_agg / graduated_percentage)',
    model: 'graduated_percentage',
    aggregation: 'sum_agg',
    properties: {
      graduated_percentage_ranges: [
        { rate: '20', to_value: 100, from_value: 0, flat_amount: '10' },
        { rate: '30', to_value: 200, from_value: 101, flat_amount: '7' },
        { rate: '40', to_value: null, from_value: 201, flat_amount: '5' },
      ],
    },
    events: [{ value: '50' }, { value: '100' }, { value: '300' }],
    expected: [
      {
        amountCents: 2000,
        units: '50',
        details: {
          graduated_percentage_ranges: [
            { from_value: 0, to_value: 100, flat_unit_amount: '10.0', rate: '20.0', units: '50.0', per_unit_total_amount: '0.4', total_with_flat_amount: '20.0' },
          ],
        },
      },
      {
        amountCents: 3200,
        units: '100',
        details: {
          graduated_percentage_ranges: [
            { from_value: 0, to_value: 100, flat_unit_amount: '0.0', rate: '20.0', units: '50.0', per_unit_total_amount: '0.2', total_with_flat_amount: '10.0' },
            { from_value: 101, to_value: 200, flat_unit_amount: '7.0', rate: '30.0', units: '50.0', per_unit_total_amount: '0.44', total_with_flat_amount: '22.0' },
          ],
        },
      },
      {
        amountCents: 12_000,
        units: '300',
        details: {
          graduated_percentage_ranges: [
            { from_value: 0, to_value: 100, flat_unit_amount: '0.0', rate: '20.0', units: '0.0', per_unit_total_amount: '0.0', total_with_flat_amount: '0.0' },
            { from_value: 101, to_value: 200, flat_unit_amount: '0.0', rate: '30.0', units: '50.0', per_unit_total_amount: '0.3', total_with_flat_amount: '15.0' },
            { from_value: 201, to_value: null, flat_unit_amount: '5.0', rate: '40.0', units: '250.0', per_unit_total_amount: '0.42', total_with_flat_amount: '105.0' },
          ],
        },
      },
    ],
  },
  {
    name: 'sum / dynamic: the events’ own amounts (sum_agg / dynamic)',
    model: 'dynamic',
    aggregation: 'sum_agg',
    properties: {},
    events: [
      { value: '5', amount: '1234.56' },
      { value: '1', amount: '2.1' },
    ],
    expected: [
      { amountCents: 1235, units: '5' },
      { amountCents: 2, units: '1' },
    ],
  },
  {
    name: 'unique count / standard: a value billed once per period, re-adding it bills nothing (unique_count_agg / standard)',
    model: 'standard',
    aggregation: 'unique_count_agg',
    properties: { amount: '12' },
    events: [{ value: 'id_1' }, { value: 'id_1', remove: true }, { value: 'id_1' }, { value: 'id_2' }, { value: 'id_2' }, { value: 'id_3' }, { value: 'id_3', remove: true }],
    expected: [
      { amountCents: 1200, units: '1' },
      { amountCents: 0, units: '0' },
      { amountCents: 0, units: '1' },
      { amountCents: 1200, units: '1' },
      { amountCents: 0, units: '0' },
      { amountCents: 1200, units: '1' },
      { amountCents: 0, units: '0' },
    ],
  },
  {
    name: 'count / standard in JPY: rounded to whole yen, the unit amount on the rounded amount',
    model: 'standard',
    aggregation: 'count_agg',
    currency: 'JPY',
    properties: { amount: '10.6' },
    events: [{}],
    expected: [{ amountCents: 11, units: '1' }],
  },
];

describe('pay-in-advance charges: what each event is billed', () => {
  for (const row of rows) {
    test(row.name, () => {
      const fees = simulate(row);
      assert.deepEqual(
        fees.map((f) => f.amountCents),
        row.expected.map((e) => e.amountCents),
      );
      assert.deepEqual(
        fees.map((f) => f.units),
        row.expected.map((e) => e.units),
      );
      row.expected.forEach((expected, i) => {
        if (expected.details) assert.deepEqual(fees[i]!.details, expected.details, `details of event ${i + 1}`);
      });
    });
  }

  test('the unit amount is the rounded amount over the fee units', () => {
    const step = sumStep(null, new Decimal(3));
    const price = priceInAdvanceEvent('standard', { amount: '0.333' }, step, { units: new Decimal(3), eventsCount: 1 }, 'EUR');
    // 3 × 0.333 = 0.999 → 1.00 EUR; 1.00 / 3 units.
    assert.equal(price.amountCents, 100n);
    assert.equal(price.preciseAmountCents.toFixed(), '99.9');
    assert.equal(price.unitAmount.toFixed(6), '0.333333');
  });

  test('the running level: a sum mark rises only with the total', () => {
    const a = sumStep(null, new Decimal(10));
    const b = sumStep(a.level, new Decimal(-4));
    const c = sumStep(b.level, new Decimal(8));
    assert.deepEqual([a, b, c].map((s) => [s.level!.current.toFixed(), s.level!.max.toFixed()]), [
      ['10', '10'],
      ['6', '10'],
      ['14', '14'],
    ]);
  });
});

describe('pay-in-advance charges, prorated: the share of the period left', () => {
  const end = (iso: string) => Temporal.Instant.from(iso);
  const rows: { name: string; at: string; periodEnd: string; timeZone: string; days: number }[] = [
    // Lago's current_usage sum_agg scenario: 2024-02-06 01:00 to the end of February.
    { name: 'mid-day event, UTC', at: '2024-02-06T01:00:00Z', periodEnd: '2024-02-29T23:59:59.999Z', timeZone: 'UTC', days: 24 },
    // Lago's current_usage unique_count_agg scenario: 2024-02-23 01:02, 7 days left.
    { name: 'last week', at: '2024-02-23T01:02:00Z', periodEnd: '2024-02-29T23:59:59.999Z', timeZone: 'UTC', days: 7 },
    { name: 'at midnight, the day counts', at: '2024-03-17T00:00:00Z', periodEnd: '2024-03-31T23:59:59.999Z', timeZone: 'UTC', days: 15 },
    { name: 'the last day', at: '2024-03-31T23:00:00Z', periodEnd: '2024-03-31T23:59:59.999Z', timeZone: 'UTC', days: 1 },
    // Paris goes to summer time on 2024-03-31: the lost hour is not a lost day.
    { name: 'across a DST change', at: '2024-03-10T23:00:00Z', periodEnd: '2024-03-31T21:59:59.999Z', timeZone: 'Europe/Paris', days: 21 },
  ];
  for (const row of rows) {
    test(row.name, () => assert.equal(daysToPeriodEnd(end(row.at), end(row.periodEnd), row.timeZone), row.days));
  }

  test('the added units times the days left over the period days, rounded up to 5 decimals; the fee units stay whole', () => {
    const step = sumStep(null, new Decimal(10));
    const prorated = proratedStep(step, 24, 29);
    assert.equal(prorated.addedUnits.toFixed(), '8.27587');
    assert.equal(prorated.feeUnits.toFixed(), '10');
    const usage: InAdvanceUsage = { units: new Decimal('8.27587'), eventsCount: 1 };
    // 8.27587 × 29 = 240.00023: 240.00 EUR.
    assert.equal(priceInAdvanceEvent('standard', { amount: '29' }, prorated, usage, 'EUR').amountCents, 24_000n);
    // A value that adds nothing above the mark is billed nothing, prorated or not.
    assert.equal(proratedStep(sumStep(prorated.level, new Decimal(-5)), 24, 29).addedUnits.toFixed(), '0');
  });
});
