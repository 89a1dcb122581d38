import { Type, type Static } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { CustomerObject, serializeCustomer } from '../customers/serialize.ts';
import { InvoiceObject, serializeInvoice } from '../invoices/serialize.ts';
import type { InvoiceView } from '../invoices/types.ts';
import type { CustomerView } from '../customers/views.ts';
import type { PaymentRequestView } from './types.ts';

// Lago serializes a payment request's customer and invoices without their own includes: no customer taxes or
// integration customers, and no invoice customer, metadata or taxes.
const { taxes: _taxes, integration_customers: _integrations, ...customerProperties } = CustomerObject.properties;
const { customer: _customer, metadata: _metadata, applied_taxes: _appliedTaxes, ...invoiceProperties } = InvoiceObject.properties;

const PaymentRequestCustomerObject = Type.Object(customerProperties);
const PaymentRequestInvoiceObject = Type.Object({ ...invoiceProperties, applied_usage_thresholds: Type.Optional(Type.Array(AnyObject)) });

/** Lago's payment request (`V1::PaymentRequestSerializer` with its customer and invoices), in its key order. */
export const PaymentRequestObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    amount_cents: Type.Integer(),
    amount_currency: Type.String(),
    email: Nullable(Type.String()),
    payment_status: Type.String({ description: 'pending | succeeded | failed' }),
    created_at: Type.String({ format: 'date-time' }),
    customer: PaymentRequestCustomerObject,
    invoices: Type.Array(PaymentRequestInvoiceObject),
  },
  { $id: 'PaymentRequest' },
);
export type PaymentRequestJson = Static<typeof PaymentRequestObject>;

const customerJson = (view: CustomerView) => {
  const { taxes: _t, integration_customers: _i, ...json } = serializeCustomer(view);
  return json;
};

const invoiceJson = (view: InvoiceView) => {
  const { customer: _c, metadata: _m, applied_taxes: _a, ...json } = serializeInvoice(view);
  // A progressive-billing invoice always shows its thresholds, as the invoice detail shows them.
  return view.invoice.invoiceType === 'progressive_billing' ? { ...json, applied_usage_thresholds: [] } : json;
};

export const serializePaymentRequest = ({ request, customer, invoices }: PaymentRequestView): PaymentRequestJson => ({
  lago_id: request.id,
  amount_cents: Number(request.amountCents),
  amount_currency: request.amountCurrency,
  email: request.email,
  payment_status: request.paymentStatus,
  created_at: isoSeconds(request.createdAt)!,
  customer: customerJson(customer),
  invoices: invoices.map(invoiceJson),
});
