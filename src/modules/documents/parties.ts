import type { CustomerJson } from '../customers/serialize.ts';
import type { PartyBlock } from './pdf-layout.ts';

/**
 * The organization as a document shows it. A plain shape, filled from the organization row by the caller, so that
 * rendering reads nothing on its own.
 */
export interface DocumentOrganization {
  name: string;
  legal_name: string | null;
  legal_number: string | null;
  tax_identification_number: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  zipcode: string | null;
  state: string | null;
  /** ISO 3166-1 alpha-2, printed as the country's English name. */
  country: string | null;
  email: string | null;
  /** Printed at the end of every invoice. */
  invoice_footer: string | null;
  /** Lago's document locale ("en", "fr", …). Documents are printed in English whatever it says, for now. */
  document_locale: string | null;
}

export interface PartyLabels {
  taxId: string;
  registration: string;
}

interface Address {
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  zipcode: string | null;
  state: string | null;
  country: string | null;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** "FR" -> "France"; a code Intl does not know is printed as it is. */
export const countryName = (code: string | null): string | null => {
  if (!code) return null;
  try {
    return regionNames.of(code.trim().toUpperCase()) ?? code;
  } catch {
    return code;
  }
};

const join = (parts: Array<string | null | undefined>, separator: string): string | null => {
  const kept = parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return kept.length > 0 ? kept.join(separator) : null;
};

/**
 * Where there is a state, the North American (and Australian) order "San Francisco, CA 94105"; elsewhere the
 * continental "75001 Paris".
 */
const localityLine = (a: Address): string | null =>
  a.state?.trim() ? join([join([a.city, a.state], ', '), a.zipcode], ' ') : join([a.zipcode, a.city], ' ');

export const addressLines = (a: Address): Array<string | null> => [a.address_line1, a.address_line2, localityLine(a), countryName(a.country)];

const labelled = (label: string, value: string | null): string | null => (value ? `${label}: ${value}` : null);

/** The legal name is shown under the trading name only when it says something more. */
const legalName = (name: string, legal: string | null): string | null => (legal && legal !== name ? legal : null);

export const organizationParty = (org: DocumentOrganization, heading: string, labels: PartyLabels): PartyBlock => ({
  heading,
  name: org.name,
  lines: [
    legalName(org.name, org.legal_name),
    ...addressLines(org),
    org.email,
    labelled(labels.taxId, org.tax_identification_number),
    labelled(labels.registration, org.legal_number),
  ],
});

/** Lago's display name: the name, else first and last names, else the external id. */
export const customerDisplayName = (customer: CustomerJson): string =>
  customer.name?.trim() || join([customer.firstname, customer.lastname], ' ') || customer.external_id;

export const customerParty = (customer: CustomerJson, heading: string, labels: PartyLabels): PartyBlock => {
  const name = customerDisplayName(customer);
  return {
    heading,
    name,
    lines: [
      legalName(name, customer.legal_name),
      ...addressLines(customer),
      customer.email,
      labelled(labels.taxId, customer.tax_identification_number),
      labelled(labels.registration, customer.legal_number),
      // Lago prints the metadata a customer marked for invoices under its details.
      ...customer.metadata.filter((m) => m.display_in_invoice).map((m) => `${m.key}: ${m.value}`),
    ],
  };
};
