import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import { applyCreditNotesToInvoice } from '../credit-notes/apply.ts';
import { applyWalletsToInvoice } from '../wallets/apply.ts';
import type { BillingParty } from './party.ts';

/** Whether the customer has available credit notes and funded wallets in the invoice's currency (see `takeFinalizationFacts`). */
export interface CreditSources {
  creditNotes: boolean;
  wallets: boolean;
}

/**
 * What reduces an invoice after its taxes, at finalization only (a draft keeps the customer's credits available until
 * its grace period ends), in Lago's order (`Invoices::CalculateFeesService` steps 6 and 7): the customer's available
 * credit notes, then prepaid credits from wallets; each step locks what it spends. Each answers the invoice with its
 * amounts (credit notes, prepaid credit, total) changed; they are written with the finalization.
 */
export const applyFinalizationCredits = async (
  tx: Db,
  party: BillingParty,
  invoice: InvoiceRow,
  sources: CreditSources,
  now: Temporal.Instant,
): Promise<InvoiceRow> => {
  // Lago's one-off invoices (`Invoices::CreateOneOffService`) and wallet top-ups are paid by neither.
  if (invoice.totalAmountCents <= 0n || invoice.invoiceType === 'credit' || invoice.invoiceType === 'one_off') return invoice;
  const afterCreditNotes = sources.creditNotes ? await applyCreditNotesToInvoice(tx, party, invoice, now) : invoice;
  return sources.wallets ? applyWalletsToInvoice(tx, party, afterCreditNotes, now) : afterCreditNotes;
};
