import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows, queryRowsPrepared } from '../../db/query.ts';
import {
  appliedCoupons,
  credits,
  feeAppliedTaxes,
  fees,
  invoiceAppliedTaxes,
  invoices,
  invoiceSubscriptions,
} from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { insertRows, updateRow } from '../../db/write.ts';

export type InvoiceRow = typeof invoices.$inferSelect;
export type FeeRow = typeof fees.$inferSelect;
export type InvoiceSubscriptionRow = typeof invoiceSubscriptions.$inferSelect;
export type CreditRow = typeof credits.$inferSelect;
export type InvoiceAppliedTaxRow = typeof invoiceAppliedTaxes.$inferSelect;
export type FeeAppliedTaxRow = typeof feeAppliedTaxes.$inferSelect;

export const insertInvoice = async (db: Db, row: typeof invoices.$inferInsert): Promise<InvoiceRow> => {
  const [created] = await insertRows<InvoiceRow>(db, invoices, [row], { returning: true });
  return created!;
};

export const updateInvoice = async (db: Db, organizationId: string, id: string, changes: Partial<InvoiceRow>): Promise<InvoiceRow> =>
  (await updateRow<InvoiceRow>(db, invoices, organizationId, id, changes))!;

export const findInvoice = async (db: Db, organizationId: string, id: string, lock = false): Promise<InvoiceRow | null> => {
  const [row] = await selectRows<InvoiceRow>(
    db,
    invoices,
    sql`invoices WHERE organization_id = ${organizationId} AND id = ${id}${lock ? sql` FOR UPDATE` : sql``}`,
  );
  return row ?? null;
};

export const deleteInvoice = async (db: Db, organizationId: string, id: string): Promise<void> => {
  await db.delete(invoices).where(and(eq(invoices.organizationId, organizationId), eq(invoices.id, id)));
};

/**
 * Claims a subscription's billing for a reason and day on an invoice. Answers false when another invoice already holds
 * it (the unique key): the work was done, by this process earlier or by another one.
 */
export const claimInvoiceSubscription = async (db: Db, row: typeof invoiceSubscriptions.$inferInsert): Promise<boolean> => {
  const inserted = await insertRows(db, invoiceSubscriptions, [row], { suffix: 'ON CONFLICT DO NOTHING', returning: true });
  return inserted.length > 0;
};

export const updateInvoiceSubscription = async (
  db: Db,
  organizationId: string,
  id: string,
  changes: Partial<InvoiceSubscriptionRow>,
): Promise<void> => {
  await db
    .update(invoiceSubscriptions)
    .set(changes)
    .where(and(eq(invoiceSubscriptions.organizationId, organizationId), eq(invoiceSubscriptions.id, id)));
};

export const invoiceSubscriptionsOf = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<InvoiceSubscriptionRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<InvoiceSubscriptionRow>(
        db,
        invoiceSubscriptions,
        sql`invoice_subscriptions WHERE organization_id = ${organizationId}
          AND invoice_id IN (${sql.join(invoiceIds.map((id) => sql`${id}::uuid`), sql`, `)})
          ORDER BY created_at, id`,
      );

export const insertFees = async (db: Db, rows: (typeof fees.$inferInsert)[]): Promise<void> => {
  await insertRows(db, fees, rows);
};

export const insertFeeAppliedTaxes = async (db: Db, rows: (typeof feeAppliedTaxes.$inferInsert)[]): Promise<void> => {
  await insertRows(db, feeAppliedTaxes, rows);
};

export const insertInvoiceAppliedTaxes = async (db: Db, rows: (typeof invoiceAppliedTaxes.$inferInsert)[]): Promise<void> => {
  await insertRows(db, invoiceAppliedTaxes, rows);
};

export const insertCredits = async (db: Db, rows: (typeof credits.$inferInsert)[]): Promise<void> => {
  await insertRows(db, credits, rows);
};

export const feesOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<FeeRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<FeeRow>(
        db,
        fees,
        sql`fees WHERE organization_id = ${organizationId} AND invoice_id IN (${sql.join(invoiceIds.map((id) => sql`${id}::uuid`), sql`, `)})
          ORDER BY position, created_at, id`,
      );

export const creditsOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<CreditRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<CreditRow>(
        db,
        credits,
        sql`credits WHERE organization_id = ${organizationId} AND invoice_id IN (${sql.join(invoiceIds.map((id) => sql`${id}::uuid`), sql`, `)})
          ORDER BY created_at, id`,
      );

export const appliedTaxesOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<InvoiceAppliedTaxRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<InvoiceAppliedTaxRow>(
        db,
        invoiceAppliedTaxes,
        sql`invoice_applied_taxes WHERE organization_id = ${organizationId}
          AND invoice_id IN (${sql.join(invoiceIds.map((id) => sql`${id}::uuid`), sql`, `)}) ORDER BY tax_code, id`,
      );

export const appliedTaxesOfFees = async (db: Db, organizationId: string, feeIds: readonly string[]): Promise<FeeAppliedTaxRow[]> =>
  feeIds.length === 0
    ? []
    : selectRows<FeeAppliedTaxRow>(
        db,
        feeAppliedTaxes,
        sql`fee_applied_taxes WHERE organization_id = ${organizationId}
          AND fee_id IN (${sql.join(feeIds.map((id) => sql`${id}::uuid`), sql`, `)}) ORDER BY tax_code, id`,
      );

/** Removes what a draft's computation wrote (fees and their taxes, credits, invoice taxes), before it is computed again. */
export const clearComputedParts = async (db: Db, organizationId: string, invoiceId: string): Promise<void> => {
  await db.execute(sql`DELETE FROM fees WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId}`);
  await db.execute(sql`DELETE FROM credits WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId}`);
  await db.execute(sql`DELETE FROM invoice_applied_taxes WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId}`);
};

/** The organization's counter, moved on by one (`RETURNING last_sequential_id`). */
const nextOrganizationSequentialId = (organizationId: string) => sql`
  INSERT INTO organization_invoice_counters AS k (organization_id, last_sequential_id) VALUES (${organizationId}, 1)
  ON CONFLICT (organization_id) DO UPDATE SET last_sequential_id = k.last_sequential_id + 1
  RETURNING last_sequential_id`;

/**
 * What finalizing an invoice needs from the database, in one statement since every invoice pays it: the next number in
 * the customer's sequence of finalized invoices (and, when asked, the organization's), taken for good, and whether the
 * customer has available credit notes or funded wallets in the invoice's currency (most have neither; those that do
 * are locked and spent after).
 */
export const takeFinalizationFacts = async (
  db: Db,
  organizationId: string,
  customerId: string,
  currency: string,
  withOrganizationSequence: boolean,
): Promise<{ customer: number; organization: number | null; creditNotes: boolean; wallets: boolean }> => {
  const [row] = await queryRowsPrepared<{ customer: number; organization: number | null; credit_notes: boolean; wallets: boolean }>(
    db,
    sql`WITH c AS (
        UPDATE customers SET invoices_sequence = invoices_sequence + 1 WHERE organization_id = ${organizationId} AND id = ${customerId}
        RETURNING invoices_sequence
      ), o AS (${withOrganizationSequence ? nextOrganizationSequentialId(organizationId) : sql`SELECT NULL::integer AS last_sequential_id`})
      SELECT c.invoices_sequence AS customer, o.last_sequential_id AS organization,
        EXISTS (SELECT 1 FROM credit_notes WHERE organization_id = ${organizationId} AND customer_id = ${customerId}
          AND credit_status = 'available' AND balance_amount_cents > 0 AND status = 'finalized' AND currency = ${currency}) AS credit_notes,
        EXISTS (SELECT 1 FROM wallets WHERE organization_id = ${organizationId} AND customer_id = ${customerId}
          AND status = 'active' AND currency = ${currency} AND balance_cents > 0) AS wallets
      FROM c, o`,
  );
  return { customer: row!.customer, organization: row!.organization, creditNotes: row!.credit_notes, wallets: row!.wallets };
};

/** Gives a finalized invoice the organization's next sequential id. */
export const setOrganizationSequentialId = async (db: Db, organizationId: string, invoiceId: string): Promise<void> => {
  await queryRowsPrepared(
    db,
    sql`WITH o AS (${nextOrganizationSequentialId(organizationId)})
      UPDATE invoices SET organization_sequential_id = o.last_sequential_id FROM o WHERE organization_id = ${organizationId} AND id = ${invoiceId}`,
  );
};

/** The customer's active applied coupons with their coupon and its targets, for an invoice to use. */
export interface ActiveCouponRow {
  id: string;
  coupon_id: string;
  code: string;
  name: string;
  coupon_type: string;
  amount_cents: string | null;
  amount_cents_remaining: string | null;
  amount_currency: string | null;
  percentage_rate: string | null;
  frequency: string;
  frequency_duration_remaining: number | null;
  limited_plans: boolean;
  limited_billable_metrics: boolean;
  plan_ids: string[];
  billable_metric_ids: string[];
  created_at_ms: string;
}

export const activeCouponsOf = async (db: Db, organizationId: string, customerId: string): Promise<ActiveCouponRow[]> =>
  queryRowsPrepared<ActiveCouponRow>(
    db,
    sql`SELECT a.id, a.coupon_id, c.code, c.name, c.coupon_type, a.amount_cents::text, a.amount_cents_remaining::text, a.amount_currency,
        a.percentage_rate::text, a.frequency, a.frequency_duration_remaining, c.limited_plans, c.limited_billable_metrics,
        coalesce((SELECT array_agg(t.plan_id::text) FROM coupon_targets t WHERE t.organization_id = c.organization_id AND t.coupon_id = c.id AND t.plan_id IS NOT NULL), '{}') AS plan_ids,
        coalesce((SELECT array_agg(t.billable_metric_id::text) FROM coupon_targets t WHERE t.organization_id = c.organization_id AND t.coupon_id = c.id AND t.billable_metric_id IS NOT NULL), '{}') AS billable_metric_ids,
        (extract(epoch FROM a.created_at) * 1000)::bigint::text AS created_at_ms
      FROM applied_coupons a JOIN coupons c ON c.organization_id = a.organization_id AND c.id = a.coupon_id
      WHERE a.organization_id = ${organizationId} AND a.customer_id = ${customerId} AND a.status = 'active'
      ORDER BY a.created_at, a.id
      FOR UPDATE OF a`,
  );

export const updateAppliedCoupon = async (
  db: Db,
  organizationId: string,
  id: string,
  changes: Partial<typeof appliedCoupons.$inferInsert>,
): Promise<void> => {
  await db.update(appliedCoupons).set(changes).where(and(eq(appliedCoupons.organizationId, organizationId), eq(appliedCoupons.id, id)));
};

export type AppliedCouponRow = typeof appliedCoupons.$inferSelect;

export const appliedCouponsByIds = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, AppliedCouponRow>> => {
  if (ids.length === 0) return new Map();
  const rows = await selectRows<AppliedCouponRow>(
    db,
    appliedCoupons,
    sql`applied_coupons WHERE organization_id = ${organizationId} AND id IN (${sql.join([...new Set(ids)].map((id) => sql`${id}::uuid`), sql`, `)}) FOR UPDATE`,
  );
  return new Map(rows.map((r) => [r.id, r]));
};
