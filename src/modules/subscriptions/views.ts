import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { billingEntityCode } from '../customers/views.ts';
import { findOrganization } from '../organizations/repository.ts';
import { loadPlanDetails } from '../plans/details.ts';
import { thresholdsOfSubscriptions } from '../progressive-billing/repository.ts';
import * as repo from './repository.ts';
import type { SubscriptionView } from './serialize.ts';
import type { Subscription } from './types.ts';

/**
 * Everything the JSON of these subscriptions shows, seen at `now`: customers, plans with their charges, time zones,
 * the plans they came from and the downgrades scheduled to follow them. Subscriptions answers and invoices share it.
 */
export const loadSubscriptionViews = async (
  db: Db,
  organizationId: string,
  rows: readonly Subscription[],
  now: Temporal.Instant,
): Promise<SubscriptionView[]> => {
  if (rows.length === 0) return [];
  const organization = await findOrganization(db, organizationId);
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  const customerRows = await repo.customersOf(db, organizationId, rows.map((s) => s.customerId));
  const details = await loadPlanDetails(db, organizationId, await repo.plansOf(db, organizationId, rows.map((s) => s.planId)));
  const previousPlanCodes = await repo.planCodesOf(
    db,
    organizationId,
    rows.map((s) => s.previousSubscriptionId).filter((id): id is string => id !== null),
  );
  const successors = await repo.pendingSuccessorPlanCodes(db, organizationId, rows.map((s) => s.id));
  const ownThresholds = await thresholdsOfSubscriptions(db, organizationId, rows.map((s) => s.id));
  return rows.map((subscription) => {
    const customer = customerRows.find((c) => c.id === subscription.customerId)!;
    return {
      subscription,
      externalCustomerId: customer.externalId,
      billingEntityCode: billingEntityCode(organization),
      timeZone: customer.timezone ?? organization.timezone,
      plan: details.find((d) => d.plan.id === subscription.planId)!,
      previousPlanCode: subscription.previousSubscriptionId ? (previousPlanCodes.get(subscription.previousSubscriptionId) ?? null) : null,
      nextPlanCode: successors.get(subscription.id) ?? null,
      usageThresholds: ownThresholds.get(subscription.id) ?? [],
      now,
    };
  });
};
