import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import {
  billedDays,
  currentUsageWindow,
  daysInPeriod,
  invoiceBoundaries,
  periodContaining,
  periodOnDate,
  yearlyAmountFactor,
  type BillingTime,
  type Interval,
  type SubscriptionTiming,
} from '../../src/billing/periods/index.ts';

const instant = (text: string) => Temporal.Instant.from(text);
const date = (text: string) => Temporal.PlainDate.from(text);

const timing = (
  interval: Interval,
  billingTime: BillingTime,
  subscriptionAt: string,
  extra: Partial<SubscriptionTiming> = {},
): SubscriptionTiming => ({
  interval,
  billingTime,
  subscriptionAt: instant(subscriptionAt),
  startedAt: instant(subscriptionAt),
  timeZone: 'UTC',
  ...extra,
});

describe('billedDays (Lago date_diff_with_timezone)', () => {
  const cases: { name: string; from: string; to: string; timeZone: string; days: number }[] = [
    { name: 'Paris, September (datetime_spec)', from: '2023-08-31T23:10:00Z', to: '2023-09-30T22:59:59Z', timeZone: 'Europe/Paris', days: 30 },
    { name: 'Paris, across the October DST change (datetime_spec)', from: '2023-09-30T23:10:00Z', to: '2023-10-31T22:59:59Z', timeZone: 'Europe/Paris', days: 31 },
    { name: 'Paris, across the March DST change (datetime_spec)', from: '2023-02-28T23:10:00Z', to: '2023-03-31T21:59:59Z', timeZone: 'Europe/Paris', days: 31 },
    { name: 'to on a UTC midnight counts its day (datetime_spec)', from: '2023-12-01T00:00:00Z', to: '2023-12-07T00:00:00Z', timeZone: 'UTC', days: 7 },
    { name: 'to on a New York midnight counts its day (datetime_spec)', from: '2023-12-01T05:00:00Z', to: '2023-12-07T05:00:00Z', timeZone: 'America/New_York', days: 7 },
    { name: 'a full calendar month to 23:59:59.999', from: '2022-03-01T00:00:00Z', to: '2022-03-31T23:59:59.999Z', timeZone: 'UTC', days: 31 },
    { name: 'mid-March start (subscription_service_spec): 15th to 31st', from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59Z', timeZone: 'UTC', days: 17 },
    { name: 'calendar week started on Wednesday', from: '2022-06-22T00:00:00Z', to: '2022-06-26T23:59:59Z', timeZone: 'UTC', days: 5 },
    { name: 'a 3-day trial ending Mar 4 00:01 leaves 28 days of March', from: '2022-03-04T00:01:00Z', to: '2022-03-31T23:59:59Z', timeZone: 'UTC', days: 28 },
    { name: 'a yearly plan started on Mar 15: 292 days', from: '2022-03-15T00:00:00Z', to: '2022-12-31T23:59:59Z', timeZone: 'UTC', days: 292 },
    { name: 'Los Angeles, March with its DST change', from: '2024-03-01T08:00:00Z', to: '2024-04-01T06:59:59.999Z', timeZone: 'America/Los_Angeles', days: 31 },
    { name: 'Los Angeles, November with its DST change', from: '2024-11-01T07:00:00Z', to: '2024-12-01T07:59:59.999Z', timeZone: 'America/Los_Angeles', days: 30 },
    { name: 'Tokyo (no DST), a week', from: '2022-06-19T15:00:00Z', to: '2022-06-26T14:59:59Z', timeZone: 'Asia/Tokyo', days: 7 },
    { name: 'a termination on the 10th at noon bills 10 days', from: '2022-03-01T00:00:00Z', to: '2022-03-10T12:00:00Z', timeZone: 'UTC', days: 10 },
    { name: 'one second into a day counts the day', from: '2022-03-01T00:00:00Z', to: '2022-03-01T00:00:01Z', timeZone: 'UTC', days: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(billedDays(instant(c.from), instant(c.to), c.timeZone), c.days));
  }

  test('a whole period always bills its local day count, whatever the zone and DST', () => {
    for (const timeZone of ['UTC', 'Europe/Paris', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'America/Santiago']) {
      for (const interval of ['weekly', 'monthly', 'quarterly'] as const) {
        const t = timing(interval, 'calendar', '2021-01-01T00:00:00Z', { timeZone });
        let day = date('2022-01-01');
        while (day.year < 2025) {
          const period = periodOnDate(t, day);
          assert.ok(Temporal.PlainDate.compare(period.endDate, day) >= 0, 'a period must hold its own day');
          assert.equal(billedDays(period.from, period.to, timeZone), daysInPeriod(period), `${timeZone} ${interval} ${period.startDate}`);
          day = period.endDate.add({ days: 1 });
        }
      }
    }
  });
});

describe('daysInPeriod: the full period holding the date', () => {
  const cases: { name: string; timing: SubscriptionTiming; on: string; days: number }[] = [
    { name: 'monthly day 31: Jan 31 → Feb 27', timing: timing('monthly', 'anniversary', '2022-01-31T00:00:00Z'), on: '2022-02-10', days: 28 },
    { name: 'monthly day 31: Feb 28 → Mar 30', timing: timing('monthly', 'anniversary', '2022-01-31T00:00:00Z'), on: '2022-03-10', days: 31 },
    { name: 'monthly calendar February', timing: timing('monthly', 'calendar', '2021-02-02T00:00:00Z'), on: '2022-02-10', days: 28 },
    { name: 'monthly calendar leap February (monthly_service_spec)', timing: timing('monthly', 'calendar', '2019-02-28T00:00:00Z'), on: '2020-02-10', days: 29 },
    { name: 'monthly anniversary Feb 2 → Mar 1 2022 (monthly_service_spec)', timing: timing('monthly', 'anniversary', '2021-02-02T00:00:00Z'), on: '2022-02-10', days: 28 },
    { name: 'monthly anniversary Feb 2 → Mar 1 2020, leap (monthly_service_spec)', timing: timing('monthly', 'anniversary', '2019-02-02T00:00:00Z'), on: '2020-02-10', days: 29 },
    { name: 'upgrade mid-period: anniversary Jan 10, started Mar 20 → Mar 10 → Apr 9', timing: timing('monthly', 'anniversary', '2024-01-10T00:00:00Z', { startedAt: instant('2024-03-20T00:00:00Z') }), on: '2024-03-20', days: 31 },
    { name: 'weekly', timing: timing('weekly', 'calendar', '2022-06-22T00:00:00Z'), on: '2022-06-22', days: 7 },
    { name: 'quarterly calendar Q1 2022', timing: timing('quarterly', 'calendar', '2021-02-02T00:00:00Z'), on: '2022-02-10', days: 90 },
    { name: 'quarterly calendar Q2 (quarterly_service_spec)', timing: timing('quarterly', 'calendar', '2021-02-02T00:00:00Z'), on: '2022-05-10', days: 91 },
    { name: 'quarterly calendar Q1 2020, leap (quarterly_service_spec says 91 for Jan–Mar 2020)', timing: timing('quarterly', 'calendar', '2019-02-28T00:00:00Z'), on: '2020-02-10', days: 91 },
    { name: 'quarterly calendar Q2 2024 from an upgrade on May 20', timing: timing('quarterly', 'calendar', '2024-01-01T00:00:00Z', { startedAt: instant('2024-05-20T00:00:00Z') }), on: '2024-05-20', days: 91 },
    { name: 'quarterly anniversary Feb 2 → May 1 2020, leap (quarterly_service_spec)', timing: timing('quarterly', 'anniversary', '2019-02-02T00:00:00Z'), on: '2020-03-10', days: 90 },
    { name: 'quarterly anniversary Feb 2 → May 1 2021 (quarterly_service_spec)', timing: timing('quarterly', 'anniversary', '2019-02-02T00:00:00Z'), on: '2021-03-10', days: 89 },
    { name: 'quarterly anniversary Apr 15 → Jul 14 2024 from an upgrade on May 20', timing: timing('quarterly', 'anniversary', '2024-01-15T00:00:00Z', { startedAt: instant('2024-05-20T00:00:00Z') }), on: '2024-05-20', days: 91 },
    { name: 'quarterly Q4 calendar', timing: timing('quarterly', 'calendar', '2021-02-02T00:00:00Z'), on: '2022-11-10', days: 92 },
    { name: 'semiannual calendar H1 2023', timing: timing('semiannual', 'calendar', '2021-02-02T00:00:00Z'), on: '2023-03-10', days: 181 },
    { name: 'semiannual calendar H1 2024, leap', timing: timing('semiannual', 'calendar', '2021-02-02T00:00:00Z'), on: '2024-03-10', days: 182 },
    { name: 'semiannual calendar H2', timing: timing('semiannual', 'calendar', '2021-02-02T00:00:00Z'), on: '2023-09-10', days: 184 },
    { name: 'yearly calendar 2022', timing: timing('yearly', 'calendar', '2021-02-02T00:00:00Z'), on: '2022-03-15', days: 365 },
    { name: 'yearly calendar 2024, leap', timing: timing('yearly', 'calendar', '2021-02-02T00:00:00Z'), on: '2024-03-15', days: 366 },
    { name: 'yearly anniversary from Feb 29 2024: 2024-02-29 → 2025-02-27', timing: timing('yearly', 'anniversary', '2024-02-29T00:00:00Z'), on: '2024-06-01', days: 365 },
    { name: 'yearly anniversary from Feb 29 2024: 2027-02-28 → 2028-02-28', timing: timing('yearly', 'anniversary', '2024-02-29T00:00:00Z'), on: '2027-06-01', days: 366 },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(daysInPeriod(periodOnDate(c.timing, date(c.on))), c.days));
  }
});

describe('first-period proration inputs (reference 5.2 and subscription_service_spec)', () => {
  // Each row: the fee is days × (amount / fullDays). Only the day counts are checked here; money is the fees module's.
  const cases: { name: string; timing: SubscriptionTiming; billingAt: string; payInAdvance?: boolean; days: number; fullDays: number }[] = [
    { name: 'monthly calendar started 2022-03-15, billed Apr 1: 17/31 (55 of 100)', timing: timing('monthly', 'calendar', '2022-03-15T00:00:00Z'), billingAt: '2022-04-01T00:00:00Z', days: 17, fullDays: 31 },
    { name: 'same, pay in advance billed at the start: 17/31', timing: timing('monthly', 'calendar', '2022-03-15T00:00:00Z'), billingAt: '2022-03-15T00:00:00Z', payInAdvance: true, days: 17, fullDays: 31 },
    { name: 'monthly calendar started Jan 15: 17/31 (5484 of 10000)', timing: timing('monthly', 'calendar', '2022-01-15T08:30:00Z'), billingAt: '2022-02-01T00:00:00Z', days: 17, fullDays: 31 },
    { name: 'weekly calendar started Wednesday 2022-06-22: 5/7 (71 of 100)', timing: timing('weekly', 'calendar', '2022-06-22T00:00:00Z'), billingAt: '2022-06-27T00:00:00Z', days: 5, fullDays: 7 },
    { name: 'weekly calendar started Monday: 7/7', timing: timing('weekly', 'calendar', '2022-06-20T00:01:00Z'), billingAt: '2022-06-27T00:00:00Z', days: 7, fullDays: 7 },
    { name: 'yearly calendar started 2022-03-15: 292/365 (80 of 100)', timing: timing('yearly', 'calendar', '2022-03-15T00:00:00Z'), billingAt: '2023-01-01T00:00:00Z', days: 292, fullDays: 365 },
    { name: 'monthly calendar started in Paris at 23:10Z on Aug 31 (Sep 1 local): 30/30', timing: timing('monthly', 'calendar', '2023-08-31T23:10:00Z', { timeZone: 'Europe/Paris' }), billingAt: '2023-09-30T22:00:00Z', days: 30, fullDays: 30 },
    { name: 'monthly calendar started in Los Angeles on Mar 9 (DST on the 10th): 23/31', timing: timing('monthly', 'calendar', '2024-03-09T20:00:00Z', { timeZone: 'America/Los_Angeles' }), billingAt: '2024-04-01T07:00:00Z', days: 23, fullDays: 31 },
    { name: 'quarterly anniversary upgrade: anniversary Jan 15, started May 20 → Jul 14: 56/91', timing: timing('quarterly', 'anniversary', '2024-01-15T00:00:00Z', { startedAt: instant('2024-05-20T09:00:00Z') }), billingAt: '2024-07-15T00:00:00Z', days: 56, fullDays: 91 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const windows = invoiceBoundaries(c.timing, instant(c.billingAt), { payInAdvance: c.payInAdvance ?? false });
      assert.equal(billedDays(windows.fromDatetime, windows.toDatetime, c.timing.timeZone), c.days);
      assert.equal(daysInPeriod(windows.period), c.fullDays);
      // The full period is the one holding the (clamped) fee start.
      assert.equal(daysInPeriod(periodContaining(c.timing, windows.fromDatetime)), c.fullDays);
    });
  }

  test('the current usage window prorates the same way', () => {
    const usage = currentUsageWindow(timing('monthly', 'calendar', '2022-03-15T00:00:00Z'), instant('2022-03-20T00:00:00Z'));
    assert.equal(billedDays(usage.fromDatetime, usage.toDatetime, 'UTC'), 17);
    assert.equal(usage.chargesDurationDays, 31);
  });
});

describe('yearlyAmountFactor', () => {
  const cases: [Interval, number][] = [
    ['weekly', 52],
    ['monthly', 12],
    ['quarterly', 4],
    ['semiannual', 2],
    ['yearly', 1],
  ];
  for (const [interval, factor] of cases) {
    test(`${interval} × ${factor}`, () => assert.equal(yearlyAmountFactor(interval), factor));
  }

  test('a 100/month plan moving to 1000/year is a downgrade, to 1200/year an upgrade', () => {
    const yearly = (amount: number, interval: Interval) => amount * yearlyAmountFactor(interval);
    assert.ok(yearly(1000, 'yearly') < yearly(100, 'monthly'));
    assert.ok(yearly(1200, 'yearly') >= yearly(100, 'monthly'));
  });
});
