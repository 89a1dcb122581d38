import { and, asc, count, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { appliedCoupons, billableMetrics, couponTargets, coupons, plans } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import { newId } from '../../lib/ids.ts';
import type { Coupon } from './types.ts';

const live = (organizationId: string) => and(eq(coupons.organizationId, organizationId), isNull(coupons.deletedAt));

/** The organization's coupon with this code, deleted ones excluded (their code may be reused). */
export const findCouponByCode = async (
  db: Db,
  organizationId: string,
  code: string,
  options: { lock?: 'update' | 'share' } = {},
): Promise<Coupon | null> => {
  const query = db.select().from(coupons).where(and(live(organizationId), eq(coupons.code, code))).limit(1);
  const rows = options.lock ? await query.for(options.lock) : await query;
  return rows[0] ?? null;
};

export const insertCoupon = async (db: Db, row: typeof coupons.$inferInsert): Promise<Coupon> => {
  const [created] = await db.insert(coupons).values(row).returning();
  return created!;
};

export const updateCoupon = async (db: Db, organizationId: string, id: string, changes: Partial<Coupon>): Promise<Coupon> => {
  const [updated] = await db
    .update(coupons)
    .set(changes)
    .where(and(eq(coupons.organizationId, organizationId), eq(coupons.id, id)))
    .returning();
  return updated!;
};

/**
 * Lago's coupon order: active before terminated, coupons without expiry before time-limited ones, the soonest to
 * expire first, then newest first.
 */
export const listCoupons = async (db: Db, organizationId: string, page: PageRequest): Promise<{ rows: Coupon[]; total: number }> => {
  const where = live(organizationId);
  const rows = await db
    .select()
    .from(coupons)
    .where(where)
    .orderBy(asc(coupons.status), asc(coupons.expiration), sql`${coupons.expirationAt} ASC NULLS LAST`, desc(coupons.createdAt), asc(coupons.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(coupons).where(where);
  return { rows, total: Number(total!.value) };
};

/** Plans that coupons can name: live, and not the private copy a subscription's overrides made. */
export const findPlansByCodes = async (db: Db, organizationId: string, codes: readonly string[]): Promise<{ id: string; code: string }[]> =>
  codes.length === 0
    ? []
    : db
        .select({ id: plans.id, code: plans.code })
        .from(plans)
        .where(and(eq(plans.organizationId, organizationId), inArray(plans.code, [...codes]), isNull(plans.deletedAt), isNull(plans.parentId)));

export const findBillableMetricsByCodes = async (
  db: Db,
  organizationId: string,
  codes: readonly string[],
): Promise<{ id: string; code: string }[]> =>
  codes.length === 0
    ? []
    : db
        .select({ id: billableMetrics.id, code: billableMetrics.code })
        .from(billableMetrics)
        .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.code, [...codes]), isNull(billableMetrics.deletedAt)));

/** The codes of the live plans and metrics each coupon is limited to, in the order they were attached. */
export const targetCodesOf = async (
  db: Db,
  organizationId: string,
  couponIds: readonly string[],
): Promise<Map<string, { planCodes: string[]; billableMetricCodes: string[] }>> => {
  const result = new Map(couponIds.map((id) => [id, { planCodes: [] as string[], billableMetricCodes: [] as string[] }]));
  if (couponIds.length === 0) return result;
  const rows = await db
    .select({ couponId: couponTargets.couponId, planCode: plans.code, metricCode: billableMetrics.code })
    .from(couponTargets)
    .leftJoin(
      plans,
      and(eq(plans.organizationId, couponTargets.organizationId), eq(plans.id, couponTargets.planId), isNull(plans.deletedAt)),
    )
    .leftJoin(
      billableMetrics,
      and(
        eq(billableMetrics.organizationId, couponTargets.organizationId),
        eq(billableMetrics.id, couponTargets.billableMetricId),
        isNull(billableMetrics.deletedAt),
      ),
    )
    .where(and(eq(couponTargets.organizationId, organizationId), inArray(couponTargets.couponId, [...couponIds])))
    .orderBy(asc(couponTargets.id));
  for (const row of rows) {
    const entry = result.get(row.couponId);
    if (!entry) continue;
    if (row.planCode !== null) entry.planCodes.push(row.planCode);
    if (row.metricCode !== null) entry.billableMetricCodes.push(row.metricCode);
  }
  return result;
};

/** Makes the coupon's plan targets (or metric targets) exactly these; the other kind is left alone. */
export const replaceTargets = async (
  db: Db,
  organizationId: string,
  couponId: string,
  kind: 'plan' | 'billable_metric',
  ids: readonly string[],
  now: Date,
): Promise<void> => {
  const column = kind === 'plan' ? couponTargets.planId : couponTargets.billableMetricId;
  await db
    .delete(couponTargets)
    .where(and(eq(couponTargets.organizationId, organizationId), eq(couponTargets.couponId, couponId), sql`${column} IS NOT NULL`));
  if (ids.length === 0) return;
  await db.insert(couponTargets).values(
    ids.map((id) => ({
      organizationId,
      id: newId(),
      couponId,
      planId: kind === 'plan' ? id : null,
      billableMetricId: kind === 'billable_metric' ? id : null,
      createdAt: now,
    })),
  );
};

/** True once the coupon has been applied to any customer, whatever became of that since. */
export const hasBeenApplied = async (db: Db, organizationId: string, couponId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: appliedCoupons.id })
    .from(appliedCoupons)
    .where(and(eq(appliedCoupons.organizationId, organizationId), eq(appliedCoupons.couponId, couponId)))
    .limit(1);
  return rows.length > 0;
};

export const terminateActiveApplications = async (db: Db, organizationId: string, couponId: string, now: Date): Promise<void> => {
  await db
    .update(appliedCoupons)
    .set({ status: 'terminated', terminatedAt: now, updatedAt: now })
    .where(and(eq(appliedCoupons.organizationId, organizationId), eq(appliedCoupons.couponId, couponId), eq(appliedCoupons.status, 'active')));
};

/**
 * Ends time-limited coupons whose expiration_at has passed (Lago's hourly job). Applications already made keep
 * running, as in Lago; only new ones are refused.
 */
export const terminateExpiredCoupons = async (db: Db, organizationId: string, now: Date): Promise<number> => {
  const ended = await db
    .update(coupons)
    .set({ status: 'terminated', terminatedAt: now, updatedAt: now })
    .where(
      and(
        live(organizationId),
        eq(coupons.status, 'active'),
        eq(coupons.expiration, 'time_limit'),
        lt(coupons.expirationAt, now),
      ),
    )
    .returning({ id: coupons.id });
  return ended.length;
};
