import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { settleCreditInvoicePayment } from '../wallets/settle.ts';
import * as queries from './queries.ts';
import * as repo from './repository.ts';
import type { InvoiceRow } from './types.ts';

/**
 * An invoice's payment status changes (PUT /invoices/{id}, a manual payment covering it): the invoice and its fees take
 * it, a paid invoice is no longer overdue, `invoice.payment_status_updated` is reported, and what waited on the payment
 * follows (a wallet top-up's credits settle when its credit invoice is paid). Unchanged status: nothing happens.
 */
export const setInvoicePaymentStatus = async (tx: Db, invoice: InvoiceRow, status: string, at: Temporal.Instant): Promise<InvoiceRow> => {
  if (status === invoice.paymentStatus) return invoice;
  const now = instantToDate(at);
  const updated = await repo.updateInvoice(tx, invoice.organizationId, invoice.id, {
    paymentStatus: status,
    paymentOverdue: invoice.paymentOverdue && status !== 'succeeded',
    updatedAt: now,
  });
  await recordDomainEvent(tx, { organizationId: invoice.organizationId, type: 'invoice.payment_status_updated', objectType: 'invoice', objectId: invoice.id, at });
  await queries.setFeesPaymentStatus(tx, invoice.organizationId, invoice.id, status, now);
  return settleCreditInvoicePayment(tx, updated, at);
};
