import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { settleCreditInvoicePayment } from '../wallets/settle.ts';
import * as queries from './queries.ts';
import * as repo from './repository.ts';
import { VISIBLE_STATUSES, type InvoiceRow } from './types.ts';

/**
 * An invoice's payment status changes (PUT /invoices/{id}, a manual payment covering it): the invoice and its fees take
 * it, a paid invoice is no longer overdue, `invoice.payment_status_updated` is reported (only for an invoice the API
 * shows: a top-up's `open` credit invoice paid manually is not, as in Lago), and what waited on the payment follows (a
 * wallet top-up's credits settle when its credit invoice is paid). Unchanged status: nothing happens. What was paid
 * (`total_paid_amount_cents`) is not touched: only recorded payments change it, as in Lago.
 */
export const setInvoicePaymentStatus = async (tx: Db, invoice: InvoiceRow, status: string, at: Temporal.Instant): Promise<InvoiceRow> => {
  if (status === invoice.paymentStatus) return invoice;
  const now = instantToDate(at);
  const updated = await repo.updateInvoice(tx, invoice.organizationId, invoice.id, {
    paymentStatus: status,
    paymentOverdue: invoice.paymentOverdue && status !== 'succeeded',
    updatedAt: now,
  });
  if ((VISIBLE_STATUSES as readonly string[]).includes(invoice.status)) {
    await recordDomainEvent(tx, { organizationId: invoice.organizationId, type: 'invoice.payment_status_updated', objectType: 'invoice', objectId: invoice.id, at });
  }
  await queries.setFeesPaymentStatus(tx, invoice.organizationId, invoice.id, status, now);
  return settleCreditInvoicePayment(tx, updated, at);
};
