import type { Temporal } from 'temporal-polyfill';
import { anchorOf, CALENDAR_ANCHOR, periodDatesContaining, type Anchor, type DateRange } from './dates.ts';
import type { BillingPeriod, Interval, SubscriptionTiming } from './types.ts';
import { localDateAt, startOfLocalDay } from './zone.ts';

/**
 * The anchor of a subscription's periods; anniversary anchors are read in the customer's zone.
 *
 * @example
 * // subscription_at 2021-02-02T00:00Z, America/New_York, anniversary: Feb 1 locally (a Monday).
 * anchorFor(nyAnniversary) // { month: 2, day: 1, dayOfWeek: 1 }
 * anchorFor(anyCalendarTiming) // { month: 1, day: 1, dayOfWeek: 1 }
 */
export const anchorFor = (timing: SubscriptionTiming): Anchor =>
  timing.billingTime === 'calendar' ? CALENDAR_ANCHOR : anchorOf(localDateAt(timing.subscriptionAt, timing.timeZone));

/**
 * The interval of the charge periods: yearly and semiannual plans with `billChargesMonthly` bill charges on monthly
 * periods with the same anchor; every other plan on its own interval.
 *
 * @example
 * chargesInterval({ ...yearlyTiming, billChargesMonthly: true }) // 'monthly'
 * chargesInterval({ ...monthlyTiming, billChargesMonthly: true }) // 'monthly' (its own interval; the flag is ignored)
 */
export const chargesInterval = (timing: SubscriptionTiming): Interval =>
  timing.billChargesMonthly && (timing.interval === 'yearly' || timing.interval === 'semiannual')
    ? 'monthly'
    : timing.interval;

const toPeriod = ({ startDate, endDate }: DateRange, timeZone: string): BillingPeriod => {
  const toExclusive = startOfLocalDay(endDate.add({ days: 1 }), timeZone);
  // Same instant as endOfLocalDay(endDate), without converting the day twice.
  const to = toExclusive.subtract({ milliseconds: 1 });
  return { startDate, endDate, from: startOfLocalDay(startDate, timeZone), to, toExclusive };
};

/**
 * The period of `interval` (default: the plan's) holding a local date of the customer's zone.
 *
 * @example
 * // Quarterly anniversary from 2022-01-31: Jul 30 still belongs to the quarter opened on the clamped Apr 30.
 * periodOnDate(quarterly31, Temporal.PlainDate.from('2022-07-30')) // startDate 2022-04-30, endDate 2022-07-30
 */
export const periodOnDate = (
  timing: SubscriptionTiming,
  date: Temporal.PlainDate,
  interval: Interval = timing.interval,
): BillingPeriod => toPeriod(periodDatesContaining(interval, anchorFor(timing), date), timing.timeZone);

/**
 * The whole billing period holding an instant, in the customer's zone, never clamped to `startedAt` (the windows in
 * windows.ts do that). `from` is 00:00 local of the first day and `to` is 23:59:59.999 local of the last day, inclusive.
 *
 * @example
 * // Anniversary monthly from 2022-01-31 (UTC): Jan 31→Feb 27, Feb 28→Mar 30, Mar 31→Apr 29, Apr 30→May 30.
 * periodContaining({ interval: 'monthly', billingTime: 'anniversary', subscriptionAt: jan31, startedAt: jan31,
 *   timeZone: 'UTC' }, Temporal.Instant.from('2022-03-15T12:00:00Z'))
 * // → { startDate: 2022-02-28, endDate: 2022-03-30, from: 2022-02-28T00:00:00Z, to: 2022-03-30T23:59:59.999Z,
 * //     toExclusive: 2022-03-31T00:00:00Z }
 */
export const periodContaining = (
  timing: SubscriptionTiming,
  instant: Temporal.Instant,
  interval: Interval = timing.interval,
): BillingPeriod => periodOnDate(timing, localDateAt(instant, timing.timeZone), interval);

/**
 * The period just before one.
 *
 * @example
 * // Yearly anniversary from 2024-02-29: before 2025-02-28→2026-02-27 comes 2024-02-29→2025-02-27.
 */
export const periodBefore = (
  timing: SubscriptionTiming,
  period: BillingPeriod,
  interval: Interval = timing.interval,
): BillingPeriod => periodOnDate(timing, period.startDate.subtract({ days: 1 }), interval);

/**
 * The period just after one; its `from` is this period's `toExclusive`.
 *
 * @example
 * // Quarterly anniversary from 2022-01-31: after 2022-01-31→2022-04-29 comes 2022-04-30→2022-07-30.
 */
export const periodAfter = (
  timing: SubscriptionTiming,
  period: BillingPeriod,
  interval: Interval = timing.interval,
): BillingPeriod => periodOnDate(timing, period.endDate.add({ days: 1 }), interval);

/**
 * The period an invoice issued at `billingAt` covers in arrears: the one before the period holding the billing
 * instant's local date. Lago bills at the start of the next period, and reads the billing timestamp in the customer's
 * zone first. This is the subscription fee of a pay-in-arrears plan and the charges of any plan (see
 * `invoiceBoundaries` for the clamped windows and pay-in-advance plans).
 *
 * @example
 * // Calendar monthly, America/New_York, billed at 2022-03-01T00:00Z: locally still Feb 28, so January is billed:
 * previousPeriodForBillingAt(nyCalendarMonthly, Temporal.Instant.from('2022-03-01T00:00:00Z'))
 * // → from 2022-01-01T05:00:00Z, to 2022-02-01T04:59:59.999Z (printed 2022-02-01T04:59:59Z)
 */
export const previousPeriodForBillingAt = (
  timing: SubscriptionTiming,
  billingAt: Temporal.Instant,
  interval: Interval = timing.interval,
): BillingPeriod => periodBefore(timing, periodContaining(timing, billingAt, interval), interval);
