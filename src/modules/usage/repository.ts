import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { selectRows } from '../../db/select.ts';
import { billableMetricFilters, billableMetrics, plans, subscriptions, taxes } from '../../db/schema/index.ts';
import type { Tax } from '../taxes/types.ts';

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type MetricRow = typeof billableMetrics.$inferSelect;

/**
 * The customer's active subscription with this external id (Lago's `customer.active_subscriptions.find_by`): pending,
 * terminated and canceled ones do not count, nor another customer's.
 */
export const findActiveSubscription = async (
  db: Db,
  organizationId: string,
  customerId: string,
  externalId: string,
): Promise<SubscriptionRow | null> => {
  const [row] = await selectRows<SubscriptionRow>(
    db,
    subscriptions,
    sql`subscriptions WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND external_id = ${externalId}
      AND status = 'active'
      ORDER BY started_at DESC, id LIMIT 1`,
  );
  return row ?? null;
};

export const findPlan = async (db: Db, organizationId: string, id: string): Promise<PlanRow | null> => {
  const [row] = await selectRows<PlanRow>(db, plans, sql`plans WHERE organization_id = ${organizationId} AND id = ${id}`);
  return row ?? null;
};

/** The metrics the charges price (deleted ones too: a charge of a metric deleted since still names it). */
export const metricsByIds = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, MetricRow>> => {
  if (ids.length === 0) return new Map();
  const rows = await selectRows<MetricRow>(
    db,
    billableMetrics,
    sql`billable_metrics WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam([...new Set(ids)])}::uuid[])`,
  );
  return new Map(rows.map((row) => [row.id, row]));
};

/** The values each metric declares per filter key (what `__ALL_FILTER_VALUES__` stands for). */
export const declaredFilterValues = async (
  db: Db,
  organizationId: string,
  metricIds: readonly string[],
): Promise<Map<string, Record<string, string[]>>> => {
  const result = new Map<string, Record<string, string[]>>(metricIds.map((id) => [id, {}]));
  if (metricIds.length === 0) return result;
  const rows = await db
    .select({ metricId: billableMetricFilters.billableMetricId, key: billableMetricFilters.key, values: billableMetricFilters.values })
    .from(billableMetricFilters)
    .where(
      and(
        eq(billableMetricFilters.organizationId, organizationId),
        inArray(billableMetricFilters.billableMetricId, [...new Set(metricIds)]),
        isNull(billableMetricFilters.deletedAt),
      ),
    );
  for (const row of rows) {
    const declared = result.get(row.metricId);
    if (declared) declared[row.key] = row.values;
  }
  return result;
};

/** The organization's default taxes (`applied_to_organization`), which apply when nothing more specific does. */
export const organizationTaxes = async (db: Db, organizationId: string): Promise<Tax[]> =>
  db
    .select()
    .from(taxes)
    .where(and(eq(taxes.organizationId, organizationId), eq(taxes.appliedToOrganization, true)))
    .orderBy(asc(taxes.name), asc(taxes.id));

export interface RawEventRow {
  id: string;
  timestamp_ms: string;
  properties: Record<string, unknown>;
  precise_total_amount_cents: string | null;
  created_at_ms: string;
}

/**
 * A page of one subscription's events of one code in [fromMs, toMs) (no lower bound when fromMs is null), in the
 * order they happened, then arrived; after a cursor. Served by the (organization, subscription, code, timestamp) index.
 */
export const rawEventsPage = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  code: string,
  range: { fromMs: number | null; toMs: number },
  after: { timestampMs: string; createdAtMs: string; id: string } | null,
  limit: number,
): Promise<RawEventRow[]> =>
  queryRows<RawEventRow>(
    db,
    sql`SELECT id, (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms, properties,
        precise_total_amount_cents::text, (extract(epoch FROM created_at) * 1000)::bigint::text AS created_at_ms
      FROM events
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${code}
        ${range.fromMs === null ? sql`` : sql`AND timestamp >= ${msToTimestamp(range.fromMs)}`}
        AND timestamp < ${msToTimestamp(range.toMs)}
        ${
          after
            ? sql`AND (timestamp, created_at, id) > (${msToTimestamp(after.timestampMs)}, ${msToTimestamp(after.createdAtMs)}, ${after.id}::uuid)`
            : sql``
        }
      ORDER BY timestamp, created_at, id
      LIMIT ${limit}`,
  );

// An exact timestamptz from epoch milliseconds (to_timestamp goes through a float and can miss by a microsecond).
const msToTimestamp = (ms: string | number) => sql`(timestamptz 'epoch' + ${String(ms)}::bigint * interval '1 millisecond')`;
