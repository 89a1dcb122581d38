import { Type, type Static } from '@sinclair/typebox';
import { QueryValue } from '../../http/schemas.ts';
import type { payments } from '../../db/schema/payments.ts';

export type PaymentRow = typeof payments.$inferSelect;

/** A payment with what its JSON names of the invoice it paid and that invoice's customer. */
export interface PaymentView {
  payment: PaymentRow;
  invoice: { id: string; number: string };
  customer: { id: string; externalId: string };
}

/** Lago's `Payment` model: a manual payment's reference is required and at most 40 characters. */
export const REFERENCE_MAX_LENGTH = 40;

/** Statuses under which an invoice takes a manual payment (Lago's `Invoice::MANUALLY_PAYABLE_INVOICE_STATUS`). */
export const MANUALLY_PAYABLE_STATUSES: readonly string[] = ['finalized', 'open'];

// The fields are checked by the service, not the schema, so that a wrong type gets the code Lago gives it
// (`amount_cents: ["invalid_value"]` for "100" or 1.5, `paid_at: ["invalid_date"]` for 20240120).
export const PaymentCreateBody = Type.Object({
  payment: Type.Object({
    invoice_id: Type.Optional(Type.Unknown({ description: 'The lago_id of the invoice paid.', examples: ['1a901a90-1a90-1a90-1a90-1a901a901a90'] })),
    amount_cents: Type.Optional(Type.Unknown({ description: 'A positive integer, at most what is due on the invoice.', examples: [100] })),
    reference: Type.Optional(Type.Unknown({ description: `Your reference for the payment, at most ${REFERENCE_MAX_LENGTH} characters.`, examples: ['ref1'] })),
    paid_at: Type.Optional(Type.Unknown({ description: 'When the payment was made: an ISO 8601 date or date-time (default: now).', examples: ['2025-02-20'] })),
  }),
});
export type PaymentCreateInput = Static<typeof PaymentCreateBody>['payment'];

export const PaymentListQuery = Type.Object({
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
  external_customer_id: Type.Optional(QueryValue),
  invoice_id: Type.Optional(QueryValue),
});
export type PaymentListQueryInput = Static<typeof PaymentListQuery>;

export const CustomerPaymentListQuery = Type.Object({
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
  invoice_id: Type.Optional(QueryValue),
});

export interface PaymentFilters {
  externalCustomerId?: string;
  invoiceId?: string;
}
