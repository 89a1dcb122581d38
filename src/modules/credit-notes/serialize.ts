import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { Decimal } from '../../lib/money.ts';
import { isoSeconds } from '../../lib/time.ts';
import { serializeCustomer } from '../customers/serialize.ts';
import type { CustomerView } from '../customers/views.ts';
import { FeeItemSchema, serializeFee } from '../fees/serialize.ts';
import type { CreditNoteEstimateView, CreditNoteView } from './types.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

/** Ruby's `BigDecimal#to_s` as Rails prints it: plain digits, always with a fractional part ("1366.6", "0.0"). */
export const bigDecimalText = (value: string | Decimal): string => {
  const text = new Decimal(value).toFixed();
  return text.includes('.') ? text : `${text}.0`;
};

const AppliedTaxObject = Type.Object({
  lago_id: Uuid,
  lago_credit_note_id: Uuid,
  lago_tax_id: Nullable(Uuid),
  tax_name: Type.String(),
  tax_code: Type.String(),
  tax_rate: Type.Number(),
  tax_description: Nullable(Type.String()),
  base_amount_cents: Type.Integer(),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  created_at: Nullable(DateTime),
});

const ItemObject = Type.Object({
  lago_id: Uuid,
  amount_cents: Type.Integer(),
  precise_amount_cents: Type.String(),
  amount_currency: Type.String(),
  fee: FeeItemSchema,
});

/** Lago's `V1::CreditNoteSerializer`, in its key order; the parts it includes are optional here. */
const creditNoteProperties = {
  lago_id: Uuid,
  billing_entity_code: Type.String(),
  sequential_id: Type.Integer(),
  number: Type.String(),
  lago_invoice_id: Uuid,
  invoice_number: Type.String(),
  purchase_order_number: Nullable(Type.String()),
  issuing_date: Type.String({ format: 'date' }),
  credit_status: Nullable(Type.String()),
  refund_status: Nullable(Type.String()),
  reason: Type.String(),
  description: Nullable(Type.String()),
  currency: Type.String(),
  total_amount_cents: Type.Integer(),
  precise_total_amount_cents: Type.String(),
  taxes_amount_cents: Type.Integer(),
  precise_taxes_amount_cents: Type.String(),
  sub_total_excluding_taxes_amount_cents: Type.Integer(),
  balance_amount_cents: Type.Integer(),
  credit_amount_cents: Type.Integer(),
  refund_amount_cents: Type.Integer(),
  offset_amount_cents: Type.Integer(),
  coupons_adjustment_amount_cents: Type.Integer(),
  taxes_rate: Type.Number(),
  created_at: DateTime,
  updated_at: DateTime,
  file_url: Nullable(Type.String()),
  xml_url: Nullable(Type.String()),
  self_billed: Type.Boolean(),
  customer: Type.Optional(Type.Object({}, { additionalProperties: true })),
  items: Type.Optional(Type.Array(ItemObject)),
  applied_taxes: Type.Optional(Type.Array(AppliedTaxObject)),
  error_details: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  metadata: Type.Optional(Type.Record(Type.String(), Nullable(Type.String()))),
};

export const CreditNoteObject = Type.Object(creditNoteProperties, { $id: 'CreditNote' });
export type CreditNoteJson = Static<typeof CreditNoteObject>;

/** The serializer's includes: the API shows them all, webhooks name theirs. */
export type CreditNoteInclude = 'customer' | 'items' | 'applied_taxes' | 'error_details';
export const API_INCLUDES: readonly CreditNoteInclude[] = ['customer', 'items', 'applied_taxes', 'error_details'];

/** The customer as the credit note shows it: without its taxes (not among the serializer's includes). */
const customerJson = (view: CustomerView, withIntegrations: boolean): Record<string, unknown> => {
  const { taxes: _taxes, integration_customers, ...json } = serializeCustomer(view);
  return withIntegrations ? { ...json, integration_customers } : json;
};

export const serializeCreditNote = (view: CreditNoteView, includes: readonly CreditNoteInclude[] = API_INCLUDES): CreditNoteJson => {
  const n = view.creditNote;
  const json: CreditNoteJson = {
    lago_id: n.id,
    billing_entity_code: view.billingEntityCode,
    sequential_id: n.sequentialId,
    number: n.number,
    lago_invoice_id: n.invoiceId,
    invoice_number: view.invoiceNumber,
    purchase_order_number: null,
    issuing_date: n.issuingDate,
    credit_status: n.creditStatus,
    refund_status: n.refundStatus,
    reason: n.reason,
    description: n.description,
    currency: n.currency,
    total_amount_cents: Number(n.totalAmountCents),
    precise_total_amount_cents: bigDecimalText(n.preciseTotalAmountCents),
    taxes_amount_cents: Number(n.taxesAmountCents),
    precise_taxes_amount_cents: bigDecimalText(n.preciseTaxesAmountCents),
    sub_total_excluding_taxes_amount_cents: Number(n.subTotalExcludingTaxesAmountCents),
    balance_amount_cents: Number(n.balanceAmountCents),
    credit_amount_cents: Number(n.creditAmountCents),
    refund_amount_cents: Number(n.refundAmountCents),
    offset_amount_cents: Number(n.offsetAmountCents),
    coupons_adjustment_amount_cents: Number(n.couponsAdjustmentAmountCents),
    taxes_rate: Number(n.taxesRate),
    created_at: isoSeconds(n.createdAt)!,
    updated_at: isoSeconds(n.updatedAt)!,
    file_url: n.fileUrl,
    // Billow renders no e-invoicing XML.
    xml_url: null,
    self_billed: false,
  };
  if (includes.includes('customer')) json.customer = customerJson(view.customer, includes === API_INCLUDES);
  if (includes.includes('items')) {
    json.items = view.items.map(({ item, fee }) => ({
      lago_id: item.id,
      amount_cents: Number(item.amountCents),
      precise_amount_cents: bigDecimalText(item.preciseAmountCents),
      amount_currency: item.amountCurrency,
      fee: serializeFee(fee, { appliedTaxes: false }),
    }));
  }
  if (includes.includes('applied_taxes')) {
    json.applied_taxes = view.appliedTaxes.map((t) => ({
      lago_id: t.id,
      lago_credit_note_id: t.creditNoteId,
      lago_tax_id: t.taxId,
      tax_name: t.taxName,
      tax_code: t.taxCode,
      tax_rate: Number(t.taxRate),
      tax_description: t.taxDescription,
      base_amount_cents: Number(t.baseAmountCents),
      amount_cents: Number(t.amountCents),
      amount_currency: t.amountCurrency,
      created_at: isoSeconds(t.createdAt),
    }));
  }
  if (includes.includes('error_details')) json.error_details = [];
  if (n.metadata !== null) json.metadata = n.metadata;
  return json;
};

const EstimateTaxObject = Type.Object({
  lago_tax_id: Nullable(Uuid),
  tax_name: Type.String(),
  tax_code: Type.String(),
  tax_rate: Type.Number(),
  tax_description: Nullable(Type.String()),
  base_amount_cents: Type.Integer(),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
});

/** Lago's `V1::CreditNotes::EstimateSerializer`. */
export const CreditNoteEstimateObject = Type.Object(
  {
    lago_invoice_id: Uuid,
    invoice_number: Type.String(),
    currency: Type.String(),
    taxes_amount_cents: Type.Integer(),
    precise_taxes_amount_cents: Type.String(),
    sub_total_excluding_taxes_amount_cents: Type.Integer(),
    max_creditable_amount_cents: Type.Integer(),
    max_refundable_amount_cents: Type.Integer(),
    coupons_adjustment_amount_cents: Type.Integer(),
    precise_coupons_adjustment_amount_cents: Type.String(),
    taxes_rate: Type.Number(),
    items: Type.Array(Type.Object({ lago_fee_id: Uuid, amount_cents: Type.Integer() })),
    applied_taxes: Type.Array(EstimateTaxObject),
  },
  { $id: 'CreditNoteEstimate' },
);

export const serializeEstimate = (e: CreditNoteEstimateView): Static<typeof CreditNoteEstimateObject> => ({
  lago_invoice_id: e.invoiceId,
  invoice_number: e.invoiceNumber,
  currency: e.currency,
  taxes_amount_cents: Number(e.taxesAmountCents),
  precise_taxes_amount_cents: bigDecimalText(e.preciseTaxesAmountCents),
  sub_total_excluding_taxes_amount_cents: Number(e.subTotalExcludingTaxesAmountCents),
  max_creditable_amount_cents: Number(e.maxCreditableAmountCents),
  max_refundable_amount_cents: Number(e.maxRefundableAmountCents),
  coupons_adjustment_amount_cents: Number(e.couponsAdjustmentAmountCents),
  precise_coupons_adjustment_amount_cents: bigDecimalText(e.preciseCouponsAdjustmentAmountCents),
  taxes_rate: e.taxesRate,
  items: e.items.map((i) => ({ lago_fee_id: i.feeId, amount_cents: Number(i.amountCents) })),
  applied_taxes: e.appliedTaxes.map((t) => ({
    lago_tax_id: t.taxId,
    tax_name: t.name,
    tax_code: t.code,
    tax_rate: Number(t.rate),
    tax_description: t.description,
    base_amount_cents: Number(t.baseAmountCents),
    amount_cents: Number(t.amountCents),
    amount_currency: t.currency,
  })),
});
