import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { BillingParty } from '../billing/party.ts';

/** SCAFFOLD (credit notes work in progress): consumes the customer's available credit notes on an invoice being finalized. */
export const applyCreditNotesToInvoice = async (_tx: Db, _party: BillingParty, invoice: InvoiceRow, _now: Temporal.Instant): Promise<InvoiceRow> => invoice;
