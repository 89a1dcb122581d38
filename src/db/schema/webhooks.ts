import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps, ts } from './columns.ts';

export const organizationSigningKeys = pgTable('organization_signing_keys', {
  organizationId: uuid('organization_id').primaryKey(),
  privateKeyPem: text('private_key_pem').notNull(),
  publicKeyPem: text('public_key_pem').notNull(),
  createdAt: ts('created_at').notNull(),
});

export const webhookEndpoints = pgTable('webhook_endpoints', {
  organizationId: orgId(),
  id: id(),
  webhookUrl: text('webhook_url').notNull(),
  signatureAlgo: text('signature_algo').notNull(),
  name: text('name'),
  eventTypes: text('event_types').array(),
  ...timestamps(),
});

export const webhooks = pgTable('webhooks', {
  organizationId: orgId(),
  id: id(),
  endpointId: uuid('endpoint_id').notNull(),
  webhookType: text('webhook_type').notNull(),
  objectType: text('object_type').notNull(),
  objectId: text('object_id'),
  payload: text('payload').notNull(),
  status: text('status').notNull(),
  attempts: integer('attempts').notNull(),
  nextAttemptAt: ts('next_attempt_at').notNull(),
  lockedUntil: ts('locked_until'),
  lastAttemptAt: ts('last_attempt_at'),
  httpStatus: integer('http_status'),
  response: text('response'),
  ...timestamps(),
});
