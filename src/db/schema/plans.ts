import { boolean, doublePrecision, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { cents, id, orgId, timestamps, ts } from './columns.ts';

export const plans = pgTable('plans', {
  organizationId: orgId(),
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  invoiceDisplayName: text('invoice_display_name'),
  description: text('description'),
  interval: text('interval').notNull(),
  amountCents: cents('amount_cents').notNull(),
  amountCurrency: text('amount_currency').notNull(),
  trialPeriod: doublePrecision('trial_period'),
  payInAdvance: boolean('pay_in_advance').notNull(),
  billChargesMonthly: boolean('bill_charges_monthly'),
  billFixedChargesMonthly: boolean('bill_fixed_charges_monthly'),
  metadata: jsonb('metadata').$type<Record<string, string | null>>(),
  parentId: uuid('parent_id'),
  pendingDeletion: boolean('pending_deletion').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const charges = pgTable('charges', {
  organizationId: orgId(),
  id: id(),
  planId: uuid('plan_id').notNull(),
  billableMetricId: uuid('billable_metric_id').notNull(),
  code: text('code').notNull(),
  chargeModel: text('charge_model').notNull(),
  payInAdvance: boolean('pay_in_advance').notNull(),
  invoiceable: boolean('invoiceable').notNull(),
  regroupPaidFees: text('regroup_paid_fees'),
  prorated: boolean('prorated').notNull(),
  minAmountCents: cents('min_amount_cents').notNull(),
  acceptsTargetWallet: boolean('accepts_target_wallet').notNull().default(false),
  invoiceDisplayName: text('invoice_display_name'),
  properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
  parentId: uuid('parent_id'),
  position: integer('position').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const chargeFilters = pgTable('charge_filters', {
  organizationId: orgId(),
  id: id(),
  chargeId: uuid('charge_id').notNull(),
  invoiceDisplayName: text('invoice_display_name'),
  properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
  values: jsonb('values').$type<Record<string, string[]>>().notNull(),
  position: integer('position').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const usageThresholds = pgTable('usage_thresholds', {
  organizationId: orgId(),
  id: id(),
  planId: uuid('plan_id').notNull(),
  thresholdDisplayName: text('threshold_display_name'),
  amountCents: cents('amount_cents').notNull(),
  recurring: boolean('recurring').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const commitments = pgTable('commitments', {
  organizationId: orgId(),
  id: id(),
  planId: uuid('plan_id').notNull(),
  commitmentType: text('commitment_type').notNull(),
  amountCents: cents('amount_cents').notNull(),
  invoiceDisplayName: text('invoice_display_name'),
  ...timestamps(),
});

export const planTaxes = pgTable('plan_taxes', {
  organizationId: orgId(),
  planId: uuid('plan_id').notNull(),
  taxId: uuid('tax_id').notNull(),
  createdAt: ts('created_at').notNull(),
});

export const chargeTaxes = pgTable('charge_taxes', {
  organizationId: orgId(),
  chargeId: uuid('charge_id').notNull(),
  taxId: uuid('tax_id').notNull(),
  createdAt: ts('created_at').notNull(),
});

export const commitmentTaxes = pgTable('commitment_taxes', {
  organizationId: orgId(),
  commitmentId: uuid('commitment_id').notNull(),
  taxId: uuid('tax_id').notNull(),
  createdAt: ts('created_at').notNull(),
});
