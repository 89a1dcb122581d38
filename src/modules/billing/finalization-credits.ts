import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import { applyCreditNotesToInvoice } from '../credit-notes/apply.ts';
import { applyWalletsToInvoice } from '../wallets/apply.ts';
import type { BillingParty } from './party.ts';

/**
 * Whether the customer has anything to pay an invoice with: one statement for the two indexed lookups, since most
 * customers have neither and this runs for every invoice finalized (each step then locks what it spends).
 */
const creditSources = async (tx: Db, invoice: InvoiceRow): Promise<{ notes: boolean; wallets: boolean }> => {
  const [row] = await queryRows<{ notes: boolean; wallets: boolean }>(
    tx,
    sql`SELECT
        EXISTS (SELECT 1 FROM credit_notes WHERE organization_id = ${invoice.organizationId} AND customer_id = ${invoice.customerId}
          AND credit_status = 'available' AND balance_amount_cents > 0 AND status = 'finalized' AND currency = ${invoice.currency}) AS notes,
        EXISTS (SELECT 1 FROM wallets WHERE organization_id = ${invoice.organizationId} AND customer_id = ${invoice.customerId}
          AND status = 'active' AND currency = ${invoice.currency} AND balance_cents > 0) AS wallets`,
  );
  return row!;
};

/**
 * What reduces an invoice after its taxes, at finalization only (a draft keeps the customer's credits available until
 * its grace period ends), in Lago's order (`Invoices::CalculateFeesService` steps 6 and 7): the customer's available
 * credit notes, then prepaid credits from wallets. Each step answers the invoice with its amounts (credit notes,
 * prepaid credit, total) changed; they are written with the finalization.
 */
export const applyFinalizationCredits = async (tx: Db, party: BillingParty, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
  // Lago's one-off invoices (`Invoices::CreateOneOffService`) and wallet top-ups are paid by neither.
  if (invoice.totalAmountCents <= 0n || invoice.invoiceType === 'credit' || invoice.invoiceType === 'one_off') return invoice;
  const sources = await creditSources(tx, invoice);
  const afterCreditNotes = sources.notes ? await applyCreditNotesToInvoice(tx, party, invoice, now) : invoice;
  return sources.wallets ? applyWalletsToInvoice(tx, party, afterCreditNotes, now) : afterCreditNotes;
};
