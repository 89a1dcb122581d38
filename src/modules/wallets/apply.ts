import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { BillingParty } from '../billing/party.ts';

/** SCAFFOLD (wallets work in progress): consumes prepaid credits on an invoice being finalized. */
export const applyWalletsToInvoice = async (_tx: Db, _party: BillingParty, invoice: InvoiceRow, _now: Temporal.Instant): Promise<InvoiceRow> => invoice;
