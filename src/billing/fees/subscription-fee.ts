import { Temporal } from 'temporal-polyfill';
import { billedDays, daysInPeriod, type BillingPeriod } from '../periods/index.ts';
import { Decimal } from '../../lib/money.ts';

export interface SubscriptionFeeInput {
  /** The plan's amount for a whole period, in minor units. */
  amountCents: bigint;
  /** The whole period the fee belongs to: its day count divides the amount. */
  period: BillingPeriod;
  /** The billed window: from (00:00 local of the first billed day) to its last instant, inclusive. */
  from: Temporal.Instant;
  to: Temporal.Instant;
  timeZone: string;
  /** The end of a free trial; the days before it are free. */
  trialEndsAt: Temporal.Instant | null;
  /** Bill the whole amount whatever the window (Lago's cases where no proration applies). */
  fullAmount: boolean;
}

export interface SubscriptionFee {
  amountCents: bigint;
  /** Unrounded, in minor units. */
  preciseAmountCents: Decimal;
  /** The days billed, when prorated; the whole period's otherwise. */
  days: number;
}

const later = (a: Temporal.Instant, b: Temporal.Instant) => (Temporal.Instant.compare(a, b) >= 0 ? a : b);

/**
 * A subscription fee as Lago computes it (`Fees::SubscriptionService`): the whole amount for a whole period, else the
 * billed local days times the price of one day of the whole period (`amount / days in period`), rounded once, half away
 * from zero. Trial days are free: billing starts at the trial's end, and a trial covering the window bills nothing.
 *
 * @example
 * // 100.00 EUR a month, started 2022-03-15 (UTC): 17 days × 10000/31 = 5483.87… → 5484 cents.
 * // The same plan with a 3-day trial from 2022-03-01: 28 days × 10000/31 = 9032.25… → 9032 cents.
 */
export const subscriptionFee = (input: SubscriptionFeeInput): SubscriptionFee => {
  const periodDays = daysInPeriod(input.period);
  const amount = new Decimal(input.amountCents.toString());
  const from = input.trialEndsAt ? later(input.from, input.trialEndsAt) : input.from;
  const trialCut = from !== input.from;
  if (Temporal.Instant.compare(from, input.to) > 0) return { amountCents: 0n, preciseAmountCents: new Decimal(0), days: 0 };
  if (input.fullAmount && !trialCut) return { amountCents: input.amountCents, preciseAmountCents: amount, days: periodDays };
  const days = Math.min(billedDays(from, input.to, input.timeZone), periodDays);
  const precise = amount.div(periodDays).mul(days);
  return { amountCents: BigInt(precise.toDecimalPlaces(0).toFixed(0)), preciseAmountCents: precise, days };
};
