import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { subscriptions } from '../../src/db/schema/index.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { at, chargeOf, createMetric, createPlan, currentUsage, sendEvents, subscribe, type LagoClient } from './usage-fixtures.ts';

const SUB = 'sub_main';
const CUS = 'cus_main';

/** One event of the main subscription. */
const ev = (code: string, iso: string, properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  external_subscription_id: SUB,
  code,
  timestamp: at(iso),
  properties,
  ...extra,
});

describe('current usage: every aggregation type priced to the cent', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let client: LagoClient;

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' }));
    client = t.client(key);
    await client.taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20', applied_to_organization: true } });
    const ids = {
      api: await createMetric(client, { code: 'api_calls', name: 'API calls', aggregation_type: 'count_agg' }),
      balance: await createMetric(client, { code: 'balance', name: 'Balance', aggregation_type: 'latest_agg', field_name: 'amount' }),
      compute: await createMetric(client, {
        code: 'compute',
        name: 'compute hours',
        aggregation_type: 'sum_agg',
        field_name: 'hours',
        expression: 'round((event.properties.ended_at - event.properties.started_at) / 3600, 2)',
      }),
      gpu: await createMetric(client, { code: 'gpu', name: 'GPU hours', aggregation_type: 'weighted_sum_agg', field_name: 'delta', weighted_interval: 'seconds' }),
      payments: await createMetric(client, { code: 'payments', name: 'Payments', aggregation_type: 'sum_agg', field_name: 'amount' }),
      peak: await createMetric(client, { code: 'peak', name: 'Peak CPU', aggregation_type: 'max_agg', field_name: 'cpu' }),
      storage: await createMetric(client, {
        code: 'storage',
        name: 'storage',
        aggregation_type: 'sum_agg',
        field_name: 'gb',
        rounding_function: 'round',
        rounding_precision: 1,
      }),
      tokens: await createMetric(client, { code: 'tokens', name: 'Tokens', aggregation_type: 'sum_agg', field_name: 'n' }),
      users: await createMetric(client, { code: 'users', name: 'Users', aggregation_type: 'unique_count_agg', field_name: 'user_id' }),
    };
    await createPlan(t, key, 'main', [
      {
        billable_metric_id: ids.api,
        charge_model: 'graduated',
        invoice_display_name: 'Calls',
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '2' },
            { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '3' },
          ],
        },
      },
      { billable_metric_id: ids.users, charge_model: 'volume', properties: { volume_ranges: [
        { from_value: 0, to_value: 2, per_unit_amount: '3', flat_amount: '1' },
        { from_value: 3, to_value: null, per_unit_amount: '2', flat_amount: '0' },
      ] } },
      { billable_metric_id: ids.balance, charge_model: 'standard', properties: { amount: '1' } },
      { billable_metric_id: ids.compute, charge_model: 'standard', properties: { amount: '2' } },
      { billable_metric_id: ids.gpu, charge_model: 'standard', properties: { amount: '10' } },
      { billable_metric_id: ids.payments, charge_model: 'percentage', properties: { rate: '2', fixed_amount: '0.1', free_units_per_events: 1 } },
      { billable_metric_id: ids.peak, charge_model: 'package', properties: { amount: '5', package_size: 10, free_units: 2 } },
      { billable_metric_id: ids.storage, charge_model: 'standard', properties: { amount: '0.25' } },
      { billable_metric_id: ids.tokens, charge_model: 'dynamic', properties: {} },
    ]);
    await subscribe(client, { customer: CUS, plan: 'main', subscription: SUB, at: '2025-07-01T00:00:00Z' });
    await sendEvents(client, [
      // count: 12 in July; the last day of June and August 1st are other periods.
      ...Array.from({ length: 12 }, (_, i) => ev('api_calls', `2025-07-${String(2 + i).padStart(2, '0')}T08:00:00Z`)),
      ev('api_calls', '2025-06-30T23:59:59Z'),
      ev('api_calls', '2025-08-01T00:00:00Z'),
      // latest: the last by timestamp, whatever the arrival order; at the same instant, the later in the request.
      ev('balance', '2025-07-02T00:00:00Z', { amount: 5 }),
      ev('balance', '2025-07-10T00:00:00Z', { amount: '9' }),
      ev('balance', '2025-07-10T00:00:00Z', { amount: '8' }),
      ev('balance', '2025-07-05T00:00:00Z', { amount: 3 }),
      // expression: hours from two timestamps, rounded to 2 decimals (1.5 + 0.5 + 1.11).
      ev('compute', '2025-07-03T00:00:00Z', { started_at: 1000, ended_at: 6400 }),
      ev('compute', '2025-07-04T00:00:00Z', { started_at: 0, ended_at: 1800 }),
      ev('compute', '2025-07-05T00:00:00Z', { started_at: 0, ended_at: 4000 }),
      // weighted sum: 4 held from July 11 to July 21, 10 of 31 days.
      ev('gpu', '2025-07-11T00:00:00Z', { delta: 4 }),
      ev('gpu', '2025-07-21T00:00:00Z', { delta: -4 }),
      // percentage: 180 at 2 %, the first event's 100 free, 2 paying events at 0.1.
      ev('payments', '2025-07-03T00:00:00Z', { amount: 100 }),
      ev('payments', '2025-07-04T00:00:00Z', { amount: 50 }),
      ev('payments', '2025-07-05T00:00:00Z', { amount: '30' }),
      // max: 25, packages of 10 after 2 free units.
      ev('peak', '2025-07-03T00:00:00Z', { cpu: 12 }),
      ev('peak', '2025-07-04T00:00:00Z', { cpu: '25' }),
      ev('peak', '2025-07-05T00:00:00Z', { cpu: '7' }),
      // sum with rounding: 19.79 rounds to 19.8; an event without the field only counts nowhere.
      ev('storage', '2025-07-03T00:00:00Z', { gb: 10.04 }),
      ev('storage', '2025-07-04T00:00:00Z', { gb: '2.5' }),
      ev('storage', '2025-07-05T00:00:00Z', { gb: '7.25' }),
      ev('storage', '2025-07-06T00:00:00Z', { other: 1 }),
      // dynamic: the events' own amounts, 19.76 cents.
      ev('tokens', '2025-07-03T00:00:00Z', { n: 10 }, { precise_total_amount_cents: '12.5' }),
      ev('tokens', '2025-07-04T00:00:00Z', { n: 5 }, { precise_total_amount_cents: '7.26' }),
      // unique count: u1, u2, u3 added, u2 again, u3 removed.
      ev('users', '2025-07-02T00:00:00Z', { user_id: 'u1' }),
      ev('users', '2025-07-03T00:00:00Z', { user_id: 'u2' }),
      ev('users', '2025-07-04T00:00:00Z', { user_id: 'u3' }),
      ev('users', '2025-07-05T00:00:00Z', { user_id: 'u2' }),
      ev('users', '2025-07-06T00:00:00Z', { user_id: 'u3', operation_type: 'remove' }),
    ]);
  });
  after(() => t.close());

  test('each charge, its units, events and amount; charges listed by metric name', async () => {
    const usage = await currentUsage(client, CUS, SUB);
    assert.equal(usage.from_datetime, '2025-07-01T00:00:00Z');
    assert.equal(usage.to_datetime, '2025-07-31T23:59:59Z');
    assert.equal(usage.issuing_date, '2025-07-31');
    assert.equal(usage.currency, 'EUR');
    assert.equal(usage.lago_invoice_id, null);
    const lines = usage.charges_usage.map((c) => [c.billable_metric.code, c.units, c.total_aggregated_units, c.events_count, c.amount_cents]);
    assert.deepEqual(lines, [
      ['api_calls', '12.0', '12.0', 12, 1600], // (10 × 1 + 2) + (2 × 0.5 + 3)
      ['balance', '8.0', '8.0', 4, 800],
      ['compute', '3.11', '3.11', 3, 622],
      ['gpu', '1.2903225806451613', '0.0', 2, 1290], // 4 × 10/31 at 10; the level ends at 0
      ['payments', '180.0', '180.0', 3, 180], // 80 × 2 % + 2 × 0.1
      ['peak', '25.0', '25.0', 3, 1500], // ceil(23 / 10) × 5
      ['storage', '19.8', '19.8', 3, 495],
      ['tokens', '15.0', '15.0', 2, 20], // 19.76 cents, rounded once
      ['users', '2.0', '2.0', 2, 700], // 2 × 3 + 1
    ]);
    const api = chargeOf(usage, 'api_calls');
    assert.equal(api.amount_currency, 'EUR');
    assert.equal(api.charge.charge_model, 'graduated');
    assert.equal(api.charge.invoice_display_name, 'Calls');
    assert.deepEqual(api.billable_metric.name, 'API calls');
    assert.equal(api.billable_metric.aggregation_type, 'count_agg');
    assert.deepEqual([api.filters, api.grouped_usage, api.presentation_breakdowns, api.pricing_unit_details], [[], [], [], null]);
    assert.equal(usage.amount_cents, 7207);
    // The organization's 20 % applies to every charge: 1441.4 rounds to 1441.
    assert.equal(usage.taxes_amount_cents, 1441);
    assert.equal(usage.total_amount_cents, 8648);
  });

  test('the key order of every level is Lago\'s', async () => {
    const res = await t.request(key, { method: 'GET', url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}` });
    const body = res.json();
    assert.deepEqual(Object.keys(body), ['customer_usage']);
    assert.deepEqual(Object.keys(body.customer_usage), [
      'from_datetime', 'to_datetime', 'issuing_date', 'currency', 'amount_cents', 'total_amount_cents', 'taxes_amount_cents',
      'lago_invoice_id', 'charges_usage',
    ]);
    const charge = body.customer_usage.charges_usage[0];
    assert.deepEqual(Object.keys(charge), [
      'units', 'total_aggregated_units', 'events_count', 'amount_cents', 'amount_currency', 'pricing_unit_details', 'charge',
      'billable_metric', 'filters', 'grouped_usage', 'presentation_breakdowns',
    ]);
    assert.deepEqual(Object.keys(charge.charge), ['lago_id', 'code', 'charge_model', 'invoice_display_name']);
    assert.deepEqual(Object.keys(charge.billable_metric), ['lago_id', 'name', 'code', 'aggregation_type']);
  });

  test('apply_taxes is read as Rails casts a boolean', async () => {
    const cases: [string, number][] = [
      ['false', 0], ['0', 0], ['f', 0], ['off', 0], ['FALSE', 0], ['', 0],
      ['true', 1441], ['1', 1441], ['False', 1441], ['yes', 1441],
    ];
    for (const [value, taxes] of cases) {
      const res = await t.request(key, {
        method: 'GET',
        url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}&apply_taxes=${encodeURIComponent(value)}`,
      });
      assert.equal(res.json().customer_usage.taxes_amount_cents, taxes, `apply_taxes=${value}`);
    }
    const off = await currentUsage(client, CUS, SUB, { apply_taxes: false });
    assert.deepEqual([off.amount_cents, off.taxes_amount_cents, off.total_amount_cents], [7207, 0, 7207]);
  });

  test('charge filters: by charge code, charge id or metric code, in plan order; none matching is a 404', async () => {
    const byCode = await currentUsage(client, CUS, SUB, { charge_code: 'storage' });
    assert.deepEqual(byCode.charges_usage.map((c) => c.billable_metric.code), ['storage']);
    assert.equal(byCode.amount_cents, 495);
    const byMetric = await currentUsage(client, CUS, SUB, { billable_metric_code: 'users' });
    assert.deepEqual(byMetric.charges_usage.map((c) => c.amount_cents), [700]);
    const byId = await currentUsage(client, CUS, SUB, { charge_id: byMetric.charges_usage[0]!.charge.lago_id });
    assert.deepEqual(byId.charges_usage.map((c) => c.billable_metric.code), ['users']);
    // The id wins over the code, and the short name over the filter_by_ one.
    const both = await t.request(key, {
      method: 'GET',
      url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}&charge_code=storage&filter_by_charge_code=users`,
    });
    assert.deepEqual(both.json().customer_usage.charges_usage.map((c: { billable_metric: { code: string } }) => c.billable_metric.code), ['storage']);
    await assert.rejects(currentUsage(client, CUS, SUB, { charge_code: 'nope' }), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: { status: 404, error: 'Not Found', code: 'charge_not_found' } });
      return true;
    });
  });

  test('bad requests get Lago\'s errors and change nothing', async () => {
    const { key: otherKey } = await t.newOrganization();
    const otherClient = t.client(otherKey);
    const otherMetric = await createMetric(otherClient, { code: 'foreign_metric', aggregation_type: 'count_agg' });
    await createPlan(t, otherKey, 'foreign', [{ billable_metric_id: otherMetric, charge_model: 'standard', properties: { amount: '1' } }]);
    await subscribe(otherClient, { customer: 'foreign_cus', plan: 'foreign', subscription: 'foreign_sub', at: '2025-07-01T00:00:00Z' });
    await subscribe(client, { customer: 'cus_second', plan: 'main', subscription: 'sub_second', at: '2025-07-01T00:00:00Z' });
    await client.subscriptions.createSubscription({
      subscription: { external_customer_id: CUS, plan_code: 'main', external_id: 'sub_later', subscription_at: '2025-09-01T00:00:00Z' },
    });
    await subscribe(client, { customer: CUS, plan: 'main', subscription: 'sub_ended', at: '2025-07-01T00:00:00Z' });
    await t.database.db
      .update(subscriptions)
      .set({ status: 'terminated', terminatedAt: new Date('2025-07-10T00:00:00Z') })
      .where(and(eq(subscriptions.organizationId, orgId), eq(subscriptions.externalId, 'sub_ended')));

    const notFound = (code: string) => ({ status: 404, error: 'Not Found', code });
    const noSubscription = { status: 405, error: 'Method Not Allowed', code: 'no_active_subscription' };
    const cases: [string, string, number, object][] = [
      ['an unknown customer', `/customers/nobody/current_usage?external_subscription_id=${SUB}`, 404, notFound('customer_not_found')],
      ['another organization\'s customer', `/customers/foreign_cus/current_usage?external_subscription_id=foreign_sub`, 404, notFound('customer_not_found')],
      ['no external_subscription_id', `/customers/${CUS}/current_usage`, 405, noSubscription],
      ['an empty external_subscription_id', `/customers/${CUS}/current_usage?external_subscription_id=`, 405, noSubscription],
      ['an unknown subscription', `/customers/${CUS}/current_usage?external_subscription_id=nope`, 405, noSubscription],
      ['another customer\'s subscription', `/customers/${CUS}/current_usage?external_subscription_id=sub_second`, 405, noSubscription],
      ['a pending subscription', `/customers/${CUS}/current_usage?external_subscription_id=sub_later`, 405, noSubscription],
      ['a terminated subscription', `/customers/${CUS}/current_usage?external_subscription_id=sub_ended`, 405, noSubscription],
      ['a charge id that is no uuid', `/customers/${CUS}/current_usage?external_subscription_id=${SUB}&charge_id=abc`, 404, notFound('charge_not_found')],
      ['another organization\'s metric code', `/customers/${CUS}/current_usage?external_subscription_id=${SUB}&billable_metric_code=foreign_metric`, 404, notFound('charge_not_found')],
      ['full usage without a charge filter', `/customers/${CUS}/current_usage?external_subscription_id=${SUB}&full_usage=true`, 405, { status: 405, error: 'Method Not Allowed', code: 'full_usage_not_allowed' }],
      ['a NUL in the customer id', `/customers/a%00b/current_usage?external_subscription_id=${SUB}`, 404, { status: 404, error: 'Not Found', code: 'resource_not_found' }],
    ];
    const before = await snapshotDatabase(t.database);
    for (const [name, url, status, body] of cases) {
      const res = await t.request(key, { method: 'GET', url: `/api/v1${url}` });
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.deepEqual(res.json(), body, name);
    }
    assert.equal(await snapshotDatabase(t.database), before);
    // Without a key, nothing.
    const anonymous = await t.request(null, { method: 'GET', url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}` });
    assert.equal(anonymous.statusCode, 401);
  });

  test('a repeated parameter counts once, the last one winning, as in Rails', async () => {
    const res = await t.request(key, {
      method: 'GET',
      url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=nope&external_subscription_id=${SUB}&apply_taxes=true&apply_taxes=false`,
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual([res.json().customer_usage.amount_cents, res.json().customer_usage.taxes_amount_cents], [7207, 0]);
  });

  test('full usage with a charge filter reads from the subscription start', async () => {
    const res = await t.request(key, {
      method: 'GET',
      url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}&charge_code=${encodeURIComponent('api_calls')}&full_usage=true`,
    });
    // Charge codes default to the metric code; the June 30 event is before the start, August's after the period.
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().customer_usage.from_datetime, '2025-07-01T00:00:00Z');
    assert.equal(res.json().customer_usage.charges_usage[0].units, '12.0');
  });

  test('isolation: another organization never sees this usage, even under the same ids', async () => {
    const { key: otherKey } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    const other = t.client(otherKey);
    await assert.rejects(currentUsage(other, CUS, SUB), (e) => lagoError(e).body.code === 'customer_not_found');
    const metric = await createMetric(other, { code: 'api_calls', name: 'API calls', aggregation_type: 'count_agg' });
    await createPlan(t, otherKey, 'main', [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '100' } }]);
    await other.customers.createCustomer({ customer: { external_id: CUS } });
    await assert.rejects(currentUsage(other, CUS, SUB), (e) => lagoError(e).body.code === 'no_active_subscription');
    await subscribe(other, { customer: CUS, plan: 'main', subscription: SUB, at: '2025-07-01T00:00:00Z' });
    const usage = await currentUsage(other, CUS, SUB);
    assert.deepEqual(usage.charges_usage.map((c) => [c.billable_metric.code, c.units, c.amount_cents]), [['api_calls', '0.0', 0]]);
    await sendEvents(other, [{ external_subscription_id: SUB, code: 'api_calls', timestamp: at('2025-07-02T00:00:00Z') }]);
    assert.equal((await currentUsage(other, CUS, SUB)).amount_cents, 10000);
    // …and the first organization's usage is untouched by the other's event.
    assert.equal((await currentUsage(client, CUS, SUB)).amount_cents, 7207);
  });
});
