import { boolean, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { cents, id, orgId, timestamps, ts } from './columns.ts';

export const taxes = pgTable('taxes', {
  organizationId: orgId(),
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  rate: numeric('rate').notNull(),
  description: text('description'),
  appliedToOrganization: boolean('applied_to_organization').notNull(),
  ...timestamps(),
});

export const addOns = pgTable('add_ons', {
  organizationId: orgId(),
  id: id(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  invoiceDisplayName: text('invoice_display_name'),
  description: text('description'),
  amountCents: cents('amount_cents').notNull(),
  amountCurrency: text('amount_currency').notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const addOnTaxes = pgTable('add_on_taxes', {
  organizationId: orgId(),
  addOnId: uuid('add_on_id').notNull(),
  taxId: uuid('tax_id').notNull(),
  createdAt: ts('created_at').notNull(),
});
