import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { CustomerUsageObject } from 'lago-javascript-client';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { at, chargeOf, createMetric, createPlan, currentUsage, sendEvents, subscribe, type LagoClient } from './usage-fixtures.ts';

/**
 * Pricing group keys split the pre-aggregated usage of their metric. When a plan write gives a metric's charges new
 * keys (or takes them away), the aggregates of events already sent are rebuilt in the same request: usage sent before
 * the change is grouped by the keys in force when it is read.
 */
describe('current usage after plan changes that regroup a metric', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  /** An organization on a test clock in July 2025, with a `calls` count metric. */
  const setUp = async () => {
    const { key, id } = await t.newOrganization({ testClock: '2025-07-20T00:00:00Z' });
    const client = t.client(key);
    const calls = await createMetric(client, { code: 'calls', name: 'Calls', aggregation_type: 'count_agg' });
    return { key, orgId: id, client, calls };
  };

  /** Six calls on July 5 (whole days, so read from the aggregates): eu ×3 (pro, pro, free), us ×2 (free), one with neither. */
  const sendCalls = (client: LagoClient, subscription: string) =>
    sendEvents(client, [
      ...[{ region: 'eu', tier: 'pro' }, { region: 'eu', tier: 'pro' }, { region: 'eu', tier: 'free' }],
      ...[{ region: 'us', tier: 'free' }, { region: 'us', tier: 'free' }, {}],
    ].map((properties, i) => ({ external_subscription_id: subscription, code: 'calls', timestamp: at(`2025-07-05T1${i}:00:00Z`), properties })));

  const groups = (usage: CustomerUsageObject, code: string) =>
    chargeOf(usage, code).grouped_usage!.map((g) => [g.grouped_by, g.units, g.amount_cents]);

  const byRegion = [
    [{ region: null }, '1.0', 100],
    [{ region: 'eu' }, '3.0', 300],
    [{ region: 'us' }, '2.0', 200],
  ];

  /** The distinct dimensions the code's aggregates (consolidated and pending) are split by. */
  const dimsOf = async (orgId: string, code: string): Promise<string[]> =>
    (
      await queryRows<{ dims: string }>(
        t.database.db,
        sql`SELECT dims FROM event_aggregates WHERE organization_id = ${orgId} AND code = ${code}
          UNION SELECT dims FROM event_aggregate_deltas WHERE organization_id = ${orgId} AND code = ${code}`,
      )
    )
      .map((r) => r.dims)
      .sort();

  const meteringVersion = async (orgId: string): Promise<string> =>
    (await queryRows<{ v: string }>(t.database.db, sql`SELECT metering_version::text AS v FROM organizations WHERE id = ${orgId}`))[0]!.v;

  const send = async (key: string, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
    const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload && { payload }) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  test('PUT /plans/{code}: a charge gaining pricing_group_keys groups the usage sent before; losing them ungroups it', async () => {
    const { key, orgId, client, calls } = await setUp();
    const plan = await createPlan(t, key, 'flat', [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }]);
    const chargeId = (plan.charges as { lago_id: string }[])[0]!.lago_id;
    await subscribe(client, { customer: 'cus', plan: 'flat', subscription: 'sub', at: '2025-07-01T00:00:00Z' });
    await sendCalls(client, 'sub');
    let usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual([chargeOf(usage, 'calls').units, groups(usage, 'calls')], ['6.0', []]);
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);

    const charge = (properties: Record<string, unknown>) => ({ id: chargeId, billable_metric_id: calls, charge_model: 'standard', properties });
    await send(key, 'PUT', '/plans/flat', { plan: { charges: [charge({ amount: '1', pricing_group_keys: ['region'] })] } });
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), byRegion);
    assert.equal(usage.amount_cents, 600);

    // A price change alone leaves the aggregates as they are.
    const version = await meteringVersion(orgId);
    await send(key, 'PUT', '/plans/flat', { plan: { amount_cents: 100, charges: [charge({ amount: '2', pricing_group_keys: ['region'] })] } });
    assert.equal(await meteringVersion(orgId), version);
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), byRegion.map(([g, units, cents]) => [g, units, (cents as number) * 2]));

    // The deprecated grouped_by is read as pricing_group_keys.
    await send(key, 'PUT', '/plans/flat', { plan: { charges: [charge({ amount: '1', grouped_by: ['tier'] })] } });
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), [
      [{ tier: null }, '1.0', 100],
      [{ tier: 'free' }, '3.0', 300],
      [{ tier: 'pro' }, '2.0', 200],
    ]);

    await send(key, 'PUT', '/plans/flat', { plan: { charges: [charge({ amount: '2' })] } });
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual([chargeOf(usage, 'calls').units, chargeOf(usage, 'calls').amount_cents, groups(usage, 'calls')], ['6.0', 1200, []]);
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);

    // A charge added without an id, then the plan's charges all removed.
    await send(key, 'PUT', '/plans/flat', { plan: { charges: [charge({ amount: '2' }), { ...charge({ amount: '1', pricing_group_keys: ['region'] }), id: undefined, code: 'calls_by_region' }] } });
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{"region":"eu"}', '{"region":"us"}', '{}']);
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false, charge_code: 'calls_by_region' });
    assert.deepEqual(groups(usage, 'calls'), byRegion);
    await send(key, 'PUT', '/plans/flat', { plan: { charges: [] } });
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);
  });

  test('nested charge routes: a charge added, regrouped, ungrouped and deleted; a filter with its own keys', async () => {
    const { key, orgId, client, calls } = await setUp();
    const jobs = await createMetric(client, { code: 'jobs', name: 'Jobs', aggregation_type: 'count_agg', filters: [{ key: 'cloud', values: ['aws', 'gcp'] }] });
    await createPlan(t, key, 'nested', [{ billable_metric_id: jobs, code: 'jobs', charge_model: 'standard', properties: { amount: '1' } }]);
    await subscribe(client, { customer: 'cus', plan: 'nested', subscription: 'sub', at: '2025-07-01T00:00:00Z' });
    await sendCalls(client, 'sub');
    await sendEvents(
      client,
      [{ cloud: 'aws', team: 'a' }, { cloud: 'aws', team: 'a' }, { cloud: 'aws', team: 'b' }, { cloud: 'gcp', team: 'a' }].map((properties) => ({
        external_subscription_id: 'sub',
        code: 'jobs',
        timestamp: at('2025-07-06T10:00:00Z'),
        properties,
      })),
    );

    await client.plans.createPlanCharge('nested', {
      charge: { billable_metric_id: calls, code: 'calls', charge_model: 'standard', properties: { amount: '1', pricing_group_keys: ['region'] } },
    });
    let usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), byRegion);

    // Keys replaced on a plan in use (its prices stay editable).
    await client.plans.updatePlanCharge('nested', 'calls', { charge: { charge_model: 'standard', properties: { amount: '1', pricing_group_keys: ['tier'] } } });
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), [
      [{ tier: null }, '1.0', 100],
      [{ tier: 'free' }, '3.0', 300],
      [{ tier: 'pro' }, '2.0', 200],
    ]);
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{"tier":"free"}', '{"tier":"pro"}', '{}']);

    await client.plans.updatePlanCharge('nested', 'calls', { charge: { charge_model: 'standard', properties: { amount: '1' } } });
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual([chargeOf(usage, 'calls').units, groups(usage, 'calls')], ['6.0', []]);
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);

    await client.plans.updatePlanCharge('nested', 'calls', { charge: { charge_model: 'standard', properties: { amount: '1', pricing_group_keys: ['region'] } } });
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{"region":"eu"}', '{"region":"us"}', '{}']);
    await client.plans.destroyPlanCharge('nested', 'calls', {});
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);

    // A filter's own keys split its metric too: only the filtered events are grouped.
    assert.deepEqual(await dimsOf(orgId, 'jobs'), ['{"cloud":"aws"}', '{"cloud":"gcp"}']);
    const filter = (
      await client.plans.createPlanChargeFilter('nested', 'jobs', {
        filter: { values: { cloud: ['aws'] }, properties: { amount: '2', pricing_group_keys: ['team'] } as never },
      })
    ).data.filter;
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    const jobsUsage = chargeOf(usage, 'jobs');
    assert.deepEqual(
      jobsUsage.grouped_usage!.map((g) => [g.grouped_by, g.units, g.amount_cents, g.filters!.map((f) => [f.values, f.units, f.amount_cents])]),
      [
        [{ team: 'a' }, '2.0', 400, [[{ cloud: ['aws'] }, '2.0', 400]]],
        [{ team: 'b' }, '1.0', 200, [[{ cloud: ['aws'] }, '1.0', 200]]],
        // The default bucket has no keys: its group is empty.
        [{}, '1.0', 100, [[null, '1.0', 100]]],
      ],
    );
    assert.deepEqual(await dimsOf(orgId, 'jobs'), ['{"cloud":"aws","team":"a"}', '{"cloud":"aws","team":"b"}', '{"cloud":"gcp","team":"a"}']);

    await client.plans.updatePlanChargeFilter('nested', 'jobs', filter.lago_id, { filter: { properties: { amount: '2' } } });
    assert.deepEqual(await dimsOf(orgId, 'jobs'), ['{"cloud":"aws"}', '{"cloud":"gcp"}']);
    usage = await currentUsage(client, 'cus', 'sub', { apply_taxes: false });
    assert.deepEqual(
      chargeOf(usage, 'jobs').filters!.map((f) => [f.values, f.units, f.amount_cents]),
      [
        [{ cloud: ['aws'] }, '3.0', 600],
        [null, '1.0', 100],
      ],
    );
    await client.plans.updatePlanChargeFilter('nested', 'jobs', filter.lago_id, { filter: { properties: { amount: '2', pricing_group_keys: ['team'] } as never } });
    await client.plans.destroyPlanChargeFilter('nested', 'jobs', filter.lago_id, {});
    assert.deepEqual(await dimsOf(orgId, 'jobs'), ['{"cloud":"aws"}', '{"cloud":"gcp"}']);
  });

  test('plan_overrides and plan creation group the usage a subscription sent before it started; plan deletion ungroups it', async () => {
    const { key, orgId, client, calls } = await setUp();
    const base = await createPlan(t, key, 'base', [{ billable_metric_id: calls, code: 'calls', charge_model: 'standard', properties: { amount: '1' } }]);
    const baseCharge = (base.charges as { lago_id: string }[])[0]!.lago_id;
    await sendCalls(client, 'sub_o');
    await sendCalls(client, 'sub_n');
    await sendCalls(client, 'sub_p');

    // Overrides that change no price leave the aggregates alone.
    const version = await meteringVersion(orgId);
    await send(key, 'POST', '/subscriptions', {
      subscription: {
        external_customer_id: 'cus_p',
        plan_code: 'base',
        external_id: 'sub_p',
        subscription_at: '2025-07-01T00:00:00Z',
        plan_overrides: { amount_cents: 500, charges: [{ id: baseCharge, invoice_display_name: 'Calls' }] },
      },
    });
    assert.equal(await meteringVersion(orgId), version);

    await send(key, 'POST', '/subscriptions', {
      subscription: {
        external_customer_id: 'cus_o',
        plan_code: 'base',
        external_id: 'sub_o',
        subscription_at: '2025-07-01T00:00:00Z',
        plan_overrides: { charges: [{ id: baseCharge, properties: { amount: '1', pricing_group_keys: ['region'] } }] },
      },
    });
    let usage = await currentUsage(client, 'cus_o', 'sub_o', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), byRegion);
    // The subscription on the parent plan is not grouped.
    usage = await currentUsage(client, 'cus_p', 'sub_p', { apply_taxes: false });
    assert.deepEqual([chargeOf(usage, 'calls').units, groups(usage, 'calls')], ['6.0', []]);

    await createPlan(t, key, 'by_tier', [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1', pricing_group_keys: ['tier'] } }]);
    await subscribe(client, { customer: 'cus_n', plan: 'by_tier', subscription: 'sub_n', at: '2025-07-01T00:00:00Z' });
    usage = await currentUsage(client, 'cus_n', 'sub_n', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), [
      [{ tier: null }, '1.0', 100],
      [{ tier: 'free' }, '3.0', 300],
      [{ tier: 'pro' }, '2.0', 200],
    ]);
    usage = await currentUsage(client, 'cus_o', 'sub_o', { apply_taxes: false });
    assert.deepEqual(groups(usage, 'calls'), byRegion);

    // Deleting the plan deletes the override copy that grouped by region; the other plan still groups by tier.
    await send(key, 'DELETE', '/plans/base');
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{"tier":"free"}', '{"tier":"pro"}', '{}']);
    await send(key, 'DELETE', '/plans/by_tier');
    assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}']);
  });

  test('plan writes racing on one metric: the aggregates end up split by every key the charges group by', async () => {
    const { key, orgId, client, calls } = await setUp();
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const chargeIds = new Map<string, string>();
    for (const k of keys) {
      const plan = await createPlan(t, key, `p_${k}`, [{ billable_metric_id: calls, code: 'calls', charge_model: 'standard', properties: { amount: '1' } }]);
      chargeIds.set(k, (plan.charges as { lago_id: string }[])[0]!.lago_id);
    }
    await sendEvents(client, [
      { external_subscription_id: 'sub', code: 'calls', timestamp: at('2025-07-05T10:00:00Z'), properties: Object.fromEntries(keys.map((k) => [k, 'x'])) },
    ]);
    const everyKey = JSON.stringify(Object.fromEntries(keys.map((k) => [k, 'x'])));
    for (let round = 0; round < 5; round++) {
      // Each plan's charge gains its own key at once (nested route and plan update alternately), then loses it.
      const properties = (k: string | null) => ({ amount: '1', ...(k && { pricing_group_keys: [k] }) });
      const write = (k: string, i: number, grouped: boolean) =>
        i % 2 === 0
          ? send(key, 'PUT', `/plans/p_${k}/charges/calls`, { charge: { charge_model: 'standard', properties: properties(grouped ? k : null) } })
          : send(key, 'PUT', `/plans/p_${k}`, { plan: { charges: [{ id: chargeIds.get(k), billable_metric_id: calls, charge_model: 'standard', properties: properties(grouped ? k : null) }] } });
      await Promise.all(keys.map((k, i) => write(k, i, true)));
      assert.deepEqual(await dimsOf(orgId, 'calls'), [everyKey], `round ${round}`);
      await Promise.all(keys.map((k, i) => write(k, i, false)));
      assert.deepEqual(await dimsOf(orgId, 'calls'), ['{}'], `round ${round}`);
    }
  });
});
