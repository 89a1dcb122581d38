import { and, asc, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { billableMetricFilters, billableMetrics, chargeFilters, charges, plans } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { BillableMetric, BillableMetricFilterRow } from './types.ts';

const live = (organizationId: string) => and(eq(billableMetrics.organizationId, organizationId), isNull(billableMetrics.deletedAt));

export const insertMetric = async (db: Db, row: typeof billableMetrics.$inferInsert): Promise<BillableMetric> => {
  const [created] = await db.insert(billableMetrics).values(row).returning();
  return created!;
};

export const updateMetric = async (db: Db, organizationId: string, id: string, changes: Partial<BillableMetric>): Promise<BillableMetric> => {
  const [updated] = await db
    .update(billableMetrics)
    .set(changes)
    .where(and(eq(billableMetrics.organizationId, organizationId), eq(billableMetrics.id, id)))
    .returning();
  return updated!;
};

/** The live metric with this code; `lock` holds its row until the transaction ends (updates and deletes of one metric queue up). */
export const findMetricByCode = async (db: Db, organizationId: string, code: string, lock = false): Promise<BillableMetric | null> => {
  const query = db.select().from(billableMetrics).where(and(live(organizationId), eq(billableMetrics.code, code))).limit(1);
  const rows = lock ? await query.for('update') : await query;
  return rows[0] ?? null;
};

/** Lago's order: newest first, ties by id. */
export const listMetrics = async (db: Db, organizationId: string, page: PageRequest): Promise<{ rows: BillableMetric[]; total: number }> => {
  const rows = await db
    .select()
    .from(billableMetrics)
    .where(live(organizationId))
    .orderBy(desc(billableMetrics.createdAt), asc(billableMetrics.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(billableMetrics).where(live(organizationId));
  return { rows, total: Number(total!.value) };
};

/** The live filters of each metric (unordered). */
export const liveFilters = async (db: Db, organizationId: string, metricIds: readonly string[]): Promise<Map<string, BillableMetricFilterRow[]>> => {
  const result = new Map<string, BillableMetricFilterRow[]>(metricIds.map((id) => [id, []]));
  if (metricIds.length === 0) return result;
  const rows = await db
    .select()
    .from(billableMetricFilters)
    .where(
      and(
        eq(billableMetricFilters.organizationId, organizationId),
        inArray(billableMetricFilters.billableMetricId, [...metricIds]),
        isNull(billableMetricFilters.deletedAt),
      ),
    );
  for (const row of rows) result.get(row.billableMetricId)?.push(row);
  return result;
};

export const insertFilters = async (db: Db, rows: (typeof billableMetricFilters.$inferInsert)[]): Promise<void> => {
  if (rows.length > 0) await db.insert(billableMetricFilters).values(rows);
};

export const updateFilterValues = async (db: Db, organizationId: string, id: string, values: string[], now: Date): Promise<void> => {
  await db
    .update(billableMetricFilters)
    .set({ values, updatedAt: now })
    .where(and(eq(billableMetricFilters.organizationId, organizationId), eq(billableMetricFilters.id, id)));
};

export const softDeleteFilters = async (db: Db, organizationId: string, ids: readonly string[], now: Date): Promise<void> => {
  if (ids.length === 0) return;
  await db
    .update(billableMetricFilters)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(billableMetricFilters.organizationId, organizationId), inArray(billableMetricFilters.id, [...ids])));
};

/**
 * Lago's `attached_to_plan?`: a live charge on a live plan uses the metric. Subscriptions do not matter; a charge on a
 * plan nobody subscribes to is enough to freeze the metric's definition.
 */
export const isAttachedToPlan = async (db: Db, organizationId: string, metricId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: charges.id })
    .from(charges)
    .innerJoin(plans, and(eq(plans.organizationId, charges.organizationId), eq(plans.id, charges.planId)))
    .where(
      and(
        eq(charges.organizationId, organizationId),
        eq(charges.billableMetricId, metricId),
        isNull(charges.deletedAt),
        isNull(plans.deletedAt),
      ),
    )
    .limit(1);
  return rows.length > 0;
};

export interface ChargeFilterValues {
  id: string;
  values: Record<string, string[]>;
}

/** The live charge filters on charges of the metric: they name the metric's filter keys and values. */
export const chargeFiltersOfMetric = async (db: Db, organizationId: string, metricId: string): Promise<ChargeFilterValues[]> =>
  db
    .select({ id: chargeFilters.id, values: chargeFilters.values })
    .from(chargeFilters)
    .innerJoin(charges, and(eq(charges.organizationId, chargeFilters.organizationId), eq(charges.id, chargeFilters.chargeId)))
    .where(and(eq(chargeFilters.organizationId, organizationId), eq(charges.billableMetricId, metricId), isNull(chargeFilters.deletedAt)))
    .orderBy(asc(chargeFilters.id));

export const updateChargeFilterValues = async (
  db: Db,
  organizationId: string,
  id: string,
  values: Record<string, string[]>,
  now: Date,
): Promise<void> => {
  await db
    .update(chargeFilters)
    .set({ values, updatedAt: now })
    .where(and(eq(chargeFilters.organizationId, organizationId), eq(chargeFilters.id, id)));
};

export const softDeleteChargeFilters = async (db: Db, organizationId: string, ids: readonly string[], now: Date): Promise<void> => {
  if (ids.length === 0) return;
  await db
    .update(chargeFilters)
    .set({ deletedAt: now })
    .where(and(eq(chargeFilters.organizationId, organizationId), inArray(chargeFilters.id, [...ids])));
};

/**
 * Deleting a metric deletes every live charge that prices it, on every plan (subscribed or not, as in Lago), with the
 * charges' filters.
 */
export const softDeleteChargesOfMetric = async (db: Db, organizationId: string, metricId: string, now: Date): Promise<void> => {
  const deleted = await db
    .update(charges)
    .set({ deletedAt: now })
    .where(and(eq(charges.organizationId, organizationId), eq(charges.billableMetricId, metricId), isNull(charges.deletedAt)))
    .returning({ id: charges.id });
  if (deleted.length === 0) return;
  await db
    .update(chargeFilters)
    .set({ deletedAt: now })
    .where(
      and(
        eq(chargeFilters.organizationId, organizationId),
        inArray(
          chargeFilters.chargeId,
          deleted.map((c) => c.id),
        ),
        isNull(chargeFilters.deletedAt),
      ),
    );
};
