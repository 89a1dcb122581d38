import { and, asc, count, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { appliedCoupons, couponTargets, coupons, customers } from '../../db/schema/index.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { AppliedCoupon, AppliedCouponFilters, AppliedCouponView } from './types.ts';

export const insertAppliedCoupon = async (db: Db, row: typeof appliedCoupons.$inferInsert): Promise<AppliedCoupon> => {
  const [created] = await db.insert(appliedCoupons).values(row).returning();
  return created!;
};

/** True when the coupon was ever applied to the customer, even if that application has ended. */
export const wasAppliedTo = async (db: Db, organizationId: string, couponId: string, customerId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: appliedCoupons.id })
    .from(appliedCoupons)
    .where(
      and(eq(appliedCoupons.organizationId, organizationId), eq(appliedCoupons.couponId, couponId), eq(appliedCoupons.customerId, customerId)),
    )
    .limit(1);
  return rows.length > 0;
};

/**
 * True when one of the customer's running coupons is limited to something this coupon is also limited to: the same
 * plan, the same metric, a plan charging one of this coupon's metrics, or a metric charged by one of its plans. Two
 * limited coupons on the same item would discount it twice.
 */
export const overlapsRunningCoupon = async (db: Db, organizationId: string, couponId: string, customerId: string): Promise<boolean> => {
  const mine = (column: 'plan_id' | 'billable_metric_id') =>
    sql`SELECT ${sql.identifier(column)} FROM coupon_targets
        WHERE organization_id = ${organizationId} AND coupon_id = ${couponId} AND ${sql.identifier(column)} IS NOT NULL`;
  const rows = await db
    .select({ id: appliedCoupons.id })
    .from(appliedCoupons)
    .innerJoin(couponTargets, and(eq(couponTargets.organizationId, appliedCoupons.organizationId), eq(couponTargets.couponId, appliedCoupons.couponId)))
    .where(
      and(
        eq(appliedCoupons.organizationId, organizationId),
        eq(appliedCoupons.customerId, customerId),
        eq(appliedCoupons.status, 'active'),
        sql`(
          ${couponTargets.planId} IN (${mine('plan_id')})
          OR ${couponTargets.billableMetricId} IN (${mine('billable_metric_id')})
          OR ${couponTargets.planId} IN (
            SELECT c.plan_id FROM charges c
            WHERE c.organization_id = ${organizationId} AND c.deleted_at IS NULL AND c.billable_metric_id IN (${mine('billable_metric_id')}))
          OR ${couponTargets.billableMetricId} IN (
            SELECT c.billable_metric_id FROM charges c
            WHERE c.organization_id = ${organizationId} AND c.deleted_at IS NULL AND c.plan_id IN (${mine('plan_id')}))
        )`,
      ),
    )
    .limit(1);
  return rows.length > 0;
};

/** Applied coupons with their coupon (deleted coupons included) and live customer, newest first as Lago lists them. */
export const listAppliedCoupons = async (
  db: Db,
  organizationId: string,
  filters: AppliedCouponFilters,
  page: PageRequest,
): Promise<{ rows: AppliedCouponView[]; total: number }> => {
  const conditions: (SQL | undefined)[] = [eq(appliedCoupons.organizationId, organizationId)];
  if (filters.customerId !== undefined) conditions.push(eq(appliedCoupons.customerId, filters.customerId));
  if (filters.externalCustomerId !== undefined) {
    conditions.push(eq(customers.externalId, filters.externalCustomerId));
  }
  if (filters.couponCodes !== undefined) {
    if (filters.couponCodes.length === 0) return { rows: [], total: 0 };
    conditions.push(inArray(coupons.code, filters.couponCodes));
  }
  if (filters.status !== undefined) conditions.push(eq(appliedCoupons.status, filters.status));
  const where = and(...conditions);
  const couponOf = and(eq(coupons.organizationId, appliedCoupons.organizationId), eq(coupons.id, appliedCoupons.couponId));
  // Applied coupons of deleted customers disappear with them.
  const liveCustomerOf = and(
    eq(customers.organizationId, appliedCoupons.organizationId),
    eq(customers.id, appliedCoupons.customerId),
    isNull(customers.deletedAt),
  );
  const rows = await db
    .select({ applied: appliedCoupons, coupon: coupons, externalCustomerId: customers.externalId })
    .from(appliedCoupons)
    .innerJoin(coupons, couponOf)
    .innerJoin(customers, liveCustomerOf)
    .where(where)
    .orderBy(desc(appliedCoupons.createdAt), asc(appliedCoupons.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(appliedCoupons).innerJoin(coupons, couponOf).innerJoin(customers, liveCustomerOf).where(where);
  return { rows, total: Number(total!.value) };
};

/** One of the customer's applied coupons by its lago_id. */
export const findAppliedCouponOfCustomer = async (
  db: Db,
  organizationId: string,
  customerId: string,
  id: string,
): Promise<AppliedCoupon | null> => {
  if (!isUuid(id)) return null;
  const rows = await db
    .select()
    .from(appliedCoupons)
    .where(and(eq(appliedCoupons.organizationId, organizationId), eq(appliedCoupons.customerId, customerId), eq(appliedCoupons.id, id)))
    .for('update')
    .limit(1);
  return rows[0] ?? null;
};

export const terminateAppliedCoupon = async (db: Db, applied: AppliedCoupon, now: Date): Promise<AppliedCoupon> => {
  const [updated] = await db
    .update(appliedCoupons)
    .set({ status: 'terminated', terminatedAt: applied.terminatedAt ?? now, updatedAt: now })
    .where(and(eq(appliedCoupons.organizationId, applied.organizationId), eq(appliedCoupons.id, applied.id)))
    .returning();
  return updated!;
};

export const findCouponById = async (db: Db, organizationId: string, id: string) => {
  const rows = await db.select().from(coupons).where(and(eq(coupons.organizationId, organizationId), eq(coupons.id, id))).limit(1);
  return rows[0] ?? null;
};
