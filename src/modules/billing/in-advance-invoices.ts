import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { feeTaxes, type InvoiceTax } from '../../billing/invoices/index.ts';
import { invoiceBoundaries, localDateAt } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal, subunitToUnit } from '../../lib/money.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { PlanDetails } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { appliedTaxes } from '../taxes/repository.ts';
import type { Tax } from '../taxes/types.ts';
import { organizationTaxes } from '../usage/repository.ts';
import { timingOf, type FeeDraft } from './fee-drafts.ts';
import { emptyInvoice, finalizeInvoice, writeInvoiceAmounts } from './invoice-writer.ts';
import type { BillingParty } from './party.ts';

const toInvoiceTax = (tax: Tax): InvoiceTax => ({ taxId: tax.id, code: tax.code, name: tax.name, rate: String(tax.rate), description: tax.description });

const reportFee = (tx: Db, organizationId: string, feeId: string, at: Temporal.Instant) =>
  recordDomainEvent(tx, { organizationId, type: 'fee.created', objectType: 'fee', objectId: feeId, at });

/**
 * Lago's pay-in-advance charge invoice (`Invoices::CreatePayInAdvanceChargeService`): one invoice for the event's
 * fee, of type `subscription`, issued on the event's day in the customer's zone, its billing period's reason
 * `in_advance_charge`; coupons apply when the fee is above 0, then taxes, and it is finalized at once (credit notes and
 * prepaid credits taken at finalization), or closed when its fee is 0 and the customer skips such invoices. The fee is
 * reported (`fee.created`) unless the invoice is closed.
 */
export const invoiceInAdvanceFee = async (
  tx: Db,
  party: BillingParty,
  subscription: Subscription,
  details: PlanDetails,
  draft: FeeDraft,
  eventAt: Temporal.Instant,
  stampAt: Temporal.Instant,
): Promise<InvoiceRow> => {
  const organizationId = party.organization.id;
  const stamp = instantToDate(stampAt);
  const plan = details.plan;
  const issuingDate = localDateAt(eventAt, party.timeZone);
  const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, plan.amountCurrency, issuingDate, stamp, 'subscription'));
  // The billing period shown is the one an invoice issued at the event's instant would bill (Lago's dates service at
  // the event's timestamp).
  const windows = invoiceBoundaries(timingOf(subscription, plan, party.timeZone), eventAt, { payInAdvance: plan.payInAdvance });
  const claimed = await invoicesRepo.claimInvoiceSubscription(tx, {
    organizationId,
    id: newId(),
    invoiceId: invoice.id,
    subscriptionId: subscription.id,
    invoicingReason: 'in_advance_charge',
    billingDate: issuingDate.toString(),
    timestamp: instantToDate(eventAt),
    fromDatetime: instantToDate(windows.fromDatetime),
    toDatetime: instantToDate(windows.toDatetime),
    chargesFromDatetime: instantToDate(windows.chargesFromDatetime),
    chargesToDatetime: instantToDate(windows.chargesToDatetime),
    createdAt: stamp,
  });
  if (!claimed) throw new Error('invoice_subscriptions_billing_idx must leave in_advance_charge out: one invoice per event, several a day');
  const totals = await writeInvoiceAmounts(
    tx,
    party,
    invoice,
    [{ draft, planId: plan.id, parentPlanId: plan.parentId, planTaxes: details.taxes }],
    stampAt,
    { coupons: draft.amountCents > 0n },
  );
  if (totals.feesAmountCents !== 0n || party.finalizeZeroAmountInvoice) {
    for (const { id } of await queryRows<{ id: string }>(tx, sql`SELECT id FROM fees WHERE organization_id = ${organizationId} AND invoice_id = ${invoice.id}`)) {
      await reportFee(tx, organizationId, id, stampAt);
    }
  }
  return finalizeInvoice(tx, party, invoice, stampAt, totals);
};

/** The taxes of a fee on no invoice: its charge's, else its plan's, the customer's, the organization's (Lago's precedence). */
const standaloneTaxes = async (tx: Db, party: BillingParty, details: PlanDetails, draft: FeeDraft): Promise<Tax[]> => {
  if (draft.ownTaxes.length > 0) return draft.ownTaxes;
  if (details.taxes.length > 0) return details.taxes;
  const customer = (await appliedTaxes(tx, party.organization.id, 'customer', [party.customer.id])).get(party.customer.id) ?? [];
  return customer.length > 0 ? customer : organizationTaxes(tx, party.organization.id);
};

/**
 * A fee that is on no invoice (a charge that is not invoiceable): taxed at once, as Lago taxes such fees when they are
 * made (they are regrouped later with the taxes they were paid with), payment pending until `PUT /fees/{id}` says
 * otherwise, and reported (`fee.created`).
 */
export const writeStandaloneFee = async (
  tx: Db,
  party: BillingParty,
  details: PlanDetails,
  draft: FeeDraft,
  stampAt: Temporal.Instant,
): Promise<string> => {
  const organizationId = party.organization.id;
  const currency = details.plan.amountCurrency;
  const stamp = instantToDate(stampAt);
  const taxes = (await standaloneTaxes(tx, party, details, draft)).map(toInvoiceTax);
  const taxed = feeTaxes(new Decimal(draft.amountCents.toString()), draft.preciseAmountCents, taxes);
  const id = newId();
  await invoicesRepo.insertFees(tx, [
    {
      organizationId,
      id,
      invoiceId: null,
      customerId: party.customer.id,
      subscriptionId: draft.subscriptionId,
      feeType: draft.feeType,
      feeKey: draft.key,
      chargeId: draft.chargeId,
      chargeFilterId: draft.chargeFilterId,
      billableMetricId: draft.billableMetricId,
      groupedBy: draft.groupedBy,
      invoiceDisplayName: draft.invoiceDisplayName,
      amountCurrency: currency,
      amountCents: draft.amountCents,
      preciseAmountCents: draft.preciseAmountCents.toFixed(),
      unitAmountCents: BigInt(draft.preciseUnitAmount.mul(subunitToUnit(currency)).trunc().toFixed(0)),
      preciseUnitAmount: draft.preciseUnitAmount.toFixed(),
      units: draft.units.toFixed(),
      totalAggregatedUnits: draft.totalAggregatedUnits?.toFixed() ?? null,
      eventsCount: BigInt(draft.eventsCount),
      amountDetails: draft.amountDetails,
      preciseCouponsAmountCents: '0',
      taxesAmountCents: taxed.taxesAmountCents,
      taxesPreciseAmountCents: taxed.taxesPreciseAmountCents.toFixed(),
      taxesRate: taxed.taxesRate.toFixed(),
      payInAdvance: true,
      invoiceable: false,
      paymentStatus: 'pending',
      fromDatetime: instantToDate(draft.fromDatetime),
      toDatetime: instantToDate(draft.toDatetime),
      position: 0,
      createdAt: stamp,
      updatedAt: stamp,
      payInAdvanceEventId: draft.inAdvance?.eventId ?? null,
      eventTransactionId: draft.inAdvance?.eventTransactionId ?? null,
      inAdvanceLevel: draft.inAdvance?.level ?? null,
      inAdvanceMax: draft.inAdvance?.max ?? null,
    },
  ]);
  await invoicesRepo.insertFeeAppliedTaxes(
    tx,
    taxed.appliedTaxes.map((t) => ({
      organizationId,
      id: newId(),
      feeId: id,
      taxId: t.taxId,
      taxCode: t.code,
      taxName: t.name,
      taxRate: t.rate,
      taxDescription: t.description,
      amountCents: t.amountCents,
      preciseAmountCents: t.preciseAmountCents.toFixed(),
      amountCurrency: currency,
      createdAt: stamp,
    })),
  );
  await reportFee(tx, organizationId, id, stampAt);
  return id;
};

interface PaidFeeRow {
  id: string;
  subscription_id: string;
  amount_cents: string;
  taxes_amount_cents: string;
}

/**
 * Lago's `Invoices::AdvanceChargesService`, at a billing day: when a plan of the customer's subscriptions has a charge
 * that regroups its paid fees (`regroup_paid_fees: "invoice"`), the subscriptions' fees that are on no invoice, paid
 * (`succeeded`) by then and whose period is over go onto one `advance_charges` invoice, its billing periods'
 * reason `in_advance_charge_periodic`. Its amounts are the fees' as they were paid (taxes are not computed again), it
 * is paid already, and nothing else (coupons, credit notes, prepaid credits) applies to it.
 */
export const regroupPaidFees = async (
  tx: Db,
  party: BillingParty,
  subscriptions: readonly { subscription: Subscription; details: PlanDetails }[],
  at: Temporal.Instant,
  stampAt: Temporal.Instant,
): Promise<InvoiceRow | null> => {
  const regrouping = subscriptions.filter(({ details }) =>
    details.charges.some(({ charge }) => charge.payInAdvance && !charge.invoiceable && charge.regroupPaidFees === 'invoice'),
  );
  if (regrouping.length === 0) return null;
  const organizationId = party.organization.id;
  const limit = instantToDate(at).toISOString();
  const paid = await queryRows<PaidFeeRow>(
    tx,
    sql`SELECT id, subscription_id, amount_cents::text, taxes_amount_cents::text FROM fees
      WHERE organization_id = ${organizationId} AND invoice_id IS NULL AND payment_status = 'succeeded'
        AND subscription_id = ANY(${arrayParam(subscriptions.map((s) => s.subscription.id))}::uuid[])
        AND succeeded_at <= ${limit}::timestamptz AND (to_datetime IS NULL OR to_datetime <= ${limit}::timestamptz)
      ORDER BY created_at, id FOR UPDATE`,
  );
  if (paid.length === 0) return null;
  const stamp = instantToDate(stampAt);
  const first = subscriptions[0]!;
  const issuingDate = localDateAt(at, party.timeZone);
  const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, first.details.plan.amountCurrency, issuingDate, stamp, 'advance_charges'));
  const withFees = subscriptions.filter(({ subscription }) => paid.some((f) => f.subscription_id === subscription.id));
  for (const { subscription, details } of withFees) {
    const windows = invoiceBoundaries(timingOf(subscription, details.plan, party.timeZone), at, { payInAdvance: false });
    await invoicesRepo.claimInvoiceSubscription(tx, {
      organizationId,
      id: newId(),
      invoiceId: invoice.id,
      subscriptionId: subscription.id,
      invoicingReason: 'in_advance_charge_periodic',
      billingDate: issuingDate.toString(),
      timestamp: instantToDate(at),
      // The invoice bills charges only: both windows are the charges'.
      fromDatetime: instantToDate(windows.chargesFromDatetime),
      toDatetime: instantToDate(windows.chargesToDatetime),
      chargesFromDatetime: instantToDate(windows.chargesFromDatetime),
      chargesToDatetime: instantToDate(windows.chargesToDatetime),
      createdAt: stamp,
    });
  }
  await tx.execute(
    sql`UPDATE fees SET invoice_id = ${invoice.id}, updated_at = ${stamp.toISOString()}::timestamptz
      WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam(paid.map((f) => f.id))}::uuid[])`,
  );
  const taxes = await queryRows<{ tax_id: string; tax_code: string; tax_name: string; tax_rate: string; tax_description: string | null; amount_cents: string; fees_amount_cents: string }>(
    tx,
    sql`SELECT t.tax_id, t.tax_code, t.tax_name, t.tax_rate::text, t.tax_description, sum(t.amount_cents)::text AS amount_cents,
        sum(f.amount_cents)::text AS fees_amount_cents
      FROM fee_applied_taxes t JOIN fees f ON f.organization_id = t.organization_id AND f.id = t.fee_id
      WHERE t.organization_id = ${organizationId} AND f.invoice_id = ${invoice.id}
      GROUP BY t.tax_id, t.tax_code, t.tax_name, t.tax_rate, t.tax_description ORDER BY t.tax_name, t.tax_id`,
  );
  await invoicesRepo.insertInvoiceAppliedTaxes(
    tx,
    taxes.map((t) => ({
      organizationId,
      id: newId(),
      invoiceId: invoice.id,
      taxId: t.tax_id,
      taxCode: t.tax_code,
      taxName: t.tax_name,
      taxRate: t.tax_rate,
      taxDescription: t.tax_description,
      amountCents: BigInt(t.amount_cents),
      feesAmountCents: BigInt(t.fees_amount_cents),
      amountCurrency: invoice.currency,
      createdAt: stamp,
    })),
  );
  const feesAmount = paid.reduce((sum, f) => sum + BigInt(f.amount_cents), 0n);
  const taxesAmount = paid.reduce((sum, f) => sum + BigInt(f.taxes_amount_cents), 0n);
  const taxesRate = feesAmount === 0n ? new Decimal(0) : new Decimal(taxesAmount.toString()).mul(100).div(feesAmount.toString()).toDecimalPlaces(5);
  // Finalized as if nothing were due (what was paid is not taken from credit notes or wallets again), then given the
  // total its fees were paid with.
  const finalized = await finalizeInvoice(tx, party, invoice, stampAt, {
    feesAmountCents: feesAmount,
    subTotalExcludingTaxesAmountCents: feesAmount,
    taxesAmountCents: taxesAmount,
    taxesRate: taxesRate.toFixed(),
    subTotalIncludingTaxesAmountCents: feesAmount + taxesAmount,
    totalAmountCents: 0n,
    updatedAt: stamp,
  });
  return invoicesRepo.updateInvoice(tx, organizationId, invoice.id, {
    totalAmountCents: feesAmount + taxesAmount,
    totalPaidAmountCents: feesAmount + taxesAmount,
    paymentStatus: 'succeeded',
    updatedAt: finalized.updatedAt,
  });
};
