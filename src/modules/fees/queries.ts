import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { addOns, billableMetrics, chargeFilters, charges, customers, fees, plans, subscriptions } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import { instantToDate } from '../../lib/time.ts';
import { appliedTaxesOfFees } from '../invoices/repository.ts';
import type { FeeFilters, FeeRow, FeeView } from './types.ts';

const distinct = (ids: readonly (string | null)[]): string[] => [...new Set(ids.filter((id): id is string => id !== null))];

export const findFee = async (db: Db, organizationId: string, id: string, lock = false): Promise<FeeRow | null> => {
  if (!isUuid(id)) return null;
  const [row] = await selectRows<FeeRow>(
    db,
    fees,
    sql`fees WHERE organization_id = ${organizationId} AND id = ${id}${lock ? sql` FOR UPDATE` : sql``}`,
  );
  return row ?? null;
};

export const updateFee = async (db: Db, organizationId: string, id: string, changes: Partial<FeeRow>): Promise<FeeRow> => {
  const [updated] = await db
    .update(fees)
    .set(changes)
    .where(and(eq(fees.organizationId, organizationId), eq(fees.id, id)))
    .returning();
  return updated!;
};

export const deleteFee = async (db: Db, organizationId: string, id: string): Promise<void> => {
  await db.delete(fees).where(and(eq(fees.organizationId, organizationId), eq(fees.id, id)));
};

const at = (value: Parameters<typeof instantToDate>[0]) => instantToDate(value).toISOString();

/**
 * The conditions of Lago's `FeesQuery`. Fees are the organization's, on invoices or not; a customer's are those of its
 * invoices and its subscriptions' fees not (yet) on an invoice. `event_transaction_id` finds the fees a pay-in-advance
 * event created.
 */
const feeConditions = (organizationId: string, filters: FeeFilters): SQL => {
  const conditions: SQL[] = [sql`fees.organization_id = ${organizationId}`];
  if (filters.externalCustomerId !== undefined) {
    conditions.push(sql`fees.customer_id IN (SELECT c.id FROM customers c WHERE c.organization_id = ${organizationId}
      AND c.external_id = ${filters.externalCustomerId} AND c.deleted_at IS NULL)`);
  }
  if (filters.externalSubscriptionId !== undefined) {
    conditions.push(sql`fees.subscription_id IN (SELECT s.id FROM subscriptions s WHERE s.organization_id = ${organizationId}
      AND s.external_id = ${filters.externalSubscriptionId})`);
  }
  if (filters.eventTransactionId !== undefined) conditions.push(sql`fees.event_transaction_id = ${filters.eventTransactionId}`);
  if (filters.currency !== undefined) conditions.push(sql`fees.amount_currency = ${filters.currency}`);
  if (filters.billableMetricCode !== undefined) {
    conditions.push(sql`fees.billable_metric_id IN (SELECT m.id FROM billable_metrics m WHERE m.organization_id = ${organizationId}
      AND m.code = ${filters.billableMetricCode})`);
  }
  if (filters.feeType !== undefined) conditions.push(sql`fees.fee_type = ${filters.feeType}`);
  if (filters.paymentStatus !== undefined) conditions.push(sql`fees.payment_status = ${filters.paymentStatus}`);
  for (const range of filters.ranges) {
    const column = sql.raw(`fees.${range.column}`);
    if (range.from) conditions.push(sql`${column} >= ${at(range.from)}::timestamptz`);
    if (range.to) conditions.push(sql`${column} <= ${at(range.to)}::timestamptz`);
  }
  return sql.join(conditions, sql` AND `);
};

/** Fees oldest first, as Lago lists them. */
export const listFees = async (db: Db, organizationId: string, filters: FeeFilters, page: PageRequest): Promise<{ rows: FeeRow[]; total: number }> => {
  const where = feeConditions(organizationId, filters);
  const rows = await selectRows<FeeRow>(
    db,
    fees,
    sql`fees WHERE ${where} ORDER BY fees.created_at ASC, fees.id ASC LIMIT ${page.perPage} OFFSET ${pageOffset(page)}`,
  );
  const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM fees WHERE ${where}`);
  return { rows, total: total!.count };
};

/** Names what each fee bills (see FeeView), in one query per kind of object, deleted objects included. */
export const loadFeeViews = async (db: Db, organizationId: string, rows: readonly FeeRow[]): Promise<FeeView[]> => {
  if (rows.length === 0) return [];
  const feeIds = rows.map((f) => f.id);
  const subscriptionIds = distinct(rows.map((f) => f.subscriptionId));
  const customerIds = distinct(rows.map((f) => f.customerId));
  const metricIds = distinct(rows.map((f) => f.billableMetricId));
  const chargeIds = distinct(rows.map((f) => f.chargeId));
  const filterIds = distinct(rows.map((f) => f.chargeFilterId));
  const addOnIds = distinct(rows.map((f) => f.addOnId));

  // One after the other: inside a transaction the handle is a single connection.
  const taxes = await appliedTaxesOfFees(db, organizationId, feeIds);
  const subscriptionRows =
    subscriptionIds.length === 0
      ? []
      : await db
          .select({ id: subscriptions.id, externalId: subscriptions.externalId, name: subscriptions.name, planId: subscriptions.planId })
          .from(subscriptions)
          .where(and(eq(subscriptions.organizationId, organizationId), inArray(subscriptions.id, subscriptionIds)));
  const planIds = distinct(subscriptionRows.map((s) => s.planId));
  const planRows =
    planIds.length === 0
      ? []
      : await db
          .select({
            id: plans.id,
            code: plans.code,
            name: plans.name,
            description: plans.description,
            invoiceDisplayName: plans.invoiceDisplayName,
            payInAdvance: plans.payInAdvance,
          })
          .from(plans)
          .where(and(eq(plans.organizationId, organizationId), inArray(plans.id, planIds)));
  const customerRows =
    customerIds.length === 0
      ? []
      : await db
          .select({ id: customers.id, externalId: customers.externalId })
          .from(customers)
          .where(and(eq(customers.organizationId, organizationId), inArray(customers.id, customerIds)));
  const metricRows =
    metricIds.length === 0
      ? []
      : await db
          .select({ id: billableMetrics.id, code: billableMetrics.code, name: billableMetrics.name, description: billableMetrics.description })
          .from(billableMetrics)
          .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.id, metricIds)));
  const chargeRows =
    chargeIds.length === 0
      ? []
      : await db
          .select({ id: charges.id, invoiceDisplayName: charges.invoiceDisplayName, invoiceable: charges.invoiceable })
          .from(charges)
          .where(and(eq(charges.organizationId, organizationId), inArray(charges.id, chargeIds)));
  const filterRows =
    filterIds.length === 0
      ? []
      : await db
          .select({ id: chargeFilters.id, invoiceDisplayName: chargeFilters.invoiceDisplayName, values: chargeFilters.values })
          .from(chargeFilters)
          .where(and(eq(chargeFilters.organizationId, organizationId), inArray(chargeFilters.id, filterIds)));
  const addOnRows =
    addOnIds.length === 0
      ? []
      : await db
          .select({
            id: addOns.id,
            code: addOns.code,
            name: addOns.name,
            description: addOns.description,
            invoiceDisplayName: addOns.invoiceDisplayName,
          })
          .from(addOns)
          .where(and(eq(addOns.organizationId, organizationId), inArray(addOns.id, addOnIds)));
  const trueUps = await db
    .select({ id: fees.id, parentId: fees.trueUpParentFeeId })
    .from(fees)
    .where(and(eq(fees.organizationId, organizationId), inArray(fees.trueUpParentFeeId, feeIds)));

  const byId = <T extends { id: string }>(list: readonly T[]) => new Map(list.map((x) => [x.id, x]));
  const subscriptionsById = byId(subscriptionRows);
  const plansById = byId(planRows);
  const customersById = byId(customerRows);
  const metricsById = byId(metricRows);
  const chargesById = byId(chargeRows);
  const filtersById = byId(filterRows);
  const addOnsById = byId(addOnRows);
  const trueUpOf = new Map(trueUps.map((t) => [t.parentId!, t.id]));
  const taxesOf = new Map<string, typeof taxes>();
  for (const tax of taxes) (taxesOf.get(tax.feeId) ?? taxesOf.set(tax.feeId, []).get(tax.feeId)!).push(tax);

  return rows.map((fee) => {
    const subscription = fee.subscriptionId ? (subscriptionsById.get(fee.subscriptionId) ?? null) : null;
    return {
      fee,
      appliedTaxes: taxesOf.get(fee.id) ?? [],
      customer: customersById.get(fee.customerId) ?? null,
      subscription,
      plan: subscription ? (plansById.get(subscription.planId) ?? null) : null,
      metric: fee.billableMetricId ? (metricsById.get(fee.billableMetricId) ?? null) : null,
      charge: fee.chargeId ? (chargesById.get(fee.chargeId) ?? null) : null,
      filter: fee.chargeFilterId ? (filtersById.get(fee.chargeFilterId) ?? null) : null,
      addOn: fee.addOnId ? (addOnsById.get(fee.addOnId) ?? null) : null,
      trueUpFeeId: trueUpOf.get(fee.id) ?? null,
    };
  });
};
