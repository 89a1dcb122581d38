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
    webhook_url: Type.String(),
    webhook_urls: Type.Array(Type.String()),
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

export const serializeOrganization = (o: Organization): OrganizationJson => ({
  lago_id: o.id,
  name: o.name,
  slug: o.slug,
  default_currency: o.defaultCurrency,
  created_at: isoSeconds(o.createdAt)!,
  // Webhook endpoints arrive with the webhooks feature; until then an organization has none.
  webhook_url: '',
  webhook_urls: [],
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
