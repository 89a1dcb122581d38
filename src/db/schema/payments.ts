import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { cents, id, orgId, timestamps, ts } from './columns.ts';

export const payments = pgTable('payments', {
  organizationId: orgId(),
  id: id(),
  customerId: uuid('customer_id').notNull(),
  invoiceId: uuid('invoice_id').notNull(),
  amountCents: cents('amount_cents').notNull(),
  amountCurrency: text('amount_currency').notNull(),
  paymentType: text('payment_type').notNull(),
  status: text('status').notNull(),
  payablePaymentStatus: text('payable_payment_status').notNull(),
  reference: text('reference'),
  ...timestamps(),
});

export const paymentRequests = pgTable('payment_requests', {
  organizationId: orgId(),
  id: id(),
  customerId: uuid('customer_id').notNull(),
  amountCents: cents('amount_cents').notNull(),
  amountCurrency: text('amount_currency').notNull(),
  email: text('email'),
  paymentStatus: text('payment_status').notNull(),
  ...timestamps(),
});

export const paymentRequestInvoices = pgTable('payment_request_invoices', {
  organizationId: orgId(),
  paymentRequestId: uuid('payment_request_id').notNull(),
  invoiceId: uuid('invoice_id').notNull(),
  createdAt: ts('created_at').notNull(),
});
