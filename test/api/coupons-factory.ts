import type { Database } from '../../src/db/database.ts';
import { billableMetrics, charges, plans, subscriptions } from '../../src/db/schema/index.ts';
import { newId } from '../../src/lib/ids.ts';

/**
 * Rows of other modules (plans, metrics, charges, subscriptions) written straight into the tables, so customer and
 * coupon tests do not depend on those APIs.
 */
const stamp = new Date('2024-01-01T00:00:00Z');

export const insertPlan = async (
  database: Database,
  organizationId: string,
  code: string,
  overrides: Partial<typeof plans.$inferInsert> = {},
): Promise<string> => {
  const id = newId();
  await database.db.insert(plans).values({
    organizationId,
    id,
    code,
    name: `Plan ${code}`,
    interval: 'monthly',
    amountCents: 1000n,
    amountCurrency: 'EUR',
    payInAdvance: false,
    pendingDeletion: false,
    createdAt: stamp,
    updatedAt: stamp,
    ...overrides,
  });
  return id;
};

export const insertMetric = async (database: Database, organizationId: string, code: string, overrides: Partial<typeof billableMetrics.$inferInsert> = {}) => {
  const id = newId();
  await database.db.insert(billableMetrics).values({
    organizationId,
    id,
    code,
    name: `Metric ${code}`,
    aggregationType: 'count_agg',
    recurring: false,
    createdAt: stamp,
    updatedAt: stamp,
    ...overrides,
  });
  return id;
};

export const insertCharge = async (database: Database, organizationId: string, planId: string, billableMetricId: string) => {
  await database.db.insert(charges).values({
    organizationId,
    id: newId(),
    planId,
    billableMetricId,
    code: `charge_${billableMetricId.slice(-6)}`,
    chargeModel: 'standard',
    payInAdvance: false,
    invoiceable: true,
    prorated: false,
    minAmountCents: 0n,
    properties: { amount: '1' },
    position: 0,
    createdAt: stamp,
    updatedAt: stamp,
  });
};

export const insertSubscription = async (
  database: Database,
  organizationId: string,
  customerId: string,
  planId: string,
  status: 'active' | 'pending' | 'terminated' | 'canceled',
): Promise<string> => {
  const id = newId();
  await database.db.insert(subscriptions).values({
    organizationId,
    id,
    externalId: `sub_${id.slice(-8)}`,
    customerId,
    planId,
    status,
    billingTime: 'calendar',
    subscriptionAt: stamp,
    startedAt: status === 'active' ? stamp : null,
    onTerminationInvoice: 'generate',
    progressiveBillingDisabled: false,
    createdAt: stamp,
    updatedAt: stamp,
  });
  return id;
};

export const subscriptionStates = async (database: Database, customerId: string) =>
  database.withSession((s) =>
    s.query<{ status: string; terminated_at: Date | null; canceled_at: Date | null }>(
      'SELECT status, terminated_at, canceled_at FROM subscriptions WHERE customer_id = $1 ORDER BY id',
      [customerId],
    ),
  );
