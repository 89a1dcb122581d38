import { Type, type Static } from '@sinclair/typebox';
import type { organizations } from '../../db/schema/index.ts';
import { Int4, OptionalNullable } from '../../http/schemas.ts';
import { isCountry } from '../../lib/countries.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { isTimeZone } from '../../lib/timezones.ts';
import { WebhookUrl } from '../webhook-endpoints/types.ts';

export type Organization = typeof organizations.$inferSelect;

/** An organization with the URLs of its webhook endpoints, first endpoint first: what GET /organizations shows. */
export interface OrganizationView {
  organization: Organization;
  webhookUrls: string[];
}

export const DOCUMENT_LOCALES = ['en', 'fr', 'nb', 'de', 'it', 'es', 'sv', 'pt-BR', 'zh-TW'] as const;
export const DOCUMENT_NUMBERINGS = ['per_customer', 'per_organization'] as const;
export const EMAIL_SETTINGS = ['invoice.finalized', 'credit_note.created', 'payment_receipt.created'] as const;

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/u;
/** Lago takes a comma-separated list of addresses in one email field. */
export const isEmailList = (value: string): boolean => value.split(',').every((part) => EMAIL.test(part.trim()));

export const OrganizationUpdateBody = Type.Object({
  organization: Type.Object({
    country: OptionalNullable(Type.String()),
    default_currency: Type.Optional(Type.String()),
    address_line1: OptionalNullable(Type.String()),
    address_line2: OptionalNullable(Type.String()),
    state: OptionalNullable(Type.String()),
    zipcode: OptionalNullable(Type.String()),
    email: OptionalNullable(Type.String()),
    city: OptionalNullable(Type.String()),
    legal_name: OptionalNullable(Type.String()),
    legal_number: OptionalNullable(Type.String()),
    net_payment_term: Type.Optional(Int4()),
    tax_identification_number: OptionalNullable(Type.String()),
    timezone: Type.Optional(Type.String()),
    // Sets the URL of the organization's first webhook endpoint, or creates one (null is refused, as in Lago).
    webhook_url: OptionalNullable(WebhookUrl),
    document_numbering: Type.Optional(Type.String()),
    document_number_prefix: Type.Optional(Type.String()),
    finalize_zero_amount_invoice: Type.Optional(Type.Boolean()),
    email_settings: Type.Optional(Type.Array(Type.String())),
    billing_configuration: Type.Optional(
      Type.Object({
        invoice_footer: OptionalNullable(Type.String()),
        invoice_grace_period: Type.Optional(Int4()),
        document_locale: Type.Optional(Type.String()),
      }),
    ),
  }, { minProperties: 1 }),
});
export type OrganizationUpdateInput = Static<typeof OrganizationUpdateBody>['organization'];

/** Field checks shared by the admin create and the organization update, with Lago's codes. */
export const checkOrganizationSettings = (input: OrganizationUpdateInput, errors = new FieldErrorsBuilder()): FieldErrorsBuilder => {
  if (input.country != null && !isCountry(input.country)) errors.add('country', 'not_a_valid_country_code');
  if (input.default_currency !== undefined && !isCurrency(input.default_currency.toUpperCase())) {
    errors.add('default_currency', 'value_is_invalid');
  }
  if (input.email != null && input.email !== '' && !isEmailList(input.email)) errors.add('email', 'invalid_email_format');
  if (input.net_payment_term !== undefined && input.net_payment_term < 0) errors.add('net_payment_term', 'value_is_out_of_range');
  if (input.timezone !== undefined && !isTimeZone(input.timezone)) errors.add('timezone', 'invalid_timezone');
  if (input.document_numbering !== undefined && !(DOCUMENT_NUMBERINGS as readonly string[]).includes(input.document_numbering)) {
    errors.add('document_numbering', 'value_is_invalid');
  }
  if (input.document_number_prefix !== undefined) {
    if (input.document_number_prefix.length < 1) errors.add('document_number_prefix', 'value_is_too_short');
    if (input.document_number_prefix.length > 10) errors.add('document_number_prefix', 'value_is_too_long');
  }
  for (const setting of input.email_settings ?? []) {
    if (!(EMAIL_SETTINGS as readonly string[]).includes(setting)) {
      errors.add('email_settings', 'unsupported_value');
      break;
    }
  }
  const billing = input.billing_configuration;
  if (billing?.invoice_grace_period !== undefined && billing.invoice_grace_period < 0) {
    errors.add('invoice_grace_period', 'value_is_out_of_range');
  }
  if (billing?.document_locale !== undefined && !(DOCUMENT_LOCALES as readonly string[]).includes(billing.document_locale)) {
    errors.add('document_locale', 'not_a_valid_language_code');
  }
  if (billing?.invoice_footer != null && billing.invoice_footer.length > 600) errors.add('invoice_footer', 'value_is_too_long');
  return errors;
};

/** Lago's default document prefix: the first three letters of the name, upper case, a dash, the id's last four. */
export const defaultDocumentPrefix = (name: string, id: string): string => {
  const letters = name.replace(/[^\p{L}\p{N}]/gu, '').slice(0, 3).toUpperCase() || 'ORG';
  return `${letters}-${id.replace(/-/g, '').slice(-4).toUpperCase()}`;
};
