import type { Temporal } from 'temporal-polyfill';
import { isBillingDay } from './billing-day.ts';
import { periodOnDate } from './periods.ts';
import type { Interval, SubscriptionTiming } from './types.ts';

/**
 * The first local date after `after` on which the biller bills this subscription (see `isBillingDay`): the start of
 * the next period of its interval, or of the next monthly period when a yearly or semiannual plan bills charges or
 * fixed charges monthly. Clamped anniversaries come out as Lago bills them (day 31: Feb 28, Mar 31, Apr 30).
 *
 * @example
 * // Monthly anniversary from 2022-01-31 (UTC), after 2022-02-01: 2022-02-28; after 2022-02-28: 2022-03-31.
 * // Calendar yearly with billChargesMonthly, after 2024-03-05: 2024-04-01.
 */
export const nextBillingDate = (timing: SubscriptionTiming, after: Temporal.PlainDate): Temporal.PlainDate => {
  const intervals: Interval[] = [timing.interval];
  const longPlan = timing.interval === 'yearly' || timing.interval === 'semiannual';
  if (longPlan && (timing.billChargesMonthly || timing.billFixedChargesMonthly)) intervals.push('monthly');
  let date = after;
  // A period's day after its end opens the next period; the loop only repeats for the days isBillingDay refuses
  // (on or before the start day), which the next period's start then passes.
  for (;;) {
    const candidates = intervals.map((interval) => periodOnDate(timing, date, interval).endDate.add({ days: 1 }));
    date = candidates.reduce((a, b) => (a.until(b).sign < 0 ? b : a));
    if (isBillingDay(timing, date)) return date;
  }
};
