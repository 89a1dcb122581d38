import { bigint, boolean, customType, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps, ts } from './columns.ts';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug'),
  defaultCurrency: text('default_currency').notNull(),
  timezone: text('timezone').notNull(),
  country: text('country'),
  addressLine1: text('address_line1'),
  addressLine2: text('address_line2'),
  state: text('state'),
  zipcode: text('zipcode'),
  email: text('email'),
  city: text('city'),
  legalName: text('legal_name'),
  legalNumber: text('legal_number'),
  taxIdentificationNumber: text('tax_identification_number'),
  netPaymentTerm: integer('net_payment_term').notNull(),
  invoiceGracePeriod: integer('invoice_grace_period').notNull(),
  documentLocale: text('document_locale').notNull(),
  invoiceFooter: text('invoice_footer'),
  documentNumbering: text('document_numbering').notNull(),
  documentNumberPrefix: text('document_number_prefix').notNull(),
  finalizeZeroAmountInvoice: boolean('finalize_zero_amount_invoice').notNull(),
  emailSettings: text('email_settings').array().notNull(),
  testClockFrozenAt: ts('test_clock_frozen_at'),
  customersSequence: integer('customers_sequence').notNull(),
  meteringVersion: bigint('metering_version', { mode: 'bigint' }).notNull().default(0n),
  hmacKey: text('hmac_key').notNull(),
  eventsValidatedUntil: ts('events_validated_until'),
  ...timestamps(),
});

export const apiKeys = pgTable('api_keys', {
  organizationId: orgId(),
  id: id(),
  keyDigest: bytea('key_digest').notNull(),
  keyHint: text('key_hint').notNull(),
  createdAt: ts('created_at').notNull(),
  revokedAt: ts('revoked_at'),
});
