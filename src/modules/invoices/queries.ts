import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { appliedCoupons, coupons, customers, fees, invoiceMetadata, invoices, subscriptions } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import { likeContains } from '../../lib/text.ts';
import { loadCustomerViews, type Customer } from '../customers/service.ts';
import { billingEntityCode } from '../customers/views.ts';
import { loadFeeViews } from '../fees/service.ts';
import { findOrganization } from '../organizations/repository.ts';
import { loadSubscriptionViews } from '../subscriptions/views.ts';
import type { Subscription } from '../subscriptions/types.ts';
import * as repo from './repository.ts';
import { creditNotesOfCredits, offsetsOfInvoices } from '../credit-notes/repository.ts';
import { appliedThresholdsOfInvoices, progressiveCreditsOf } from '../progressive-billing/repository.ts';
import type { CreditView, InvoiceDetailView, InvoiceFilters, InvoiceMetadataRow, InvoiceRow, InvoiceView } from './types.ts';

const uuidList = (ids: readonly string[]) => sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `);

/** An invoice the API may show (a visible status), by its lago_id; null for anything else, a malformed id included. */
export const findVisibleInvoice = async (db: Db, organizationId: string, id: string, statuses: readonly string[], lock = false): Promise<InvoiceRow | null> => {
  if (!isUuid(id)) return null;
  const row = await repo.findInvoice(db, organizationId, id, lock);
  return row && statuses.includes(row.status) ? row : null;
};

/** The conditions of Lago's `InvoicesQuery`, as SQL over `invoices`. */
const invoiceConditions = (organizationId: string, filters: InvoiceFilters): SQL => {
  const c: SQL[] = [sql`invoices.organization_id = ${organizationId}`];
  c.push(sql`invoices.status IN (${sql.join(filters.statuses.map((s) => sql`${s}`), sql`, `)})`);
  if (filters.externalCustomerId !== undefined) {
    c.push(sql`invoices.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${organizationId}
      AND cu.external_id = ${filters.externalCustomerId} AND cu.deleted_at IS NULL)`);
  }
  if (filters.issuingDateFrom) c.push(sql`invoices.issuing_date >= ${filters.issuingDateFrom.toString()}::date`);
  if (filters.issuingDateTo) c.push(sql`invoices.issuing_date <= ${filters.issuingDateTo.toString()}::date`);
  if (filters.paymentStatuses) c.push(sql`invoices.payment_status IN (${sql.join(filters.paymentStatuses.map((s) => sql`${s}`), sql`, `)})`);
  if (filters.invoiceType !== undefined) c.push(sql`invoices.invoice_type = ${filters.invoiceType}`);
  if (filters.currency !== undefined) c.push(sql`invoices.currency = ${filters.currency}`);
  if (filters.amountFrom !== undefined) c.push(sql`invoices.total_amount_cents >= ${filters.amountFrom.toString()}::bigint`);
  if (filters.amountTo !== undefined) c.push(sql`invoices.total_amount_cents <= ${filters.amountTo.toString()}::bigint`);
  if (filters.paymentOverdue !== undefined) c.push(sql`invoices.payment_overdue = ${filters.paymentOverdue}`);
  // Billow records no lost payment disputes, no purchase order numbers and no self-billed invoices.
  if (filters.paymentDisputeLost === true || filters.selfBilled === true || filters.purchaseOrderNumber !== undefined) c.push(sql`false`);
  if (filters.partiallyPaid !== undefined) {
    c.push(
      filters.partiallyPaid
        ? sql`(invoices.total_amount_cents > invoices.total_paid_amount_cents AND invoices.total_paid_amount_cents > 0)`
        : sql`(invoices.total_amount_cents = invoices.total_paid_amount_cents OR invoices.total_paid_amount_cents = 0)`,
    );
  }
  for (const { key, value } of filters.metadata) {
    const held = sql`SELECT 1 FROM invoice_metadata m WHERE m.organization_id = invoices.organization_id AND m.invoice_id = invoices.id AND m.key = ${key}`;
    c.push(value === '' ? sql`NOT EXISTS (${held})` : sql`EXISTS (${held} AND m.value = ${value})`);
  }
  if (filters.searchTerm !== undefined) {
    // Lago's search: the number, the exact lago_id, and (unless the list is one customer's) the customer's names,
    // external id and email.
    const term = likeContains(filters.searchTerm);
    const branches: SQL[] = [sql`invoices.number ILIKE ${term}`];
    if (isUuid(filters.searchTerm)) branches.push(sql`invoices.id = ${filters.searchTerm}::uuid`);
    if (filters.externalCustomerId === undefined) {
      branches.push(sql`invoices.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${organizationId} AND cu.deleted_at IS NULL
        AND (cu.name ILIKE ${term} OR cu.firstname ILIKE ${term} OR cu.lastname ILIKE ${term} OR cu.external_id ILIKE ${term} OR cu.email ILIKE ${term}))`);
    }
    c.push(sql`(${sql.join(branches, sql` OR `)})`);
  }
  return sql.join(c, sql` AND `);
};

/** Invoices latest issued first, then newest, as Lago lists them. */
export const listInvoices = async (
  db: Db,
  organizationId: string,
  filters: InvoiceFilters,
  page: PageRequest,
): Promise<{ rows: InvoiceRow[]; total: number }> => {
  const where = invoiceConditions(organizationId, filters);
  const rows = await selectRows<InvoiceRow>(
    db,
    invoices,
    sql`invoices WHERE ${where} ORDER BY invoices.issuing_date DESC, invoices.created_at DESC, invoices.id ASC
      LIMIT ${page.perPage} OFFSET ${pageOffset(page)}`,
  );
  const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM invoices WHERE ${where}`);
  return { rows, total: total!.count };
};

export const metadataOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<InvoiceMetadataRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<InvoiceMetadataRow>(
        db,
        invoiceMetadata,
        sql`invoice_metadata WHERE organization_id = ${organizationId} AND invoice_id IN (${uuidList(invoiceIds)}) ORDER BY created_at, id`,
      );

const groupBy = <T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> => {
  const map = new Map<K, T[]>();
  for (const row of rows) (map.get(key(row)) ?? map.set(key(row), []).get(key(row))!).push(row);
  return map;
};

/** The list view of invoices of one organization: each with its customer, metadata and taxes. */
export const loadInvoiceViews = async (db: Db, organizationId: string, rows: readonly InvoiceRow[]): Promise<InvoiceView[]> => {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  // One after the other: inside a transaction the handle is a single connection.
  const organization = await findOrganization(db, organizationId);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const customerRows = await selectRows<Customer>(
    db,
    customers,
    sql`customers WHERE organization_id = ${organizationId} AND id IN (${uuidList([...new Set(rows.map((r) => r.customerId))])})`,
  );
  const customerViews = new Map((await loadCustomerViews(db, organizationId, customerRows)).map((v) => [v.customer.id, v]));
  const metadata = groupBy(await metadataOfInvoices(db, organizationId, ids), (m) => m.invoiceId);
  const taxes = groupBy(await repo.appliedTaxesOfInvoices(db, organizationId, ids), (t) => t.invoiceId);
  const offsets = await offsetsOfInvoices(db, organizationId, ids);
  const progressiveIds = rows.filter((r) => r.invoiceType === 'progressive_billing').map((r) => r.id);
  const thresholds = groupBy(await appliedThresholdsOfInvoices(db, organizationId, progressiveIds), (a) => a.invoiceId);
  const code = billingEntityCode(organization);
  return rows.map((invoice) => ({
    invoice,
    billingEntityCode: code,
    customer: customerViews.get(invoice.customerId)!,
    metadata: metadata.get(invoice.id) ?? [],
    appliedTaxes: taxes.get(invoice.id) ?? [],
    offsetAmountCents: offsets.get(invoice.id) ?? 0n,
    ...(invoice.invoiceType === 'progressive_billing' && { appliedUsageThresholds: thresholds.get(invoice.id) ?? [] }),
  }));
};

/** Credits with the coupon or the credit note each came from. */
const creditViews = async (db: Db, organizationId: string, invoiceId: string, progressive: boolean): Promise<CreditView[]> => {
  const credits = await repo.creditsOfInvoices(db, organizationId, [invoiceId]);
  // Only an invoice that credited progressive invoices looks them up.
  const progressiveOf = new Map(progressive ? (await progressiveCreditsOf(db, organizationId, invoiceId)).map((p) => [p.creditId, p]) : []);
  const notes = await creditNotesOfCredits(db, organizationId, credits.filter((c) => c.appliedCouponId === null).map((c) => c.id));
  const appliedIds = [...new Set(credits.flatMap((c) => (c.appliedCouponId ? [c.appliedCouponId] : [])))];
  const found =
    appliedIds.length === 0
      ? []
      : await db
          .select({ appliedId: appliedCoupons.id, id: coupons.id, code: coupons.code, name: coupons.name, description: coupons.description })
          .from(appliedCoupons)
          .innerJoin(coupons, and(eq(coupons.organizationId, appliedCoupons.organizationId), eq(coupons.id, appliedCoupons.couponId)))
          .where(and(eq(appliedCoupons.organizationId, organizationId), inArray(appliedCoupons.id, appliedIds)));
  const byApplied = new Map(found.map(({ appliedId, ...coupon }) => [appliedId, coupon]));
  return credits.map((credit) => ({
    credit,
    coupon: credit.appliedCouponId ? (byApplied.get(credit.appliedCouponId) ?? null) : null,
    creditNote: notes.get(credit.id) ?? null,
    progressiveInvoice: progressiveOf.has(credit.id) ? { id: progressiveOf.get(credit.id)!.invoiceId, number: progressiveOf.get(credit.id)!.number } : null,
  }));
};

/** The single-invoice view: the list view plus its subscriptions, billing periods, fees and credits. */
export const loadInvoiceDetail = async (db: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceDetailView> => {
  const organizationId = invoice.organizationId;
  const [base] = await loadInvoiceViews(db, organizationId, [invoice]);
  const periods = await repo.invoiceSubscriptionsOf(db, organizationId, [invoice.id]);
  const subscriptionIds = [...new Set(periods.map((p) => p.subscriptionId))];
  const subscriptionRows =
    subscriptionIds.length === 0
      ? []
      : await selectRows<Subscription>(
          db,
          subscriptions,
          sql`subscriptions WHERE organization_id = ${organizationId} AND id IN (${uuidList(subscriptionIds)})`,
        );
  const views = await loadSubscriptionViews(db, organizationId, subscriptionRows, now);
  const viewOf = new Map(views.map((v) => [v.subscription.id, v]));
  const feeRows = await repo.feesOfInvoices(db, organizationId, [invoice.id]);
  return {
    ...base!,
    subscriptions: periods.flatMap((p) => viewOf.get(p.subscriptionId) ?? []),
    billingPeriods: periods.map((row) => {
      const subscription = viewOf.get(row.subscriptionId)?.subscription;
      return { row, externalSubscriptionId: subscription?.externalId ?? null, planId: subscription?.planId ?? null };
    }),
    fees: await loadFeeViews(db, organizationId, feeRows),
    credits: await creditViews(db, organizationId, invoice.id, invoice.progressiveBillingCreditAmountCents > 0n),
  };
};

/** Lago's `Invoices::Metadata::UpdateService` writes, entry by entry. */
export const updateMetadata = async (db: Db, organizationId: string, id: string, key: string, value: string, now: Date): Promise<void> => {
  await db
    .update(invoiceMetadata)
    .set({ key, value, updatedAt: now })
    .where(and(eq(invoiceMetadata.organizationId, organizationId), eq(invoiceMetadata.id, id)));
};

export const insertMetadata = async (db: Db, row: typeof invoiceMetadata.$inferInsert): Promise<void> => {
  await db.insert(invoiceMetadata).values(row);
};

export const deleteMetadata = async (db: Db, organizationId: string, ids: readonly string[]): Promise<void> => {
  if (ids.length === 0) return;
  await db.delete(invoiceMetadata).where(and(eq(invoiceMetadata.organizationId, organizationId), inArray(invoiceMetadata.id, [...ids])));
};

/** An invoice's fees follow its payment status (Lago's `Invoices::UpdateFeesPaymentStatusJob`). */
export const setFeesPaymentStatus = async (db: Db, organizationId: string, invoiceId: string, status: string, now: Date): Promise<void> => {
  await db
    .update(fees)
    .set({ paymentStatus: status, updatedAt: now })
    .where(and(eq(fees.organizationId, organizationId), eq(fees.invoiceId, invoiceId)));
};

/** A refreshed draft's fees keep the invoice's creation time, as Lago resets them after a refresh. */
export const stampFeesCreatedAt = async (db: Db, organizationId: string, invoiceId: string, createdAt: Date): Promise<void> => {
  await db
    .update(fees)
    .set({ createdAt })
    .where(and(eq(fees.organizationId, organizationId), eq(fees.invoiceId, invoiceId)));
};

/** Whether each coupon is still live (not terminated nor deleted), by coupon id. */
export const liveCoupons = async (db: Db, organizationId: string, couponIds: readonly string[]): Promise<Set<string>> => {
  if (couponIds.length === 0) return new Set();
  const rows = await db
    .select({ id: coupons.id })
    .from(coupons)
    .where(
      and(
        eq(coupons.organizationId, organizationId),
        inArray(coupons.id, [...new Set(couponIds)]),
        eq(coupons.status, 'active'),
        sql`${coupons.deletedAt} IS NULL`,
      ),
    );
  return new Set(rows.map((r) => r.id));
};
