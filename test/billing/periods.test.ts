import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import {
  BILLING_TIMES,
  INTERVALS,
  periodAfter,
  periodBefore,
  periodContaining,
  periodOnDate,
  previousPeriodForBillingAt,
  type BillingPeriod,
  type BillingTime,
  type Interval,
  type SubscriptionTiming,
} from '../../src/billing/periods/index.ts';

const instant = (text: string) => Temporal.Instant.from(text);
const date = (text: string) => Temporal.PlainDate.from(text);
/** Lago prints period ends with whole seconds: 2022-02-27T23:59:59Z. */
const seconds = (value: Temporal.Instant) => value.round({ smallestUnit: 'second', roundingMode: 'floor' }).toString();

/** A subscription anchored at 00:00 local of `localDay` in `timeZone` (so its anniversary is that local day). */
const timing = (
  interval: Interval,
  billingTime: BillingTime,
  localDay: string,
  timeZone = 'UTC',
): SubscriptionTiming => {
  const at = date(localDay).toZonedDateTime({ timeZone }).toInstant();
  return { interval, billingTime, subscriptionAt: at, startedAt: at, timeZone };
};

const walk = (t: SubscriptionTiming, firstDay: string, count: number): BillingPeriod[] => {
  const periods = [periodOnDate(t, date(firstDay))];
  while (periods.length < count) periods.push(periodAfter(t, periods[periods.length - 1]!));
  return periods;
};

const asText = (periods: BillingPeriod[]) => periods.map((p) => `${p.startDate}→${p.endDate}`);

describe('period sequences (UTC)', () => {
  const cases: { name: string; timing: SubscriptionTiming; periods: string[] }[] = [
    {
      name: 'monthly anniversary day 31, common year (reference 5.1)',
      timing: timing('monthly', 'anniversary', '2022-01-31'),
      periods: [
        '2022-01-31→2022-02-27',
        '2022-02-28→2022-03-30',
        '2022-03-31→2022-04-29',
        '2022-04-30→2022-05-30',
        '2022-05-31→2022-06-29',
        '2022-06-30→2022-07-30',
        '2022-07-31→2022-08-30',
      ],
    },
    {
      name: 'monthly anniversary day 30, common year',
      timing: timing('monthly', 'anniversary', '2022-01-30'),
      periods: ['2022-01-30→2022-02-27', '2022-02-28→2022-03-29', '2022-03-30→2022-04-29', '2022-04-30→2022-05-29'],
    },
    {
      name: 'monthly anniversary day 29, common year',
      timing: timing('monthly', 'anniversary', '2022-01-29'),
      periods: ['2022-01-29→2022-02-27', '2022-02-28→2022-03-28', '2022-03-29→2022-04-28'],
    },
    {
      name: 'monthly anniversary day 29, leap year',
      timing: timing('monthly', 'anniversary', '2024-01-29'),
      periods: ['2024-01-29→2024-02-28', '2024-02-29→2024-03-28', '2024-03-29→2024-04-28'],
    },
    {
      name: 'monthly anniversary day 31, leap year (billing_boundaries_spec)',
      timing: timing('monthly', 'anniversary', '2024-01-31'),
      periods: ['2024-01-31→2024-02-28', '2024-02-29→2024-03-30', '2024-03-31→2024-04-29', '2024-04-30→2024-05-30'],
    },
    {
      name: 'monthly anniversary day 30, leap year (billing_boundaries_spec, in advance)',
      timing: timing('monthly', 'anniversary', '2024-01-30'),
      periods: ['2024-01-30→2024-02-28', '2024-02-29→2024-03-29', '2024-03-30→2024-04-29', '2024-04-30→2024-05-29'],
    },
    {
      name: 'monthly anniversary started on Feb 29 2024',
      timing: timing('monthly', 'anniversary', '2024-02-29'),
      periods: [
        '2024-02-29→2024-03-28',
        '2024-03-29→2024-04-28',
        '2024-04-29→2024-05-28',
        '2024-05-29→2024-06-28',
        '2024-06-29→2024-07-28',
        '2024-07-29→2024-08-28',
        '2024-08-29→2024-09-28',
        '2024-09-29→2024-10-28',
        '2024-10-29→2024-11-28',
        '2024-11-29→2024-12-28',
        '2024-12-29→2025-01-28',
        '2025-01-29→2025-02-27',
        '2025-02-28→2025-03-28',
        '2025-03-29→2025-04-28',
      ],
    },
    {
      name: 'monthly anniversary on the 1st ends on the last day of the month',
      timing: timing('monthly', 'anniversary', '2022-01-01'),
      periods: ['2022-01-01→2022-01-31', '2022-02-01→2022-02-28', '2022-03-01→2022-03-31'],
    },
    {
      name: 'yearly anniversary started on Feb 29 2024 (yearly_service_spec, anniversary_period_boundaries_spec)',
      timing: timing('yearly', 'anniversary', '2024-02-29'),
      periods: [
        '2024-02-29→2025-02-27',
        '2025-02-28→2026-02-27',
        '2026-02-28→2027-02-27',
        '2027-02-28→2028-02-28',
        '2028-02-29→2029-02-27',
      ],
    },
    {
      name: 'yearly anniversary on Feb 2',
      timing: timing('yearly', 'anniversary', '2021-02-02'),
      periods: ['2021-02-02→2022-02-01', '2022-02-02→2023-02-01'],
    },
    {
      name: 'yearly anniversary on Dec 1 (yearly_service_spec)',
      timing: timing('yearly', 'anniversary', '2022-12-01'),
      periods: ['2022-12-01→2023-11-30', '2023-12-01→2024-11-30'],
    },
    {
      name: 'yearly anniversary on Jan 1 is the calendar year',
      timing: timing('yearly', 'anniversary', '2021-01-01'),
      periods: ['2021-01-01→2021-12-31', '2022-01-01→2022-12-31'],
    },
    {
      name: 'quarterly anniversary day 31 from 2022-01-31 (anniversary_period_boundaries_spec)',
      timing: timing('quarterly', 'anniversary', '2022-01-31'),
      periods: [
        '2022-01-31→2022-04-29',
        '2022-04-30→2022-07-30',
        '2022-07-31→2022-10-30',
        '2022-10-31→2023-01-30',
        '2023-01-31→2023-04-29',
      ],
    },
    {
      name: 'quarterly anniversary day 30 from 2021-11-30 (quarterly_service_spec)',
      timing: timing('quarterly', 'anniversary', '2021-11-30'),
      periods: ['2021-11-30→2022-02-27', '2022-02-28→2022-05-29', '2022-05-30→2022-08-29', '2022-08-30→2022-11-29'],
    },
    {
      name: 'quarterly anniversary started on Feb 29 2024',
      timing: timing('quarterly', 'anniversary', '2024-02-29'),
      periods: [
        '2024-02-29→2024-05-28',
        '2024-05-29→2024-08-28',
        '2024-08-29→2024-11-28',
        '2024-11-29→2025-02-27',
        '2025-02-28→2025-05-28',
      ],
    },
    {
      name: 'quarterly anniversary day 30 from 2021-04-30',
      timing: timing('quarterly', 'anniversary', '2021-04-30'),
      periods: ['2021-04-30→2021-07-29', '2021-07-30→2021-10-29', '2021-10-30→2022-01-29', '2022-01-30→2022-04-29'],
    },
    {
      name: 'quarterly anniversary day 29 from 2022-01-29',
      timing: timing('quarterly', 'anniversary', '2022-01-29'),
      periods: ['2022-01-29→2022-04-28', '2022-04-29→2022-07-28'],
    },
    {
      name: 'semiannual anniversary day 31 from 2021-01-31',
      timing: timing('semiannual', 'anniversary', '2021-01-31'),
      periods: ['2021-01-31→2021-07-30', '2021-07-31→2022-01-30', '2022-01-31→2022-07-30'],
    },
    {
      name: 'semiannual anniversary day 31 from 2023-08-31 across a leap February',
      timing: timing('semiannual', 'anniversary', '2023-08-31'),
      periods: ['2023-08-31→2024-02-28', '2024-02-29→2024-08-30', '2024-08-31→2025-02-27', '2025-02-28→2025-08-30'],
    },
    {
      name: 'semiannual anniversary day 30 from 2021-04-30',
      timing: timing('semiannual', 'anniversary', '2021-04-30'),
      periods: ['2021-04-30→2021-10-29', '2021-10-30→2022-04-29'],
    },
    {
      name: 'weekly anniversary from Tuesday 2021-02-02 (weekly_service_spec)',
      timing: timing('weekly', 'anniversary', '2021-02-02'),
      periods: ['2022-03-01→2022-03-07', '2022-03-08→2022-03-14'],
    },
    {
      name: 'weekly calendar: Monday to Sunday (weekly_service_spec)',
      timing: timing('weekly', 'calendar', '2021-02-02'),
      periods: ['2022-02-28→2022-03-06', '2022-03-07→2022-03-13'],
    },
    {
      name: 'monthly calendar across a leap February',
      timing: timing('monthly', 'calendar', '2021-02-02'),
      periods: ['2024-01-01→2024-01-31', '2024-02-01→2024-02-29', '2024-03-01→2024-03-31', '2024-04-01→2024-04-30'],
    },
    {
      name: 'quarterly calendar',
      timing: timing('quarterly', 'calendar', '2021-02-02'),
      periods: ['2022-01-01→2022-03-31', '2022-04-01→2022-06-30', '2022-07-01→2022-09-30', '2022-10-01→2022-12-31'],
    },
    {
      name: 'semiannual calendar',
      timing: timing('semiannual', 'calendar', '2021-02-02'),
      periods: ['2022-01-01→2022-06-30', '2022-07-01→2022-12-31'],
    },
    {
      name: 'yearly calendar, leap then common year',
      timing: timing('yearly', 'calendar', '2021-02-02'),
      periods: ['2024-01-01→2024-12-31', '2025-01-01→2025-12-31'],
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const first = c.periods[0]!.split('→')[0]!;
      const periods = walk(c.timing, first, c.periods.length);
      assert.deepEqual(asText(periods), c.periods);
      // Every day of every period maps back to its period, and walking back gives the same sequence.
      for (const period of periods) {
        for (let day = period.startDate; Temporal.PlainDate.compare(day, period.endDate) <= 0; day = day.add({ days: 1 })) {
          assert.equal(periodOnDate(c.timing, day).startDate.toString(), period.startDate.toString(), `${day}`);
        }
      }
      for (let i = 1; i < periods.length; i++) {
        assert.equal(periodBefore(c.timing, periods[i]!).startDate.toString(), periods[i - 1]!.startDate.toString());
      }
    });
  }
});

describe('single dates from the Lago specs (UTC)', () => {
  const cases: { name: string; timing: SubscriptionTiming; on: string; start: string; end?: string }[] = [
    { name: 'quarterly day 31 holds the quarter on May 31', timing: timing('quarterly', 'anniversary', '2022-01-31'), on: '2022-05-31', start: '2022-04-30' },
    { name: 'quarterly day 31 keeps Jul 30 in the April period', timing: timing('quarterly', 'anniversary', '2022-01-31'), on: '2022-07-30', start: '2022-04-30' },
    { name: 'quarterly day 31 opens July on the 31st', timing: timing('quarterly', 'anniversary', '2022-01-31'), on: '2022-08-15', start: '2022-07-31' },
    { name: 'quarterly day 29: Feb 28 stays in the January period', timing: timing('quarterly', 'anniversary', '2022-01-29'), on: '2022-02-28', start: '2022-01-29' },
    { name: 'semiannual day 31: Apr 30 is no anniversary', timing: timing('semiannual', 'anniversary', '2021-01-31'), on: '2021-04-30', start: '2021-01-31' },
    { name: 'quarterly day 30: May 31 is no anniversary', timing: timing('quarterly', 'anniversary', '2021-04-30'), on: '2021-05-31', start: '2021-04-30' },
    { name: 'quarterly day 30: July keeps the 30th', timing: timing('quarterly', 'anniversary', '2021-04-30'), on: '2021-08-15', start: '2021-07-30' },
    { name: 'semiannual day 30: Jun 30 is no anniversary', timing: timing('semiannual', 'anniversary', '2021-04-30'), on: '2021-06-30', start: '2021-04-30' },
    { name: 'semiannual day 30: October keeps the 30th', timing: timing('semiannual', 'anniversary', '2021-04-30'), on: '2021-11-15', start: '2021-10-30' },
    { name: 'quarterly: not a billing month, after the day', timing: timing('quarterly', 'anniversary', '2023-04-06'), on: '2023-08-08', start: '2023-07-06' },
    { name: 'quarterly: not a billing month, before the day', timing: timing('quarterly', 'anniversary', '2023-04-06'), on: '2023-08-04', start: '2023-07-06' },
    { name: 'semiannual: not a billing month', timing: timing('semiannual', 'anniversary', '2023-01-06'), on: '2023-08-04', start: '2023-07-06' },
    { name: 'yearly: same month, before the day', timing: timing('yearly', 'anniversary', '2023-03-29'), on: '2024-03-15', start: '2023-03-29', end: '2024-03-28' },
    { name: 'yearly Feb 29: 2025-02-20 is still in the first period', timing: timing('yearly', 'anniversary', '2024-02-29'), on: '2025-02-20', start: '2024-02-29', end: '2025-02-27' },
    { name: 'yearly Feb 29: 2025-03-10 is in the second period', timing: timing('yearly', 'anniversary', '2024-02-29'), on: '2025-03-10', start: '2025-02-28', end: '2026-02-27' },
    { name: 'yearly Feb 29: terminated 2022-03-28', timing: timing('yearly', 'anniversary', '2020-02-29'), on: '2022-03-28', start: '2022-02-28' },
    { name: 'semiannual day 30 from May: May 29 in the November period', timing: timing('semiannual', 'anniversary', '2021-05-30'), on: '2022-05-29', start: '2021-11-30' },
    { name: 'quarterly day 30 from May: May 29 in the February period', timing: timing('quarterly', 'anniversary', '2021-05-30'), on: '2022-05-29', start: '2022-02-28' },
    { name: 'quarterly day 28 from Feb: Feb 27 in the November period', timing: timing('quarterly', 'anniversary', '2021-02-28'), on: '2022-02-27', start: '2021-11-28' },
    { name: 'semiannual day 28 from Feb: Feb 27 in the August period', timing: timing('semiannual', 'anniversary', '2021-02-28'), on: '2022-02-27', start: '2021-08-28' },
    { name: 'monthly day 27 in January: Jan 28 opens', timing: timing('monthly', 'anniversary', '2021-03-27'), on: '2022-01-28', start: '2022-01-27' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const period = periodOnDate(c.timing, date(c.on));
      assert.equal(period.startDate.toString(), c.start);
      if (c.end) assert.equal(period.endDate.toString(), c.end);
    });
  }
});

describe('periods in the customer time zone', () => {
  const cases: {
    name: string;
    timing: SubscriptionTiming;
    at: string;
    from: string;
    to: string;
    toExclusive: string;
  }[] = [
    {
      name: 'calendar monthly, New York (behind UTC)',
      timing: timing('monthly', 'calendar', '2021-02-02', 'America/New_York'),
      at: '2022-01-15T12:00:00Z',
      from: '2022-01-01T05:00:00Z',
      to: '2022-02-01T04:59:59Z',
      toExclusive: '2022-02-01T05:00:00Z',
    },
    {
      name: 'calendar monthly, Tokyo (ahead of UTC)',
      timing: timing('monthly', 'calendar', '2021-02-02', 'Asia/Tokyo'),
      at: '2022-01-15T12:00:00Z',
      from: '2021-12-31T15:00:00Z',
      to: '2022-01-31T14:59:59Z',
      toExclusive: '2022-01-31T15:00:00Z',
    },
    {
      name: 'calendar monthly, Tokyo: an instant late on Jan 31 UTC is already February',
      timing: timing('monthly', 'calendar', '2021-02-02', 'Asia/Tokyo'),
      at: '2022-01-31T16:00:00Z',
      from: '2022-01-31T15:00:00Z',
      to: '2022-02-28T14:59:59Z',
      toExclusive: '2022-02-28T15:00:00Z',
    },
    {
      name: 'calendar monthly, Paris, across the March DST change',
      timing: timing('monthly', 'calendar', '2021-02-02', 'Europe/Paris'),
      at: '2023-03-15T12:00:00Z',
      from: '2023-02-28T23:00:00Z',
      to: '2023-03-31T21:59:59Z',
      toExclusive: '2023-03-31T22:00:00Z',
    },
    {
      name: 'calendar monthly, Paris, across the October DST change',
      timing: timing('monthly', 'calendar', '2021-02-02', 'Europe/Paris'),
      at: '2023-10-15T12:00:00Z',
      from: '2023-09-30T22:00:00Z',
      to: '2023-10-31T22:59:59Z',
      toExclusive: '2023-10-31T23:00:00Z',
    },
    {
      name: 'calendar monthly, Los Angeles, across the March DST change',
      timing: timing('monthly', 'calendar', '2021-02-02', 'America/Los_Angeles'),
      at: '2024-03-15T12:00:00Z',
      from: '2024-03-01T08:00:00Z',
      to: '2024-04-01T06:59:59Z',
      toExclusive: '2024-04-01T07:00:00Z',
    },
    {
      name: 'calendar monthly, Los Angeles, across the November DST change',
      timing: timing('monthly', 'calendar', '2021-02-02', 'America/Los_Angeles'),
      at: '2024-11-15T12:00:00Z',
      from: '2024-11-01T07:00:00Z',
      to: '2024-12-01T07:59:59Z',
      toExclusive: '2024-12-01T08:00:00Z',
    },
    {
      name: 'calendar weekly, New York, week holding the March DST change',
      timing: timing('weekly', 'calendar', '2021-02-02', 'America/New_York'),
      at: '2022-03-10T12:00:00Z',
      from: '2022-03-07T05:00:00Z',
      to: '2022-03-14T03:59:59Z',
      toExclusive: '2022-03-14T04:00:00Z',
    },
    {
      name: 'anniversary weekly (Wednesdays), Los Angeles, across the November DST change',
      timing: timing('weekly', 'anniversary', '2024-10-30', 'America/Los_Angeles'),
      at: '2024-11-04T12:00:00Z',
      from: '2024-10-30T07:00:00Z',
      to: '2024-11-06T07:59:59Z',
      toExclusive: '2024-11-06T08:00:00Z',
    },
    {
      name: 'calendar quarterly, New York',
      timing: timing('quarterly', 'calendar', '2021-02-02', 'America/New_York'),
      at: '2022-05-01T00:00:00Z',
      from: '2022-04-01T04:00:00Z',
      to: '2022-07-01T03:59:59Z',
      toExclusive: '2022-07-01T04:00:00Z',
    },
    {
      name: 'calendar semiannual, Paris',
      timing: timing('semiannual', 'calendar', '2021-02-02', 'Europe/Paris'),
      at: '2022-09-01T00:00:00Z',
      from: '2022-06-30T22:00:00Z',
      to: '2022-12-31T22:59:59Z',
      toExclusive: '2022-12-31T23:00:00Z',
    },
    {
      name: 'calendar yearly, Los Angeles, leap year',
      timing: timing('yearly', 'calendar', '2021-02-02', 'America/Los_Angeles'),
      at: '2024-06-01T00:00:00Z',
      from: '2024-01-01T08:00:00Z',
      to: '2025-01-01T07:59:59Z',
      toExclusive: '2025-01-01T08:00:00Z',
    },
    {
      name: 'anniversary monthly day 31 in Tokyo: Feb 28 local opens the period',
      timing: timing('monthly', 'anniversary', '2022-01-31', 'Asia/Tokyo'),
      at: '2022-03-10T00:00:00Z',
      from: '2022-02-27T15:00:00Z',
      to: '2022-03-30T14:59:59Z',
      toExclusive: '2022-03-30T15:00:00Z',
    },
    {
      name: 'anniversary yearly from Feb 29 in New York',
      timing: timing('yearly', 'anniversary', '2024-02-29', 'America/New_York'),
      at: '2025-03-10T00:00:00Z',
      from: '2025-02-28T05:00:00Z',
      to: '2026-02-28T04:59:59Z',
      toExclusive: '2026-02-28T05:00:00Z',
    },
    {
      name: 'anniversary quarterly day 31 in Los Angeles, across the March DST change',
      timing: timing('quarterly', 'anniversary', '2022-01-31', 'America/Los_Angeles'),
      at: '2022-03-20T00:00:00Z',
      from: '2022-01-31T08:00:00Z',
      to: '2022-04-30T06:59:59Z',
      toExclusive: '2022-04-30T07:00:00Z',
    },
    {
      name: 'a DST jump that skips midnight (America/Santiago, 2022-09-11) starts the day at 01:00 local',
      timing: timing('monthly', 'anniversary', '2022-08-11', 'America/Santiago'),
      at: '2022-09-20T00:00:00Z',
      from: '2022-09-11T04:00:00Z',
      to: '2022-10-11T02:59:59Z',
      toExclusive: '2022-10-11T03:00:00Z',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const period = periodContaining(c.timing, instant(c.at));
      assert.equal(period.from.toString(), c.from);
      assert.equal(seconds(period.to), c.to);
      assert.equal(period.toExclusive.toString(), c.toExclusive);
      assert.equal(period.toExclusive.since(period.to).total('milliseconds'), 1);
    });
  }

  test("the anniversary is read from subscription_at's local date, not its UTC date", () => {
    // 2021-02-02T00:00Z is Feb 1 19:00 in New York: the anniversary is the 1st (monthly_service_spec).
    const ny: SubscriptionTiming = {
      interval: 'monthly',
      billingTime: 'anniversary',
      subscriptionAt: instant('2021-02-02T00:00:00Z'),
      startedAt: instant('2021-02-02T00:00:00Z'),
      timeZone: 'America/New_York',
    };
    const period = periodContaining(ny, instant('2022-03-07T00:00:00Z'));
    assert.equal(period.startDate.toString(), '2022-03-01');
    assert.equal(seconds(period.to), '2022-04-01T03:59:59Z');
    assert.equal(periodBefore(ny, period).from.toString(), '2022-02-01T05:00:00Z');
    // In Tokyo the same instant is Feb 2 09:00: the anniversary is the 2nd.
    const tokyo = { ...ny, timeZone: 'Asia/Tokyo' };
    assert.equal(periodContaining(tokyo, instant('2022-03-07T00:00:00Z')).startDate.toString(), '2022-03-02');
  });
});

describe('previousPeriodForBillingAt', () => {
  const cases: { name: string; timing: SubscriptionTiming; billingAt: string; from: string; to: string }[] = [
    {
      name: 'calendar monthly, New York, billed 2022-03-01T00:00Z (still Feb 28 locally) bills January',
      timing: timing('monthly', 'calendar', '2021-02-02', 'America/New_York'),
      billingAt: '2022-03-01T00:00:00Z',
      from: '2022-01-01T05:00:00Z',
      to: '2022-02-01T04:59:59Z',
    },
    {
      name: 'calendar monthly, UTC, billed Mar 1 bills February',
      timing: timing('monthly', 'calendar', '2021-02-02'),
      billingAt: '2022-03-01T00:00:00Z',
      from: '2022-02-01T00:00:00Z',
      to: '2022-02-28T23:59:59Z',
    },
    {
      name: 'calendar monthly, Tokyo, billed 2022-02-28T15:00Z (Mar 1 00:00 locally) bills February',
      timing: timing('monthly', 'calendar', '2021-02-02', 'Asia/Tokyo'),
      billingAt: '2022-02-28T15:00:00Z',
      from: '2022-01-31T15:00:00Z',
      to: '2022-02-28T14:59:59Z',
    },
    {
      name: 'calendar weekly billed on Monday 2022-03-07',
      timing: timing('weekly', 'calendar', '2021-02-02'),
      billingAt: '2022-03-07T00:00:00Z',
      from: '2022-02-28T00:00:00Z',
      to: '2022-03-06T23:59:59Z',
    },
    {
      name: 'calendar weekly, New York, billed 2022-03-07T00:00Z (Sunday locally)',
      timing: timing('weekly', 'calendar', '2021-02-02', 'America/New_York'),
      billingAt: '2022-03-07T00:00:00Z',
      from: '2022-02-21T05:00:00Z',
      to: '2022-02-28T04:59:59Z',
    },
    {
      name: 'anniversary monthly day 31 billed Feb 28 2022',
      timing: timing('monthly', 'anniversary', '2022-01-31'),
      billingAt: '2022-02-28T00:00:00Z',
      from: '2022-01-31T00:00:00Z',
      to: '2022-02-27T23:59:59Z',
    },
    {
      name: 'anniversary monthly from Apr 30 2019 billed Mar 30 2020 (leap February)',
      timing: timing('monthly', 'anniversary', '2019-04-30'),
      billingAt: '2020-03-30T00:00:00Z',
      from: '2020-02-29T00:00:00Z',
      to: '2020-03-29T23:59:59Z',
    },
    {
      name: 'calendar quarterly, New York, billed Jul 1 00:00Z bills Q1',
      timing: timing('quarterly', 'calendar', '2021-02-02', 'America/New_York'),
      billingAt: '2022-07-01T00:00:00Z',
      from: '2022-01-01T05:00:00Z',
      to: '2022-04-01T03:59:59Z',
    },
    {
      name: 'calendar semiannual, New York, billed Jul 1 00:00Z bills the second half of 2021',
      timing: timing('semiannual', 'calendar', '2021-02-02', 'America/New_York'),
      billingAt: '2022-07-01T00:00:00Z',
      from: '2021-07-01T04:00:00Z',
      to: '2022-01-01T04:59:59Z',
    },
    {
      name: 'calendar yearly, New York, billed Jan 1 2022 00:00Z bills 2020',
      timing: timing('yearly', 'calendar', '2019-02-02', 'America/New_York'),
      billingAt: '2022-01-01T00:00:00Z',
      from: '2020-01-01T05:00:00Z',
      to: '2021-01-01T04:59:59Z',
    },
    {
      name: 'anniversary yearly from Feb 29 2020 billed on the clamped Feb 28 2025',
      timing: timing('yearly', 'anniversary', '2020-02-29'),
      billingAt: '2025-02-28T00:00:00Z',
      from: '2024-02-29T00:00:00Z',
      to: '2025-02-27T23:59:59Z',
    },
    {
      name: 'anniversary quarterly day 30 from Nov 2021 billed Mar 1 2022',
      timing: timing('quarterly', 'anniversary', '2021-11-30'),
      billingAt: '2022-03-01T00:00:00Z',
      from: '2021-11-30T00:00:00Z',
      to: '2022-02-27T23:59:59Z',
    },
    {
      name: 'anniversary semiannual day 30 from Nov 2021 billed Jun 1 2022',
      timing: timing('semiannual', 'anniversary', '2021-11-30'),
      billingAt: '2022-06-01T00:00:00Z',
      from: '2021-11-30T00:00:00Z',
      to: '2022-05-29T23:59:59Z',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const period = previousPeriodForBillingAt(c.timing, instant(c.billingAt));
      assert.equal(period.from.toString(), c.from);
      assert.equal(seconds(period.to), c.to);
    });
  }
});

/**
 * An independent statement of the rule to check the implementation against: walk forward from the anchor one period at
 * a time and take the anchor day, or the month's last day when the month is shorter (computed with Date.UTC).
 */
const expectedStarts = (interval: Interval, billingTime: BillingTime, anchor: Temporal.PlainDate, count: number): string[] => {
  const pad = (n: number) => String(n).padStart(2, '0');
  const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
  const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
  const starts: string[] = [];
  if (interval === 'weekly') {
    const monday = billingTime === 'calendar' ? anchor.subtract({ days: anchor.dayOfWeek - 1 }) : anchor;
    for (let i = 0; i < count; i++) starts.push(monday.add({ days: 7 * i }).toString());
    return starts;
  }
  const step = { monthly: 1, quarterly: 3, semiannual: 6, yearly: 12 }[interval];
  let year = anchor.year;
  let month = anchor.month;
  let day = anchor.day;
  if (billingTime === 'calendar') {
    month = month - ((month - 1) % step);
    day = 1;
  }
  for (let i = 0; i < count; i++) {
    starts.push(iso(year, month, Math.min(day, lastDay(year, month))));
    month += step;
    while (month > 12) {
      month -= 12;
      year += 1;
    }
  }
  return starts;
};

describe('every interval × billing time × zone × anchor, walked over three years', () => {
  const zones = ['UTC', 'Asia/Tokyo', 'Europe/Paris', 'America/New_York', 'America/Los_Angeles'];
  // Month ends, leap days, DST days (EU 2023-03-26, US 2024-03-10, US 2022-11-06) and an ordinary Wednesday.
  const anchors = ['2022-01-31', '2021-03-30', '2022-01-29', '2024-02-29', '2023-03-26', '2024-03-10', '2022-11-06', '2022-06-22'];
  const counts: Record<Interval, number> = { weekly: 110, monthly: 38, quarterly: 13, semiannual: 7, yearly: 4 };

  for (const interval of INTERVALS) {
    for (const billingTime of BILLING_TIMES) {
      test(`${interval} ${billingTime}`, () => {
        for (const timeZone of zones) {
          for (const anchorDay of anchors) {
            // Subscribed at 13:00 local on the anchor day, so the instant's UTC date differs in some zones.
            const at = date(anchorDay).toZonedDateTime({ timeZone, plainTime: '13:00' }).toInstant();
            const t: SubscriptionTiming = { interval, billingTime, subscriptionAt: at, startedAt: at, timeZone };
            const label = `${timeZone} ${anchorDay}`;
            const expected = expectedStarts(interval, billingTime, date(anchorDay), counts[interval] + 1);
            let period = periodContaining(t, at);
            for (let i = 0; i < counts[interval]; i++) {
              const next = periodAfter(t, period);
              assert.equal(period.startDate.toString(), expected[i], `${label} start #${i}`);
              assert.equal(period.endDate.toString(), date(expected[i + 1]!).subtract({ days: 1 }).toString(), `${label} end #${i}`);
              // Local midnights, inclusive end one millisecond before the next period, no gap and no overlap.
              assert.equal(period.from.toString(), date(expected[i]!).toZonedDateTime({ timeZone }).toInstant().toString(), label);
              assert.equal(next.from.toString(), period.toExclusive.toString(), label);
              assert.equal(period.toExclusive.since(period.to).total('milliseconds'), 1, label);
              const lastLocal = period.to.toZonedDateTimeISO(timeZone);
              assert.equal(lastLocal.toPlainDate().toString(), period.endDate.toString(), label);
              assert.equal(lastLocal.toPlainTime().toString(), '23:59:59.999', label);
              // The first and last instants, and the instant just after, resolve to the right periods.
              assert.equal(periodContaining(t, period.from).startDate.toString(), period.startDate.toString(), label);
              assert.equal(periodContaining(t, period.to).startDate.toString(), period.startDate.toString(), label);
              assert.equal(periodContaining(t, period.toExclusive).startDate.toString(), next.startDate.toString(), label);
              assert.equal(periodBefore(t, next).startDate.toString(), period.startDate.toString(), label);
              period = next;
            }
          }
        }
      });
    }
  }
});
