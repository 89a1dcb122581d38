import { boolean, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps, ts } from './columns.ts';

export const subscriptions = pgTable('subscriptions', {
  organizationId: orgId(),
  id: id(),
  externalId: text('external_id').notNull(),
  customerId: uuid('customer_id').notNull(),
  planId: uuid('plan_id').notNull(),
  name: text('name'),
  status: text('status').notNull(),
  billingTime: text('billing_time').notNull(),
  subscriptionAt: ts('subscription_at').notNull(),
  startedAt: ts('started_at'),
  endingAt: ts('ending_at'),
  terminatedAt: ts('terminated_at'),
  canceledAt: ts('canceled_at'),
  trialEndedAt: ts('trial_ended_at'),
  previousSubscriptionId: uuid('previous_subscription_id'),
  onTerminationCreditNote: text('on_termination_credit_note'),
  onTerminationInvoice: text('on_termination_invoice').notNull(),
  progressiveBillingDisabled: boolean('progressive_billing_disabled').notNull(),
  purchaseOrderNumber: text('purchase_order_number'),
  nextDueAt: ts('next_due_at'),
  startBilled: boolean('start_billed').notNull().default(false),
  ...timestamps(),
});
