import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { Organization } from './types.ts';

export const OrganizationObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    slug: Nullable(Type.String()),
    default_currency: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    webhook_url: Type.String({ description: "The first webhook endpoint's URL; empty when there is none." }),
    webhook_urls: Type.Array(Type.String()),
    hmac_key: Type.String({
      description: 'Billow addition (Lago shows it only in its UI): the key of the HMAC-SHA256 signature of webhooks sent to `hmac` endpoints.',
    }),
    country: Nullable(Type.String()),
    address_line1: Nullable(Type.String()),
    address_line2: Nullable(Type.String()),
    state: Nullable(Type.String()),
    zipcode: Nullable(Type.String()),
    email: Nullable(Type.String()),
    city: Nullable(Type.String()),
    legal_name: Nullable(Type.String()),
    legal_number: Nullable(Type.String()),
    timezone: Type.String(),
    net_payment_term: Type.Integer(),
    email_settings: Type.Array(Type.String()),
    document_numbering: Type.String(),
    document_number_prefix: Type.String(),
    tax_identification_number: Nullable(Type.String()),
    finalize_zero_amount_invoice: Type.Boolean(),
    billing_configuration: Type.Object({
      invoice_footer: Nullable(Type.String()),
      invoice_grace_period: Type.Integer(),
      document_locale: Type.String(),
    }),
    events_store: Type.String(),
  },
  { $id: 'Organization' },
);
export type OrganizationJson = Static<typeof OrganizationObject>;

/** `webhookUrls`: the URLs of the organization's endpoints, first endpoint first (a new organization has none). */
export const serializeOrganization = (o: Organization, webhookUrls: string[] = []): OrganizationJson => ({
  lago_id: o.id,
  name: o.name,
  slug: o.slug,
  default_currency: o.defaultCurrency,
  created_at: isoSeconds(o.createdAt)!,
  // Lago prints the first URL as a string, so no endpoint gives "" rather than null.
  webhook_url: webhookUrls[0] ?? '',
  webhook_urls: webhookUrls,
  hmac_key: o.hmacKey,
  country: o.country,
  address_line1: o.addressLine1,
  address_line2: o.addressLine2,
  state: o.state,
  zipcode: o.zipcode,
  email: o.email,
  city: o.city,
  legal_name: o.legalName,
  legal_number: o.legalNumber,
  timezone: o.timezone,
  net_payment_term: o.netPaymentTerm,
  email_settings: o.emailSettings,
  document_numbering: o.documentNumbering,
  document_number_prefix: o.documentNumberPrefix,
  tax_identification_number: o.taxIdentificationNumber,
  finalize_zero_amount_invoice: o.finalizeZeroAmountInvoice,
  billing_configuration: {
    invoice_footer: o.invoiceFooter,
    invoice_grace_period: o.invoiceGracePeriod,
    document_locale: o.documentLocale,
  },
  events_store: 'postgres',
});
