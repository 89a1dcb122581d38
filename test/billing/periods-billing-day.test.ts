import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import {
  BILLING_TIMES,
  INTERVALS,
  isBillingDay,
  opensBillingPeriod,
  periodAfter,
  periodOnDate,
  type BillingTime,
  type Interval,
  type SubscriptionTiming,
} from '../../src/billing/periods/index.ts';

const date = (text: string) => Temporal.PlainDate.from(text);

/** Subscribed (and started) at 10:00 local on `localDay`. */
const timing = (
  interval: Interval,
  billingTime: BillingTime,
  localDay: string,
  extra: Partial<SubscriptionTiming> = {},
): SubscriptionTiming => {
  const timeZone = extra.timeZone ?? 'UTC';
  const at = date(localDay).toZonedDateTime({ timeZone, plainTime: '10:00' }).toInstant();
  return { interval, billingTime, subscriptionAt: at, startedAt: at, timeZone, ...extra };
};

describe('billing days', () => {
  const cases: { name: string; timing: SubscriptionTiming; billed: string[]; notBilled: string[] }[] = [
    {
      name: 'calendar weekly: Mondays',
      timing: timing('weekly', 'calendar', '2022-06-22'),
      billed: ['2022-06-27', '2022-07-04'],
      notBilled: ['2022-06-26', '2022-06-28', '2022-07-03'],
    },
    {
      name: 'calendar monthly: the 1st',
      timing: timing('monthly', 'calendar', '2022-01-15'),
      billed: ['2022-02-01', '2022-03-01', '2023-01-01'],
      notBilled: ['2022-01-31', '2022-02-28', '2022-02-15'],
    },
    {
      name: 'calendar quarterly: Jan, Apr, Jul, Oct 1st',
      timing: timing('quarterly', 'calendar', '2022-01-15'),
      billed: ['2022-04-01', '2022-07-01', '2022-10-01', '2023-01-01'],
      notBilled: ['2022-02-01', '2022-05-01', '2022-03-31'],
    },
    {
      name: 'calendar semiannual: Jan and Jul 1st',
      timing: timing('semiannual', 'calendar', '2022-01-15'),
      billed: ['2022-07-01', '2023-01-01'],
      notBilled: ['2022-04-01', '2022-10-01', '2022-02-01'],
    },
    {
      name: 'calendar yearly: Jan 1st',
      timing: timing('yearly', 'calendar', '2022-01-15'),
      billed: ['2023-01-01', '2024-01-01'],
      notBilled: ['2022-07-01', '2023-02-01'],
    },
    {
      name: 'calendar yearly with monthly charges: every 1st',
      timing: timing('yearly', 'calendar', '2022-01-15', { billChargesMonthly: true }),
      billed: ['2022-02-01', '2022-03-01', '2023-01-01'],
      notBilled: ['2022-02-15', '2022-01-31'],
    },
    {
      name: 'calendar semiannual with monthly fixed charges: every 1st',
      timing: timing('semiannual', 'calendar', '2022-01-15', { billFixedChargesMonthly: true }),
      billed: ['2022-02-01', '2022-05-01'],
      notBilled: ['2022-05-02'],
    },
    {
      name: 'anniversary weekly: the subscription weekday (Wednesday)',
      timing: timing('weekly', 'anniversary', '2022-06-22'),
      billed: ['2022-06-29', '2022-07-06'],
      notBilled: ['2022-06-27', '2022-06-30'],
    },
    {
      name: 'anniversary monthly day 31: clamped to short months, never the 28th of March',
      timing: timing('monthly', 'anniversary', '2022-01-31'),
      billed: ['2022-02-28', '2022-03-31', '2022-04-30', '2022-05-31', '2022-06-30', '2024-02-29'],
      notBilled: ['2022-03-28', '2022-03-30', '2022-05-30', '2024-02-28', '2022-04-29'],
    },
    {
      name: 'anniversary monthly day 30: Feb 28, then the 30th',
      timing: timing('monthly', 'anniversary', '2022-01-30'),
      billed: ['2022-02-28', '2022-03-30', '2022-04-30', '2024-02-29'],
      notBilled: ['2022-03-31', '2022-03-28', '2024-02-28'],
    },
    {
      name: 'anniversary monthly day 29: Feb 28 in a common year, Feb 29 in a leap year',
      timing: timing('monthly', 'anniversary', '2022-01-29'),
      billed: ['2022-02-28', '2022-03-29', '2024-02-29'],
      notBilled: ['2024-02-28', '2022-03-28'],
    },
    {
      name: 'anniversary monthly day 28 is never clamped',
      timing: timing('monthly', 'anniversary', '2022-01-28'),
      billed: ['2022-02-28', '2024-02-28', '2022-03-28'],
      notBilled: ['2024-02-29', '2022-03-31'],
    },
    {
      name: 'anniversary quarterly day 31 from January',
      timing: timing('quarterly', 'anniversary', '2022-01-31'),
      billed: ['2022-04-30', '2022-07-31', '2022-10-31', '2023-01-31'],
      notBilled: ['2022-02-28', '2022-06-30', '2022-07-30', '2022-05-31'],
    },
    {
      name: 'anniversary quarterly day 30 from November',
      timing: timing('quarterly', 'anniversary', '2021-11-30'),
      billed: ['2022-02-28', '2022-05-30', '2022-08-30', '2022-11-30'],
      notBilled: ['2022-03-30', '2022-05-31', '2022-06-30'],
    },
    {
      name: 'anniversary semiannual day 31 from January: Apr 30 is no billing day',
      timing: timing('semiannual', 'anniversary', '2021-01-31'),
      billed: ['2021-07-31', '2022-01-31'],
      notBilled: ['2021-04-30', '2021-06-30', '2021-02-28'],
    },
    {
      name: 'anniversary semiannual day 31 with monthly charges: every clamped anniversary',
      timing: timing('semiannual', 'anniversary', '2021-01-31', { billChargesMonthly: true }),
      billed: ['2021-02-28', '2021-04-30', '2021-06-30', '2021-07-31'],
      notBilled: ['2021-04-29', '2021-05-30'],
    },
    {
      name: 'anniversary yearly from Feb 29: Feb 28 of common years, Feb 29 of leap years',
      timing: timing('yearly', 'anniversary', '2024-02-29'),
      billed: ['2025-02-28', '2026-02-28', '2027-02-28', '2028-02-29'],
      notBilled: ['2025-03-01', '2028-02-28', '2025-02-27'],
    },
    {
      name: 'anniversary yearly from Feb 28 bills Feb 28, even in a leap year',
      timing: timing('yearly', 'anniversary', '2023-02-28'),
      billed: ['2024-02-28', '2025-02-28'],
      notBilled: ['2024-02-29'],
    },
    {
      name: 'anniversary yearly with monthly charges: every monthly anniversary',
      timing: timing('yearly', 'anniversary', '2024-01-31', { billChargesMonthly: true }),
      billed: ['2024-02-29', '2024-03-31', '2024-04-30', '2025-01-31'],
      notBilled: ['2024-03-30', '2024-02-28'],
    },
    {
      name: 'anniversary monthly in Tokyo reads the anniversary in local time',
      timing: {
        interval: 'monthly',
        billingTime: 'anniversary',
        // Jan 31 01:00 in Tokyo, still Jan 30 in UTC.
        subscriptionAt: Temporal.Instant.from('2022-01-30T16:00:00Z'),
        startedAt: Temporal.Instant.from('2022-01-30T16:00:00Z'),
        timeZone: 'Asia/Tokyo',
      },
      billed: ['2022-02-28', '2022-03-31'],
      notBilled: ['2022-03-30'],
    },
    {
      name: 'never on or before the start day',
      timing: timing('monthly', 'calendar', '2022-03-01'),
      billed: ['2022-04-01'],
      notBilled: ['2022-03-01', '2022-02-01'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      for (const day of c.billed) assert.equal(isBillingDay(c.timing, date(day)), true, `${day} should be billed`);
      for (const day of c.notBilled) assert.equal(isBillingDay(c.timing, date(day)), false, `${day} should not be billed`);
    });
  }

  test('opensBillingPeriod tells subscription-fee days from monthly charge days', () => {
    const t = timing('yearly', 'anniversary', '2024-01-31', { billChargesMonthly: true });
    assert.equal(opensBillingPeriod(t, date('2024-02-29')), false);
    assert.equal(opensBillingPeriod(t, date('2025-01-31')), true);
    assert.equal(opensBillingPeriod(timing('yearly', 'anniversary', '2024-02-29'), date('2025-02-28')), true);
  });
});

/**
 * Lago's biller selection (`Subscriptions::BillingDateQuery`), restated independently from the period code: on the
 * last day of a month every subscription day at or after today matches; quarterly and semiannual plans also need a
 * billing month; a yearly plan bills its month, with Feb 28 of a common year taking days 28 and 29.
 */
const billerSelects = (
  interval: Interval,
  billingTime: BillingTime,
  anchor: Temporal.PlainDate,
  monthly: boolean,
  today: Temporal.PlainDate,
): boolean => {
  const lastDay = new Date(Date.UTC(today.year, today.month, 0)).getUTCDate();
  const dayMatches = today.day === lastDay ? anchor.day >= today.day : anchor.day === today.day;
  const longPlan = interval === 'yearly' || interval === 'semiannual';
  if (billingTime === 'calendar') {
    if (interval === 'weekly') return today.dayOfWeek === 1;
    if (today.day !== 1) return false;
    if (monthly && longPlan) return true;
    const every = { monthly: 1, quarterly: 3, semiannual: 6, yearly: 12 }[interval];
    return (today.month - 1) % every === 0;
  }
  if (interval === 'weekly') return today.dayOfWeek === anchor.dayOfWeek;
  if (monthly && longPlan) return dayMatches;
  if (interval === 'monthly') return dayMatches;
  if (interval === 'quarterly') return (today.month - anchor.month + 12) % 3 === 0 && dayMatches;
  if (interval === 'semiannual') return (today.month - anchor.month + 12) % 6 === 0 && dayMatches;
  const commonFeb28 = today.month === 2 && today.day === 28 && lastDay === 28;
  return today.month === anchor.month && (commonFeb28 ? [28, 29].includes(anchor.day) : anchor.day === today.day);
};

describe("isBillingDay agrees with Lago's biller rule and with period starts, day by day over three years", () => {
  const anchors = ['2022-01-31', '2021-11-30', '2022-01-29', '2024-02-29', '2023-02-28', '2022-06-22', '2022-01-01', '2021-08-31'];
  const zones = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'];
  for (const interval of INTERVALS) {
    for (const billingTime of BILLING_TIMES) {
      for (const monthly of [false, true]) {
        if (monthly && interval !== 'yearly' && interval !== 'semiannual') continue;
        test(`${interval} ${billingTime}${monthly ? ' with monthly charges' : ''}`, () => {
          anchors.forEach((anchorDay, i) => {
            // The zone only moves which local date the anchor is; one zone per anchor keeps the run short.
            const timeZone = zones[i % zones.length]!;
            const t = timing(interval, billingTime, anchorDay, { timeZone, billChargesMonthly: monthly });
            const anchor = date(anchorDay);
            const billed: string[] = [];
            for (let day = anchor.add({ days: 1 }); day.year < anchor.year + 3; day = day.add({ days: 1 })) {
              const expected = billerSelects(interval, billingTime, anchor, monthly, day);
              assert.equal(isBillingDay(t, day), expected, `${timeZone} ${anchorDay} on ${day}`);
              if (expected) billed.push(day.toString());
            }
            if (monthly) return;
            // Without monthly charges the billing days are exactly the period starts after the start day.
            const starts: string[] = [];
            for (let p = periodAfter(t, periodOnDate(t, anchor)); p.startDate.year < anchor.year + 3; p = periodAfter(t, p)) {
              starts.push(p.startDate.toString());
              assert.ok(starts.length <= billed.length, `${timeZone} ${anchorDay}: more period starts than billing days`);
            }
            assert.deepEqual(starts, billed, `${timeZone} ${anchorDay}`);
          });
        });
      }
    }
  }
});
