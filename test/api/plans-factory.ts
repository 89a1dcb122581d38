import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database.ts';
import { billableMetricFilters, billableMetrics } from '../../src/db/schema/index.ts';
import { newId } from '../../src/lib/ids.ts';

/**
 * Rows of modules the plan tests lean on (billable metrics, customers, subscriptions), written straight into their
 * tables so the plan tests do not depend on those APIs.
 */
const stamp = new Date('2024-01-01T00:00:00Z');

export interface MetricSpec {
  code: string;
  aggregationType?: string;
  recurring?: boolean;
  fieldName?: string | null;
  filters?: Record<string, string[]>;
}

/** Inserts a billable metric (and its filters) and returns its lago_id. */
export const insertMetric = async (database: Database, organizationId: string, spec: MetricSpec): Promise<string> => {
  const id = newId();
  const aggregationType = spec.aggregationType ?? 'sum_agg';
  await database.db.insert(billableMetrics).values({
    organizationId,
    id,
    code: spec.code,
    name: `Metric ${spec.code}`,
    aggregationType,
    fieldName: spec.fieldName === undefined ? (aggregationType === 'count_agg' ? null : 'value') : spec.fieldName,
    recurring: spec.recurring ?? false,
    createdAt: stamp,
    updatedAt: stamp,
  });
  for (const [key, values] of Object.entries(spec.filters ?? {})) {
    await database.db.insert(billableMetricFilters).values({
      organizationId,
      id: newId(),
      billableMetricId: id,
      key,
      values,
      createdAt: stamp,
      updatedAt: stamp,
    });
  }
  return id;
};

/** Soft-deletes a metric, as the metrics module does. */
export const deleteMetric = async (database: Database, id: string): Promise<void> => {
  await database.db.update(billableMetrics).set({ deletedAt: stamp }).where(sql`${billableMetrics.id} = ${id}`);
};

/** Inserts a customer and a subscription of the given status on the plan (by its lago_id). */
export const insertSubscription = async (
  database: Database,
  organizationId: string,
  planId: string,
  status: 'active' | 'pending' | 'terminated' | 'canceled',
): Promise<void> => {
  const customerId = newId();
  const externalId = `cust-${customerId.slice(-12)}`;
  await database.db.execute(sql`
    INSERT INTO customers (organization_id, id, external_id, sequential_id, slug, created_at, updated_at)
    VALUES (${organizationId}, ${customerId}, ${externalId},
      (SELECT coalesce(max(sequential_id), 0) + 1 FROM customers WHERE organization_id = ${organizationId}), ${externalId}, ${stamp}, ${stamp})`);
  await database.db.execute(sql`
    INSERT INTO subscriptions (organization_id, id, external_id, customer_id, plan_id, status, subscription_at, created_at, updated_at)
    VALUES (${organizationId}, ${newId()}, ${`sub-${customerId.slice(-12)}`}, ${customerId}, ${planId}, ${status}, ${stamp}, ${stamp}, ${stamp})`);
};
