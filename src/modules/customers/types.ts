import { Type, type Static } from '@sinclair/typebox';
import type { customerMetadata, customers } from '../../db/schema/index.ts';
import { AnyObject, OptionalNullable } from '../../http/schemas.ts';
import { isCountry, normalizeCountry } from '../../lib/countries.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { isTimeZone } from '../../lib/timezones.ts';
import { DOCUMENT_LOCALES, isEmailList } from '../organizations/types.ts';
import { MAX_INT4, MAX_KEY_LENGTH } from '../../lib/text.ts';

export type Customer = typeof customers.$inferSelect;
export type CustomerMetadata = typeof customerMetadata.$inferSelect;

export const CUSTOMER_TYPES = ['company', 'individual'] as const;
export const ACCOUNT_TYPES = ['customer', 'partner'] as const;
export const FINALIZE_ZERO_AMOUNT_INVOICE = ['inherit', 'skip', 'finalize'] as const;
export const ISSUING_DATE_ANCHORS = ['current_period_end', 'next_period_start'] as const;
export const ISSUING_DATE_ADJUSTMENTS = ['keep_anchor', 'align_with_finalization_date'] as const;
export const PAYMENT_PROVIDERS = ['stripe', 'gocardless', 'cashfree', 'adyen', 'flutterwave', 'moneyhash'] as const;
/** Lago keeps at most five metadata entries per customer. */
export const METADATA_PER_CUSTOMER = 5;

const oneOf = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);

const Text = OptionalNullable(Type.String());

const BillingConfigurationInput = Type.Object({
  invoice_grace_period: OptionalNullable(Type.Integer()),
  subscription_invoice_issuing_date_anchor: Text,
  subscription_invoice_issuing_date_adjustment: Text,
  payment_provider: Text,
  payment_provider_code: Text,
  provider_customer_id: Text,
  sync: OptionalNullable(Type.Boolean()),
  sync_with_provider: OptionalNullable(Type.Boolean()),
  document_locale: Text,
  provider_payment_methods: OptionalNullable(Type.Array(Type.String())),
});

const ShippingAddressInput = Type.Object({
  address_line1: Text,
  address_line2: Text,
  city: Text,
  zipcode: Text,
  state: Text,
  country: Text,
});

const MetadataInput = Type.Object({
  id: Text,
  key: Text,
  value: Text,
  display_in_invoice: OptionalNullable(Type.Boolean()),
});

/**
 * POST /customers creates or updates by external_id; a key that is absent leaves the stored value alone, a null clears
 * it. Unknown keys are ignored, as Rails' strong parameters drop them.
 */
export const CustomerUpsertBody = Type.Object({
  customer: Type.Object(
    {
      external_id: Text,
      name: Text,
      firstname: Text,
      lastname: Text,
      account_type: Text,
      customer_type: Text,
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
      tax_identification_number: Text,
      currency: Text,
      timezone: Text,
      net_payment_term: OptionalNullable(Type.Integer()),
      external_salesforce_id: Text,
      finalize_zero_amount_invoice: Text,
      skip_invoice_custom_sections: OptionalNullable(Type.Boolean()),
      billing_entity_code: Text,
      billing_configuration: OptionalNullable(BillingConfigurationInput),
      shipping_address: OptionalNullable(ShippingAddressInput),
      metadata: OptionalNullable(Type.Array(MetadataInput)),
      tax_codes: OptionalNullable(Type.Array(Type.String())),
      invoice_custom_section_codes: OptionalNullable(Type.Array(Type.String())),
      integration_customers: OptionalNullable(Type.Array(AnyObject)),
    },
    { minProperties: 1 },
  ),
});
export type CustomerInput = Static<typeof CustomerUpsertBody>['customer'];
export type MetadataEntryInput = Static<typeof MetadataInput>;

/**
 * Any query value may come once (a string) or repeated (an array): `key[]=a` arrives as "a", `key[]=a&key[]=b` as
 * ["a", "b"]. `queryScalar` and `queryList` then read it as Rails would.
 */
export const QueryValue = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));

export const CustomerListQuery = Type.Object({
  page: QueryValue,
  per_page: QueryValue,
  external_id: QueryValue,
  search_term: QueryValue,
  customer_type: QueryValue,
  'account_type[]': QueryValue,
  'countries[]': QueryValue,
  'currencies[]': QueryValue,
});
export type CustomerListQueryInput = Static<typeof CustomerListQuery>;

/** A scalar query parameter; an array in its place is dropped, as Rails' `permit` drops it. */
export const queryScalar = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

export const queryList = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

export interface CustomerFilters {
  externalId?: string;
  searchTerm?: string;
  customerType?: string;
  accountTypes?: string[];
  countries?: string[];
  currencies?: string[];
}

/** Reads the list filters; unknown values are refused rather than silently matching nothing. */
export const parseCustomerFilters = (query: CustomerListQueryInput): { filters: CustomerFilters; errors: FieldErrorsBuilder } => {
  const errors = new FieldErrorsBuilder();
  const filters: CustomerFilters = {};
  const externalId = queryScalar(query.external_id);
  if (externalId) filters.externalId = externalId;
  const searchTerm = queryScalar(query.search_term)?.trim();
  if (searchTerm) filters.searchTerm = searchTerm;
  const customerType = queryScalar(query.customer_type);
  if (customerType) {
    if (oneOf(CUSTOMER_TYPES, customerType)) filters.customerType = customerType;
    else errors.add('customer_type', 'value_is_invalid');
  }
  const accountTypes = queryList(query['account_type[]']);
  if (accountTypes) {
    if (accountTypes.every((a) => oneOf(ACCOUNT_TYPES, a))) filters.accountTypes = accountTypes;
    else errors.add('account_type', 'value_is_invalid');
  }
  const countries = queryList(query['countries[]']);
  if (countries) {
    if (countries.every(isCountry)) filters.countries = countries.map(normalizeCountry);
    else errors.add('countries', 'not_a_valid_country_code');
  }
  const currencies = queryList(query['currencies[]']);
  if (currencies) {
    if (currencies.every(isCurrency)) filters.currencies = currencies;
    else errors.add('currencies', 'value_is_invalid');
  }
  return { filters, errors };
};

/** Checks Lago runs before touching the customer; each one alone answers the request (its own 422). */
export const checkCustomerPreconditions = (input: CustomerInput): FieldErrorsBuilder | null => {
  if ((input.metadata?.length ?? 0) > METADATA_PER_CUSTOMER) return new FieldErrorsBuilder().add('metadata', 'invalid_count');
  if (input.finalize_zero_amount_invoice != null && !oneOf(FINALIZE_ZERO_AMOUNT_INVOICE, input.finalize_zero_amount_invoice)) {
    return new FieldErrorsBuilder().add('finalize_zero_amount_invoice', 'invalid_value');
  }
  const integrationTypes = (input.integration_customers ?? []).map((c) => (c as Record<string, unknown>)['integration_type']);
  if (new Set(integrationTypes).size !== integrationTypes.length) {
    return new FieldErrorsBuilder().add('integration_customers', 'invalid_count_per_integration_type');
  }
  return null;
};

/** Accepts `https://acme.com/x` and, as a website field usually holds, a bare host such as `www.acme.com`. */
export const isWebUrl = (value: string): boolean => {
  if (/\s/.test(value)) return false;
  const parse = (text: string): URL | null => {
    try {
      return new URL(text);
    } catch {
      return null;
    }
  };
  const direct = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? parse(value) : null;
  if (direct) return (direct.protocol === 'http:' || direct.protocol === 'https:') && direct.hostname !== '';
  const bare = parse(`http://${value}`);
  return bare !== null && /\.[a-z]{2,}$/i.test(bare.hostname);
};

/**
 * The customer's field rules, reported in the order Lago's model declares them (so a multi-field error lists its keys
 * in Lago's order).
 */
export const checkCustomerFields = (input: CustomerInput): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  const billing = input.billing_configuration ?? {};
  if (input.customer_type != null && !oneOf(CUSTOMER_TYPES, input.customer_type)) errors.add('customer_type', 'value_is_invalid');
  if (input.account_type !== undefined && !oneOf(ACCOUNT_TYPES, input.account_type)) errors.add('account_type', 'value_is_invalid');
  const anchor = billing.subscription_invoice_issuing_date_anchor;
  if (anchor != null && !oneOf(ISSUING_DATE_ANCHORS, anchor)) errors.add('subscription_invoice_issuing_date_anchor', 'value_is_invalid');
  const adjustment = billing.subscription_invoice_issuing_date_adjustment;
  if (adjustment != null && !oneOf(ISSUING_DATE_ADJUSTMENTS, adjustment)) {
    errors.add('subscription_invoice_issuing_date_adjustment', 'value_is_invalid');
  }
  if (input.country && !isCountry(input.country)) errors.add('country', 'not_a_valid_country_code');
  const shippingCountry = input.shipping_address?.country;
  if (shippingCountry && !isCountry(shippingCountry)) errors.add('shipping_country', 'not_a_valid_country_code');
  if (billing.document_locale != null && !oneOf(DOCUMENT_LOCALES, billing.document_locale)) {
    errors.add('document_locale', 'not_a_valid_language_code');
  }
  if (input.currency != null && !isCurrency(input.currency)) errors.add('currency', 'value_is_invalid');
  if (input.name != null && [...input.name].length > 255) errors.add('name', 'value_is_too_long');
  const externalId = input.external_id?.trim() ?? '';
  if (externalId === '') errors.add('external_id', 'value_is_mandatory');
  else if ([...externalId].length > MAX_KEY_LENGTH) errors.add('external_id', 'value_is_too_long');
  const grace = billing.invoice_grace_period;
  if (grace != null && (grace < 0 || grace > MAX_INT4)) errors.add('invoice_grace_period', 'value_is_out_of_range');
  const term = input.net_payment_term;
  if (term != null && (term < 0 || term > MAX_INT4)) errors.add('net_payment_term', 'value_is_out_of_range');
  if (billing.payment_provider != null && !oneOf(PAYMENT_PROVIDERS, billing.payment_provider)) {
    errors.add('payment_provider', 'value_is_invalid');
  }
  if (input.timezone != null && !isTimeZone(input.timezone)) errors.add('timezone', 'invalid_timezone');
  if (input.email && !isEmailList(input.email)) errors.add('email', 'invalid_email_format');
  if (input.url && !isWebUrl(input.url)) errors.add('url', 'url_is_invalid');
  if (input.logo_url && !isWebUrl(input.logo_url)) errors.add('logo_url', 'url_is_invalid');
  return errors;
};

/** Lago's rules for metadata entries: a key of at most 20 characters, unique per customer; a value of at most 100. */
export const checkMetadata = (entries: readonly MetadataEntryInput[]): FieldErrorsBuilder => {
  const found = new Map<string, Set<string>>();
  const add = (field: string, code: string) => {
    if (!found.has(field)) found.set(field, new Set());
    found.get(field)!.add(code);
  };
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = entry.key ?? '';
    if (key.trim() === '') add('key', 'value_is_mandatory');
    else if ([...key].length > 20) add('key', 'value_is_too_long');
    else if (seen.has(key)) add('key', 'value_already_exist');
    seen.add(key);
    const value = entry.value ?? '';
    if (value.trim() === '') add('value', 'value_is_mandatory');
    else if ([...value].length > 100) add('value', 'value_is_too_long');
  }
  const errors = new FieldErrorsBuilder();
  for (const [field, codes] of found) for (const code of codes) errors.add(field, code);
  return errors;
};

const INVISIBLE = /[\u00AD\u200B-\u200F\u2060\uFEFF]/g;
const DASH_LOOKALIKES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;

/** Lago's clean-up of an email field: look-alike dashes become `-`, invisible characters go, spaces are trimmed. */
export const sanitizeEmail = (email: string): string => email.replace(DASH_LOOKALIKES, '-').replace(INVISIBLE, '').trim();

/** Address fields left blank are stored as null, as Lago does. */
export const blankToNull = (value: string | null | undefined): string | null =>
  value == null || value.trim() === '' ? null : value;
