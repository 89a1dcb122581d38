import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * Requests that race each other. They go through the listening server with plain `fetch`, all at once, so on
 * PostgreSQL they run in parallel transactions on separate connections (on PGlite the single connection serializes
 * them, and the same assertions must hold).
 */
describe('concurrent requests', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const count = async (database: Database, query: string): Promise<number> =>
    database.withSession(async (s) => Number((await s.query<{ n: string }>(query, [orgId]))[0]!.n));

  const metric = async (code: string): Promise<string> => {
    const body = await ok('POST', '/billable_metrics', { billable_metric: { name: code, code, aggregation_type: 'count_agg' } });
    return (body.billable_metric as { lago_id: string }).lago_id;
  };
  const planInput = (code: string, metricId?: string) => ({
    plan: {
      name: code,
      code,
      interval: 'monthly',
      amount_cents: 1000,
      amount_currency: 'EUR',
      pay_in_advance: false,
      charges: metricId ? [{ billable_metric_id: metricId, charge_model: 'standard', properties: { amount: '1' } }] : [],
    },
  });

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-10T10:00:00Z' }));
    await ok('POST', '/plans', planInput('rp', await metric('rm')));
    for (let n = 1; n <= 10; n++) await ok('POST', '/customers', { customer: { external_id: `pc${n}`, name: `Customer ${n}` } });
  });
  after(() => t.close());

  const TAKEN = { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { external_id: ['value_already_exist'] } };

  for (const [label, subscriptionAt] of [
    ['pending (a future start)', '2030-01-01T00:00:00Z'],
    ['active (starting now)', undefined],
  ] as const) {
    test(`ten customers racing for one external id: exactly one ${label} subscription wins`, async () => {
      const externalId = `race_${subscriptionAt ? 'pending' : 'active'}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          call('POST', '/subscriptions', {
            subscription: {
              external_customer_id: `pc${i + 1}`,
              plan_code: 'rp',
              external_id: externalId,
              ...(subscriptionAt ? { subscription_at: subscriptionAt } : {}),
            },
          }),
        ),
      );
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.equal((winners[0]!.body.subscription as { status: string }).status, subscriptionAt ? 'pending' : 'active');
      for (const loser of results.filter((r) => r.status !== 200)) assert.deepEqual(loser.body, TAKEN);
      assert.equal(
        await count(t.database, `SELECT count(*) AS n FROM subscriptions WHERE organization_id = $1 AND external_id = '${externalId}'`),
        1,
      );
    });
  }

  test('the same subscription sent five times at once: one is created and every answer is that one', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/subscriptions', { subscription: { external_customer_id: 'pc1', plan_code: 'rp', external_id: 'race_same' } }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
    const ids = new Set(results.map((r) => (r.body.subscription as { lago_id: string }).lago_id));
    assert.equal(ids.size, 1);
  });

  const liveChargesOnDeletedMetrics = `SELECT count(*) AS n FROM charges c
    JOIN billable_metrics m ON m.organization_id = c.organization_id AND m.id = c.billable_metric_id
    WHERE c.organization_id = $1 AND c.deleted_at IS NULL AND m.deleted_at IS NOT NULL`;
  const ROUNDS = 15;

  test('deleting a metric while a plan pricing it is created never leaves a live charge on the deleted metric', async () => {
    let created = 0;
    for (let n = 1; n <= ROUNDS; n++) {
      const id = await metric(`dm${n}`);
      const [deleted, plan] = await Promise.all([call('DELETE', `/billable_metrics/dm${n}`), call('POST', '/plans', planInput(`dp${n}`, id))]);
      assert.equal(deleted.status, 200);
      if (plan.status === 200) {
        created++;
        // Created first: the delete then took the new charge with it.
        assert.deepEqual(((await ok('GET', `/plans/dp${n}`)).plan as { charges: unknown[] }).charges, []);
      } else {
        assert.deepEqual(plan, { status: 404, body: { status: 404, error: 'Not Found', code: 'billable_metrics_not_found' } });
      }
    }
    assert.equal(await count(t.database, liveChargesOnDeletedMetrics), 0, `${created} plans created`);
  });

  test('deleting a metric while a charge on it is added to a plan (nested route) leaves no live charge on it', async () => {
    await ok('POST', '/plans', planInput('nested'));
    for (let n = 1; n <= ROUNDS; n++) {
      const id = await metric(`nm${n}`);
      const [deleted, charge] = await Promise.all([
        call('DELETE', `/billable_metrics/nm${n}`),
        call('POST', '/plans/nested/charges', { charge: { code: `c${n}`, billable_metric_id: id, charge_model: 'standard', properties: { amount: '1' } } }),
      ]);
      assert.equal(deleted.status, 200);
      assert.ok(charge.status === 200 || charge.status === 404, JSON.stringify(charge));
    }
    assert.equal(await count(t.database, liveChargesOnDeletedMetrics), 0);
  });

  test('deleting a metric while a subscription copies the plan for its overrides leaves no live copy of the charge', async () => {
    for (let n = 1; n <= ROUNDS; n++) {
      const id = await metric(`om${n}`);
      await ok('POST', '/plans', planInput(`op${n}`, id));
      const [deleted, subscription] = await Promise.all([
        call('DELETE', `/billable_metrics/om${n}`),
        call('POST', '/subscriptions', {
          subscription: { external_customer_id: 'pc2', plan_code: `op${n}`, external_id: `os${n}`, plan_overrides: { amount_cents: 500 } },
        }),
      ]);
      assert.equal(deleted.status, 200);
      assert.equal(subscription.status, 200, JSON.stringify(subscription));
    }
    assert.equal(await count(t.database, liveChargesOnDeletedMetrics), 0);
  });

  test('deleting a plan while subscriptions start on it leaves no live subscription on the deleted plan', async () => {
    for (let n = 1; n <= ROUNDS; n++) {
      await ok('POST', '/plans', planInput(`xp${n}`));
      const [deleted, active, pending, copied] = await Promise.all([
        call('DELETE', `/plans/xp${n}`),
        call('POST', '/subscriptions', { subscription: { external_customer_id: 'pc3', plan_code: `xp${n}`, external_id: `xa${n}` } }),
        call('POST', '/subscriptions', {
          subscription: { external_customer_id: 'pc4', plan_code: `xp${n}`, external_id: `xb${n}`, subscription_at: '2030-01-01T00:00:00Z' },
        }),
        call('POST', '/subscriptions', {
          subscription: { external_customer_id: 'pc5', plan_code: `xp${n}`, external_id: `xc${n}`, plan_overrides: { amount_cents: 1 } },
        }),
      ]);
      assert.equal(deleted.status, 200);
      for (const res of [active, pending, copied]) assert.ok(res.status === 200 || res.status === 404, JSON.stringify(res));
    }
    const onDeletedPlans = `SELECT count(*) AS n FROM subscriptions s
      JOIN plans p ON p.organization_id = s.organization_id AND p.id = s.plan_id
      WHERE s.organization_id = $1 AND s.status IN ('active', 'pending') AND p.deleted_at IS NOT NULL`;
    assert.equal(await count(t.database, onDeletedPlans), 0);
    const livePlansOfDeleted = `SELECT count(*) AS n FROM plans c JOIN plans p ON p.organization_id = c.organization_id AND p.id = c.parent_id
      WHERE c.organization_id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL`;
    assert.equal(await count(t.database, livePlansOfDeleted), 0);
  });
});
