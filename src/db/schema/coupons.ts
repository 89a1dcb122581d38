import { boolean, integer, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { cents, id, orgId, timestamps, ts } from './columns.ts';

export const coupons = pgTable('coupons', {
  organizationId: orgId(),
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  couponType: text('coupon_type').notNull(),
  amountCents: cents('amount_cents'),
  amountCurrency: text('amount_currency'),
  percentageRate: numeric('percentage_rate'),
  frequency: text('frequency').notNull(),
  frequencyDuration: integer('frequency_duration'),
  reusable: boolean('reusable').notNull(),
  limitedPlans: boolean('limited_plans').notNull(),
  limitedBillableMetrics: boolean('limited_billable_metrics').notNull(),
  expiration: text('expiration').notNull(),
  expirationAt: ts('expiration_at'),
  status: text('status').notNull(),
  terminatedAt: ts('terminated_at'),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const couponTargets = pgTable('coupon_targets', {
  organizationId: orgId(),
  id: id(),
  couponId: uuid('coupon_id').notNull(),
  planId: uuid('plan_id'),
  billableMetricId: uuid('billable_metric_id'),
  createdAt: ts('created_at').notNull(),
});

export const appliedCoupons = pgTable('applied_coupons', {
  organizationId: orgId(),
  id: id(),
  couponId: uuid('coupon_id').notNull(),
  customerId: uuid('customer_id').notNull(),
  status: text('status').notNull(),
  amountCents: cents('amount_cents'),
  amountCentsRemaining: cents('amount_cents_remaining'),
  amountCurrency: text('amount_currency'),
  percentageRate: numeric('percentage_rate'),
  frequency: text('frequency').notNull(),
  frequencyDuration: integer('frequency_duration'),
  frequencyDurationRemaining: integer('frequency_duration_remaining'),
  ...timestamps(),
  terminatedAt: ts('terminated_at'),
});
