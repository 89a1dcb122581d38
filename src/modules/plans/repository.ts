import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, max, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam } from '../../db/query.ts';
import {
  billableMetricFilters,
  billableMetrics,
  chargeFilters,
  charges,
  commitments,
  plans,
  subscriptions,
  usageThresholds,
} from '../../db/schema/index.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { MetricRef } from './rules.ts';
import type { Charge, ChargeFilter, Commitment, Plan, UsageThreshold } from './types.ts';

// ---- plans -----------------------------------------------------------------------------------------------------

/** Plans a client can address: not deleted, and not a subscription's private override copy. */
const addressablePlans = (organizationId: string) =>
  and(eq(plans.organizationId, organizationId), isNull(plans.deletedAt), isNull(plans.parentId));

export const insertPlan = async (db: Db, row: typeof plans.$inferInsert): Promise<Plan> => {
  const [created] = await db.insert(plans).values(row).returning();
  return created!;
};

export const updatePlan = async (db: Db, organizationId: string, id: string, changes: Partial<Plan>): Promise<Plan> => {
  const [updated] = await db
    .update(plans)
    .set(changes)
    .where(and(eq(plans.organizationId, organizationId), eq(plans.id, id)))
    .returning();
  return updated!;
};

/**
 * The organization's live plan with this code (override copies excluded), or null. `lock` holds the row until the
 * transaction ends: writes of the plan take it `update` (they queue up behind each other and behind a deletion),
 * subscriptions starting on it take it `share`. A plan deleted while the lock was awaited is then not found.
 */
export const findPlanByCode = async (db: Db, organizationId: string, code: string, lock?: 'update' | 'share'): Promise<Plan | null> => {
  const query = db.select().from(plans).where(and(addressablePlans(organizationId), eq(plans.code, code))).limit(1);
  const rows = lock ? await query.for(lock) : await query;
  return rows[0] ?? null;
};

export const findPlanById = async (db: Db, organizationId: string, id: string): Promise<Plan | null> => {
  if (!isUuid(id)) return null;
  const rows = await db.select().from(plans).where(and(eq(plans.organizationId, organizationId), eq(plans.id, id))).limit(1);
  return rows[0] ?? null;
};

/** Plans newest first, as Lago lists them (plans waiting for deletion included). */
export const listPlans = async (db: Db, organizationId: string, page: PageRequest): Promise<{ rows: Plan[]; total: number }> => {
  const where = addressablePlans(organizationId);
  const rows = await db.select().from(plans).where(where).orderBy(desc(plans.createdAt), asc(plans.id)).limit(page.perPage).offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(plans).where(where);
  return { rows, total: Number(total!.value) };
};

/** The live override copies subscriptions made of a plan. */
export const childPlanIds = async (db: Db, organizationId: string, planId: string): Promise<string[]> => {
  const rows = await db
    .select({ id: plans.id })
    .from(plans)
    .where(and(eq(plans.organizationId, organizationId), eq(plans.parentId, planId), isNull(plans.deletedAt)));
  return rows.map((r) => r.id);
};

/** True once any subscription, in any status, was made on the plan: its billing terms are then frozen. */
export const planHasSubscriptions = async (db: Db, organizationId: string, planId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(and(eq(subscriptions.organizationId, organizationId), eq(subscriptions.planId, planId)))
    .limit(1);
  return rows.length > 0;
};

export const markPlansDeleted = async (db: Db, organizationId: string, ids: string[], changes: Partial<Plan>): Promise<void> => {
  await db.update(plans).set(changes).where(and(eq(plans.organizationId, organizationId), inArray(plans.id, ids)));
};

// ---- billable metrics (owned by the billable-metrics module; read only here) ------------------------------------

/**
 * The organization's live metrics with these ids, with their filters. Ids that are not UUIDs simply match nothing.
 * Every caller is about to write charges on them, so the rows are read FOR SHARE: a metric deletion (which holds its
 * metric FOR UPDATE) either waits for this transaction and then deletes the charges it wrote, or finishes first and
 * the metric is not found here. Without the lock, a charge could be written on a metric deleted meanwhile.
 */
export const findMetrics = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, MetricRef>> => {
  const wanted = [...new Set(ids.filter(isUuid))];
  const result = new Map<string, MetricRef>();
  if (wanted.length === 0) return result;
  const rows = await db
    .select({
      id: billableMetrics.id,
      code: billableMetrics.code,
      aggregationType: billableMetrics.aggregationType,
      recurring: billableMetrics.recurring,
    })
    .from(billableMetrics)
    .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.id, wanted), isNull(billableMetrics.deletedAt)))
    .for('share');
  for (const row of rows) result.set(row.id, { ...row, filters: [] });
  if (result.size === 0) return result;
  const filters = await db
    .select({ metricId: billableMetricFilters.billableMetricId, key: billableMetricFilters.key, values: billableMetricFilters.values })
    .from(billableMetricFilters)
    .where(
      and(
        eq(billableMetricFilters.organizationId, organizationId),
        inArray(billableMetricFilters.billableMetricId, [...result.keys()]),
        isNull(billableMetricFilters.deletedAt),
      ),
    )
    .orderBy(asc(billableMetricFilters.createdAt), asc(billableMetricFilters.id));
  for (const f of filters) result.get(f.metricId)?.filters.push({ key: f.key, values: f.values });
  return result;
};

/** What a write of charges may touch: every metric it may price, stop pricing or price differently. */
export interface MetricScope {
  /** Plans whose live charges (override copies' included) the write may change or delete. */
  planIds?: readonly string[];
  /** Live charges the write may change or delete. */
  chargeIds?: readonly string[];
  /** Metrics new or moved charges name (as sent: anything not a UUID matches nothing). */
  metricIds?: readonly (string | null | undefined)[];
}

/**
 * The codes of the live metrics in the scope, with the metrics held FOR SHARE (in id order) and their settings locked
 * among charge writers (in code order) until the transaction ends. Charges decide how their metric's events are
 * aggregated (pricing group keys), and a write compares those settings before and after itself: two writes of one
 * metric's charges must not interleave, or each compares against a state the other is changing. The metric row lock
 * orders charge writes after a metric's own writes (which hold it FOR UPDATE); the advisory lock, one per code, orders
 * charge writes among themselves without blocking anything else (ingestion included). Call it once per transaction
 * (its advisory locks are taken in one ordered batch), before the write changes anything.
 */
export const lockMetricSettings = async (db: Db, organizationId: string, scope: MetricScope): Promise<string[]> => {
  const ofCharges = [
    scope.planIds && scope.planIds.length > 0 ? inArray(charges.planId, [...scope.planIds]) : undefined,
    scope.chargeIds && scope.chargeIds.some(isUuid) ? inArray(charges.id, scope.chargeIds.filter(isUuid)) : undefined,
  ].filter((c) => c !== undefined);
  const metricIds = [...new Set((scope.metricIds ?? []).filter((id): id is string => typeof id === 'string' && isUuid(id)))];
  const which = [
    metricIds.length > 0 ? inArray(billableMetrics.id, metricIds) : undefined,
    ofCharges.length > 0
      ? inArray(
          billableMetrics.id,
          db
            .select({ id: charges.billableMetricId })
            .from(charges)
            .where(and(eq(charges.organizationId, organizationId), isNull(charges.deletedAt), or(...ofCharges))),
        )
      : undefined,
  ].filter((c) => c !== undefined);
  if (which.length === 0) return [];
  const rows = await db
    .select({ code: billableMetrics.code })
    .from(billableMetrics)
    .where(and(eq(billableMetrics.organizationId, organizationId), isNull(billableMetrics.deletedAt), or(...which)))
    .orderBy(asc(billableMetrics.id))
    .for('share');
  const codes = [...new Set(rows.map((r) => r.code))].sort();
  if (codes.length > 0) {
    // unnest yields the codes in array order, so the locks are taken in code order (no deadlock between writers).
    await db.execute(
      sql`SELECT count(pg_advisory_xact_lock(hashtextextended(${organizationId} || '/' || code, 7216000004)))
        FROM unnest(${arrayParam(codes)}::text[]) AS code`,
    );
  }
  return codes;
};

/** Metric codes for display; a charge keeps showing its metric's code after the metric is deleted. */
export const metricCodes = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, string>> => {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: billableMetrics.id, code: billableMetrics.code })
    .from(billableMetrics)
    .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.id, wanted)));
  return new Map(rows.map((r) => [r.id, r.code]));
};

// ---- charges ---------------------------------------------------------------------------------------------------

const liveCharges = (organizationId: string, planId: string) =>
  and(eq(charges.organizationId, organizationId), eq(charges.planId, planId), isNull(charges.deletedAt), isNull(charges.parentId));

export const insertCharge = async (db: Db, row: typeof charges.$inferInsert): Promise<Charge> => {
  const [created] = await db.insert(charges).values(row).returning();
  return created!;
};

export const updateCharge = async (db: Db, organizationId: string, id: string, changes: Partial<Charge>): Promise<Charge> => {
  const [updated] = await db
    .update(charges)
    .set(changes)
    .where(and(eq(charges.organizationId, organizationId), eq(charges.id, id)))
    .returning();
  return updated!;
};

export const findChargeByCode = async (db: Db, organizationId: string, planId: string, code: string): Promise<Charge | null> => {
  const rows = await db.select().from(charges).where(and(liveCharges(organizationId, planId), eq(charges.code, code))).limit(1);
  return rows[0] ?? null;
};

/** Live charges of the plan, in the order the client last listed them. */
export const listLiveCharges = async (db: Db, organizationId: string, planId: string): Promise<Charge[]> =>
  db.select().from(charges).where(liveCharges(organizationId, planId)).orderBy(asc(charges.position), asc(charges.createdAt), asc(charges.id));

/**
 * The charges each of these plans shows (an override plan's are its own copies): its live ones, or for a deleted plan
 * the ones deleted with it, so a subscription the deletion ended still shows (and is billed on) what it had.
 */
export const chargesOfPlans = async (db: Db, organizationId: string, planIds: readonly string[]): Promise<Charge[]> =>
  planIds.length === 0
    ? []
    : db
        .select(getTableColumns(charges))
        .from(charges)
        .innerJoin(plans, and(eq(plans.organizationId, charges.organizationId), eq(plans.id, charges.planId)))
        .where(
          and(
            eq(charges.organizationId, organizationId),
            inArray(charges.planId, [...planIds]),
            or(isNull(charges.deletedAt), eq(charges.deletedAt, plans.deletedAt)),
          ),
        )
        .orderBy(asc(charges.position), asc(charges.createdAt), asc(charges.id));

/** The charges of these plans that are still live, override copies included. */
export const liveChargeIdsOfPlans = async (db: Db, organizationId: string, planIds: readonly string[]): Promise<string[]> =>
  planIds.length === 0
    ? []
    : (
        await db
          .select({ id: charges.id })
          .from(charges)
          .where(and(eq(charges.organizationId, organizationId), inArray(charges.planId, [...planIds]), isNull(charges.deletedAt)))
      ).map((r) => r.id);

/** A page of the plan's charges, newest first (Lago's order on the nested route). */
export const pageCharges = async (
  db: Db,
  organizationId: string,
  planId: string,
  page: PageRequest,
): Promise<{ rows: Charge[]; total: number }> => {
  const where = liveCharges(organizationId, planId);
  const rows = await db.select().from(charges).where(where).orderBy(desc(charges.createdAt), asc(charges.id)).limit(page.perPage).offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(charges).where(where);
  return { rows, total: Number(total!.value) };
};

export const chargeCodeTaken = async (
  db: Db,
  organizationId: string,
  planId: string,
  code: string,
  exceptId: string | null,
): Promise<boolean> => {
  const rows = await db
    .select({ id: charges.id })
    .from(charges)
    .where(and(liveCharges(organizationId, planId), eq(charges.code, code), exceptId ? ne(charges.id, exceptId) : undefined))
    .limit(1);
  return rows.length > 0;
};

export const liveChargeCodes = async (db: Db, organizationId: string, planId: string): Promise<string[]> =>
  (await db.select({ code: charges.code }).from(charges).where(liveCharges(organizationId, planId))).map((r) => r.code);

export const nextChargePosition = async (db: Db, organizationId: string, planId: string): Promise<number> => {
  const [row] = await db.select({ value: max(charges.position) }).from(charges).where(liveCharges(organizationId, planId));
  return row?.value === null || row?.value === undefined ? 0 : row.value + 1;
};

export const softDeleteCharges = async (db: Db, organizationId: string, ids: readonly string[], now: Date): Promise<void> => {
  if (ids.length === 0) return;
  // The charges' metrics first, as every charge write here takes them: a metric deletion deleting some of these same
  // charges then waits or goes first, instead of both locking the rows in different orders (a deadlock).
  await db
    .select({ id: billableMetrics.id })
    .from(billableMetrics)
    .where(
      and(
        eq(billableMetrics.organizationId, organizationId),
        sql`${billableMetrics.id} IN (SELECT ${charges.billableMetricId} FROM ${charges}
          WHERE ${charges.organizationId} = ${organizationId} AND ${inArray(charges.id, [...ids])})`,
      ),
    )
    .orderBy(asc(billableMetrics.id))
    .for('share');
  await db
    .update(charges)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(charges.organizationId, organizationId), inArray(charges.id, [...ids]), isNull(charges.deletedAt)));
  await db
    .update(chargeFilters)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(chargeFilters.organizationId, organizationId), inArray(chargeFilters.chargeId, [...ids]), isNull(chargeFilters.deletedAt)));
};

// ---- charge filters --------------------------------------------------------------------------------------------

const liveFilters = (organizationId: string) => and(eq(chargeFilters.organizationId, organizationId), isNull(chargeFilters.deletedAt));
const filterOrder = [asc(chargeFilters.position), asc(chargeFilters.createdAt), asc(chargeFilters.id)];

export const insertFilter = async (db: Db, row: typeof chargeFilters.$inferInsert): Promise<ChargeFilter> => {
  const [created] = await db.insert(chargeFilters).values(row).returning();
  return created!;
};

export const updateFilter = async (db: Db, organizationId: string, id: string, changes: Partial<ChargeFilter>): Promise<ChargeFilter> => {
  const [updated] = await db
    .update(chargeFilters)
    .set(changes)
    .where(and(eq(chargeFilters.organizationId, organizationId), eq(chargeFilters.id, id)))
    .returning();
  return updated!;
};

/** The filters each of these charges shows: its live ones, or for a deleted charge the ones deleted with it. */
export const filtersOfCharges = async (db: Db, organizationId: string, chargeIds: readonly string[]): Promise<ChargeFilter[]> =>
  chargeIds.length === 0
    ? []
    : db
        .select(getTableColumns(chargeFilters))
        .from(chargeFilters)
        .innerJoin(charges, and(eq(charges.organizationId, chargeFilters.organizationId), eq(charges.id, chargeFilters.chargeId)))
        .where(
          and(
            eq(chargeFilters.organizationId, organizationId),
            inArray(chargeFilters.chargeId, [...chargeIds]),
            or(isNull(chargeFilters.deletedAt), eq(chargeFilters.deletedAt, charges.deletedAt)),
          ),
        )
        .orderBy(...filterOrder);

export const pageFilters = async (
  db: Db,
  organizationId: string,
  chargeId: string,
  page: PageRequest,
): Promise<{ rows: ChargeFilter[]; total: number }> => {
  const where = and(liveFilters(organizationId), eq(chargeFilters.chargeId, chargeId));
  const rows = await db.select().from(chargeFilters).where(where).orderBy(...filterOrder).limit(page.perPage).offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(chargeFilters).where(where);
  return { rows, total: Number(total!.value) };
};

export const findFilter = async (db: Db, organizationId: string, chargeId: string, id: string): Promise<ChargeFilter | null> => {
  if (!isUuid(id)) return null;
  const rows = await db
    .select()
    .from(chargeFilters)
    .where(and(liveFilters(organizationId), eq(chargeFilters.chargeId, chargeId), eq(chargeFilters.id, id)))
    .limit(1);
  return rows[0] ?? null;
};

export const nextFilterPosition = async (db: Db, organizationId: string, chargeId: string): Promise<number> => {
  const [row] = await db
    .select({ value: max(chargeFilters.position) })
    .from(chargeFilters)
    .where(and(liveFilters(organizationId), eq(chargeFilters.chargeId, chargeId)));
  return row?.value === null || row?.value === undefined ? 0 : row.value + 1;
};

export const softDeleteFilters = async (db: Db, organizationId: string, ids: readonly string[], now: Date): Promise<void> => {
  if (ids.length === 0) return;
  await db
    .update(chargeFilters)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(liveFilters(organizationId), inArray(chargeFilters.id, [...ids])));
};

// ---- usage thresholds ------------------------------------------------------------------------------------------

export const thresholdsOfPlans = async (db: Db, organizationId: string, planIds: readonly string[]): Promise<UsageThreshold[]> =>
  planIds.length === 0
    ? []
    : db
        .select()
        .from(usageThresholds)
        .where(
          and(eq(usageThresholds.organizationId, organizationId), inArray(usageThresholds.planId, [...planIds]), isNull(usageThresholds.deletedAt)),
        )
        .orderBy(asc(usageThresholds.createdAt), asc(usageThresholds.id));

export const softDeleteThresholds = async (db: Db, organizationId: string, planId: string, now: Date): Promise<void> => {
  await db
    .update(usageThresholds)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(usageThresholds.organizationId, organizationId), eq(usageThresholds.planId, planId), isNull(usageThresholds.deletedAt)));
};

export const insertThresholds = async (db: Db, rows: (typeof usageThresholds.$inferInsert)[]): Promise<void> => {
  if (rows.length > 0) await db.insert(usageThresholds).values(rows);
};

// ---- minimum commitment ----------------------------------------------------------------------------------------

export const commitmentsOfPlans = async (db: Db, organizationId: string, planIds: readonly string[]): Promise<Commitment[]> =>
  planIds.length === 0
    ? []
    : db
        .select()
        .from(commitments)
        .where(
          and(
            eq(commitments.organizationId, organizationId),
            inArray(commitments.planId, [...planIds]),
            eq(commitments.commitmentType, 'minimum_commitment'),
          ),
        );

export const insertCommitment = async (db: Db, row: typeof commitments.$inferInsert): Promise<Commitment> => {
  const [created] = await db.insert(commitments).values(row).returning();
  return created!;
};

export const updateCommitment = async (db: Db, organizationId: string, id: string, changes: Partial<Commitment>): Promise<Commitment> => {
  const [updated] = await db
    .update(commitments)
    .set(changes)
    .where(and(eq(commitments.organizationId, organizationId), eq(commitments.id, id)))
    .returning();
  return updated!;
};

/** A removed commitment is gone for good, as in Lago (its taxes go with it). */
export const deleteCommitment = async (db: Db, organizationId: string, id: string): Promise<void> => {
  await db.delete(commitments).where(and(eq(commitments.organizationId, organizationId), eq(commitments.id, id)));
};

