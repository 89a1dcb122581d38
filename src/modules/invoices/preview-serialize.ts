import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { CustomerObject } from '../customers/serialize.ts';
import { FeeItemSchema, serializeFee } from '../fees/serialize.ts';
import { serializeSubscription, SubscriptionObject } from '../subscriptions/serialize.ts';
import type { InvoicePreview } from './preview.ts';
import { InvoiceObject, serializeCredit, serializeInvoice } from './serialize.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

/** A copy of an object schema (without its `$id`) whose `keys` may also hold null. */
const withNullable = <P extends TProperties>(schema: TObject<P>, keys: readonly (keyof P & string)[], drop: readonly string[] = []) =>
  Type.Object(
    Object.fromEntries(
      Object.entries(schema.properties)
        .filter(([key]) => !drop.includes(key))
        .map(([key, value]) => [key, keys.includes(key) ? Nullable(value) : value]),
    ) as TProperties,
  );

// What exists only in a preview has no id (Lago shows unsaved records with nil ids): those fields may be null here.
const PreviewCustomerObject = withNullable(CustomerObject, ['lago_id', 'external_id', 'sequential_id', 'slug']);
const PreviewSubscriptionObject = withNullable(SubscriptionObject, ['lago_id', 'external_id', 'lago_customer_id', 'external_customer_id']);
/** Lago lists a preview's fees without their applied taxes. */
const PreviewFeeObject = withNullable(FeeItemSchema, ['lago_id', 'created_at'], ['applied_taxes']);

const PreviewCreditObject = Type.Object({
  lago_id: Nullable(Uuid),
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
  invoice: Type.Object({ lago_id: Nullable(Uuid), payment_status: Type.String() }),
});

const PreviewAppliedTaxObject = Type.Object({
  lago_id: Nullable(Uuid),
  lago_invoice_id: Nullable(Uuid),
  lago_tax_id: Nullable(Uuid),
  tax_name: Type.String(),
  tax_code: Type.String(),
  tax_rate: Type.Number(),
  tax_description: Nullable(Type.String()),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  fees_amount_cents: Type.Integer(),
  created_at: Nullable(DateTime),
});

const { metadata: _metadata, customer: _customer, applied_taxes: _taxes, ...invoiceFields } = InvoiceObject.properties;

/**
 * Lago's preview invoice (`V1::InvoiceSerializer` with customer, credits, applied taxes, the preview's subscriptions
 * and fees), in Lago's key order.
 */
export const InvoicePreviewObject = Type.Object(
  {
    ...invoiceFields,
    lago_id: Nullable(Uuid),
    customer: PreviewCustomerObject,
    credits: Type.Array(PreviewCreditObject),
    applied_taxes: Type.Array(PreviewAppliedTaxObject),
    subscriptions: Type.Array(PreviewSubscriptionObject),
    fees: Type.Array(PreviewFeeObject),
  },
  { $id: 'InvoicePreview' },
);
export type InvoicePreviewJson = Static<typeof InvoicePreviewObject>;

/** Every value that is one of the preview's stand-ins, anywhere in `json`, replaced by what Lago would show. */
const replaceTransient = (json: unknown, transient: ReadonlyMap<string, string | null>): unknown => {
  if (typeof json === 'string') return transient.has(json) ? transient.get(json)! : json;
  if (Array.isArray(json)) return json.map((v) => replaceTransient(v, transient));
  if (json !== null && typeof json === 'object') {
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, replaceTransient(v, transient)]));
  }
  return json;
};

/**
 * A preview as Lago answers it: an invoice that was never saved, so no id, no number (Lago's column default, an
 * empty text) and the column defaults for its status (finalized) and payment status (pending); its fees, credits and
 * taxes have no ids or creation times either.
 */
export const serializeInvoicePreview = ({ detail, transient, newCustomer }: InvoicePreview): InvoicePreviewJson => {
  const invoice = serializeInvoice(detail);
  const { metadata: _m, customer, applied_taxes, ...fields } = invoice;
  const json = {
    ...fields,
    sequential_id: null,
    number: '',
    status: 'finalized',
    payment_status: 'pending',
    customer: newCustomer ? { ...customer, sequential_id: null } : customer,
    credits: detail.credits.map((c) => serializeCredit(c, 'pending')),
    applied_taxes: applied_taxes.map((t) => ({ ...t, created_at: null })),
    subscriptions: detail.subscriptions.map(serializeSubscription),
    fees: detail.fees.map((view) => ({ ...serializeFee(view, { appliedTaxes: false }), created_at: null })),
  };
  return replaceTransient(json, transient) as InvoicePreviewJson;
};
