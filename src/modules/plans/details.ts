import type { Db } from '../../db/database.ts';
import { appliedTaxes } from '../taxes/repository.ts';
import * as repo from './repository.ts';
import type { Charge, ChargeDetails, Plan, PlanDetails } from './types.ts';

/** Everything the charges' JSON shows, read in a handful of queries whatever the number of charges. */
export const loadChargeDetails = async (db: Db, organizationId: string, charges: Charge[]): Promise<ChargeDetails[]> => {
  const ids = charges.map((c) => c.id);
  const codes = await repo.metricCodes(db, organizationId, charges.map((c) => c.billableMetricId));
  const filters = await repo.filtersOfCharges(db, organizationId, ids);
  const taxes = await appliedTaxes(db, organizationId, 'charge', ids);
  return charges.map((charge) => ({
    charge,
    billableMetricCode: codes.get(charge.billableMetricId) ?? '',
    filters: filters.filter((f) => f.chargeId === charge.id),
    taxes: taxes.get(charge.id) ?? [],
  }));
};

/** Everything the plans' JSON shows (and what billing reads a plan as). */
export const loadPlanDetails = async (db: Db, organizationId: string, plans: Plan[]): Promise<PlanDetails[]> => {
  const ids = plans.map((p) => p.id);
  const parentIds = plans.map((p) => p.parentId).filter((id): id is string => id !== null);
  const charges = await repo.chargesOfPlans(db, organizationId, ids);
  const thresholds = await repo.thresholdsOfPlans(db, organizationId, [...ids, ...parentIds]);
  const commitments = await repo.commitmentsOfPlans(db, organizationId, ids);
  const planTaxes = await appliedTaxes(db, organizationId, 'plan', ids);
  const chargeDetails = await loadChargeDetails(db, organizationId, charges);
  const commitmentTaxes = await appliedTaxes(db, organizationId, 'commitment', commitments.map((c) => c.id));
  return plans.map((plan) => {
    const commitment = commitments.find((c) => c.planId === plan.id);
    const own = thresholds.filter((t) => t.planId === plan.id);
    return {
      plan,
      charges: chargeDetails.filter((c) => c.charge.planId === plan.id),
      usageThresholds: own,
      applicableUsageThresholds: plan.parentId ? thresholds.filter((t) => t.planId === plan.parentId) : own,
      taxes: planTaxes.get(plan.id) ?? [],
      minimumCommitment: commitment ? { commitment, taxes: commitmentTaxes.get(commitment.id) ?? [] } : null,
    };
  });
};

export const loadOnePlan = async (db: Db, organizationId: string, plan: Plan): Promise<PlanDetails> =>
  (await loadPlanDetails(db, organizationId, [plan]))[0]!;
