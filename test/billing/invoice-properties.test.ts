import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import {
  chargeCents,
  normalizeProperties,
  priceCharge,
  validateProperties,
  type ChargeModel,
  type ChargeUsage,
  type Properties,
} from '../../src/billing/charge-models/index.ts';
import { subscriptionFee } from '../../src/billing/fees/subscription-fee.ts';
import {
  BILLING_TIMES,
  billedDays,
  daysInPeriod,
  INTERVALS,
  localDateAt,
  periodContaining,
  startOfLocalDay,
  type SubscriptionTiming,
} from '../../src/billing/periods/index.ts';
import { Decimal } from '../../src/lib/money.ts';

// Properties of the pure core that hold for any input: a plan change splits a period without billing more than a day's
// full price per day, and the charge models that Lago prices monotonically never bill less for more usage.
// (Invoice totals never being negative is in invoice-totals.test.ts.)

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

// Zones ahead of and behind UTC, with DST (north and south), half- and quarter-hour offsets, a 30-minute DST shift,
// and zones where DST skips midnight itself (the day then starts at 01:00).
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'America/Santiago',
  'America/Havana',
  'Asia/Beirut',
] as const;

const MS_2019 = Date.UTC(2019, 0, 1);
const MS_2031 = Date.UTC(2031, 0, 1);
const DAY_MS = 86_400_000;
/** Longer than any period: a change up to this long after the start lands in the first period or a later one. */
const MAX_PERIOD_MS = 367 * DAY_MS;

const planChange = fc.record({
  interval: fc.constantFrom(...INTERVALS),
  billingTime: fc.constantFrom(...BILLING_TIMES),
  timeZone: fc.constantFrom(...ZONES),
  subscriptionAtMs: fc.integer({ min: MS_2019, max: MS_2031 }),
  /** The subscription's start, at or after `subscription_at` (a backdated start, or a plan change that kept it). */
  startedAfterMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_PERIOD_MS })),
  changeAfterMs: fc.integer({ min: 0, max: MAX_PERIOD_MS }),
  oldAmountCents: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
  newAmountCents: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
});

describe('property: a period split at a plan change', () => {
  test('the old plan up to the change day and the new plan from it never bill more than days × the larger day price; their days add up', () => {
    fc.assert(
      fc.property(planChange, (c) => {
        const subscriptionAt = Temporal.Instant.fromEpochMilliseconds(c.subscriptionAtMs);
        const startedAt = subscriptionAt.add({ milliseconds: c.startedAfterMs });
        const change = startedAt.add({ milliseconds: c.changeAfterMs });
        const timing: SubscriptionTiming = { interval: c.interval, billingTime: c.billingTime, subscriptionAt, startedAt, timeZone: c.timeZone };
        const period = periodContaining(timing, change);
        const startDay = startOfLocalDay(localDateAt(startedAt, c.timeZone), c.timeZone);
        // The window the two plans share: the period, from the subscription's first local day when it began inside it.
        const from = Temporal.Instant.compare(startDay, period.from) > 0 ? startDay : period.from;
        const changeDay = startOfLocalDay(localDateAt(change, c.timeZone), c.timeZone);
        const fee = (amountCents: bigint, windowFrom: Temporal.Instant, windowTo: Temporal.Instant) =>
          subscriptionFee({ amountCents, period, from: windowFrom, to: windowTo, timeZone: c.timeZone, trialEndsAt: null, fullAmount: false });
        // The change day belongs to the new plan (Lago bills the old one to the end of the day before).
        const old = fee(c.oldAmountCents, from, changeDay.subtract({ milliseconds: 1 }));
        const next = fee(c.newAmountCents, changeDay, period.to);

        const periodDays = daysInPeriod(period);
        const windowDays = billedDays(from, period.to, c.timeZone);
        assert.equal(old.days + next.days, windowDays, 'the two windows cover the window once');
        if (Temporal.Instant.compare(from, period.from) === 0) assert.equal(windowDays, periodDays, 'a whole period');
        assert.ok(windowDays <= periodDays);

        const larger = c.oldAmountCents > c.newAmountCents ? c.oldAmountCents : c.newAmountCents;
        const bound = new Decimal(larger.toString()).div(periodDays).mul(windowDays);
        const billed = old.preciseAmountCents.plus(next.preciseAmountCents);
        assert.ok(billed.lte(bound.plus('1e-20')), `billed ${billed} over ${windowDays} days, at most ${bound}`);
        // Each fee rounds once, by at most half a cent.
        assert.ok(new Decimal((old.amountCents + next.amountCents).toString()).lte(bound.plus(1)));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test('an upgrade on the first day of the period leaves nothing to the old plan; on the last day, one day to the new one', () => {
    const timing: SubscriptionTiming = {
      interval: 'monthly',
      billingTime: 'calendar',
      subscriptionAt: Temporal.Instant.from('2024-01-10T00:00:00Z'),
      startedAt: Temporal.Instant.from('2024-01-10T00:00:00Z'),
      timeZone: 'Europe/Paris',
    };
    const period = periodContaining(timing, Temporal.Instant.from('2024-03-15T12:00:00Z'));
    const fee = (amountCents: bigint, from: Temporal.Instant, to: Temporal.Instant) =>
      subscriptionFee({ amountCents, period, from, to, timeZone: 'Europe/Paris', trialEndsAt: null, fullAmount: false });
    const first = startOfLocalDay(Temporal.PlainDate.from('2024-03-01'), 'Europe/Paris');
    assert.equal(fee(3_100n, period.from, first.subtract({ milliseconds: 1 })).days, 0);
    assert.equal(fee(6_200n, first, period.to).amountCents, 6_200n);
    const last = startOfLocalDay(Temporal.PlainDate.from('2024-03-31'), 'Europe/Paris');
    // March 31 2024 is the day Paris moves to summer time: still one whole day of 31.
    assert.deepEqual([fee(3_100n, period.from, last.subtract({ milliseconds: 1 })).amountCents, fee(6_200n, last, period.to).amountCents], [3_000n, 200n]);
  });
});

/** A non-negative decimal string with up to `scale` decimals, as charge properties carry prices. */
const price = (max = 1_000_000, scale = 4) =>
  fc.tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: scale })).map(([n, s]) => new Decimal(n).div(new Decimal(10).pow(s)).toFixed());

/** Non-negative units with up to 4 decimals. */
const units = fc.integer({ min: 0, max: 50_000_000 }).map((n) => new Decimal(n).div(10_000));

/** A pair of usages, the second at least the first. */
const orderedUnits = fc.tuple(units, units).map(([a, b]): [Decimal, Decimal] => (a.lte(b) ? [a, b] : [b, a]));

/**
 * Valid graduated ranges: the first from 0 or 1, each next one starting at the previous `to_value` or one unit later
 * (both kinds mixed, as Lago accepts), integer or half-unit bounds, the last one open.
 */
const graduatedRanges = fc
  .record({
    firstFrom: fc.constantFrom(0, 1),
    tiers: fc.array(
      fc.record({ width: fc.integer({ min: 1, max: 2_000 }), half: fc.boolean(), shared: fc.boolean(), perUnit: price(10_000), flat: price(10_000) }),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ firstFrom, tiers }) => {
    let from = new Decimal(firstFrom);
    return tiers.map((tier, i) => {
      const last = i === tiers.length - 1;
      const to = last ? null : from.plus(tier.width).plus(tier.half ? 0.5 : 0);
      const range = { from_value: from.toNumber(), to_value: to?.toNumber() ?? null, per_unit_amount: tier.perUnit, flat_amount: tier.flat };
      if (to) from = tier.shared ? to : to.plus(1);
      return range;
    });
  });

/** Properties as a client sends them, checked valid by the model's own validation before they are priced. */
const valid = (model: ChargeModel, raw: Record<string, unknown>, aggregationType = 'sum_agg'): Properties => {
  const properties = normalizeProperties(model, raw, 'charge');
  assert.deepEqual(validateProperties(model, properties, { aggregationType }), [], JSON.stringify(raw));
  return properties;
};

const amountOf = (model: ChargeModel, properties: Properties, usage: ChargeUsage) => priceCharge(model, properties, usage).amount;

/** `amount(a) ≤ amount(b)`, and the same once rounded to cents. */
const assertNonDecreasing = (model: ChargeModel, properties: Properties, lower: ChargeUsage, higher: ChargeUsage) => {
  const a = priceCharge(model, properties, lower);
  const b = priceCharge(model, properties, higher);
  assert.ok(a.amount.lte(b.amount), `${model} ${JSON.stringify(properties)}: ${lower.units} units → ${a.amount}, ${higher.units} → ${b.amount}`);
  assert.ok(chargeCents(a, 'EUR').amountCents <= chargeCents(b, 'EUR').amountCents);
};

describe('property: charge models never bill less for more units (where Lago’s do not)', () => {
  test('standard', () => {
    fc.assert(
      fc.property(price(), orderedUnits, fc.nat(1_000), (amount, [a, b], events) => {
        const properties = valid('standard', { amount });
        assertNonDecreasing('standard', properties, { units: a, eventsCount: events }, { units: b, eventsCount: events });
      }),
      { numRuns: RUNS },
    );
  });

  test('package, with free units', () => {
    fc.assert(
      fc.property(price(), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 0, max: 5_000 }), orderedUnits, (amount, size, free, [a, b]) => {
        const properties = valid('package', { amount, package_size: size, free_units: free });
        assertNonDecreasing('package', properties, { units: a, eventsCount: 1 }, { units: b, eventsCount: 1 });
      }),
      { numRuns: RUNS },
    );
  });

  test('graduated, with flat amounts, shared or next-unit bounds and half-unit tiers', () => {
    fc.assert(
      fc.property(graduatedRanges, orderedUnits, (ranges, [a, b]) => {
        const properties = valid('graduated', { graduated_ranges: ranges });
        assertNonDecreasing('graduated', properties, { units: a, eventsCount: 1 }, { units: b, eventsCount: 1 });
      }),
      { numRuns: RUNS },
    );
  });

  test('graduated: units just past a bound never cost less than the bound itself', () => {
    fc.assert(
      fc.property(graduatedRanges, fc.nat(10), (ranges, pick) => {
        const properties = valid('graduated', { graduated_ranges: ranges });
        const bounds = ranges.flatMap((r) => (r.to_value === null ? [] : [new Decimal(r.to_value)]));
        if (bounds.length === 0) return;
        const at = bounds[pick % bounds.length]!;
        for (const past of [at.plus('0.0001'), at.plus(1)]) {
          assertNonDecreasing('graduated', properties, { units: at, eventsCount: 1 }, { units: past, eventsCount: 1 });
        }
      }),
      { numRuns: RUNS },
    );
  });

  const percentageSettings = fc.record(
    {
      rate: price(100, 4),
      fixed_amount: price(1_000, 2),
      free_units_per_events: fc.integer({ min: 1, max: 20 }),
      free_units_per_total_aggregation: price(10_000, 2),
    },
    { requiredKeys: ['rate'] },
  );

  test('percentage without a per-transaction min or max, for a metric without a running total: more units, same events', () => {
    fc.assert(
      fc.property(percentageSettings, orderedUnits, fc.nat(100), (settings, [a, b], events) => {
        const properties = valid('percentage', settings, 'max_agg');
        assertNonDecreasing('percentage', properties, { units: a, eventsCount: events }, { units: b, eventsCount: events });
      }),
      { numRuns: RUNS },
    );
  });

  test('percentage on a count metric: n events are n units, and one more event never costs less (with one free setting)', () => {
    // With both free settings, Lago's count metrics are not monotone: once there are more events than free events the
    // free units are the free events, uncapped by the free total (see the next test).
    const oneFreeSetting = percentageSettings.filter((s) => s.free_units_per_events === undefined || s.free_units_per_total_aggregation === undefined);
    fc.assert(
      fc.property(oneFreeSetting, fc.nat(200), fc.nat(50), (settings, n, more) => {
        const properties = valid('percentage', settings, 'count_agg');
        const usage = (k: number): ChargeUsage => ({ units: new Decimal(k), eventsCount: k, freeUnitsBasis: { kind: 'event_count' } });
        assertNonDecreasing('percentage', properties, usage(n), usage(n + more));
      }),
      { numRuns: RUNS },
    );
  });

  test('percentage on a count metric with both free settings: 15 events can cost less than 2 (Lago’s quirk, kept)', () => {
    const properties = valid('percentage', { rate: '1', free_units_per_events: 14, free_units_per_total_aggregation: '0.1' }, 'count_agg');
    const usage = (k: number): ChargeUsage => ({ units: new Decimal(k), eventsCount: k, freeUnitsBasis: { kind: 'event_count' } });
    // 2 events: 0.1 free unit, (2 − 0.1) × 1 % = 0.019; 15 events: the 14 free events are 14 free units, 1 × 1 % = 0.01.
    assert.equal(amountOf('percentage', properties, usage(2)).toFixed(), '0.019');
    assert.equal(amountOf('percentage', properties, usage(15)).toFixed(), '0.01');
  });

  test('percentage on a sum metric: more events (non-negative values) never cost less, free units and free events included', () => {
    const values = fc.array(fc.integer({ min: 0, max: 100_000 }).map((n) => new Decimal(n).div(100)), { maxLength: 30 });
    fc.assert(
      fc.property(percentageSettings, values, values, (settings, first, later) => {
        const properties = valid('percentage', settings, 'sum_agg');
        const usage = (list: Decimal[]): ChargeUsage => ({
          units: list.reduce((sum, v) => sum.plus(v), new Decimal(0)),
          eventsCount: list.length,
          freeUnitsBasis: { kind: 'event_values', values: list },
        });
        assertNonDecreasing('percentage', properties, usage(first), usage([...first, ...later]));
      }),
      { numRuns: RUNS },
    );
  });

  test('volume is left out on purpose: Lago prices every unit at the tier holding the total, so 11 units can cost less than 10 (volume_spec tiers)', () => {
    const properties = valid('volume', {
      volume_ranges: [
        { from_value: 0, to_value: 10, per_unit_amount: '5', flat_amount: '100' },
        { from_value: 11, to_value: null, per_unit_amount: '2', flat_amount: '50' },
      ],
    });
    const at = (n: number) => amountOf('volume', properties, { units: new Decimal(n), eventsCount: n }).toNumber();
    assert.deepEqual([at(10), at(11)], [150, 72]);
  });
});
