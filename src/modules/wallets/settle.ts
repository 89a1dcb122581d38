import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/types.ts';

/** SCAFFOLD (wallets work in progress): a credit invoice's payment settles (or fails) its wallet transaction. */
export const settleCreditInvoicePayment = async (_tx: Db, invoice: InvoiceRow, _at: Temporal.Instant): Promise<InvoiceRow> => invoice;
