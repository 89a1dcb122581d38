import { boolean, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { cents, id, orgId, timestamps, ts } from './columns.ts';

export const subscriptionUsageThresholds = pgTable('subscription_usage_thresholds', {
  organizationId: orgId(),
  id: id(),
  subscriptionId: uuid('subscription_id').notNull(),
  thresholdDisplayName: text('threshold_display_name'),
  amountCents: cents('amount_cents').notNull(),
  recurring: boolean('recurring').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const lifetimeUsages = pgTable('lifetime_usages', {
  organizationId: orgId(),
  id: id(),
  subscriptionId: uuid('subscription_id').notNull(),
  historicalUsageAmountCents: cents('historical_usage_amount_cents').notNull(),
  invoicedUsageAmountCents: cents('invoiced_usage_amount_cents').notNull(),
  currentUsageAmountCents: cents('current_usage_amount_cents').notNull(),
  invoicedUsageAmountRefreshedAt: ts('invoiced_usage_amount_refreshed_at'),
  currentUsageAmountRefreshedAt: ts('current_usage_amount_refreshed_at'),
  ...timestamps(),
});

export const appliedUsageThresholds = pgTable('applied_usage_thresholds', {
  organizationId: orgId(),
  id: id(),
  invoiceId: uuid('invoice_id').notNull(),
  usageThresholdId: uuid('usage_threshold_id').notNull(),
  thresholdDisplayName: text('threshold_display_name'),
  amountCents: cents('amount_cents').notNull(),
  recurring: boolean('recurring').notNull(),
  thresholdCreatedAt: ts('threshold_created_at').notNull(),
  thresholdUpdatedAt: ts('threshold_updated_at').notNull(),
  lifetimeUsageAmountCents: cents('lifetime_usage_amount_cents').notNull(),
  createdAt: ts('created_at').notNull(),
});
