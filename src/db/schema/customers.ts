import { boolean, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { id, orgId, timestamps, ts } from './columns.ts';

/** Payment-provider settings of a customer, kept as sent: Billow has no payment-provider integration yet. */
export interface CustomerProviderSettings {
  payment_provider?: string | null;
  payment_provider_code?: string | null;
  provider_customer_id?: string | null;
  sync?: boolean | null;
  sync_with_provider?: boolean | null;
  provider_payment_methods?: string[] | null;
}

export interface CustomerShippingAddress {
  address_line1?: string | null;
  address_line2?: string | null;
  city?: string | null;
  zipcode?: string | null;
  state?: string | null;
  country?: string | null;
}

export const customers = pgTable('customers', {
  organizationId: orgId(),
  id: id(),
  externalId: text('external_id').notNull(),
  sequentialId: integer('sequential_id').notNull(),
  slug: text('slug').notNull(),
  accountType: text('account_type').notNull(),
  customerType: text('customer_type'),
  name: text('name'),
  firstname: text('firstname'),
  lastname: text('lastname'),
  country: text('country'),
  addressLine1: text('address_line1'),
  addressLine2: text('address_line2'),
  state: text('state'),
  zipcode: text('zipcode'),
  city: text('city'),
  email: text('email'),
  url: text('url'),
  phone: text('phone'),
  logoUrl: text('logo_url'),
  legalName: text('legal_name'),
  legalNumber: text('legal_number'),
  taxIdentificationNumber: text('tax_identification_number'),
  currency: text('currency'),
  timezone: text('timezone'),
  netPaymentTerm: integer('net_payment_term'),
  invoiceGracePeriod: integer('invoice_grace_period'),
  documentLocale: text('document_locale'),
  subscriptionInvoiceIssuingDateAnchor: text('subscription_invoice_issuing_date_anchor'),
  subscriptionInvoiceIssuingDateAdjustment: text('subscription_invoice_issuing_date_adjustment'),
  finalizeZeroAmountInvoice: text('finalize_zero_amount_invoice').notNull(),
  externalSalesforceId: text('external_salesforce_id'),
  skipInvoiceCustomSections: boolean('skip_invoice_custom_sections').notNull(),
  billingConfiguration: jsonb('billing_configuration').$type<CustomerProviderSettings>().notNull(),
  shippingAddress: jsonb('shipping_address').$type<CustomerShippingAddress>().notNull(),
  ...timestamps(),
  deletedAt: ts('deleted_at'),
});

export const customerMetadata = pgTable('customer_metadata', {
  organizationId: orgId(),
  id: id(),
  customerId: uuid('customer_id').notNull(),
  key: text('key').notNull(),
  value: text('value').notNull(),
  displayInInvoice: boolean('display_in_invoice').notNull(),
  ...timestamps(),
});

export const customerTaxes = pgTable('customer_taxes', {
  organizationId: orgId(),
  customerId: uuid('customer_id').notNull(),
  taxId: uuid('tax_id').notNull(),
  createdAt: ts('created_at').notNull(),
});
