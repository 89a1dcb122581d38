import { Temporal } from 'temporal-polyfill';
import { chargesInterval, periodBefore, periodOnDate } from './periods.ts';
import { daysInPeriod } from './proration.ts';
import type { BillingPeriod, BillingWindows, SubscriptionTiming } from './types.ts';
import { localDateAt, startOfLocalDay } from './zone.ts';

const isBefore = (a: Temporal.Instant, b: Temporal.Instant): boolean => Temporal.Instant.compare(a, b) < 0;

/**
 * Clamps whole periods to the subscription's start, as Lago does for the first period: the subscription-fee window
 * opens at 00:00 local of the start day (a fee is prorated by whole days), the charge window at the exact start
 * instant (events before it belong to no one). An end before the start collapses onto the start.
 */
const clampToStart = (
  timing: SubscriptionTiming,
  billingDate: Temporal.PlainDate,
  period: BillingPeriod,
  chargesPeriod: BillingPeriod,
): BillingWindows => {
  const { startedAt, timeZone } = timing;
  const fromDatetime = isBefore(period.from, startedAt)
    ? startOfLocalDay(localDateAt(startedAt, timeZone), timeZone)
    : period.from;
  const toDatetime = isBefore(period.to, startedAt) ? startedAt : period.to;
  const chargesFromDatetime = isBefore(chargesPeriod.from, startedAt) ? startedAt : chargesPeriod.from;
  const chargesEnded = isBefore(chargesPeriod.to, startedAt);
  return {
    billingDate,
    period,
    fromDatetime,
    toDatetime,
    chargesPeriod,
    chargesFromDatetime,
    chargesToDatetime: chargesEnded ? startedAt : chargesPeriod.to,
    chargesToExclusive: chargesEnded ? startedAt : chargesPeriod.toExclusive,
    chargesDurationDays: daysInPeriod(chargesPeriod),
  };
};

/**
 * The windows of a periodic invoice issued at `billingAt` (a billing day, normally the start of a period), for a
 * subscription that is not terminated:
 * - subscription fee: pay in advance bills the period that starts (holds the billing date); pay in arrears bills the
 *   period before it;
 * - charges are always billed in arrears: the period before the one holding the billing date, or the previous monthly
 *   period with `billChargesMonthly` (yearly and semiannual plans).
 * The first period is clamped to `startedAt` (see `BillingWindows`). On a pay-in-advance subscription's first invoice
 * (billed at `startedAt`) the charge window collapses to the start instant: nothing to charge yet.
 *
 * Which fees an invoice actually carries (e.g. no subscription fee on the monthly charge invoices of a yearly plan) is
 * the invoice's business: see `opensBillingPeriod`.
 *
 * @example
 * // Anniversary monthly, UTC, started 2024-01-31T01:00Z, pay in arrears, billed 2024-02-29T02:00Z:
 * // fromDatetime 2024-01-31T00:00Z, toDatetime 2024-02-28T23:59:59.999Z,
 * // chargesFromDatetime 2024-01-31T01:00Z, chargesToDatetime 2024-02-28T23:59:59.999Z.
 * // Same subscription pay in advance, billed 2024-02-29T02:00Z: fee 2024-02-29 → 2024-03-30, charges Jan 31 → Feb 28.
 */
export const invoiceBoundaries = (
  timing: SubscriptionTiming,
  billingAt: Temporal.Instant,
  options: { payInAdvance: boolean },
): BillingWindows => {
  const billingDate = localDateAt(billingAt, timing.timeZone);
  const current = periodOnDate(timing, billingDate);
  const period = options.payInAdvance ? current : periodBefore(timing, current);
  const monthlyCharges = chargesInterval(timing);
  const chargesPeriod =
    monthlyCharges === timing.interval
      ? periodBefore(timing, current)
      : periodBefore(timing, periodOnDate(timing, billingDate, monthlyCharges), monthlyCharges);
  return clampToStart(timing, billingDate, period, chargesPeriod);
};

export interface CurrentUsageWindow extends BillingWindows {
  /**
   * Lago's `issuing_date` of current usage: the UTC date of the period's last instant (`next_end_of_period`), so for a
   * zone west of UTC it is the day after the last local day (New York, March → 2022-04-01).
   */
  issuingDate: Temporal.PlainDate;
}

/**
 * The window of `GET /customers/{id}/current_usage` at `now`: the period holding now's local date, whether the plan
 * is paid in advance or in arrears. The response's `from_datetime`/`to_datetime` are `chargesFromDatetime` and
 * `chargesToDatetime` (the exact `startedAt` in the first period; the current month with `billChargesMonthly`).
 *
 * @example
 * // Anniversary monthly from 2022-03-07 (UTC) queried 2022-06-22:
 * // chargesFromDatetime 2022-06-07T00:00Z, chargesToDatetime 2022-07-06T23:59:59.999Z, issuingDate 2022-07-06.
 * // Calendar monthly, America/New_York, queried 2022-03-15: to 2022-04-01T03:59:59.999Z, issuingDate 2022-04-01.
 */
export const currentUsageWindow = (timing: SubscriptionTiming, now: Temporal.Instant): CurrentUsageWindow => {
  const billingDate = localDateAt(now, timing.timeZone);
  const period = periodOnDate(timing, billingDate);
  const chargesPeriod = periodOnDate(timing, billingDate, chargesInterval(timing));
  const windows = clampToStart(timing, billingDate, period, chargesPeriod);
  return { ...windows, issuingDate: localDateAt(period.to, 'UTC') };
};
