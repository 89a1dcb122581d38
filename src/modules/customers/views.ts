import type { Db } from '../../db/database.ts';
import { findOrganization } from '../organizations/repository.ts';
import type { Organization } from '../organizations/types.ts';
import { appliedTaxes } from '../taxes/repository.ts';
import type { Tax } from '../taxes/types.ts';
import { metadataOf } from './repository.ts';
import type { Customer, CustomerMetadata } from './types.ts';

/** A customer with what its Lago JSON shows beside its own columns. */
export interface CustomerView {
  customer: Customer;
  metadata: CustomerMetadata[];
  taxes: Tax[];
  /** Where the customer's defaults come from (time zone, billing entity). */
  organization: Pick<Organization, 'name' | 'timezone'>;
}

/**
 * Billow has one billing entity per organization. Lago names an organization's first entity after the organization,
 * parameterized with underscores ("Acme Corp" -> "acme_corp"), and prints that code on every customer.
 */
export const billingEntityCode = (organization: Pick<Organization, 'name'>): string =>
  organization.name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9\-_]+/gi, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '')
    .toLowerCase();

/** Loads the metadata, taxes and organization defaults of these customers (all of one organization) in three queries. */
export const loadCustomerViews = async (db: Db, organizationId: string, customers: readonly Customer[]): Promise<CustomerView[]> => {
  if (customers.length === 0) return [];
  const ids = customers.map((c) => c.id);
  // One after the other: inside a transaction the handle is a single connection.
  const organization = await findOrganization(db, organizationId);
  const metadata = await metadataOf(db, organizationId, ids);
  const taxes = await appliedTaxes(db, organizationId, 'customer', ids);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  return customers.map((customer) => ({
    customer,
    metadata: metadata.get(customer.id) ?? [],
    taxes: taxes.get(customer.id) ?? [],
    organization,
  }));
};

export const loadCustomerView = async (db: Db, customer: Customer): Promise<CustomerView> =>
  (await loadCustomerViews(db, customer.organizationId, [customer]))[0]!;
