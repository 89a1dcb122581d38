import { Type, type Static } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { serializeTax, TaxObject } from '../taxes/serialize.ts';
import type { CustomerMetadata } from './types.ts';
import { billingEntityCode, type CustomerView } from './views.ts';

const Text = Nullable(Type.String());
const DateTime = Type.String({ format: 'date-time' });

export const CustomerMetadataObject = Type.Object({
  lago_id: Type.String({ format: 'uuid' }),
  key: Type.String(),
  value: Type.String(),
  display_in_invoice: Type.Boolean(),
  created_at: DateTime,
});

/** The six keys Lago always prints; a customer with a payment provider gets that provider's settings beside them. */
const BillingConfigurationObject = Type.Object(
  {
    invoice_grace_period: Nullable(Type.Integer()),
    payment_provider: Text,
    payment_provider_code: Text,
    document_locale: Text,
    subscription_invoice_issuing_date_anchor: Text,
    subscription_invoice_issuing_date_adjustment: Text,
  },
  { additionalProperties: true },
);

const ShippingAddressObject = Type.Object({
  address_line1: Text,
  address_line2: Text,
  city: Text,
  zipcode: Text,
  state: Text,
  country: Text,
});

/** Lago's customer, in Lago's key order. */
const customerProperties = {
  lago_id: Type.String({ format: 'uuid' }),
  billing_entity_code: Type.String(),
  external_id: Type.String(),
  account_type: Type.String(),
  name: Text,
  firstname: Text,
  lastname: Text,
  customer_type: Text,
  sequential_id: Type.Integer(),
  slug: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
  country: Text,
  address_line1: Text,
  address_line2: Text,
  state: Text,
  zipcode: Text,
  email: Text,
  city: Text,
  url: Text,
  phone: Text,
  logo_url: Text,
  legal_name: Text,
  legal_number: Text,
  currency: Text,
  tax_identification_number: Text,
  timezone: Text,
  applicable_timezone: Type.String(),
  net_payment_term: Nullable(Type.Integer()),
  external_salesforce_id: Text,
  finalize_zero_amount_invoice: Type.String(),
  billing_configuration: BillingConfigurationObject,
  shipping_address: ShippingAddressObject,
  skip_invoice_custom_sections: Type.Boolean(),
  metadata: Type.Array(CustomerMetadataObject),
  taxes: Type.Array(TaxObject),
  integration_customers: Type.Array(AnyObject),
};

/** A customer as lists (and other resources embedding one) show it. */
export const CustomerObject = Type.Object(customerProperties, { $id: 'Customer' });
export type CustomerJson = Static<typeof CustomerObject>;

/** A single customer (POST, GET one, DELETE) also carries its invoice custom sections and sync errors. */
export const CustomerDetailObject = Type.Object(
  {
    ...customerProperties,
    applicable_invoice_custom_sections: Type.Array(AnyObject),
    error_details: Type.Array(AnyObject),
  },
  { $id: 'CustomerDetail' },
);
export type CustomerDetailJson = Static<typeof CustomerDetailObject>;

const serializeMetadata = (m: CustomerMetadata) => ({
  lago_id: m.id,
  key: m.key,
  value: m.value,
  display_in_invoice: m.displayInInvoice,
  created_at: isoSeconds(m.createdAt)!,
});

const billingConfiguration = ({ customer: c }: CustomerView): CustomerJson['billing_configuration'] => {
  const provider = c.billingConfiguration.payment_provider ?? null;
  const settings = c.billingConfiguration;
  return {
    invoice_grace_period: c.invoiceGracePeriod,
    payment_provider: provider,
    payment_provider_code: settings.payment_provider_code ?? null,
    document_locale: c.documentLocale,
    subscription_invoice_issuing_date_anchor: c.subscriptionInvoiceIssuingDateAnchor,
    subscription_invoice_issuing_date_adjustment: c.subscriptionInvoiceIssuingDateAdjustment,
    ...(provider !== null && { provider_customer_id: settings.provider_customer_id ?? null }),
    ...(provider === 'stripe' && { provider_payment_methods: settings.provider_payment_methods ?? ['card'] }),
    ...(provider !== null && settings.sync_with_provider != null && { sync_with_provider: settings.sync_with_provider }),
  };
};

export const serializeCustomer = (view: CustomerView): CustomerJson => {
  const c = view.customer;
  const shipping = c.shippingAddress;
  return {
    lago_id: c.id,
    billing_entity_code: billingEntityCode(view.organization),
    external_id: c.externalId,
    account_type: c.accountType,
    name: c.name,
    firstname: c.firstname,
    lastname: c.lastname,
    customer_type: c.customerType,
    sequential_id: c.sequentialId,
    slug: c.slug,
    created_at: isoSeconds(c.createdAt)!,
    updated_at: isoSeconds(c.updatedAt)!,
    country: c.country,
    address_line1: c.addressLine1,
    address_line2: c.addressLine2,
    state: c.state,
    zipcode: c.zipcode,
    email: c.email,
    city: c.city,
    url: c.url,
    phone: c.phone,
    logo_url: c.logoUrl,
    legal_name: c.legalName,
    legal_number: c.legalNumber,
    currency: c.currency,
    tax_identification_number: c.taxIdentificationNumber,
    timezone: c.timezone,
    applicable_timezone: c.timezone ?? view.organization.timezone ?? 'UTC',
    net_payment_term: c.netPaymentTerm,
    external_salesforce_id: c.externalSalesforceId,
    finalize_zero_amount_invoice: c.finalizeZeroAmountInvoice,
    billing_configuration: billingConfiguration(view),
    shipping_address: {
      address_line1: shipping.address_line1 ?? null,
      address_line2: shipping.address_line2 ?? null,
      city: shipping.city ?? null,
      zipcode: shipping.zipcode ?? null,
      state: shipping.state ?? null,
      country: shipping.country ?? null,
    },
    skip_invoice_custom_sections: c.skipInvoiceCustomSections,
    metadata: view.metadata.map(serializeMetadata),
    taxes: view.taxes.map(serializeTax),
    // Billow has no accounting, CRM or tax-provider integrations, hence no integration customers.
    integration_customers: [],
  };
};

export const serializeCustomerDetail = (view: CustomerView): CustomerDetailJson => ({
  ...serializeCustomer(view),
  applicable_invoice_custom_sections: [],
  error_details: [],
});
