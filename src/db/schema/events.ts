import { bigint, boolean, char, jsonb, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { orgId, ts } from './columns.ts';

export const events = pgTable('events', {
  organizationId: orgId(),
  transactionId: text('transaction_id').notNull(),
  externalSubscriptionId: text('external_subscription_id').notNull(),
  id: uuid('id').notNull(),
  code: text('code').notNull(),
  timestamp: ts('timestamp').notNull(),
  properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
  preciseTotalAmountCents: numeric('precise_total_amount_cents'),
  createdAt: ts('created_at').notNull(),
});

export const eventAggregates = pgTable('event_aggregates', {
  organizationId: orgId(),
  externalSubscriptionId: text('external_subscription_id').notNull(),
  code: text('code').notNull(),
  grain: char('grain').notNull(),
  bucket: ts('bucket').notNull(),
  dims: text('dims').notNull(),
  eventsCount: bigint('events_count', { mode: 'bigint' }).notNull(),
  valuedCount: bigint('valued_count', { mode: 'bigint' }).notNull(),
  valueSum: numeric('value_sum').notNull(),
  valueMax: numeric('value_max'),
  latestAt: ts('latest_at'),
  latestValue: numeric('latest_value'),
  latestKey: numeric('latest_key'),
  timeWeighted: numeric('time_weighted').notNull(),
  amountCentsSum: numeric('amount_cents_sum').notNull(),
});

export const eventUniqueValues = pgTable('event_unique_values', {
  organizationId: orgId(),
  externalSubscriptionId: text('external_subscription_id').notNull(),
  code: text('code').notNull(),
  grain: char('grain').notNull(),
  bucket: ts('bucket').notNull(),
  dims: text('dims').notNull(),
  value: text('value').notNull(),
  lastAt: ts('last_at').notNull(),
  lastIsAdd: boolean('last_is_add').notNull(),
  lastKey: numeric('last_key'),
});
