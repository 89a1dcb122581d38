import { Temporal } from 'temporal-polyfill';
import { computeInvoiceAmounts } from '../../billing/invoices/index.ts';
import type { AppliedCouponInput, InvoiceFeeInput, InvoiceTax } from '../../billing/invoices/types.ts';
import { startOfLocalDay } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { atCommit } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import { instantToDate } from '../../lib/time.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import { appliedTaxes } from '../taxes/repository.ts';
import type { Tax } from '../taxes/types.ts';
import { organizationTaxes } from '../usage/repository.ts';
import type { FeeDraft } from './fee-drafts.ts';
import type { BillingParty } from './party.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { cached, type RunCache } from './run-cache.ts';
import { applyFinalizationCredits } from './finalization-credits.ts';
import { progressiveCreditsFor, recordProgressiveCredits } from '../progressive-billing/credits.ts';

/** The invoice columns the finalization credits change. */
const CREDITED_COLUMNS = [
  'creditNotesAmountCents',
  'prepaidCreditAmountCents',
  'prepaidGrantedCreditAmountCents',
  'prepaidPurchasedCreditAmountCents',
  'totalAmountCents',
] as const;
const pick = <T, K extends keyof T>(row: T, keys: readonly K[]): Pick<T, K> => Object.fromEntries(keys.map((k) => [k, row[k]])) as Pick<T, K>;

const pad3 = (n: number) => String(n).padStart(3, '0');

export const draftNumber = (party: BillingParty) => `${party.organization.documentNumberPrefix}-DRAFT`;

const toInvoiceTax = (tax: Tax): InvoiceTax => ({ taxId: tax.id, code: tax.code, name: tax.name, rate: String(tax.rate), description: tax.description });

/** A fee draft with the plan it was billed on (for plan-limited coupons and plan taxes). */
export interface PlannedFee {
  draft: FeeDraft;
  planId: string | null;
  parentPlanId: string | null;
  planTaxes: Tax[];
}

/** An invoice's amounts, computed from its fees: the caller writes them with its next change of the invoice. */
export type InvoiceTotals = Pick<
  InvoiceRow,
  | 'feesAmountCents'
  | 'couponsAmountCents'
  | 'progressiveBillingCreditAmountCents'
  | 'subTotalExcludingTaxesAmountCents'
  | 'taxesAmountCents'
  | 'taxesRate'
  | 'subTotalIncludingTaxesAmountCents'
  | 'creditNotesAmountCents'
  | 'prepaidCreditAmountCents'
  | 'totalAmountCents'
  | 'updatedAt'
>;

/**
 * Computes an invoice's coupons, taxes and totals from its fees and writes them (the totals themselves are answered, to
 * be written with the caller's next change of the invoice, its finalization most often: one statement): fees with their taxes, the invoice's
 * taxes, coupon credits and the coupons' new state. Taxes follow Lago's precedence: the fee's own object (charge,
 * commitment), else the plan's, else the customer's, else the organization's defaults.
 */
export const writeInvoiceAmounts = async (
  tx: Db,
  party: BillingParty,
  invoice: InvoiceRow,
  planned: readonly PlannedFee[],
  now: Temporal.Instant,
  options: { coupons: boolean; cache?: RunCache | undefined } = { coupons: true },
): Promise<InvoiceTotals> => {
  const organizationId = invoice.organizationId;
  const customerTaxes = (await appliedTaxes(tx, organizationId, 'customer', [party.customer.id])).get(party.customer.id) ?? [];
  const defaultTaxes = await (options.cache
    ? cached(options.cache.defaultTaxes, organizationId, () => organizationTaxes(tx, organizationId))
    : organizationTaxes(tx, organizationId));
  const taxesOf = (p: PlannedFee) => [p.draft.ownTaxes, p.planTaxes, customerTaxes, defaultTaxes].find((list) => list.length > 0) ?? [];

  const coupons: AppliedCouponInput[] = (options.coupons ? await invoicesRepo.activeCouponsOf(tx, organizationId, party.customer.id) : []).map((c) => ({
    id: c.id,
    couponId: c.coupon_id,
    code: c.code,
    name: c.name,
    couponType: c.coupon_type === 'percentage' ? 'percentage' : 'fixed_amount',
    amountCents: c.amount_cents === null ? null : BigInt(c.amount_cents),
    amountCentsRemaining: c.amount_cents_remaining === null ? null : BigInt(c.amount_cents_remaining),
    percentageRate: c.percentage_rate,
    frequency: c.frequency === 'once' || c.frequency === 'recurring' ? c.frequency : 'forever',
    frequencyDurationRemaining: c.frequency_duration_remaining,
    limitedPlans: c.limited_plans,
    planIds: c.plan_ids,
    limitedBillableMetrics: c.limited_billable_metrics,
    billableMetricIds: c.billable_metric_ids,
    createdAtMs: Number(c.created_at_ms),
    amountCurrency: c.amount_currency,
  }));

  // What progressive invoices of the same period already billed comes off first (nothing to look up for subscriptions
  // that thresholds never applied to).
  const progressive = await progressiveCreditsFor(tx, invoice, planned.map((p) => p.draft));
  const inputs: InvoiceFeeInput[] = planned.map((p) => ({
    key: p.draft.key,
    feeType: p.draft.feeType,
    amountCents: p.draft.amountCents,
    preciseAmountCents: p.draft.preciseAmountCents,
    planId: p.planId,
    parentPlanId: p.parentPlanId,
    billableMetricId: p.draft.billableMetricId,
    taxes: taxesOf(p).map(toInvoiceTax),
    ...(progressive.billedByFee.has(p.draft.key) && { progressiveBilledAmountCents: progressive.billedByFee.get(p.draft.key)! }),
  }));
  const amounts = computeInvoiceAmounts({ currency: invoice.currency, fees: inputs, coupons, progressiveBillingCreditCents: progressive.totalCents });

  const stamp = instantToDate(now);
  const feeIds = new Map(planned.map((p) => [p.draft.key, newId()]));
  await invoicesRepo.insertFees(
    tx,
    planned.map(({ draft }, position) => {
      const feeAmounts = amounts.fees.get(draft.key)!;
      return {
        organizationId,
        id: feeIds.get(draft.key)!,
        invoiceId: invoice.id,
        customerId: party.customer.id,
        subscriptionId: draft.subscriptionId,
        feeType: draft.feeType,
        feeKey: draft.key,
        chargeId: draft.chargeId,
        chargeFilterId: draft.chargeFilterId,
        billableMetricId: draft.billableMetricId,
        addOnId: draft.addOnId ?? null,
        description: draft.description ?? null,
        trueUpParentFeeId: draft.trueUpParentKey ? (feeIds.get(draft.trueUpParentKey) ?? null) : null,
        groupedBy: draft.groupedBy,
        invoiceDisplayName: draft.invoiceDisplayName,
        amountCurrency: invoice.currency,
        amountCents: draft.amountCents,
        preciseAmountCents: draft.preciseAmountCents.toFixed(),
        unitAmountCents: BigInt(
          draft.units.isZero() ? 0 : draft.preciseAmountCents.div(draft.units).toDecimalPlaces(0).toFixed(0),
        ),
        preciseUnitAmount: draft.preciseUnitAmount.toFixed(),
        units: draft.units.toFixed(),
        totalAggregatedUnits: draft.totalAggregatedUnits?.toFixed() ?? null,
        eventsCount: BigInt(draft.eventsCount),
        amountDetails: draft.amountDetails,
        preciseCouponsAmountCents: feeAmounts.preciseCouponsAmountCents.toFixed(),
        taxesAmountCents: feeAmounts.taxesAmountCents,
        taxesPreciseAmountCents: feeAmounts.taxesPreciseAmountCents.toFixed(),
        taxesRate: feeAmounts.taxesRate.toFixed(),
        payInAdvance: draft.payInAdvance,
        invoiceable: true,
        paymentStatus: 'pending',
        fromDatetime: instantToDate(draft.fromDatetime),
        toDatetime: instantToDate(draft.toDatetime),
        ...(draft.inAdvance && {
          payInAdvanceEventId: draft.inAdvance.eventId,
          eventTransactionId: draft.inAdvance.eventTransactionId,
          inAdvanceLevel: draft.inAdvance.level,
          inAdvanceMax: draft.inAdvance.max,
        }),
        position,
        createdAt: stamp,
        updatedAt: stamp,
      };
    }),
  );
  await invoicesRepo.insertFeeAppliedTaxes(
    tx,
    planned.flatMap(({ draft }) =>
      amounts.fees.get(draft.key)!.appliedTaxes.map((t) => ({
        organizationId,
        id: newId(),
        feeId: feeIds.get(draft.key)!,
        taxId: t.taxId,
        taxCode: t.code,
        taxName: t.name,
        taxRate: t.rate,
        taxDescription: t.description,
        amountCents: t.amountCents,
        preciseAmountCents: t.preciseAmountCents.toFixed(),
        amountCurrency: invoice.currency,
        createdAt: stamp,
      })),
    ),
  );
  await invoicesRepo.insertInvoiceAppliedTaxes(
    tx,
    amounts.appliedTaxes.map((t) => ({
      organizationId,
      id: newId(),
      invoiceId: invoice.id,
      taxId: t.taxId,
      taxCode: t.code,
      taxName: t.name,
      taxRate: t.rate,
      taxDescription: t.description,
      amountCents: t.amountCents,
      feesAmountCents: t.feesAmountCents,
      amountCurrency: invoice.currency,
      createdAt: stamp,
    })),
  );
  await recordProgressiveCredits(tx, invoice, progressive, now);
  await invoicesRepo.insertCredits(
    tx,
    amounts.credits.map((c) => ({
      organizationId,
      id: newId(),
      invoiceId: invoice.id,
      appliedCouponId: c.appliedCouponId,
      amountCents: c.amountCents,
      amountCurrency: invoice.currency,
      beforeTaxes: true,
      createdAt: stamp,
    })),
  );
  for (const c of amounts.credits) {
    await invoicesRepo.updateAppliedCoupon(tx, organizationId, c.appliedCouponId, {
      amountCentsRemaining: c.amountCentsRemaining,
      frequencyDurationRemaining: c.frequencyDurationRemaining,
      ...(c.terminated && { status: 'terminated', terminatedAt: stamp }),
      updatedAt: stamp,
    });
  }
  const totals: InvoiceTotals = {
    feesAmountCents: amounts.feesAmountCents,
    couponsAmountCents: amounts.couponsAmountCents,
    progressiveBillingCreditAmountCents: amounts.progressiveBillingCreditAmountCents,
    subTotalExcludingTaxesAmountCents: amounts.subTotalExcludingTaxesAmountCents,
    taxesAmountCents: amounts.taxesAmountCents,
    taxesRate: amounts.taxesRate.toFixed(),
    subTotalIncludingTaxesAmountCents: amounts.subTotalIncludingTaxesAmountCents,
    creditNotesAmountCents: amounts.creditNotesAmountCents,
    prepaidCreditAmountCents: amounts.prepaidCreditAmountCents,
    totalAmountCents: amounts.totalAmountCents,
    updatedAt: stamp,
  };
  return totals;
};

/**
 * Undoes what a draft's computation did (its coupon credits given back, its fees and taxes removed), so that it can be
 * computed again (refresh) or deleted.
 */
export const revertInvoiceAmounts = async (tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<void> => {
  const organizationId = invoice.organizationId;
  const stamp = instantToDate(now);
  const given = await invoicesRepo.creditsOfInvoices(tx, organizationId, [invoice.id]);
  const coupons = await invoicesRepo.appliedCouponsByIds(tx, organizationId, given.flatMap((c) => (c.appliedCouponId ? [c.appliedCouponId] : [])));
  for (const credit of given) {
    const coupon = coupons.get(credit.appliedCouponId ?? '');
    if (!coupon) continue;
    await invoicesRepo.updateAppliedCoupon(tx, organizationId, coupon.id, {
      amountCentsRemaining:
        coupon.frequency === 'once' && coupon.amountCentsRemaining !== null ? coupon.amountCentsRemaining + credit.amountCents : coupon.amountCentsRemaining,
      frequencyDurationRemaining:
        coupon.frequency === 'recurring' && coupon.frequencyDurationRemaining !== null
          ? coupon.frequencyDurationRemaining + 1
          : coupon.frequencyDurationRemaining,
      status: 'active',
      terminatedAt: null,
      updatedAt: stamp,
    });
  }
  await invoicesRepo.clearComputedParts(tx, organizationId, invoice.id);
};

/**
 * Finalizes an invoice as Lago does: the next number of the customer's (or organization's) sequence, payment status
 * succeeded when nothing is due, and an invoice of zero closed instead when the customer does not finalize those.
 */
export const finalizeInvoice = async (
  tx: Db,
  party: BillingParty,
  current: InvoiceRow,
  now: Temporal.Instant,
  pendingChanges: Partial<InvoiceRow> = {},
): Promise<InvoiceRow> => {
  let pending = pendingChanges;
  const stamp = instantToDate(now);
  // Lago closes instead of finalizing only an invoice whose fees are all 0 (`Invoices::TransitionToFinalStatusService`):
  // one brought to 0 by coupons, credit notes or wallets is still finalized.
  if ({ ...current, ...pending }.feesAmountCents === 0n && !party.finalizeZeroAmountInvoice) {
    return invoicesRepo.updateInvoice(tx, current.organizationId, current.id, { ...pending, status: 'closed', finalizeAt: null, updatedAt: stamp });
  }
  // Every finalization of the organization queues on its counter (Lago takes an organization lock for it too). When the
  // number does not show it, the counter is moved on last, so that it stays locked only while the transaction commits.
  const perOrganization = party.organization.documentNumbering === 'per_organization';
  const next = await invoicesRepo.takeFinalizationFacts(tx, current.organizationId, party.customer.id, current.currency, perOrganization);
  if (!perOrganization) atCommit(tx, (last: Db) => invoicesRepo.setOrganizationSequentialId(last, current.organizationId, current.id));
  const credited = await applyFinalizationCredits(tx, party, { ...current, ...pending }, next, now);
  pending = { ...pending, ...pick(credited, CREDITED_COLUMNS) };
  const invoice = { ...current, ...pending };
  const prefix = party.organization.documentNumberPrefix;
  const number =
    perOrganization
      ? `${prefix}-${now.toZonedDateTimeISO(party.organization.timezone).toPlainDate().toString().slice(0, 7).replace('-', '')}-${pad3(next.organization!)}`
      : `${prefix}-${pad3(party.customer.sequentialId)}-${pad3(next.customer)}`;
  // A wallet top-up's credit invoice reports `invoice.paid_credit_added` instead (its caller records it), as Lago.
  if (invoice.invoiceType !== 'credit') {
    await recordDomainEvent(tx, {
      organizationId: invoice.organizationId,
      type: invoice.invoiceType === 'one_off' ? 'invoice.one_off_created' : 'invoice.created',
      objectType: 'invoice',
      objectId: invoice.id,
      at: now,
    });
  }
  return invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, {
    ...pending,
    status: 'finalized',
    number,
    sequentialId: next.customer,
    ...(perOrganization && { organizationSequentialId: next.organization }),
    paymentStatus: invoice.totalAmountCents > 0n ? 'pending' : 'succeeded',
    finalizedAt: stamp,
    finalizeAt: null,
    updatedAt: stamp,
  });
};

/** When a draft issued on `issuingDate` leaves its grace period: 00:00 in the customer's zone, `grace` days later. */
export const graceEnd = (party: BillingParty, issuingDate: Temporal.PlainDate): Temporal.Instant =>
  startOfLocalDay(issuingDate.add({ days: party.gracePeriodDays }), party.timeZone);

/** A new invoice with nothing computed yet (status generating), issued on a day. */
export const emptyInvoice = (party: BillingParty, currency: string, issuingDate: Temporal.PlainDate, stamp: Date, invoiceType = 'subscription') => ({
  organizationId: party.organization.id,
  id: newId(),
  customerId: party.customer.id,
  number: draftNumber(party),
  invoiceType,
  status: 'generating',
  paymentStatus: 'pending',
  currency,
  issuingDate: issuingDate.toString(),
  paymentDueDate: issuingDate.add({ days: party.netPaymentTerm }).toString(),
  netPaymentTerm: party.netPaymentTerm,
  feesAmountCents: 0n,
  couponsAmountCents: 0n,
  progressiveBillingCreditAmountCents: 0n,
  subTotalExcludingTaxesAmountCents: 0n,
  taxesAmountCents: 0n,
  taxesRate: '0',
  subTotalIncludingTaxesAmountCents: 0n,
  creditNotesAmountCents: 0n,
  prepaidCreditAmountCents: 0n,
  totalAmountCents: 0n,
  totalPaidAmountCents: 0n,
  errorDetails: [] as unknown[],
  versionNumber: 4,
  paymentOverdue: false,
  createdAt: stamp,
  updatedAt: stamp,
});
