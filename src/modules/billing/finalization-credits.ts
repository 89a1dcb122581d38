import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import { applyCreditNotesToInvoice } from '../credit-notes/apply.ts';
import { applyWalletsToInvoice } from '../wallets/apply.ts';
import type { BillingParty } from './party.ts';

/**
 * What reduces an invoice after its taxes, at finalization only (a draft keeps the customer's credits available until
 * its grace period ends), in Lago's order (`Invoices::CalculateFeesService` steps 6 and 7): the customer's available
 * credit notes, then prepaid credits from wallets. Each step answers the invoice with its amounts (credit notes,
 * prepaid credit, total) changed; they are written with the finalization.
 */
export const applyFinalizationCredits = async (tx: Db, party: BillingParty, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
  const afterCreditNotes = await applyCreditNotesToInvoice(tx, party, invoice, now);
  return applyWalletsToInvoice(tx, party, afterCreditNotes, now);
};
