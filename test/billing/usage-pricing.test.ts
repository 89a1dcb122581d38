import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { emptyWindowState } from '../../src/billing/aggregation/window-state.ts';
import type { ChargeModel, Properties } from '../../src/billing/charge-models/index.ts';
import { emptyGroup, groupOf } from '../../src/billing/usage/groups.ts';
import { bucketLines, priceLine, usageFromState, type UsageBucket, type UsageLine } from '../../src/billing/usage/lines.ts';
import { periodRatio, projectLine } from '../../src/billing/usage/projection.ts';
import { proratedGraduatedAmount } from '../../src/billing/usage/prorated-graduated.ts';
import { pgDayRatio, proratedSum, proratedUniqueCount, type ProrationWindow } from '../../src/billing/usage/prorated.ts';
import { summarizeCharge } from '../../src/billing/usage/summary.ts';
import { taxesAmountCents } from '../../src/billing/usage/taxes.ts';
import { Decimal } from '../../src/lib/money.ts';

const d = (value: string | number) => new Decimal(value);
const instant = (iso: string) => Temporal.Instant.from(iso);
const ms = (iso: string) => Date.parse(iso);

const bucket = (properties: Properties, groupKeys: string[] = [], filterId: string | null = null): UsageBucket => ({ filterId, properties, groupKeys });
const line = (model: ChargeModel, properties: Properties, units: number | string, extra: Partial<UsageLine> = {}): UsageLine => ({
  ...priceLine({ model, currency: 'EUR' }, bucket(properties), emptyGroup([]), { units: d(units), eventsCount: 1 }),
  ...extra,
});

describe('usage lines', () => {
  test('a negative sum shows zero units and zero amount but keeps its event count', () => {
    const priced = priceLine({ model: 'standard', currency: 'EUR' }, bucket({ amount: '2' }), emptyGroup([]), { units: d(-3), eventsCount: 2 });
    assert.deepEqual([priced.units.toString(), priced.amountCents, priced.eventsCount], ['0', 0n, 2]);
  });

  test('a bucket drops lines with nothing, and shows one priced on no usage when none is left', () => {
    const graduated = {
      graduated_ranges: [
        { from_value: 0, to_value: null, per_unit_amount: '1', flat_amount: '0.01' },
      ],
    };
    const group = groupOf(['region'], { region: 'eu' });
    const kept = bucketLines({ model: 'standard', currency: 'EUR' }, bucket({ amount: '1' }, ['region']), [
      { group, usage: { units: d(0), eventsCount: 0 } },
      { group: groupOf(['region'], { region: 'us' }), usage: { units: d(2), eventsCount: 2 } },
    ], { units: d(0), eventsCount: 0 });
    assert.deepEqual(kept.map((l) => [l.group.groupedBy, l.amountCents]), [[{ region: 'us' }, 200n]]);
    const empty = bucketLines({ model: 'graduated', currency: 'EUR' }, bucket(graduated, ['region']), [], { units: d(0), eventsCount: 0 });
    // A graduated first tier's flat amount is due at zero units (Lago's spec: 0.01 flat).
    assert.deepEqual(empty.map((l) => [l.group.groupedBy, l.units.toString(), l.amountCents]), [[{ region: null }, '0', 1n]]);
  });

  test('units from a window state: weighted sums carry a total, others show their units there', () => {
    const state = { ...emptyWindowState(), valuedCount: 1, valueSum: d(2500), weightedToEnd: d(2500 * 27 * 86400) };
    const usage = usageFromState(
      { aggregationType: 'weighted_sum_agg', roundingFunction: null, roundingPrecision: null },
      state,
      { fromMs: ms('2023-03-05T00:00:00Z'), toMs: ms('2023-04-01T00:00:00Z'), periodDays: 31 },
      'EUR',
    );
    assert.deepEqual([usage.units.toString(), usage.totalAggregatedUnits?.toString()], ['2177.4193548387096774', '2500']);
    const sum = usageFromState({ aggregationType: 'sum_agg', roundingFunction: 'ceil', roundingPrecision: 0 }, { ...state, valueSum: d('12.2') }, {
      fromMs: 0,
      toMs: 1,
      periodDays: 31,
    }, 'EUR');
    assert.deepEqual([sum.units.toString(), sum.totalAggregatedUnits], ['13', undefined]);
  });
});

describe('projections (Lago Fees::ProjectionService)', () => {
  test('the period ratio counts begun days in the customer zone', () => {
    const july = (now: string, tz = 'UTC') => periodRatio(instant('2025-07-01T00:00:00Z'), instant('2025-07-31T23:59:59.999Z'), instant(now), tz);
    assert.equal(july('2025-07-03T10:00:00Z'), 3 / 31);
    assert.equal(july('2025-07-01T00:00:00Z'), 1 / 31);
    assert.equal(july('2025-08-01T00:00:00Z'), 1);
    assert.equal(july('2025-06-30T00:00:00Z'), 0);
    const january = periodRatio(instant('2024-01-01T05:00:00Z'), instant('2024-02-01T04:59:59.999Z'), instant('2024-01-11T05:00:00Z'), 'America/New_York');
    assert.equal(january, 11 / 31);
  });

  const ratio = 3 / 31;
  const cases: [string, ChargeModel, Properties, number, string, bigint][] = [
    ['standard, 3 units at 10 (spec)', 'standard', { amount: '10' }, 3, '31', 31000n],
    ['standard, 1 unit at 20 (spec)', 'standard', { amount: '20' }, 1, '10.33', 20660n],
    [
      'graduated: each touched tier adds its flat amount',
      'graduated',
      { graduated_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '2' },
        { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '3' },
      ] },
      2,
      '20.67',
      2034n,
    ],
    [
      'volume: the range holding the projected units',
      'volume',
      { volume_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '2', flat_amount: '1' },
        { from_value: 11, to_value: null, per_unit_amount: '1', flat_amount: '0' },
      ] },
      1,
      '10.33',
      1033n,
    ],
    ['package: packages past the free units', 'package', { amount: '5', package_size: 10, free_units: 2 }, 3, '31', 1500n],
    ['package: nothing past the free units', 'package', { amount: '5', package_size: 10, free_units: 20 }, 1, '10.33', 0n],
    ['percentage: the current amount over the ratio', 'percentage', { rate: '10' }, 6, '62', 620n],
    ['no units: nothing', 'standard', { amount: '10' }, 0, '0', 0n],
  ];
  for (const [name, model, properties, units, projectedUnits, projectedCents] of cases) {
    test(name, () => {
      const projection = projectLine(line(model, properties, units), model, { recurring: false, ratio, currency: 'EUR' });
      assert.deepEqual([projection.units.toString(), projection.amountCents], [projectedUnits, projectedCents]);
    });
  }

  test('recurring metrics project their current usage; a ratio outside (0, 1] projects nothing', () => {
    const current = line('standard', { amount: '10' }, 3);
    assert.deepEqual(projectLine(current, 'standard', { recurring: true, ratio, currency: 'EUR' }), { units: current.units, amountCents: 3000n });
    assert.deepEqual(projectLine(current, 'standard', { recurring: false, ratio: 0, currency: 'EUR' }).amountCents, 0n);
  });
});

describe('prorated sums (Lago ProratedAggregations::SumService spec, May 2023)', () => {
  const may: ProrationWindow = { from: instant('2023-05-01T00:00:00Z'), to: instant('2023-05-31T23:59:59.999Z'), durationDays: 31, timeZone: 'UTC' };
  const events = [
    { timestampMs: ms('2023-04-10T00:00:00Z'), value: d('2.5') },
    { timestampMs: ms('2023-04-20T00:00:00Z'), value: d('2.5') },
    { timestampMs: ms('2023-05-26T10:00:00Z'), value: d(12) },
    { timestampMs: ms('2023-05-26T12:00:00Z'), value: d(12) },
  ];

  test('persisted units count the whole period, new ones from their day: 5 + 2 × 12 × 6/31', () => {
    const result = proratedSum(events, may);
    assert.deepEqual([result.prorated.toString(), result.full.toString(), result.eventsCount], ['9.64517', '29', 4]);
    const more = proratedSum([...events, { timestampMs: ms('2023-05-31T10:00:00Z'), value: d('4.5') }], may);
    assert.equal(more.prorated.toString(), '9.79033');
  });

  test('an event exactly on the period start is new, not persisted', () => {
    const result = proratedSum([{ timestampMs: ms('2023-05-01T00:00:00Z'), value: d(31) }], may);
    assert.deepEqual([result.prorated.toString(), result.eventsCount], ['31', 1]);
  });

  test('a window cut short bills persisted units for its days only: 5 × 17/31', () => {
    const upgraded = { ...may, from: instant('2023-05-15T00:00:00Z') };
    assert.equal(proratedSum(events.slice(0, 2), upgraded).prorated.toString(), '2.74194');
  });

  test('day ratios keep PostgreSQL\'s digits', () => {
    assert.equal(pgDayRatio(6, 31).toString(), '0.19354838709677419355');
    assert.equal(pgDayRatio(31, 31).toString(), '1');
    assert.equal(d(31).mul(pgDayRatio(1, 31)).toDecimalPlaces(5, Decimal.ROUND_CEIL).toString(), '1.00001');
  });
});

describe('prorated unique counts (Lago unique_count_service_spec, 2022-07-09 → 2022-08-08, 31 days)', () => {
  const window: ProrationWindow = { from: instant('2022-07-09T00:00:00Z'), to: instant('2022-08-08T23:59:59.999Z'), durationDays: 31, timeZone: 'UTC' };
  const add = (iso: string, value = 'v') => ({ timestampMs: ms(iso), value, isAdd: true });
  const remove = (iso: string, value = 'v') => ({ timestampMs: ms(iso), value, isAdd: false });
  const cases: [string, ReturnType<typeof add>[], ProrationWindow, string, string][] = [
    ['held since before the period', [add('2022-06-01T00:00:00Z')], window, '1', '1'],
    ['plus one added on 07-19: 1 + 21/31', [add('2022-06-01T00:00:00Z', 'a'), add('2022-07-19T10:00:00Z', 'b')], window, '1.67742', '2'],
    ['terminated on 07-24: 16/31', [add('2022-06-01T00:00:00Z')], { ...window, to: instant('2022-07-24T23:59:59.999Z') }, '0.51613', '1'],
    ['added on 07-24: 16/31', [add('2022-07-24T10:00:00Z')], window, '0.51613', '1'],
    ['added on the first day', [add('2022-07-09T10:00:00Z')], window, '1', '1'],
    ['held, removed on 07-24: 16/31', [add('2022-06-01T00:00:00Z'), remove('2022-07-24T10:00:00Z')], window, '0.51613', '0'],
    ['removed on the last day', [add('2022-06-01T00:00:00Z'), remove('2022-08-08T10:00:00Z')], window, '1', '0'],
    ['added 07-10, removed 08-07: 29/31', [add('2022-07-10T10:00:00Z'), remove('2022-08-07T10:00:00Z')], window, '0.93549', '0'],
    [
      'add, remove, add, remove in one day: one day',
      [add('2022-07-15T10:00:00Z'), remove('2022-07-15T11:00:00Z'), add('2022-07-15T12:00:00Z'), remove('2022-07-15T13:00:00Z')],
      window,
      '0.03226',
      '0',
    ],
  ];
  for (const [name, events, w, prorated, full] of cases) {
    test(name, () => {
      const result = proratedUniqueCount(events, w, false);
      assert.deepEqual([result.prorated.toString(), result.full.toString()], [prorated, full]);
    });
  }

  test('the shared store spec (March 15 → 31 of a 31-day period): 71/31', () => {
    const march: ProrationWindow = { from: instant('2023-03-15T00:00:00Z'), to: instant('2023-03-31T23:59:59.999Z'), durationDays: 31, timeZone: 'UTC' };
    const events = [
      add('2023-03-15T00:00:00Z', '2'),
      remove('2023-03-15T23:59:00Z', '2'),
      ...['1', '2', '3', '4', '5'].map((v, i) => add(`2023-03-${16 + i}T00:00:00Z`, v)),
    ].sort((a, b) => a.timestampMs - b.timestampMs);
    assert.equal(proratedUniqueCount(events, march, false).prorated.toString(), '2.29033');
  });

  test('an add and remove both before the window: nothing ungrouped, one day in Lago\'s grouped formula', () => {
    const events = [add('2022-06-01T00:00:00Z'), remove('2022-06-05T00:00:00Z')];
    assert.equal(proratedUniqueCount(events, window, false).prorated.toString(), '0');
    assert.equal(proratedUniqueCount(events, window, true).prorated.toString(), '0.03226');
  });
});

describe('prorated graduated (Lago ProratedGraduatedService spec)', () => {
  const two = { graduated_ranges: [
    { from_value: 0, to_value: 5, per_unit_amount: '10', flat_amount: '100' },
    { from_value: 6, to_value: null, per_unit_amount: '5', flat_amount: '50' },
  ] };
  const three = { graduated_ranges: [
    { from_value: 0, to_value: 5, per_unit_amount: '10', flat_amount: '100' },
    { from_value: 6, to_value: 15, per_unit_amount: '5', flat_amount: '50' },
    { from_value: 16, to_value: null, per_unit_amount: '2', flat_amount: '0' },
  ] };
  const firstUnit = { graduated_ranges: [
    { from_value: 0, to_value: 1, per_unit_amount: '10', flat_amount: '100' },
    { from_value: 2, to_value: null, per_unit_amount: '5', flat_amount: '50' },
  ] };
  // Lago's spec rounds the amount to cents (half up), except where it says ceil.
  const cases: [string, Properties, number[], number[], string, string, ('ceil' | 'round')?][] = [
    ['the base case', two, [5, 5, 10, -6], [3.5, 2.66667, 2, -2.2], '5.96667', '197.33'],
    ['no usage: the first flat amount', two, [], [], '0', '100'],
    ['an event straddling a bound', two, [2, 5, 10, -6], [1.4, 2.66667, 2, -2.2], '3.86667', '184.33'],
    ['ending at zero units', two, [1, 4, 1, -5, -1], [0.7097, 1.54839, 0.2258, -0.80645, -0.0645], '1.613', '165.81'],
    ['a removal moving down a tier', two, [5, -2], [3.5, -1], '2.5', '125'],
    ['overflow then a tier change', two, [4, 2, -3], [2.8, 1, -0.6], '3.2', '180.5'],
    ['overflows both ways', two, [5, 2, -4, 10], [3.5, 1, -1.6, 2], '4.9', '190'],
    ['a negative total', two, [5, -100], [2, -33.33], '-31.33', '0'],
    ['one tier used', two, [1], [0.7], '0.7', '107'],
    ['a first unit filling the first tier', firstUnit, [1], [0.7], '0.7', '107'],
    ['three tiers and an overflow', three, [2, 5, 10, -6, 4, 60], [1.4, 2.5, 2, -2.2, 0.667, 2], '6.36', '191.34', 'ceil'],
    ['one event crossing two bounds', three, [75], [75], '75', '370'],
  ];
  for (const [name, properties, full, prorated, units, amount, mode] of cases) {
    test(name, () => {
      const result = proratedGraduatedAmount(properties, { full: full.map(d), prorated: prorated.map(d) }, d(units));
      assert.equal(result.toDecimalPlaces(2, mode === 'ceil' ? Decimal.ROUND_CEIL : Decimal.ROUND_HALF_UP).toString(), amount);
    });
  }
});

describe('usage totals and taxes', () => {
  test('taxes: per tax unrounded, summed, rounded once', () => {
    assert.equal(taxesAmountCents([{ amountCents: 2532n, rates: [d(20)] }]), 506n);
    assert.equal(taxesAmountCents([{ amountCents: 1001n, rates: [d('8.5'), d(1)] }, { amountCents: 333n, rates: [d(20)] }]), 162n);
    assert.equal(taxesAmountCents([{ amountCents: 5n, rates: [d(10)] }, { amountCents: 5n, rates: [d(10)] }]), 1n);
    assert.equal(taxesAmountCents([]), 0n);
  });

  test('a charge sums its lines per bucket and per group, groups nesting their buckets', () => {
    const priced = (filterId: string | null, group: Record<string, string>, units: number) =>
      priceLine({ model: 'standard', currency: 'EUR' }, bucket({ amount: '1' }, Object.keys(group), filterId), groupOf(Object.keys(group), group), {
        units: d(units),
        eventsCount: units,
      });
    const totals = summarizeCharge([priced('aws', { team: 'a' }, 2), priced('aws', { team: 'b' }, 1), priced(null, { team: 'a' }, 1)], true);
    assert.deepEqual([totals.units.toString(), totals.eventsCount, totals.amountCents], ['4', 4, 400n]);
    assert.deepEqual(totals.filters.map((f) => [f.filterId, f.units.toString()]), [['aws', '3'], [null, '1']]);
    assert.deepEqual(
      totals.groups.map((g) => [g.groupedBy, g.units.toString(), g.filters.map((f) => f.filterId)]),
      [[{ team: 'a' }, '3', ['aws', null]], [{ team: 'b' }, '1', ['aws']]],
    );
  });
});
