import type { Db } from '../../db/database.ts';
import { sql } from 'drizzle-orm';
import { billableMetrics, chargeFilters, charges as chargesTable } from '../../db/schema/index.ts';
import { selectJoined } from '../../db/select.ts';
import type { Charge, ChargeDetails, ChargeFilter } from '../plans/types.ts';
import type { MetricRow } from './repository.ts';

/** What current usage reads of a plan. */
export interface PlanChargesForUsage {
  charges: ChargeDetails[];
  /** The metrics the charges price, by id (deleted ones too: a charge of a metric deleted since still names it). */
  metrics: Map<string, MetricRow>;
  /** The values each of those metrics declares per filter key (what `__ALL_FILTER_VALUES__` stands for), by metric id. */
  declared: Map<string, Record<string, string[]>>;
}

/**
 * The part of a plan usage reads: its charges with their metrics, filters and the metrics' declared filter values, in
 * one round trip (current usage is read often; one read per table cost three more). It skips what only the plan's JSON
 * shows (thresholds, commitments) and the taxes, which the caller reads only when it applies them.
 */
export const loadPlanChargesForUsage = async (db: Db, organizationId: string, planId: string): Promise<PlanChargesForUsage> => {
  // One row per charge and filter, in plan order and each charge's filter order. As the plan's JSON shows them: its
  // live charges and their live filters, or for a deleted plan those deleted with it.
  const rows = await selectJoined(
    db,
    [chargesTable, billableMetrics, chargeFilters],
    sql`charges JOIN plans ON plans.organization_id = charges.organization_id AND plans.id = charges.plan_id
      LEFT JOIN billable_metrics ON billable_metrics.organization_id = charges.organization_id AND billable_metrics.id = charges.billable_metric_id
      LEFT JOIN charge_filters ON charge_filters.organization_id = charges.organization_id AND charge_filters.charge_id = charges.id
        AND (charge_filters.deleted_at IS NULL OR charge_filters.deleted_at = charges.deleted_at)
      WHERE charges.organization_id = ${organizationId} AND charges.plan_id = ${planId}
        AND (charges.deleted_at IS NULL OR charges.deleted_at = plans.deleted_at)
      ORDER BY charges.position, charges.created_at, charges.id, charge_filters.position, charge_filters.created_at, charge_filters.id`,
    {
      declared: sql`(SELECT jsonb_object_agg(f.key, to_jsonb(f.values)) FROM billable_metric_filters f
        WHERE f.organization_id = charges.organization_id AND f.billable_metric_id = charges.billable_metric_id AND f.deleted_at IS NULL)`,
    },
  );
  const charges: ChargeDetails[] = [];
  const metrics = new Map<string, MetricRow>();
  const declared = new Map<string, Record<string, string[]>>();
  for (const { tables, extras } of rows) {
    const [charge, metric, filter] = tables as [Charge, MetricRow | null, ChargeFilter | null];
    let details = charges.at(-1);
    if (details?.charge.id !== charge.id) {
      details = { charge, billableMetricCode: metric?.code ?? '', filters: [], taxes: [] };
      charges.push(details);
      if (metric) {
        metrics.set(metric.id, metric);
        declared.set(metric.id, (extras.declared as Record<string, string[]> | null) ?? {});
      }
    }
    if (filter) details.filters.push(filter);
  }
  return { charges, metrics, declared };
};
