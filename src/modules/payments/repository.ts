import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { payments } from '../../db/schema/payments.ts';
import { selectRows } from '../../db/select.ts';
import { insertRows } from '../../db/write.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import { VISIBLE_STATUSES } from '../invoices/types.ts';
import type { PaymentFilters, PaymentRow, PaymentView } from './types.ts';

export const insertPayment = async (db: Db, row: typeof payments.$inferInsert): Promise<PaymentRow> => {
  const [created] = await insertRows<PaymentRow>(db, payments, [row], { returning: true });
  return created!;
};

/** What the invoice's succeeded payments add up to: its `total_paid_amount_cents`. */
export const succeededPaymentsTotal = async (db: Db, organizationId: string, invoiceId: string): Promise<bigint> => {
  const [row] = await queryRows<{ total: string }>(
    db,
    sql`SELECT coalesce(sum(amount_cents), 0)::text AS total FROM payments
      WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId} AND payable_payment_status = 'succeeded'`,
  );
  return BigInt(row!.total);
};

/** A payment is shown only while the invoice it paid is (Lago's `Payment.for_organization`). */
const visiblePayable = sql`EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = payments.organization_id AND i.id = payments.invoice_id
  AND i.status = ANY(${arrayParam(VISIBLE_STATUSES)}::text[]))`;

const conditions = (organizationId: string, filters: PaymentFilters): SQL => {
  const c: SQL[] = [sql`payments.organization_id = ${organizationId}`, visiblePayable];
  if (filters.invoiceId !== undefined) c.push(sql`payments.invoice_id = ${filters.invoiceId}::uuid`);
  // Lago joins the payment's customer whether or not it was deleted since.
  if (filters.externalCustomerId !== undefined) {
    c.push(sql`payments.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${organizationId}
      AND cu.external_id = ${filters.externalCustomerId})`);
  }
  return sql.join(c, sql` AND `);
};

/** Payments newest first (by when they were made), then by id, as Lago lists them. */
export const listPayments = async (
  db: Db,
  organizationId: string,
  filters: PaymentFilters,
  page: PageRequest,
): Promise<{ rows: PaymentRow[]; total: number }> => {
  const where = conditions(organizationId, filters);
  const rows = await selectRows<PaymentRow>(
    db,
    payments,
    sql`payments WHERE ${where} ORDER BY payments.created_at DESC, payments.id ASC LIMIT ${page.perPage} OFFSET ${pageOffset(page)}`,
  );
  const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM payments WHERE ${where}`);
  return { rows, total: total!.count };
};

export const findVisiblePayment = async (db: Db, organizationId: string, id: string): Promise<PaymentRow | null> => {
  const [row] = await selectRows<PaymentRow>(db, payments, sql`payments WHERE payments.organization_id = ${organizationId} AND payments.id = ${id} AND ${visiblePayable}`);
  return row ?? null;
};

/** Each payment with its invoice's number and its customer's external id, in the payments' order. */
export const loadPaymentViews = async (db: Db, organizationId: string, rows: readonly PaymentRow[]): Promise<PaymentView[]> => {
  if (rows.length === 0) return [];
  const invoiceIds = [...new Set(rows.map((r) => r.invoiceId))];
  const found = await queryRows<{ id: string; number: string; customer_id: string; external_id: string }>(
    db,
    sql`SELECT i.id, i.number, cu.id AS customer_id, cu.external_id FROM invoices i
      JOIN customers cu ON cu.organization_id = i.organization_id AND cu.id = i.customer_id
      WHERE i.organization_id = ${organizationId} AND i.id = ANY(${arrayParam(invoiceIds)}::uuid[])`,
  );
  const byInvoice = new Map(found.map((r) => [r.id, r]));
  return rows.map((payment) => {
    const invoice = byInvoice.get(payment.invoiceId);
    if (!invoice) throw new Error(`invoice ${payment.invoiceId} of payment ${payment.id} not found`);
    return {
      payment,
      invoice: { id: invoice.id, number: invoice.number },
      customer: { id: invoice.customer_id, externalId: invoice.external_id },
    };
  });
};
