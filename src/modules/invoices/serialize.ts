import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { CustomerObject, serializeCustomer } from '../customers/serialize.ts';
import { FeeItemSchema, serializeFee } from '../fees/serialize.ts';
import { serializeSubscription, SubscriptionObject } from '../subscriptions/serialize.ts';
import type { CreditView, InvoiceDetailView, InvoiceMetadataRow, InvoiceView } from './types.ts';
import type { InvoiceAppliedTaxRow } from './repository.ts';
import { AppliedUsageThresholdObject, serializeAppliedUsageThreshold } from '../progressive-billing/serialize.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const DateOnly = Type.String({ format: 'date' });

/** A copy of a schema without its `$id`, for embedding another resource's object. */
const inline = <T extends TSchema>(schema: T): T => {
  const { $id: _id, ...rest } = schema;
  return rest as T;
};

const InvoiceMetadataObject = Type.Object({ lago_id: Uuid, key: Type.String(), value: Type.String(), created_at: DateTime });

const InvoiceAppliedTaxObject = Type.Object({
  lago_id: Uuid,
  lago_invoice_id: Uuid,
  lago_tax_id: Nullable(Uuid),
  tax_name: Type.String(),
  tax_code: Type.String(),
  tax_rate: Type.Number(),
  tax_description: Nullable(Type.String()),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  fees_amount_cents: Type.Integer(),
  created_at: DateTime,
});

const BillingPeriodObject = Type.Object({
  lago_subscription_id: Uuid,
  external_subscription_id: Nullable(Type.String()),
  lago_plan_id: Nullable(Uuid),
  subscription_from_datetime: Nullable(DateTime),
  subscription_to_datetime: Nullable(DateTime),
  charges_from_datetime: Nullable(DateTime),
  charges_to_datetime: Nullable(DateTime),
  fixed_charges_from_datetime: Nullable(DateTime),
  fixed_charges_to_datetime: Nullable(DateTime),
  invoicing_reason: Type.String(),
});

const CreditObject = Type.Object({
  lago_id: Uuid,
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  before_taxes: Type.Boolean(),
  item: Type.Object({
    lago_item_id: Nullable(Uuid),
    type: Type.String(),
    code: Nullable(Type.String()),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
  }),
  invoice: Type.Object({ lago_id: Uuid, payment_status: Type.String() }),
});

/** Lago's invoice, in Lago's key order. */
const invoiceProperties = {
  lago_id: Uuid,
  billing_entity_code: Type.String(),
  sequential_id: Nullable(Type.Integer()),
  number: Type.String(),
  purchase_order_number: Nullable(Type.String()),
  issuing_date: DateOnly,
  payment_due_date: Nullable(DateOnly),
  net_payment_term: Type.Integer(),
  invoice_type: Type.String(),
  status: Type.String(),
  payment_status: Type.String(),
  payment_dispute_lost_at: Nullable(DateTime),
  payment_overdue: Type.Boolean(),
  currency: Type.String(),
  fees_amount_cents: Type.Integer(),
  taxes_amount_cents: Type.Integer(),
  progressive_billing_credit_amount_cents: Type.Integer(),
  coupons_amount_cents: Type.Integer(),
  credit_notes_amount_cents: Type.Integer(),
  sub_total_excluding_taxes_amount_cents: Type.Integer(),
  sub_total_including_taxes_amount_cents: Type.Integer(),
  total_amount_cents: Type.Integer(),
  total_due_amount_cents: Type.Integer(),
  total_paid_amount_cents: Type.Integer(),
  total_offsetted_credit_note_amount_cents: Type.Integer(),
  prepaid_credit_amount_cents: Type.Integer(),
  prepaid_granted_credit_amount_cents: Nullable(Type.Integer()),
  prepaid_purchased_credit_amount_cents: Nullable(Type.Integer()),
  file_url: Nullable(Type.String()),
  xml_url: Nullable(Type.String()),
  web_url: Nullable(Type.String()),
  version_number: Type.Integer(),
  self_billed: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
  voided_at: Nullable(DateTime),
  customer: inline(CustomerObject),
  metadata: Type.Array(InvoiceMetadataObject),
  applied_taxes: Type.Array(InvoiceAppliedTaxObject),
  applied_usage_thresholds: Type.Optional(Type.Array(AppliedUsageThresholdObject)),
};

/** An invoice as lists show it: with its customer, metadata and taxes. */
export const InvoiceObject = Type.Object(invoiceProperties, { $id: 'Invoice' });
export type InvoiceJson = Static<typeof InvoiceObject>;

/** A single invoice: also what it bills and what reduced it. */
export const InvoiceDetailObject = Type.Object(
  {
    ...invoiceProperties,
    subscriptions: Type.Array(inline(SubscriptionObject)),
    billing_periods: Type.Array(BillingPeriodObject),
    fees: Type.Array(FeeItemSchema),
    credits: Type.Array(CreditObject),
    error_details: Type.Array(AnyObject),
    applied_invoice_custom_sections: Type.Array(AnyObject),
  },
  { $id: 'InvoiceDetail' },
);
export type InvoiceDetailJson = Static<typeof InvoiceDetailObject>;

const serializeMetadata = (m: InvoiceMetadataRow) => ({ lago_id: m.id, key: m.key, value: m.value, created_at: isoSeconds(m.createdAt)! });

const serializeAppliedTax = (t: InvoiceAppliedTaxRow) => ({
  lago_id: t.id,
  lago_invoice_id: t.invoiceId,
  lago_tax_id: t.taxId,
  tax_name: t.taxName,
  tax_code: t.taxCode,
  tax_rate: Number(t.taxRate),
  tax_description: t.taxDescription,
  amount_cents: Number(t.amountCents),
  amount_currency: t.amountCurrency,
  fees_amount_cents: Number(t.feesAmountCents),
  created_at: isoSeconds(t.createdAt)!,
});

/**
 * A credit as Lago's `V1::CreditSerializer` prints it: the coupon as the item, or the consumed credit note (its number
 * as the code, its invoice's number as the name, its description).
 */
export const serializeCredit = ({ credit, coupon, creditNote, progressiveInvoice }: CreditView, paymentStatus: string) => ({
  lago_id: credit.id,
  amount_cents: Number(credit.amountCents),
  amount_currency: credit.amountCurrency,
  before_taxes: credit.beforeTaxes,
  // A progressive-billing credit names the progressive invoice it gives back (type invoice, its number as code and name).
  item: progressiveInvoice
    ? { lago_item_id: progressiveInvoice.id, type: 'invoice', code: progressiveInvoice.number, name: progressiveInvoice.number, description: null }
    : creditNote
    ? { lago_item_id: creditNote.id, type: 'credit_note', code: creditNote.number, name: creditNote.invoiceNumber, description: creditNote.description }
    : {
        lago_item_id: coupon?.id ?? null,
        type: 'coupon',
        code: coupon?.code ?? null,
        name: coupon?.name ?? null,
        description: coupon?.description ?? null,
      },
  invoice: { lago_id: credit.invoiceId, payment_status: paymentStatus },
});

export const serializeInvoice = (view: InvoiceView): InvoiceJson => {
  const i = view.invoice;
  // Nothing is due on a voided invoice; otherwise the total less what was paid and what credit notes offset, never
  // below 0.
  const offset = view.offsetAmountCents ?? 0n;
  const owed = i.totalAmountCents - i.totalPaidAmountCents - offset;
  const due = i.status === 'voided' || owed < 0n ? 0n : owed;
  return {
    lago_id: i.id,
    billing_entity_code: view.billingEntityCode,
    sequential_id: i.sequentialId,
    number: i.number,
    purchase_order_number: null,
    issuing_date: i.issuingDate,
    payment_due_date: i.paymentDueDate,
    net_payment_term: i.netPaymentTerm,
    invoice_type: i.invoiceType,
    status: i.status,
    payment_status: i.paymentStatus,
    payment_dispute_lost_at: null,
    payment_overdue: i.paymentOverdue,
    currency: i.currency,
    fees_amount_cents: Number(i.feesAmountCents),
    taxes_amount_cents: Number(i.taxesAmountCents),
    progressive_billing_credit_amount_cents: Number(i.progressiveBillingCreditAmountCents),
    coupons_amount_cents: Number(i.couponsAmountCents),
    credit_notes_amount_cents: Number(i.creditNotesAmountCents),
    sub_total_excluding_taxes_amount_cents: Number(i.subTotalExcludingTaxesAmountCents),
    sub_total_including_taxes_amount_cents: Number(i.subTotalIncludingTaxesAmountCents),
    total_amount_cents: Number(i.totalAmountCents),
    total_due_amount_cents: Number(due),
    total_paid_amount_cents: Number(i.totalPaidAmountCents),
    total_offsetted_credit_note_amount_cents: Number(offset),
    prepaid_credit_amount_cents: Number(i.prepaidCreditAmountCents),
    prepaid_granted_credit_amount_cents: i.prepaidGrantedCreditAmountCents === null ? null : Number(i.prepaidGrantedCreditAmountCents),
    prepaid_purchased_credit_amount_cents: i.prepaidPurchasedCreditAmountCents === null ? null : Number(i.prepaidPurchasedCreditAmountCents),
    // The PDF, once rendered; Billow renders no XML and has no customer portal.
    file_url: i.fileUrl,
    xml_url: null,
    web_url: null,
    version_number: i.versionNumber,
    self_billed: false,
    created_at: isoSeconds(i.createdAt)!,
    updated_at: isoSeconds(i.updatedAt)!,
    voided_at: isoSeconds(i.voidedAt),
    customer: serializeCustomer(view.customer),
    metadata: view.metadata.map(serializeMetadata),
    applied_taxes: view.appliedTaxes.map(serializeAppliedTax),
    ...(view.appliedUsageThresholds && { applied_usage_thresholds: view.appliedUsageThresholds.map(serializeAppliedUsageThreshold) }),
  };
};

export const serializeInvoiceDetail = (view: InvoiceDetailView): InvoiceDetailJson => ({
  ...serializeInvoice(view),
  subscriptions: view.subscriptions.map(serializeSubscription),
  billing_periods: view.billingPeriods.map(({ row, externalSubscriptionId, planId }) => ({
    lago_subscription_id: row.subscriptionId,
    external_subscription_id: externalSubscriptionId,
    lago_plan_id: planId,
    subscription_from_datetime: isoSeconds(row.fromDatetime),
    subscription_to_datetime: isoSeconds(row.toDatetime),
    charges_from_datetime: isoSeconds(row.chargesFromDatetime),
    charges_to_datetime: isoSeconds(row.chargesToDatetime),
    fixed_charges_from_datetime: null,
    fixed_charges_to_datetime: null,
    invoicing_reason: row.invoicingReason,
  })),
  fees: view.fees.map((f) => serializeFee(f)),
  credits: view.credits.map((c) => serializeCredit(c, view.invoice.paymentStatus)),
  error_details: view.invoice.errorDetails as Record<string, unknown>[],
  applied_invoice_custom_sections: [],
});
