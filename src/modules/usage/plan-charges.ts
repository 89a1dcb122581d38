import type { Db } from '../../db/database.ts';
import { sql } from 'drizzle-orm';
import { arrayParam } from '../../db/query.ts';
import { chargeFilters, charges as chargesTable } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import type { Charge, ChargeDetails, ChargeFilter } from '../plans/types.ts';
import { appliedTaxes } from '../taxes/repository.ts';
import type { Tax } from '../taxes/types.ts';
import { metricsByIds, type MetricRow } from './repository.ts';

/**
 * The part of a plan usage reads: its charges with their metrics and filters, and the taxes only when they are
 * applied. Usage is read often, so it skips what only the plan's JSON shows (thresholds, commitments).
 */
export const loadPlanChargesForUsage = async (
  db: Db,
  organizationId: string,
  planId: string,
  withTaxes: boolean,
): Promise<{ charges: ChargeDetails[]; metrics: Map<string, MetricRow>; planTaxes: Tax[] }> => {
  // As the plan's JSON shows them: its live charges, or for a deleted plan those deleted with it.
  const charges = await selectRows<Charge>(
    db,
    chargesTable,
    sql`charges JOIN plans ON plans.organization_id = charges.organization_id AND plans.id = charges.plan_id
      WHERE charges.organization_id = ${organizationId} AND charges.plan_id = ${planId}
        AND (charges.deleted_at IS NULL OR charges.deleted_at = plans.deleted_at)
      ORDER BY charges.position, charges.created_at, charges.id`,
    { prepared: true },
  );
  const ids = charges.map((c) => c.id);
  const metrics = await metricsByIds(db, organizationId, charges.map((c) => c.billableMetricId));
  const filters =
    ids.length === 0
      ? []
      : await selectRows<ChargeFilter>(
          db,
          chargeFilters,
          sql`charge_filters JOIN charges ON charges.organization_id = charge_filters.organization_id AND charges.id = charge_filters.charge_id
            WHERE charge_filters.organization_id = ${organizationId} AND charge_filters.charge_id = ANY(${arrayParam(ids)}::uuid[])
              AND (charge_filters.deleted_at IS NULL OR charge_filters.deleted_at = charges.deleted_at)
            ORDER BY charge_filters.position, charge_filters.created_at, charge_filters.id`,
          { prepared: true },
        );
  const chargeTaxes = withTaxes ? await appliedTaxes(db, organizationId, 'charge', ids) : new Map<string, Tax[]>();
  const planTaxes = withTaxes ? ((await appliedTaxes(db, organizationId, 'plan', [planId])).get(planId) ?? []) : [];
  return {
    charges: charges.map((charge) => ({
      charge,
      billableMetricCode: metrics.get(charge.billableMetricId)?.code ?? '',
      filters: filters.filter((f) => f.chargeId === charge.id),
      taxes: chargeTaxes.get(charge.id) ?? [],
    })),
    metrics,
    planTaxes,
  };
};
