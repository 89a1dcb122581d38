import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PlanObject, SubscriptionObject, SubscriptionObjectExtended } from 'lago-javascript-client';
import { newId } from '../../src/lib/ids.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const NOW = '2024-03-10T10:00:00Z';
const LATER = '2030-01-01T00:00:00Z';

describe('plan deletion ends the subscriptions on the plan', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let metricId: string;

  const query = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    t.database.withSession((s) => s.query<T>(sql, [orgId, ...params]));
  const planInput = (code: string) => ({
    plan: {
      name: code,
      code,
      interval: 'monthly' as const,
      amount_cents: 1000,
      amount_currency: 'EUR' as const,
      pay_in_advance: false,
      charges: [
        {
          billable_metric_id: metricId,
          charge_model: 'standard' as const,
          properties: { amount: '1' },
          filters: [{ values: { region: ['us'] }, properties: { amount: '2' } }],
        },
      ],
    },
  });
  const subscribe = (external_customer_id: string, plan_code: string, external_id: string, extra: Record<string, unknown> = {}) =>
    t.client(key).subscriptions.createSubscription({ subscription: { external_customer_id, plan_code, external_id, ...extra } });
  const notFound = (code: string) => (e: unknown) => {
    assert.deepEqual(lagoError(e), { status: 404, body: { status: 404, error: 'Not Found', code } });
    return true;
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: NOW }));
    const metric = await t.client(key).billableMetrics.createBillableMetric({
      billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg', filters: [{ key: 'region', values: ['us', 'eu'] }] },
    });
    metricId = metric.data.billable_metric.lago_id;
  });
  after(() => t.close());

  test('active subscriptions are terminated, pending ones canceled, the plan and its copies deleted, the code free again', async () => {
    const client = t.client(key);
    const gold: PlanObject = (await client.plans.createPlan(planInput('gold'))).data.plan;
    await client.plans.createPlan(planInput('silver'));
    const active: SubscriptionObjectExtended = (await subscribe('cus_a', 'gold', 'sub_active')).data.subscription;
    const pending = (await subscribe('cus_b', 'gold', 'sub_pending', { subscription_at: LATER })).data.subscription;
    const copy = (await subscribe('cus_c', 'gold', 'sub_copy', { plan_overrides: { amount_cents: 1 } })).data.subscription;
    const copyPending = (await subscribe('cus_d', 'gold', 'sub_copy_pending', { subscription_at: LATER, plan_overrides: { amount_cents: 2 } }))
      .data.subscription;
    const other = (await subscribe('cus_a', 'silver', 'sub_other')).data.subscription;
    assert.deepEqual([active.status, pending.status, copy.status, copyPending.status], ['active', 'pending', 'active', 'pending']);
    // A plan change scheduled to follow the active subscription (written directly: the API to schedule one comes later).
    const next = newId();
    await query(
      `INSERT INTO subscriptions (organization_id, id, external_id, customer_id, plan_id, status, subscription_at, previous_subscription_id, created_at, updated_at)
       SELECT organization_id, $2, external_id, customer_id, (SELECT id FROM plans WHERE organization_id = $1 AND code = 'silver' AND parent_id IS NULL),
         'pending', subscription_at, id, created_at, updated_at FROM subscriptions WHERE organization_id = $1 AND id = $3`,
      [next, active.lago_id],
    );

    const deleted: PlanObject = (await client.plans.destroyPlan('gold')).data.plan;
    // Lago's answer: the plan as it was, marked pending deletion, its charges still shown.
    assert.equal(deleted.lago_id, gold.lago_id);
    assert.equal((deleted as PlanObject & { pending_deletion: boolean }).pending_deletion, true);
    assert.equal(deleted.charges!.length, 1);
    assert.equal(deleted.charges![0]!.filters!.length, 1);

    await assert.rejects(client.plans.findPlan('gold'), notFound('plan_not_found'));
    assert.ok(!(await client.plans.findAllPlans()).data.plans.some((p) => p.code === 'gold'));

    // The active subscriptions are terminated now, the pending ones canceled now.
    await assert.rejects(client.subscriptions.findSubscription('sub_active'), notFound('subscription_not_found'));
    const terminated: SubscriptionObjectExtended = (await client.subscriptions.findSubscription('sub_active', { status: 'terminated' })).data
      .subscription;
    assert.equal(terminated.lago_id, active.lago_id);
    assert.equal(terminated.status, 'terminated');
    assert.equal(terminated.terminated_at, NOW);
    assert.equal(terminated.canceled_at, null);
    assert.equal(terminated.plan_code, 'gold');
    // The deleted plan still shows what the subscription was billed on.
    assert.equal(terminated.plan?.charges?.length, 1);
    assert.equal(terminated.plan?.charges?.[0]?.filters?.length, 1);
    const canceled = (await client.subscriptions.findSubscription('sub_pending', { status: 'canceled' })).data.subscription;
    assert.equal(canceled.lago_id, pending.lago_id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.canceled_at, NOW);
    assert.equal(canceled.terminated_at, null);
    const copyEnded = (await client.subscriptions.findSubscription('sub_copy', { status: 'terminated' })).data.subscription;
    assert.equal(copyEnded.lago_id, copy.lago_id);
    assert.equal(copyEnded.terminated_at, NOW);
    assert.equal(copyEnded.plan_amount_cents, 1);
    const copyCanceled = (await client.subscriptions.findSubscription('sub_copy_pending', { status: 'canceled' })).data.subscription;
    assert.equal(copyCanceled.lago_id, copyPending.lago_id);
    const statuses = await query<{ id: string; status: string }>(`SELECT id, status FROM subscriptions WHERE organization_id = $1 AND id = $2`, [next]);
    assert.deepEqual(statuses, [{ id: next, status: 'canceled' }]);
    // A subscription on another plan is untouched.
    const untouched: SubscriptionObject = (await client.subscriptions.findSubscription('sub_other')).data.subscription;
    assert.equal(untouched.lago_id, other.lago_id);
    assert.equal(untouched.status, 'active');
    const listed = (await client.subscriptions.findAllSubscriptions({ 'status[]': ['terminated', 'canceled'] })).data.subscriptions;
    // sub_active twice: the terminated one and the plan change that was to follow it.
    assert.deepEqual(listed.map((s) => s.external_id).sort(), ['sub_active', 'sub_active', 'sub_copy', 'sub_copy_pending', 'sub_pending']);

    // The plan, its override copies, their charges and filters are deleted (pending_deletion done).
    const plans = await query<{ parent: boolean; deleted: boolean; pending_deletion: boolean }>(
      `SELECT parent_id IS NOT NULL AS parent, deleted_at = $2 AS deleted, pending_deletion FROM plans
       WHERE organization_id = $1 AND (id = $3 OR parent_id = $3) ORDER BY parent_id NULLS FIRST`,
      [NOW, gold.lago_id],
    );
    assert.deepEqual(plans, [
      { parent: false, deleted: true, pending_deletion: false },
      { parent: true, deleted: true, pending_deletion: false },
      { parent: true, deleted: true, pending_deletion: false },
    ]);
    const live = await query<{ charges: string; filters: string }>(
      `SELECT (SELECT count(*) FROM charges c JOIN plans p ON p.organization_id = c.organization_id AND p.id = c.plan_id
                WHERE c.organization_id = $1 AND (p.id = $2 OR p.parent_id = $2) AND c.deleted_at IS NULL) AS charges,
              (SELECT count(*) FROM charge_filters f JOIN charges c ON c.organization_id = f.organization_id AND c.id = f.charge_id
                JOIN plans p ON p.organization_id = c.organization_id AND p.id = c.plan_id
                WHERE f.organization_id = $1 AND (p.id = $2 OR p.parent_id = $2) AND f.deleted_at IS NULL) AS filters`,
      [gold.lago_id],
    );
    assert.deepEqual(live.map((r) => [Number(r.charges), Number(r.filters)]), [[0, 0]]);

    // Nothing can start on the deleted plan; its code makes a new plan, and the ended external ids can start again.
    await assert.rejects(subscribe('cus_e', 'gold', 'sub_new'), notFound('plan_not_found'));
    const again: PlanObject = (await client.plans.createPlan(planInput('gold'))).data.plan;
    assert.notEqual(again.lago_id, gold.lago_id);
    const restarted = (await subscribe('cus_a', 'gold', 'sub_active')).data.subscription;
    assert.notEqual(restarted.lago_id, active.lago_id);
    assert.equal(restarted.status, 'active');
    const repending = (await subscribe('cus_b', 'gold', 'sub_pending', { subscription_at: LATER })).data.subscription;
    assert.equal(repending.status, 'pending');
    assert.notEqual(repending.lago_id, pending.lago_id);
    // The terminated one is still found by its status.
    const stillTerminated = (await client.subscriptions.findSubscription('sub_active', { status: 'terminated' })).data.subscription;
    assert.equal(stillTerminated.lago_id, active.lago_id);
  });

  test('a plan nobody subscribed to goes at once; an unknown code or another organization changes nothing', async () => {
    const client = t.client(key);
    const plain: PlanObject = (await client.plans.createPlan(planInput('plain'))).data.plan;
    const { key: otherKey } = await t.newOrganization({ name: 'Other' });
    const before = await snapshotDatabase(t.database);
    await assert.rejects(t.client(otherKey).plans.destroyPlan('plain'), notFound('plan_not_found'));
    await assert.rejects(client.plans.destroyPlan('nope'), notFound('plan_not_found'));
    assert.equal(await snapshotDatabase(t.database), before);

    const deleted = (await client.plans.destroyPlan('plain')).data.plan;
    assert.equal(deleted.lago_id, plain.lago_id);
    await assert.rejects(client.plans.destroyPlan('plain'), notFound('plan_not_found'));
  });
});
