import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { customers, invoices } from '../../db/schema/index.ts';
import { paymentRequestInvoices, paymentRequests } from '../../db/schema/payments.ts';
import { selectRows } from '../../db/select.ts';
import { insertRows } from '../../db/write.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { Customer } from '../customers/types.ts';
import type { InvoiceRow } from '../invoices/types.ts';
import type { PaymentRequestFilters, PaymentRequestRow } from './types.ts';

export const insertPaymentRequest = async (db: Db, row: typeof paymentRequests.$inferInsert, invoiceIds: readonly string[]): Promise<PaymentRequestRow> => {
  const [created] = await insertRows<PaymentRequestRow>(db, paymentRequests, [row], { returning: true });
  await insertRows(
    db,
    paymentRequestInvoices,
    invoiceIds.map((invoiceId) => ({ organizationId: row.organizationId, paymentRequestId: row.id, invoiceId, createdAt: row.createdAt })),
  );
  return created!;
};

/**
 * The customer's invoices among `ids` (ids that are not the customer's, or not UUIDs, are left out, as Lago leaves them
 * out), deleted ones excepted, locked until the transaction ends so that what is due cannot change meanwhile.
 */
export const lockCustomerInvoices = async (db: Db, organizationId: string, customerId: string, ids: readonly string[]): Promise<InvoiceRow[]> =>
  ids.length === 0
    ? []
    : selectRows<InvoiceRow>(
        db,
        invoices,
        sql`invoices WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND status <> 'deleted'
          AND id = ANY(${arrayParam(ids)}::uuid[]) ORDER BY id FOR UPDATE`,
      );

export const findPaymentRequest = async (db: Db, organizationId: string, id: string): Promise<PaymentRequestRow | null> => {
  const [row] = await selectRows<PaymentRequestRow>(db, paymentRequests, sql`payment_requests WHERE organization_id = ${organizationId} AND id = ${id}`);
  return row ?? null;
};

const conditions = (organizationId: string, filters: PaymentRequestFilters): SQL => {
  const c: SQL[] = [sql`payment_requests.organization_id = ${organizationId}`];
  // Lago joins the request's customer whether or not it was deleted since.
  if (filters.externalCustomerId !== undefined) {
    c.push(sql`payment_requests.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${organizationId}
      AND cu.external_id = ${filters.externalCustomerId})`);
  }
  if (filters.paymentStatus !== undefined) c.push(sql`payment_requests.payment_status = ${filters.paymentStatus}`);
  if (filters.currency !== undefined) c.push(sql`payment_requests.amount_currency = ${filters.currency}`);
  return sql.join(c, sql` AND `);
};

/** Payment requests newest first, then by id, as Lago lists them. */
export const listPaymentRequests = async (
  db: Db,
  organizationId: string,
  filters: PaymentRequestFilters,
  page: PageRequest,
): Promise<{ rows: PaymentRequestRow[]; total: number }> => {
  const where = conditions(organizationId, filters);
  const rows = await selectRows<PaymentRequestRow>(
    db,
    paymentRequests,
    sql`payment_requests WHERE ${where} ORDER BY payment_requests.created_at DESC, payment_requests.id ASC
      LIMIT ${page.perPage} OFFSET ${pageOffset(page)}`,
  );
  const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM payment_requests WHERE ${where}`);
  return { rows, total: total!.count };
};

/** The invoices of each payment request, oldest first. */
export const invoicesOfRequests = async (db: Db, organizationId: string, requestIds: readonly string[]): Promise<Map<string, InvoiceRow[]>> => {
  const tagged = await queryRows<{ payment_request_id: string; invoice_id: string }>(
    db,
    sql`SELECT payment_request_id, invoice_id FROM payment_request_invoices
      WHERE organization_id = ${organizationId} AND payment_request_id = ANY(${arrayParam(requestIds)}::uuid[]) ORDER BY invoice_id`,
  );
  const invoiceIds = [...new Set(tagged.map((t) => t.invoice_id))];
  const rows =
    invoiceIds.length === 0
      ? []
      : await selectRows<InvoiceRow>(db, invoices, sql`invoices WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam(invoiceIds)}::uuid[])`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out = new Map<string, InvoiceRow[]>();
  for (const t of tagged) (out.get(t.payment_request_id) ?? out.set(t.payment_request_id, []).get(t.payment_request_id)!).push(byId.get(t.invoice_id)!);
  return out;
};

/** Customers by id, deleted ones included (a request keeps showing its customer). */
export const customersByIds = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Customer[]> =>
  ids.length === 0 ? [] : selectRows<Customer>(db, customers, sql`customers WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam(ids)}::uuid[])`);
