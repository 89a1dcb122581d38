import { Type, type Static } from '@sinclair/typebox';
import { QueryValue } from '../../http/schemas.ts';
import type { paymentRequests } from '../../db/schema/payments.ts';
import type { CustomerView } from '../customers/views.ts';
import type { InvoiceView } from '../invoices/types.ts';

export type PaymentRequestRow = typeof paymentRequests.$inferSelect;

/** A payment request with its customer and the invoices it asks to be paid. */
export interface PaymentRequestView {
  request: PaymentRequestRow;
  customer: CustomerView;
  invoices: InvoiceView[];
}

// Checked by the service, as Lago's strong parameters read them: a `lago_invoice_ids` that is not a list is none.
export const PaymentRequestCreateBody = Type.Object({
  payment_request: Type.Object({
    external_customer_id: Type.Optional(Type.Unknown({ description: "The customer's external_id.", examples: ['cust_1'] })),
    email: Type.Optional(Type.Unknown({ description: "Where to ask for the payment (default: the customer's email).", examples: ['billing@example.com'] })),
    lago_invoice_ids: Type.Optional(
      Type.Unknown({ description: "The lago_ids of the customer's overdue invoices to request payment of, all in one currency.", examples: [['1a901a90-1a90-1a90-1a90-1a901a901a90']] }),
    ),
  }),
});
export type PaymentRequestCreateInput = Static<typeof PaymentRequestCreateBody>['payment_request'];

export const PaymentRequestListQuery = Type.Object({
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
  external_customer_id: Type.Optional(QueryValue),
  payment_status: Type.Optional(QueryValue),
  currency: Type.Optional(QueryValue),
  'billing_entity_codes[]': Type.Optional(QueryValue),
});
export type PaymentRequestListQueryInput = Static<typeof PaymentRequestListQuery>;

export const CustomerPaymentRequestListQuery = Type.Omit(PaymentRequestListQuery, ['external_customer_id']);

export interface PaymentRequestFilters {
  externalCustomerId?: string;
  paymentStatus?: string;
  currency?: string;
}
