import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { customers } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import type { Customer } from '../customers/types.ts';
import { findOrganization } from '../organizations/repository.ts';
import type { Organization } from '../organizations/types.ts';
import { cached, type RunCache } from './run-cache.ts';

/** Who an invoice is issued to and by, with the settings that shape it (customer first, then the organization). */
export interface BillingParty {
  organization: Organization;
  customer: Customer;
  timeZone: string;
  gracePeriodDays: number;
  netPaymentTerm: number;
  finalizeZeroAmountInvoice: boolean;
  issuingDateAnchor: 'current_period_end' | 'next_period_start';
  issuingDateAdjustment: 'keep_anchor' | 'align_with_finalization_date';
}

/** Loads a customer's billing party, locking the customer row: numbering and coupon use happen one invoice at a time. */
export const loadBillingParty = async (tx: Db, organizationId: string, customerId: string, cache?: RunCache): Promise<BillingParty> => {
  const [customer] = await selectRows<Customer>(
    tx,
    customers,
    sql`customers WHERE organization_id = ${organizationId} AND id = ${customerId} FOR UPDATE`,
    { prepared: true },
  );
  if (!customer) throw new Error(`customer ${customerId} not found`);
  const organization = await (cache ? cached(cache.organizations, organizationId, () => findOrganization(tx, organizationId)) : findOrganization(tx, organizationId));
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const finalizeZero =
    customer.finalizeZeroAmountInvoice === 'inherit'
      ? organization.finalizeZeroAmountInvoice
      : customer.finalizeZeroAmountInvoice !== 'skip';
  return {
    organization,
    customer,
    timeZone: customer.timezone ?? organization.timezone,
    gracePeriodDays: customer.invoiceGracePeriod ?? organization.invoiceGracePeriod,
    netPaymentTerm: customer.netPaymentTerm ?? organization.netPaymentTerm,
    finalizeZeroAmountInvoice: finalizeZero,
    issuingDateAnchor: customer.subscriptionInvoiceIssuingDateAnchor === 'current_period_end' ? 'current_period_end' : 'next_period_start',
    issuingDateAdjustment:
      customer.subscriptionInvoiceIssuingDateAdjustment === 'keep_anchor' ? 'keep_anchor' : 'align_with_finalization_date',
  };
};

/**
 * The issuing date of a subscription invoice billed on `billingDate` (the first day of the next period), as Lago's
 * `Invoices::IssuingDateService`: next_period_start/keep_anchor keeps it; current_period_end/keep_anchor moves it one day
 * back; align_with_finalization_date moves it to the end of the grace period (current_period_end without a grace period:
 * one day back).
 */
export const subscriptionIssuingDate = (party: BillingParty, billingDate: Temporal.PlainDate): Temporal.PlainDate => {
  const grace = party.gracePeriodDays;
  if (party.issuingDateAdjustment === 'align_with_finalization_date') {
    if (party.issuingDateAnchor === 'current_period_end' && grace === 0) return billingDate.subtract({ days: 1 });
    return billingDate.add({ days: grace });
  }
  return party.issuingDateAnchor === 'current_period_end' ? billingDate.subtract({ days: 1 }) : billingDate;
};
