import type { Db } from '../../db/database.ts';
import { loadCustomerViews } from '../customers/views.ts';
import { loadInvoiceViews } from '../invoices/queries.ts';
import * as repo from './repository.ts';
import type { PaymentRequestRow, PaymentRequestView } from './types.ts';

/** Loads the customer and invoices of these payment requests (all of one organization), keeping their order. */
export const loadPaymentRequestViews = async (db: Db, organizationId: string, rows: readonly PaymentRequestRow[]): Promise<PaymentRequestView[]> => {
  if (rows.length === 0) return [];
  // One after the other: inside a transaction the handle is a single connection.
  const invoicesOf = await repo.invoicesOfRequests(db, organizationId, rows.map((r) => r.id));
  const allInvoices = [...new Map([...invoicesOf.values()].flat().map((i) => [i.id, i])).values()];
  const invoiceViews = new Map((await loadInvoiceViews(db, organizationId, allInvoices)).map((v) => [v.invoice.id, v]));
  const customers = await repo.customersByIds(db, organizationId, [...new Set(rows.map((r) => r.customerId))]);
  const customerViews = new Map((await loadCustomerViews(db, organizationId, customers)).map((v) => [v.customer.id, v]));
  return rows.map((request) => ({
    request,
    customer: customerViews.get(request.customerId)!,
    invoices: (invoicesOf.get(request.id) ?? []).map((i) => invoiceViews.get(i.id)!),
  }));
};

export const loadPaymentRequestView = async (db: Db, organizationId: string, id: string): Promise<PaymentRequestView | null> => {
  const row = await repo.findPaymentRequest(db, organizationId, id);
  return row ? (await loadPaymentRequestViews(db, organizationId, [row]))[0]! : null;
};
