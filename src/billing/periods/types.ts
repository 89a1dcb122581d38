import type { Temporal } from 'temporal-polyfill';

/** A plan's billing interval, as Lago names it. */
export type Interval = 'weekly' | 'monthly' | 'quarterly' | 'semiannual' | 'yearly';

/** Calendar periods follow calendar units; anniversary periods follow the subscription date. */
export type BillingTime = 'calendar' | 'anniversary';

export const INTERVALS: readonly Interval[] = ['weekly', 'monthly', 'quarterly', 'semiannual', 'yearly'];
export const BILLING_TIMES: readonly BillingTime[] = ['calendar', 'anniversary'];

/** What the period rules need to know about a subscription, its plan and its customer. */
export interface SubscriptionTiming {
  interval: Interval;
  billingTime: BillingTime;
  /**
   * The anniversary anchor. Its date in `timeZone` (not in UTC) gives the anniversary day of month, month and weekday:
   * 2021-02-02T00:00Z seen from America/New_York is Feb 1, so a New York customer's anniversary is the 1st.
   */
  subscriptionAt: Temporal.Instant;
  /** When the subscription really began; it only clamps the first period. An upgrade keeps `subscriptionAt` and gets a new `startedAt`. */
  startedAt: Temporal.Instant;
  /** The customer's applicable IANA zone (customer, else billing entity/organization, else UTC). Must be a valid zone. */
  timeZone: string;
  /** Yearly and semiannual plans only: usage charges are billed on monthly periods. Ignored for the other intervals. */
  billChargesMonthly?: boolean;
  /** Yearly and semiannual plans only: fixed charges are billed monthly. Only moves billing days here. */
  billFixedChargesMonthly?: boolean;
}

/**
 * One billing period: whole local days of the customer's zone.
 *
 * `to` is inclusive, like Lago's `end_of_day`: the last millisecond of the last local day (23:59:59.999 local). Lago
 * stores 23:59:59.999999 and prints `23:59:59Z`; `isoSeconds(instantToDate(to))` prints the same, and the millisecond
 * survives a round trip through `Date` and `timestamptz` unchanged. Filter events with the half-open
 * `[from, toExclusive)` so that no sub-millisecond timestamp can fall between two periods.
 */
export interface BillingPeriod {
  /** First local day of the period. */
  startDate: Temporal.PlainDate;
  /** Last local day of the period (inclusive). */
  endDate: Temporal.PlainDate;
  /** 00:00 local of `startDate` (the first instant of that day when a DST jump skips midnight). */
  from: Temporal.Instant;
  /** 23:59:59.999 local of `endDate`, inclusive. */
  to: Temporal.Instant;
  /** 00:00 local of the day after `endDate`: the next period's `from`. */
  toExclusive: Temporal.Instant;
}

/** The subscription-fee and charge windows of an invoice or of a current-usage query, clamped to `startedAt`. */
export interface BillingWindows {
  /** The billing instant's date in the customer's zone, which every rule works from. */
  billingDate: Temporal.PlainDate;
  /** The whole subscription-fee period, unclamped: prorate on `daysInPeriod(period)`. */
  period: BillingPeriod;
  /** Subscription-fee window: `period.from`, or 00:00 local of the start day in the first period. */
  fromDatetime: Temporal.Instant;
  /** Subscription-fee window end (inclusive), or `startedAt` when the period ended before the start. */
  toDatetime: Temporal.Instant;
  /** The whole charges period, unclamped (monthly with `billChargesMonthly`). */
  chargesPeriod: BillingPeriod;
  /** Charge window: `chargesPeriod.from`, or the exact `startedAt` instant in the first period. */
  chargesFromDatetime: Temporal.Instant;
  /** Charge window end (inclusive), or `startedAt` when the period ended before the start. */
  chargesToDatetime: Temporal.Instant;
  /** Exclusive end of the charge window, for event queries `timestamp >= from AND timestamp < toExclusive`. */
  chargesToExclusive: Temporal.Instant;
  /** Days of the whole charges period (Lago's `charges_duration`), used to prorate charges and minimums. */
  chargesDurationDays: number;
}
