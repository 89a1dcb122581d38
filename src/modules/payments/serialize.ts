import { Type, type Static } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { PaymentView } from './types.ts';

const Uuid = Type.String({ format: 'uuid' });

/** Lago's payment (`V1::PaymentSerializer`), in its key order. */
export const PaymentObject = Type.Object(
  {
    lago_id: Uuid,
    lago_customer_id: Uuid,
    external_customer_id: Type.String(),
    invoice_ids: Type.Array(Uuid),
    invoice_numbers: Type.Array(Type.String()),
    lago_payable_id: Uuid,
    payable_type: Type.String({ description: '`Invoice` or `PaymentRequest`' }),
    amount_cents: Type.Integer(),
    amount_currency: Type.String(),
    status: Type.String({ description: "The payment provider's status; `succeeded` for a manual payment." }),
    payment_status: Type.String({ description: 'pending | processing | succeeded | failed' }),
    type: Type.String({ description: 'manual | provider' }),
    reference: Nullable(Type.String()),
    payment_provider_code: Nullable(Type.String()),
    payment_provider_type: Nullable(Type.String()),
    external_payment_id: Nullable(Type.String()),
    provider_payment_id: Nullable(Type.String()),
    provider_customer_id: Nullable(Type.String()),
    next_action: AnyObject,
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Payment' },
);
export type PaymentJson = Static<typeof PaymentObject>;

export const serializePayment = ({ payment, invoice, customer }: PaymentView): PaymentJson => ({
  lago_id: payment.id,
  lago_customer_id: customer.id,
  external_customer_id: customer.externalId,
  invoice_ids: [invoice.id],
  invoice_numbers: [invoice.number],
  lago_payable_id: invoice.id,
  payable_type: 'Invoice',
  amount_cents: Number(payment.amountCents),
  amount_currency: payment.amountCurrency,
  status: payment.status,
  payment_status: payment.payablePaymentStatus,
  type: payment.paymentType,
  reference: payment.reference,
  // Billow has no payment providers: every payment is recorded through the API.
  payment_provider_code: null,
  payment_provider_type: null,
  external_payment_id: null,
  provider_payment_id: null,
  provider_customer_id: null,
  next_action: {},
  created_at: isoSeconds(payment.createdAt)!,
});
