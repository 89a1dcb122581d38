import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, driverDate, queryRows, queryRowsPrepared } from '../../db/query.ts';
import { selectRows, selectTagged } from '../../db/select.ts';
import { billableMetrics, taxes } from '../../db/schema/index.ts';
import type { Tax } from '../taxes/types.ts';

export type MetricRow = typeof billableMetrics.$inferSelect;

/** What a usage read starts from: only the columns it uses (a whole row of each table is 110 columns to parse). */
export interface UsageContext {
  customer: { id: string; timezone: string | null };
  /** The customer's active subscription with the external id asked for, null when it has none. */
  subscription: { id: string; externalId: string; planId: string; billingTime: string; subscriptionAt: Date; startedAt: Date | null } | null;
  /** The subscription's plan (null without a subscription). */
  plan: { id: string; interval: string; amountCurrency: string; billChargesMonthly: boolean | null } | null;
  organization: { timezone: string; meteringVersion: bigint };
}

interface UsageContextRow {
  customer_id: string;
  customer_timezone: string | null;
  subscription_id: string | null;
  subscription_external_id: string;
  plan_id: string;
  billing_time: string;
  subscription_at: Date;
  started_at: Date | null;
  found_plan_id: string | null;
  interval: string;
  amount_currency: string;
  bill_charges_monthly: boolean | null;
  organization_timezone: string;
  metering_version: string;
}

/**
 * The customer with this external id, its active subscription with this one, that subscription's plan and the
 * organization, in one round trip (current usage is read often); null when the organization has no such customer.
 */
export const findUsageContext = async (
  db: Db,
  organizationId: string,
  externalCustomerId: string,
  externalSubscriptionId: string,
): Promise<UsageContext | null> => {
  const [row] = await queryRowsPrepared<UsageContextRow>(
    db,
    sql`SELECT customers.id AS customer_id, customers.timezone AS customer_timezone,
        subscriptions.id AS subscription_id, subscriptions.external_id AS subscription_external_id, subscriptions.plan_id,
        subscriptions.billing_time, subscriptions.subscription_at, subscriptions.started_at,
        plans.id AS found_plan_id, plans.interval, plans.amount_currency, plans.bill_charges_monthly,
        organizations.timezone AS organization_timezone, organizations.metering_version::text AS metering_version
      FROM customers LEFT JOIN LATERAL (
        SELECT * FROM subscriptions WHERE subscriptions.organization_id = customers.organization_id AND subscriptions.customer_id = customers.id
          AND subscriptions.external_id = ${externalSubscriptionId} AND subscriptions.status = 'active'
        ORDER BY subscriptions.started_at DESC, subscriptions.id LIMIT 1
      ) subscriptions ON true
      LEFT JOIN plans ON plans.organization_id = subscriptions.organization_id AND plans.id = subscriptions.plan_id
      JOIN organizations ON organizations.id = customers.organization_id
      WHERE customers.organization_id = ${organizationId} AND customers.external_id = ${externalCustomerId} AND customers.deleted_at IS NULL`,
  );
  if (!row) return null;
  return {
    customer: { id: row.customer_id, timezone: row.customer_timezone },
    subscription:
      row.subscription_id === null
        ? null
        : {
            id: row.subscription_id,
            externalId: row.subscription_external_id,
            planId: row.plan_id,
            billingTime: row.billing_time,
            subscriptionAt: driverDate(row.subscription_at),
            startedAt: row.started_at === null ? null : driverDate(row.started_at),
          },
    plan:
      row.found_plan_id === null
        ? null
        : { id: row.found_plan_id, interval: row.interval, amountCurrency: row.amount_currency, billChargesMonthly: row.bill_charges_monthly },
    organization: { timezone: row.organization_timezone, meteringVersion: BigInt(row.metering_version) },
  };
};

/**
 * The taxes current usage may apply, in one round trip: each charge's, the plan's, the customer's and the
 * organization's defaults (each list ordered by name, as Lago shows them).
 */
export const usageTaxes = async (
  db: Db,
  organizationId: string,
  scope: { chargeIds: readonly string[]; planId: string; customerId: string },
): Promise<{ charges: Map<string, Tax[]>; plan: Tax[]; customer: Tax[]; organization: Tax[] }> => {
  const rows = await selectTagged<Tax>(
    db,
    taxes,
    sql`(SELECT 'charge' AS tag, j.charge_id::text AS tag_id, taxes.* FROM charge_taxes j JOIN taxes ON taxes.organization_id = j.organization_id AND taxes.id = j.tax_id
        WHERE j.organization_id = ${organizationId} AND j.charge_id = ANY(${arrayParam([...scope.chargeIds])}::uuid[])
      UNION ALL
      SELECT 'plan', NULL, taxes.* FROM plan_taxes j JOIN taxes ON taxes.organization_id = j.organization_id AND taxes.id = j.tax_id
        WHERE j.organization_id = ${organizationId} AND j.plan_id = ${scope.planId}
      UNION ALL
      SELECT 'customer', NULL, taxes.* FROM customer_taxes j JOIN taxes ON taxes.organization_id = j.organization_id AND taxes.id = j.tax_id
        WHERE j.organization_id = ${organizationId} AND j.customer_id = ${scope.customerId}
      UNION ALL
      SELECT 'organization', NULL, taxes.* FROM taxes WHERE taxes.organization_id = ${organizationId} AND taxes.applied_to_organization) taxes
      ORDER BY taxes.name, taxes.id`,
  );
  const result = { charges: new Map<string, Tax[]>(scope.chargeIds.map((id) => [id, []])), plan: [] as Tax[], customer: [] as Tax[], organization: [] as Tax[] };
  for (const { tag, tagId, row } of rows) {
    if (tag === 'charge') result.charges.get(tagId!)?.push(row);
    else result[tag as 'plan' | 'customer' | 'organization'].push(row);
  }
  return result;
};

/** The metrics the charges price (deleted ones too: a charge of a metric deleted since still names it). */
export const metricsByIds = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, MetricRow>> => {
  if (ids.length === 0) return new Map();
  const rows = await selectRows<MetricRow>(
    db,
    billableMetrics,
    sql`billable_metrics WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam([...new Set(ids)])}::uuid[])`,
    { prepared: true },
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
  const rows = await queryRowsPrepared<{ metricId: string; key: string; values: string[] }>(
    db,
    sql`SELECT billable_metric_id AS "metricId", key, values FROM billable_metric_filters
      WHERE organization_id = ${organizationId} AND billable_metric_id = ANY(${arrayParam([...new Set(metricIds)])}::uuid[]) AND deleted_at IS NULL`,
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
  after: { timestampMs: string; id: string } | null,
  limit: number,
): Promise<RawEventRow[]> =>
  queryRows<RawEventRow>(
    db,
    sql`SELECT id, (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms, properties,
        precise_total_amount_cents::text
      FROM events
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${code}
        ${range.fromMs === null ? sql`` : sql`AND timestamp >= ${msToTimestamp(range.fromMs)}`}
        AND timestamp < ${msToTimestamp(range.toMs)}
        ${
          after
            ? sql`AND (timestamp, id) > (${msToTimestamp(after.timestampMs)}, ${after.id}::uuid)`
            : sql``
        }
      ORDER BY timestamp, id
      LIMIT ${limit}`,
  );

// An exact timestamptz from epoch milliseconds (to_timestamp goes through a float and can miss by a microsecond).
const msToTimestamp = (ms: string | number) => sql`(timestamptz 'epoch' + ${String(ms)}::bigint * interval '1 millisecond')`;
