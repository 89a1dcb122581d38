import { boolean, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps, ts } from './columns.ts';

export const billableMetrics = pgTable('billable_metrics', {
  organizationId: orgId(),
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  aggregationType: text('aggregation_type').notNull(),
  fieldName: text('field_name'),
  weightedInterval: text('weighted_interval'),
  recurring: boolean('recurring').notNull(),
  roundingFunction: text('rounding_function'),
  roundingPrecision: integer('rounding_precision'),
  expression: text('expression'),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const billableMetricFilters = pgTable('billable_metric_filters', {
  organizationId: orgId(),
  id: id(),
  billableMetricId: uuid('billable_metric_id').notNull(),
  key: text('key').notNull(),
  values: text('values').array().notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});
