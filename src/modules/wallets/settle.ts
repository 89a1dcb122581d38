import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import type { InvoiceRow } from '../invoices/types.ts';
import { finalizeOpenCreditInvoice } from './credit-invoice.ts';
import { failPurchase, settlePurchase } from './ledger.ts';
import * as repo from './repository.ts';

/**
 * A credit invoice's payment status changed (Lago's `Invoices::PrepaidCreditJob`): paid, the purchase it bills settles
 * (its credits join the balance) and an invoice held `open` for the payment is finalized; failed, the purchase fails.
 * Any other invoice: nothing to do, and no query.
 */
export const settleCreditInvoicePayment = async (tx: Db, invoice: InvoiceRow, at: Temporal.Instant): Promise<InvoiceRow> => {
  if (invoice.invoiceType !== 'credit') return invoice;
  const purchase = await repo.purchaseOfInvoice(tx, invoice.organizationId, invoice.id);
  if (!purchase) return invoice;
  if (invoice.paymentStatus === 'succeeded') {
    await settlePurchase(tx, purchase, at);
    return finalizeOpenCreditInvoice(tx, invoice, at);
  }
  if (invoice.paymentStatus === 'failed') await failPurchase(tx, purchase, at);
  return invoice;
};
