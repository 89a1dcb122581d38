// Billing periods: calendar and anniversary boundaries per interval in the customer's zone, the windows of invoices and
// current usage, billing days and proration day counts. Pure functions over Temporal values; no clock, no I/O.
export { isBillingDay, opensBillingPeriod } from './billing-day.ts';
export { anniversaryIn, type Anchor, type DateRange } from './dates.ts';
export {
  anchorFor,
  chargesInterval,
  periodAfter,
  periodBefore,
  periodContaining,
  periodOnDate,
  previousPeriodForBillingAt,
} from './periods.ts';
export { billedDays, daysInPeriod, yearlyAmountFactor } from './proration.ts';
export {
  BILLING_TIMES,
  INTERVALS,
  type BillingPeriod,
  type BillingTime,
  type BillingWindows,
  type Interval,
  type SubscriptionTiming,
} from './types.ts';
export { currentUsageWindow, invoiceBoundaries, type CurrentUsageWindow } from './windows.ts';
export { endOfLocalDay, localDateAt, startOfLocalDay } from './zone.ts';
