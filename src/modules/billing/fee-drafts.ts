import { Temporal } from 'temporal-polyfill';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { subscriptionFee } from '../../billing/fees/subscription-fee.ts';
import {
  billedDays,
  chargesInterval,
  currentUsageWindow,
  daysInPeriod,
  invoiceBoundaries,
  isBillingDay,
  localDateAt,
  opensBillingPeriod,
  periodContaining,
  startOfLocalDay,
  type BillingPeriod,
  type BillingTime,
  type Interval,
  type SubscriptionTiming,
} from '../../billing/periods/index.ts';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { Decimal, subunitToUnit } from '../../lib/money.ts';
import { dateToInstant, instantToDate } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { createBatchedWindowReader } from '../metering/usage-reader.ts';
import type { Plan, PlanDetails } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import type { Tax } from '../taxes/types.ts';
import { chargeUsageLines } from '../usage/charge-usage.ts';
import { declaredFilterValues, metricsByIds } from '../usage/repository.ts';
import { cached, type RunCache } from './run-cache.ts';

export type InvoicingReason = 'subscription_starting' | 'subscription_periodic' | 'subscription_terminating' | 'progressive_billing';

/** One subscription's part of an invoice: why, and at which instant. */
export interface BillingItem {
  subscription: Subscription;
  details: PlanDetails;
  reason: InvoicingReason;
  /** The billing instant: a billing day's start, the subscription's start, or its termination. */
  at: Temporal.Instant;
  /** A termination by a plan change: the day of the change belongs to the new plan. */
  planChange?: boolean;
  /**
   * Only the pay-in-advance charges that are not invoiceable, whose recurring units carried into the period that opens
   * are billed again (as fees on no invoice): no subscription fee, no other charge.
   */
  inAdvanceStandalone?: boolean;
}

/** A fee before the invoice's coupons and taxes. */
export interface FeeDraft {
  key: string;
  feeType: 'subscription' | 'charge' | 'commitment' | 'add_on';
  /** Null for a one-off fee. */
  subscriptionId: string | null;
  addOnId?: string | null;
  description?: string | null;
  chargeId: string | null;
  chargeFilterId: string | null;
  billableMetricId: string | null;
  trueUpParentKey: string | null;
  groupedBy: Record<string, string | null>;
  invoiceDisplayName: string | null;
  amountCents: bigint;
  /** Unrounded, in minor units. */
  preciseAmountCents: Decimal;
  units: Decimal;
  totalAggregatedUnits: Decimal | null;
  eventsCount: number;
  /** In major units. */
  preciseUnitAmount: Decimal;
  amountDetails: Record<string, unknown>;
  payInAdvance: boolean;
  fromDatetime: Temporal.Instant;
  toDatetime: Temporal.Instant;
  /** The taxes of the fee's own object (charge or commitment); the plan's, customer's and organization's come after. */
  ownTaxes: Tax[];
  /** A pay-in-advance charge's fee for one event: the event, and the charge's running aggregation after it. */
  inAdvance?: { eventId: string; eventTransactionId: string; level: string | null; max: string | null };
}

/** The windows an invoice shows for one subscription (`billing_periods[]`). */
export interface ItemWindows {
  billingDate: Temporal.PlainDate;
  fromDatetime: Temporal.Instant | null;
  toDatetime: Temporal.Instant | null;
  chargesFromDatetime: Temporal.Instant | null;
  chargesToDatetime: Temporal.Instant | null;
}

export const timingOf = (subscription: Subscription, plan: Plan, timeZone: string): SubscriptionTiming => ({
  interval: plan.interval as Interval,
  billingTime: subscription.billingTime as BillingTime,
  subscriptionAt: dateToInstant(subscription.subscriptionAt),
  startedAt: dateToInstant(subscription.startedAt ?? subscription.subscriptionAt),
  timeZone,
  billChargesMonthly: plan.billChargesMonthly ?? false,
  billFixedChargesMonthly: plan.billFixedChargesMonthly ?? false,
});

/** The end of the free trial, if the plan has one: `trial_period` days after the start. */
export const trialEndOf = (subscription: Subscription, plan: Plan): Temporal.Instant | null => {
  const days = plan.trialPeriod ?? 0;
  if (days <= 0 || !subscription.startedAt) return null;
  return dateToInstant(subscription.startedAt).add({ milliseconds: Math.round(days * 86_400_000) });
};

const isBefore = (a: Temporal.Instant, b: Temporal.Instant) => Temporal.Instant.compare(a, b) < 0;
const cents = (amount: Decimal, currency: string) => amount.mul(subunitToUnit(currency));

/**
 * Whether Lago bills the whole plan amount although the window is cut short at the start: an anniversary plan paid in
 * advance (not born of a plan change), or a plan paid in advance whose subscription was dated before the day it was
 * created.
 */
const fullAmountAtStart = (subscription: Subscription, details: PlanDetails, timeZone: string): boolean => {
  if (!details.plan.payInAdvance || subscription.previousSubscriptionId !== null) return false;
  if (subscription.billingTime === 'anniversary' && subscription.previousSubscriptionId === null) return true;
  const startDay = localDateAt(dateToInstant(subscription.subscriptionAt), timeZone);
  return Temporal.PlainDate.compare(startDay, localDateAt(dateToInstant(subscription.createdAt), timeZone)) < 0;
};

interface SubscriptionFeeWindow {
  period: BillingPeriod;
  from: Temporal.Instant;
  to: Temporal.Instant;
  full: boolean;
}

interface ChargesWindow {
  from: Temporal.Instant;
  to: Temporal.Instant;
  toExclusive: Temporal.Instant;
  durationDays: number;
}

/** Which windows an item bills: its subscription fee's (if any) and its charges' (if any). */
const windowsOf = (
  item: BillingItem,
  timing: SubscriptionTiming,
): { billingDate: Temporal.PlainDate; fee: SubscriptionFeeWindow | null; charges: ChargesWindow | null } => {
  const { subscription, details, at } = item;
  const plan = details.plan;
  const timeZone = timing.timeZone;
  if (item.reason === 'progressive_billing') {
    // Lago's progressive invoice bills the current period's usage so far: the current-usage window, no plan fee.
    const current = currentUsageWindow(timing, at);
    return {
      billingDate: localDateAt(at, timeZone),
      fee: null,
      charges: { from: current.chargesFromDatetime, to: current.chargesToDatetime, toExclusive: current.chargesToExclusive, durationDays: current.chargesDurationDays },
    };
  }
  if (item.reason === 'subscription_terminating') {
    const day = localDateAt(at, timeZone);
    if (Temporal.Instant.compare(at, startOfLocalDay(day, timeZone)) === 0 && isBillingDay(timing, day)) {
      // Ended right as a billing day starts (a downgrade, an ending date at midnight): Lago bills the period that just
      // ended, whole, as the periodic invoice would have.
      const windows = invoiceBoundaries(timing, at, { payInAdvance: false });
      return {
        billingDate: day,
        fee: plan.payInAdvance ? null : { period: windows.period, from: windows.fromDatetime, to: windows.toDatetime, full: true },
        charges: isBefore(windows.chargesFromDatetime, windows.chargesToExclusive)
          ? { from: windows.chargesFromDatetime, to: windows.chargesToDatetime, toExclusive: windows.chargesToExclusive, durationDays: windows.chargesDurationDays }
          : null,
      };
    }
    const period = periodContaining(timing, at);
    const startDay = startOfLocalDay(localDateAt(timing.startedAt, timeZone), timeZone);
    const from = isBefore(period.from, timing.startedAt) ? startDay : period.from;
    const chargesPeriod = periodContaining(timing, at, chargesInterval(timing));
    const chargesFrom = isBefore(chargesPeriod.from, timing.startedAt) ? timing.startedAt : chargesPeriod.from;
    return {
      billingDate: day,
      // Paid in advance, the period was billed at its start; what was not used comes back as a credit note.
      fee: plan.payInAdvance
        ? null
        : { period, from, to: item.planChange ? startOfLocalDay(day, timeZone).subtract({ milliseconds: 1 }) : at, full: false },
      charges: { from: chargesFrom, to: at, toExclusive: at.add({ milliseconds: 1 }), durationDays: daysInPeriod(chargesPeriod) },
    };
  }
  const windows = invoiceBoundaries(timing, at, { payInAdvance: plan.payInAdvance });
  const wholePeriod =
    Temporal.Instant.compare(windows.fromDatetime, windows.period.from) === 0 &&
    Temporal.Instant.compare(windows.toDatetime, windows.period.to) === 0;
  const billsFee = item.reason === 'subscription_starting' || opensBillingPeriod(timing, windows.billingDate);
  const fee = billsFee
    ? {
        period: windows.period,
        from: windows.fromDatetime,
        to: windows.toDatetime,
        full: wholePeriod || fullAmountAtStart(subscription, details, timeZone),
      }
    : null;
  const hasCharges = item.reason !== 'subscription_starting' && isBefore(windows.chargesFromDatetime, windows.chargesToExclusive);
  return {
    billingDate: windows.billingDate,
    fee,
    charges: hasCharges
      ? {
          from: windows.chargesFromDatetime,
          to: windows.chargesToDatetime,
          toExclusive: windows.chargesToExclusive,
          durationDays: windows.chargesDurationDays,
        }
      : null,
  };
};

/**
 * The fees one subscription adds to an invoice: its subscription fee (prorated as Lago prorates it) and one fee per
 * in-arrears charge, filter and pricing group over the charges window, with a true-up fee where a charge's spending
 * minimum (prorated to the days billed) was not reached.
 */
export const draftFees = async (
  tx: Db,
  metering: MeteringService,
  organizationId: string,
  timeZone: string,
  item: BillingItem,
  cache?: RunCache,
): Promise<{ fees: FeeDraft[]; windows: ItemWindows }> => {
  const { subscription, details } = item;
  const plan = details.plan;
  const currency = plan.amountCurrency;
  const timing = timingOf(subscription, plan, timeZone);
  const { billingDate, fee, charges } = windowsOf(item, timing);
  const fees: FeeDraft[] = [];

  const trialEnd = trialEndOf(subscription, plan);
  // Paid in advance, a period whose billing day falls inside the trial is billed when the trial ends instead.
  const deferredToTrialEnd =
    plan.payInAdvance &&
    item.reason === 'subscription_periodic' &&
    trialEnd !== null &&
    Temporal.PlainDate.compare(localDateAt(trialEnd, timeZone), billingDate) > 0;
  if (fee && !deferredToTrialEnd && !item.inAdvanceStandalone) {
    const amount = subscriptionFee({
      amountCents: plan.amountCents,
      period: fee.period,
      from: fee.from,
      to: fee.to,
      timeZone,
      trialEndsAt: trialEnd,
      fullAmount: fee.full,
    });
    fees.push({
      key: `subscription:${subscription.id}`,
      feeType: 'subscription',
      subscriptionId: subscription.id,
      chargeId: null,
      chargeFilterId: null,
      billableMetricId: null,
      trueUpParentKey: null,
      groupedBy: {},
      invoiceDisplayName: plan.invoiceDisplayName,
      amountCents: amount.amountCents,
      preciseAmountCents: amount.preciseAmountCents,
      units: new Decimal(1),
      totalAggregatedUnits: null,
      eventsCount: 0,
      preciseUnitAmount: amount.preciseAmountCents.div(subunitToUnit(currency)),
      amountDetails: { plan_amount_cents: Number(plan.amountCents) },
      payInAdvance: plan.payInAdvance,
      fromDatetime: fee.from,
      toDatetime: fee.to,
      ownTaxes: [],
    });
  }

  if (charges) {
    // Pay-in-advance charges were billed event by event, except the units a recurring metric carries into the period
    // that opens, billed again at its start (Lago's recurring in-advance fees): on the periodic invoice when the charge
    // is invoiceable, on no invoice otherwise (`inAdvanceStandalone`).
    const arrears = details.charges.filter(({ charge }) =>
      item.inAdvanceStandalone
        ? charge.payInAdvance && !charge.invoiceable
        : !charge.payInAdvance || (charge.invoiceable && item.reason === 'subscription_periodic'),
    );
    const inAdvanceWindow = currentUsageWindow(timing, item.at);
    const loadInputs = async () => {
      const metrics = await metricsByIds(tx, organizationId, details.charges.map(({ charge }) => charge.billableMetricId));
      const codes = [...new Set([...metrics.values()].map((m) => m.code))];
      const configs = await metering.settingsFor(tx, organizationId, codes);
      const declared = await declaredFilterValues(tx, organizationId, [...metrics.keys()]);
      return { metrics, configs, declared };
    };
    const { metrics, configs, declared } = await (cache ? cached(cache.chargeInputs, plan.id, loadInputs) : loadInputs());
    const readStates = createBatchedWindowReader(tx, metering, organizationId, subscription.externalId);
    const daysBilled = billedDays(charges.from, charges.to, timeZone);
    const settled = await Promise.allSettled(
      arrears.map(async (chargeDetails) => {
        const metric = metrics.get(chargeDetails.charge.billableMetricId);
        if (!metric) return [];
        const carried = metric.recurring && (metric.aggregationType === 'sum_agg' || metric.aggregationType === 'unique_count_agg');
        if (chargeDetails.charge.payInAdvance && !carried) return [];
        const config: MeteringConfig = configs.get(metric.code) ?? { code: metric.code, metric: null, dimensionKeys: [] };
        const { lines } = await chargeUsageLines(
          {
            tx,
            metering,
            organizationId,
            externalSubscriptionId: subscription.externalId,
            currency,
            timeZone,
            from: charges.from,
            to: charges.to,
            toExclusive: charges.toExclusive,
            durationDays: charges.durationDays,
            skipGrouping: false,
            groups: null,
            readStates,
          },
          chargeDetails,
          metric,
          config,
          declared.get(metric.id) ?? {},
        );
        const { charge } = chargeDetails;
        const drafts: FeeDraft[] = lines.map((line) => ({
          key: `charge:${subscription.id}:${charge.id}:${line.filterId ?? ''}:${line.group.key}`,
          feeType: 'charge',
          subscriptionId: subscription.id,
          chargeId: charge.id,
          chargeFilterId: line.filterId,
          billableMetricId: metric.id,
          trueUpParentKey: null,
          groupedBy: line.group.groupedBy,
          invoiceDisplayName: charge.invoiceDisplayName,
          amountCents: line.amountCents,
          preciseAmountCents: cents(line.amount.isNegative() ? new Decimal(0) : line.amount, currency),
          units: line.units,
          totalAggregatedUnits: line.totalAggregatedUnits,
          eventsCount: line.eventsCount,
          preciseUnitAmount: line.unitAmount,
          amountDetails: line.amountDetails as Record<string, unknown>,
          // Lago marks the fee paid in advance when it is on no invoice, and shows it over the period that opens.
          payInAdvance: charge.payInAdvance && !charge.invoiceable,
          fromDatetime: charge.payInAdvance ? inAdvanceWindow.chargesFromDatetime : charges.from,
          toDatetime: charge.payInAdvance ? inAdvanceWindow.chargesToDatetime : charges.to,
          ownTaxes: chargeDetails.taxes,
        }));
        // Lago's spending minimum: `min_amount_cents / days of the charges period × days billed − what was used`.
        // Neither spending minimums nor the commitment are trued up on a progressive invoice (Lago's Fees::ChargeService).
        if (charge.minAmountCents > 0n && drafts.length > 0 && item.reason !== 'progressive_billing') {
          // Lago takes the usage fees' rounded amounts off (Fees::CreateTrueUpService), keeping the unrounded
          // difference as the precise amount.
          const used = drafts.reduce((sum, d) => sum.add(d.amountCents.toString()), new Decimal(0));
          const preciseUsed = drafts.reduce((sum, d) => sum.add(d.preciseAmountCents), new Decimal(0));
          const minimum = new Decimal(charge.minAmountCents.toString()).div(charges.durationDays).mul(Math.min(daysBilled, charges.durationDays));
          if (used.lt(minimum)) {
            const owed = minimum.sub(used);
            const precise = minimum.sub(preciseUsed);
            const parent = drafts[0]!;
            drafts.push({
              ...parent,
              key: `true_up:${subscription.id}:${charge.id}`,
              chargeFilterId: null,
              trueUpParentKey: parent.key,
              groupedBy: {},
              amountCents: BigInt(owed.toDecimalPlaces(0).toFixed(0)),
              preciseAmountCents: precise,
              units: new Decimal(1),
              totalAggregatedUnits: null,
              eventsCount: 0,
              preciseUnitAmount: precise.div(subunitToUnit(currency)),
              amountDetails: {},
            });
          }
        }
        return drafts;
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const s of settled) if (s.status === 'fulfilled') fees.push(...s.value);
  }

  const commitment = item.inAdvanceStandalone ? null : await commitmentTrueUp(tx, item, timing, fees, charges);
  if (commitment) fees.push(commitment);

  return {
    fees,
    windows: {
      billingDate,
      fromDatetime: fee?.from ?? null,
      toDatetime: fee?.to ?? null,
      chargesFromDatetime: charges?.from ?? null,
      chargesToDatetime: charges?.to ?? null,
    },
  };
};

/**
 * The minimum commitment's true-up (Lago's `Fees::Commitments::Minimum`): when the period's subscription and charge fees
 * add up to less than the commitment (prorated by the days of the period the subscription lived, rounded first), a
 * `commitment` fee bills the difference, before coupons and taxes. It closes the period it reconciles: on the invoice
 * billing that period's charges (so, for a plan paid in advance, the next periodic invoice, never its first one).
 */
const commitmentTrueUp = async (
  tx: Db,
  item: BillingItem,
  timing: SubscriptionTiming,
  fees: readonly FeeDraft[],
  charges: ChargesWindow | null,
): Promise<FeeDraft | null> => {
  const minimum = item.details.minimumCommitment;
  if (!minimum || minimum.commitment.amountCents <= 0n || item.reason === 'subscription_starting' || item.reason === 'progressive_billing' || !charges) return null;
  // Charges billed monthly on a longer plan: the commitment is the whole period's, reconciled by a later change.
  if (chargesInterval(timing) !== timing.interval) return null;
  const { subscription, details, at } = item;
  const plan = details.plan;
  const timeZone = timing.timeZone;
  // The period the charges closed; its subscription fee is on this invoice (in arrears) or was billed at its start.
  const period = periodContaining(timing, charges.from);
  const livedFrom = isBefore(period.from, timing.startedAt) ? startOfLocalDay(localDateAt(timing.startedAt, timeZone), timeZone) : period.from;
  const livedTo = item.reason === 'subscription_terminating' && isBefore(at, period.to) ? at : period.to;
  const days = Math.min(billedDays(livedFrom, livedTo, timeZone), daysInPeriod(period));
  const committed = new Decimal(minimum.commitment.amountCents.toString()).mul(days).div(daysInPeriod(period)).toDecimalPlaces(0);
  let billed = fees.filter((f) => f.feeType === 'charge' && f.trueUpParentKey === null).reduce((sum, f) => sum + f.amountCents, 0n);
  if (plan.payInAdvance) {
    const [row] = await queryRows<{ total: string }>(
      tx,
      sql`SELECT coalesce(sum(f.amount_cents), 0)::text AS total FROM fees f JOIN invoices i ON i.organization_id = f.organization_id AND i.id = f.invoice_id
        WHERE f.organization_id = ${subscription.organizationId} AND f.subscription_id = ${subscription.id} AND f.fee_type = 'subscription'
          AND i.status <> 'voided' AND f.from_datetime >= ${instantToDate(period.from).toISOString()}::timestamptz
          AND f.from_datetime < ${instantToDate(period.toExclusive).toISOString()}::timestamptz`,
    );
    billed += BigInt(row!.total);
  } else {
    billed += fees.filter((f) => f.feeType === 'subscription').reduce((sum, f) => sum + f.amountCents, 0n);
  }
  const owed = BigInt(committed.toFixed(0)) - billed;
  if (owed <= 0n) return null;
  const currency = plan.amountCurrency;
  return {
    key: `commitment:${subscription.id}`,
    feeType: 'commitment',
    subscriptionId: subscription.id,
    chargeId: null,
    chargeFilterId: null,
    billableMetricId: null,
    trueUpParentKey: null,
    groupedBy: {},
    invoiceDisplayName: minimum.commitment.invoiceDisplayName,
    amountCents: owed,
    preciseAmountCents: new Decimal(owed.toString()),
    units: new Decimal(1),
    totalAggregatedUnits: null,
    eventsCount: 0,
    preciseUnitAmount: new Decimal(owed.toString()).div(subunitToUnit(currency)),
    amountDetails: {},
    payInAdvance: false,
    fromDatetime: livedFrom,
    toDatetime: livedTo,
    ownTaxes: minimum.taxes,
  };
};
