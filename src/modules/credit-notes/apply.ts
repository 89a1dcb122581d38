import type { Temporal } from 'temporal-polyfill';
import { consumeCredit } from '../../billing/credit-notes/index.ts';
import type { Db } from '../../db/database.ts';
import { newId } from '../../lib/ids.ts';
import { instantToDate } from '../../lib/time.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { BillingParty } from '../billing/party.ts';
import * as repo from './repository.ts';

/** The invoices Lago reduces with credit notes: not one-off invoices, nor wallet top-ups. */
const CONSUMING_TYPES = ['subscription', 'advance_charges', 'progressive_billing'];

/**
 * Consumes the customer's available credit notes on an invoice being finalized, after its taxes and before wallets
 * (Lago's `Credits::CreditNoteService`): credit notes in the invoice's currency, oldest first, each giving what the
 * invoice still owes up to its balance, as a credit (after taxes) on the invoice; a note with nothing left is consumed.
 * The notes are locked: an invoice finalized at the same time waits, then sees what this one left. Answers the invoice
 * with its credit notes amount and total reduced (the finalizer writes them).
 */
export const applyCreditNotesToInvoice = async (tx: Db, party: BillingParty, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
  if (invoice.totalAmountCents <= 0n || !CONSUMING_TYPES.includes(invoice.invoiceType)) return invoice;
  const organizationId = invoice.organizationId;
  const notes = await repo.availableForCustomer(tx, organizationId, party.customer.id, invoice.currency, invoice.id);
  if (notes.length === 0) return invoice;
  const stamp = instantToDate(now);
  const taken = consumeCredit(invoice.totalAmountCents, notes.map((n) => n.balanceAmountCents));
  let consumed = 0n;
  for (const [i, note] of notes.entries()) {
    const amount = taken[i]!;
    if (amount === 0n) continue;
    await repo.insertCredit(tx, { organizationId, id: newId(), invoiceId: invoice.id, creditNoteId: note.id, amountCents: amount, currency: invoice.currency, createdAt: stamp });
    const balance = note.balanceAmountCents - amount;
    await repo.updateCreditNote(tx, organizationId, note.id, { balanceAmountCents: balance, ...(balance === 0n && { creditStatus: 'consumed' }), updatedAt: stamp });
    consumed += amount;
  }
  return { ...invoice, creditNotesAmountCents: invoice.creditNotesAmountCents + consumed, totalAmountCents: invoice.totalAmountCents - consumed };
};
