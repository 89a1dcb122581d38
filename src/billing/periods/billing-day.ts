import { Temporal } from 'temporal-polyfill';
import { periodDatesContaining, type Anchor } from './dates.ts';
import { anchorFor } from './periods.ts';
import type { Interval, SubscriptionTiming } from './types.ts';
import { localDateAt } from './zone.ts';

// Works on local dates only: the biller asks this of every subscription every day, no instant is needed.
const opensWith = (anchor: Anchor, date: Temporal.PlainDate, interval: Interval): boolean =>
  periodDatesContaining(interval, anchor, date).startDate.equals(date);

const opens = (timing: SubscriptionTiming, date: Temporal.PlainDate, interval: Interval): boolean =>
  opensWith(anchorFor(timing), date, interval);

/**
 * Whether a local date opens a subscription-fee period: a calendar Monday / 1st / quarter or half start / Jan 1, or the
 * clamped anniversary (on the last day of a short month, every anniversary day at or after it). On a yearly or
 * semiannual plan with monthly charges, a billing day that does not open a period bills charges only.
 *
 * @example
 * // Yearly anniversary from 2024-02-29: 2025-02-28 opens a period, 2025-03-01 does not.
 * opensBillingPeriod(yearlyLeap, Temporal.PlainDate.from('2025-02-28')) // true
 */
export const opensBillingPeriod = (timing: SubscriptionTiming, date: Temporal.PlainDate): boolean =>
  opens(timing, date, timing.interval);

/**
 * Whether the biller bills this subscription on a local date (the customer's today):
 * - calendar: weekly on Mondays, monthly on the 1st, quarterly on Jan/Apr/Jul/Oct 1st, semiannual on Jan/Jul 1st,
 *   yearly on Jan 1st;
 * - anniversary: weekly on `subscriptionAt`'s weekday; otherwise on the anniversary day in a billing month, clamped to
 *   the month's length, so on the last day of a short month every subscription whose day is at or after today is billed
 *   (Apr 30 bills days 30 and 31; a common year's Feb 28 bills yearly days 28 and 29);
 * - yearly and semiannual plans with `billChargesMonthly` or `billFixedChargesMonthly` are billed on every monthly
 *   (calendar 1st or clamped anniversary) day as well;
 * - never on or before the local day the subscription started (it was just created; pay-in-advance plans are invoiced
 *   at creation instead).
 * The biller also skips a subscription whose `ending_at` falls on today; that date is not part of the timing.
 *
 * @example
 * // Monthly anniversary from 2022-01-31, UTC: billed 2022-02-28, 2022-03-31, 2022-04-30, never 2022-03-28.
 * isBillingDay(monthly31, Temporal.PlainDate.from('2022-02-28')) // true
 */
export const isBillingDay = (timing: SubscriptionTiming, date: Temporal.PlainDate): boolean => {
  if (Temporal.PlainDate.compare(date, localDateAt(timing.startedAt, timing.timeZone)) <= 0) return false;
  const anchor = anchorFor(timing);
  if (opensWith(anchor, date, timing.interval)) return true;
  const longPlan = timing.interval === 'yearly' || timing.interval === 'semiannual';
  const monthlyBilling = timing.billChargesMonthly === true || timing.billFixedChargesMonthly === true;
  return longPlan && monthlyBilling && opensWith(anchor, date, 'monthly');
};
