import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import type { Ctx } from '../../lib/context.ts';
import { normalizeCountry } from '../../lib/countries.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { findOrganization, lockOrganization, nextCustomerSequence } from '../organizations/repository.ts';
import type { Organization } from '../organizations/types.ts';
import { replaceAppliedTaxes } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import { isCustomerEditable } from './currency.ts';
import { activeWalletsOf } from '../wallets/repository.ts';
import { terminateWallet } from '../wallets/service.ts';
import * as repo from './repository.ts';
import { MAX_KEY_LENGTH } from '../../lib/text.ts';
import {
  blankToNull,
  checkCustomerFields,
  checkCustomerPreconditions,
  checkMetadata,
  parseCustomerFilters,
  sanitizeEmail,
  type Customer,
  type CustomerInput,
  type CustomerListQueryInput,
  type CustomerMetadata,
  type MetadataEntryInput,
} from './types.ts';
import { billingEntityCode, loadCustomerView, loadCustomerViews, type CustomerView } from './views.ts';

export { assignCustomerCurrency, isCustomerEditable } from './currency.ts';
export { findCustomerByExternalId } from './repository.ts';
export { loadCustomerView, loadCustomerViews, type CustomerView } from './views.ts';
export type { Customer } from './types.ts';

/** Lago's customer slug: the organization's document prefix and the customer number on at least three digits. */
const customerSlug = (organization: Organization, sequentialId: number): string =>
  `${organization.documentNumberPrefix}-${String(sequentialId).padStart(3, '0')}`;

/**
 * Inserts a new customer numbered after every customer the organization ever had. The organization row is locked
 * first, so concurrent creations take numbers one at a time and the caller's re-check for the external_id is reliable.
 */
const insertNumberedCustomer = async (
  tx: Db,
  organization: Organization,
  externalId: string,
  fields: Partial<Customer>,
  now: Date,
): Promise<Customer> => {
  const sequentialId = await nextCustomerSequence(tx, organization.id);
  return repo.insertCustomer(tx, {
    accountType: 'customer',
    finalizeZeroAmountInvoice: 'inherit',
    skipInvoiceCustomSections: false,
    billingConfiguration: {},
    shippingAddress: {},
    ...fields,
    organizationId: organization.id,
    id: newId(),
    externalId,
    sequentialId,
    slug: customerSlug(organization, sequentialId),
    createdAt: now,
    updatedAt: now,
  });
};

type WriteTarget = { customer: Customer; organization?: undefined } | { customer: null; organization: Organization };

/**
 * The live customer with this external_id, locked; or, when there is none, the organization row locked (creations
 * wait for each other there) after a second look that sees any customer created meanwhile.
 */
const findForWrite = async (tx: Db, organizationId: string, externalId: string): Promise<WriteTarget> => {
  const customer = await repo.findCustomerByExternalId(tx, organizationId, externalId, { lock: true });
  if (customer) return { customer };
  const organization = await lockOrganization(tx, organizationId);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const created = await repo.findCustomerByExternalId(tx, organizationId, externalId, { lock: true });
  return created ? { customer: created } : { customer: null, organization };
};

/**
 * The customer a subscription names, created with only its external_id when it does not exist yet (Lago creates
 * missing customers on POST /subscriptions). Runs in the caller's transaction; the customer row comes back locked.
 */
export const findOrCreateCustomer = async (tx: Db, ctx: Ctx, externalCustomerId: string): Promise<Result<Customer>> => {
  const externalId = externalCustomerId.trim();
  if (externalId === '') return err(invalid('external_customer_id', 'value_is_mandatory'));
  if ([...externalId].length > MAX_KEY_LENGTH) return err(invalid('external_customer_id', 'value_is_too_long'));
  const target = await findForWrite(tx, ctx.organizationId, externalId);
  if (target.customer) return ok(target.customer);
  return ok(await insertNumberedCustomer(tx, target.organization, externalId, {}, instantToDate(ctx.clock.now())));
};

/** The column changes a request asks for: only the keys it sends, normalized as Lago stores them. */
const requestedChanges = (input: CustomerInput, existing: Customer | null, accountTypeChangeable: boolean): Partial<Customer> => {
  const billing = input.billing_configuration ?? {};
  const changes: Partial<Customer> = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.firstname !== undefined && { firstname: input.firstname }),
    ...(input.lastname !== undefined && { lastname: input.lastname }),
    ...(input.customer_type !== undefined && { customerType: input.customer_type }),
    ...(input.account_type != null && accountTypeChangeable && { accountType: input.account_type }),
    ...(input.country !== undefined && { country: blankToNull(input.country) && normalizeCountry(input.country!) }),
    ...(input.address_line1 !== undefined && { addressLine1: blankToNull(input.address_line1) }),
    ...(input.address_line2 !== undefined && { addressLine2: blankToNull(input.address_line2) }),
    ...(input.state !== undefined && { state: blankToNull(input.state) }),
    ...(input.zipcode !== undefined && { zipcode: blankToNull(input.zipcode) }),
    ...(input.city !== undefined && { city: blankToNull(input.city) }),
    ...(input.email !== undefined && { email: input.email }),
    ...(input.url !== undefined && { url: input.url }),
    ...(input.phone !== undefined && { phone: input.phone }),
    ...(input.logo_url !== undefined && { logoUrl: input.logo_url }),
    ...(input.legal_name !== undefined && { legalName: input.legal_name }),
    ...(input.legal_number !== undefined && { legalNumber: input.legal_number }),
    ...(input.tax_identification_number !== undefined && { taxIdentificationNumber: input.tax_identification_number }),
    ...(input.currency !== undefined && { currency: input.currency }),
    ...(input.timezone !== undefined && { timezone: input.timezone }),
    ...(input.net_payment_term !== undefined && { netPaymentTerm: input.net_payment_term }),
    ...(input.external_salesforce_id !== undefined && { externalSalesforceId: input.external_salesforce_id }),
    ...(input.finalize_zero_amount_invoice !== undefined && { finalizeZeroAmountInvoice: input.finalize_zero_amount_invoice ?? 'inherit' }),
    ...(billing.invoice_grace_period !== undefined && { invoiceGracePeriod: billing.invoice_grace_period }),
    ...(billing.document_locale !== undefined && { documentLocale: billing.document_locale }),
    ...(billing.subscription_invoice_issuing_date_anchor !== undefined && {
      subscriptionInvoiceIssuingDateAnchor: billing.subscription_invoice_issuing_date_anchor,
    }),
    ...(billing.subscription_invoice_issuing_date_adjustment !== undefined && {
      subscriptionInvoiceIssuingDateAdjustment: billing.subscription_invoice_issuing_date_adjustment,
    }),
  };
  // Choosing invoice custom sections turns skipping them off; skipping alone is a plain setting.
  if (input.invoice_custom_section_codes != null) changes.skipInvoiceCustomSections = false;
  else if (input.skip_invoice_custom_sections != null) changes.skipInvoiceCustomSections = input.skip_invoice_custom_sections;

  if (input.billing_configuration) {
    const settings = { ...(existing?.billingConfiguration ?? {}) };
    if (billing.payment_provider !== undefined) {
      settings.payment_provider = billing.payment_provider;
      // Removing the provider removes what pointed into it.
      if (billing.payment_provider === null) {
        settings.payment_provider_code = null;
        settings.provider_customer_id = null;
      }
    }
    if (billing.payment_provider_code !== undefined) settings.payment_provider_code = billing.payment_provider_code;
    if (billing.provider_customer_id !== undefined) settings.provider_customer_id = billing.provider_customer_id;
    if (billing.sync !== undefined) settings.sync = billing.sync;
    if (billing.sync_with_provider !== undefined) settings.sync_with_provider = billing.sync_with_provider;
    if (billing.provider_payment_methods !== undefined) settings.provider_payment_methods = billing.provider_payment_methods;
    changes.billingConfiguration = settings;
  }
  if (input.shipping_address) {
    const address = { ...(existing?.shippingAddress ?? {}) };
    const given = input.shipping_address;
    if (given.address_line1 !== undefined) address.address_line1 = blankToNull(given.address_line1);
    if (given.address_line2 !== undefined) address.address_line2 = blankToNull(given.address_line2);
    if (given.city !== undefined) address.city = blankToNull(given.city);
    if (given.zipcode !== undefined) address.zipcode = blankToNull(given.zipcode);
    if (given.state !== undefined) address.state = blankToNull(given.state);
    if (given.country !== undefined) address.country = blankToNull(given.country) && normalizeCountry(given.country!);
    changes.shippingAddress = address;
  }
  return changes;
};

/**
 * Lago's metadata upsert: an entry carrying the `id` of one of the customer's entries updates it, an entry without one
 * is added, and every entry the request does not name is removed.
 */
const mergedMetadata = (
  existing: CustomerMetadata[],
  entries: readonly MetadataEntryInput[],
  customer: Customer,
  now: Date,
): CustomerMetadata[] => {
  const byId = new Map(existing.map((m) => [m.id, m]));
  return entries.map((entry) => {
    const previous = entry.id ? byId.get(entry.id) : undefined;
    const fields = { key: entry.key!, value: entry.value!, displayInInvoice: entry.display_in_invoice ?? false };
    if (previous) {
      const unchanged = previous.key === fields.key && previous.value === fields.value && previous.displayInInvoice === fields.displayInInvoice;
      return { ...previous, ...fields, updatedAt: unchanged ? previous.updatedAt : now };
    }
    return { organizationId: customer.organizationId, id: newId(), customerId: customer.id, ...fields, createdAt: now, updatedAt: now };
  });
};

export const createCustomerService = ({ db }: { db: Db }) => {
  /** POST /customers: creates the customer, or updates the live one with the same external_id. */
  const upsert = async (ctx: Ctx, raw: CustomerInput): Promise<Result<CustomerView>> => {
    // Lago cleans the email (look-alike dashes, invisible characters) before checking it.
    const input = raw.email ? { ...raw, email: sanitizeEmail(raw.email) } : raw;
    const organization = await findOrganization(db, ctx.organizationId);
    if (!organization) return err(notFound('organization'));
    // One billing entity per organization: naming any other is naming an unknown one.
    if (input.billing_entity_code != null && input.billing_entity_code !== billingEntityCode(organization)) {
      return err(notFound('billing_entity'));
    }
    const refused = checkCustomerPreconditions(input);
    if (refused) return err(refused.toError());
    const errors = checkCustomerFields(input);
    if (!errors.empty) return err(errors.toError());
    const externalId = input.external_id!;
    const now = instantToDate(ctx.clock.now());
    return refusingDuplicates('external_id', () =>
    transact(db, async (tx) => {
      const target = await findForWrite(tx, ctx.organizationId, externalId);
      const existing = target.customer;
      const editable = existing ? await isCustomerEditable(tx, existing) : true;
      if (existing && input.currency !== undefined && input.currency !== existing.currency && !editable) {
        return err(invalid('currency', 'currencies_does_not_match'));
      }
      // Like Lago, the account type only changes while nothing has been billed yet; otherwise it is ignored.
      const changes = requestedChanges(input, existing, editable);
      const customer = existing
        ? await repo.updateCustomer(tx, ctx.organizationId, existing.id, { ...changes, updatedAt: now })
        : await insertNumberedCustomer(tx, target.organization!, externalId, changes, now);

      if (input.tax_codes !== undefined) {
        const taxes = await resolveTaxCodes(tx, ctx.organizationId, input.tax_codes ?? []);
        if (!taxes.ok) return taxes;
        await replaceAppliedTaxes(tx, ctx.organizationId, 'customer', customer.id, taxes.value.map((t) => t.id), now);
      }
      if (input.skip_invoice_custom_sections === true && input.invoice_custom_section_codes != null) {
        return err(invalid('invoice_custom_sections', 'skip_sections_and_selected_ids_sent_together'));
      }
      if (input.metadata != null) {
        const metadataErrors = checkMetadata(input.metadata);
        if (!metadataErrors.empty) return err(metadataErrors.toError());
        const current = existing ? ((await repo.metadataOf(tx, ctx.organizationId, [customer.id])).get(customer.id) ?? []) : [];
        await repo.replaceMetadata(tx, ctx.organizationId, customer.id, mergedMetadata(current, input.metadata, customer, now));
      }
      const view = await loadCustomerView(tx, customer);
      // Lago reports every upsert of an existing customer as an update, changed or not.
      await recordDomainEvent(tx, {
        organizationId: ctx.organizationId,
        type: existing ? 'customer.updated' : 'customer.created',
        objectType: 'customer',
        objectId: customer.id,
        at: ctx.clock.now(),
        view,
      });
      return ok(view);
    }),
    );
  };

  const get = async (ctx: Ctx, externalId: string): Promise<Result<CustomerView>> => {
    const customer = await repo.findCustomerByExternalId(db, ctx.organizationId, externalId);
    return customer ? ok(await loadCustomerView(db, customer)) : err(notFound('customer'));
  };

  const list = async (ctx: Ctx, query: CustomerListQueryInput, page: PageRequest): Promise<Result<Page<CustomerView>>> => {
    const { filters, errors } = parseCustomerFilters(query);
    if (!errors.empty) return err(errors.toError());
    const { rows, total } = await repo.listCustomers(db, ctx.organizationId, filters, page);
    return ok({ items: await loadCustomerViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /**
   * Soft-deletes the customer, which frees its external_id, and ends what it had running (Lago does that in a job
   * right after; here it is part of the same transaction).
   */
  const destroy = async (ctx: Ctx, externalId: string): Promise<Result<CustomerView>> =>
    transact(db, async (tx) => {
      const customer = await repo.findCustomerByExternalId(tx, ctx.organizationId, externalId, { lock: true });
      if (!customer) return err(notFound('customer'));
      const now = instantToDate(ctx.clock.now());
      const view = await loadCustomerView(tx, customer);
      await repo.updateCustomer(tx, ctx.organizationId, customer.id, { deletedAt: now, updatedAt: now });
      await repo.endCustomerRelations(tx, ctx.organizationId, customer.id, now);
      for (const wallet of await activeWalletsOf(tx, ctx.organizationId, customer.id, { lock: true })) await terminateWallet(tx, wallet, ctx.clock.now());
      return ok(view);
    });

  return { upsert, get, list, destroy };
};

export type CustomerService = ReturnType<typeof createCustomerService>;
