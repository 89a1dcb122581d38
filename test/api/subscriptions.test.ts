import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SubscriptionObject, SubscriptionObjectExtended } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

describe('subscriptions (create and read)', () => {
  let t: TestApp;
  let key: string;

  const setupCatalog = async (k: string) => {
    const client = t.client(k);
    const metric = await client.billableMetrics.createBillableMetric({
      billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' },
    });
    for (const [code, currency, amount] of [['basic', 'EUR', 1000], ['premium', 'EUR', 5000], ['dollars', 'USD', 1000]] as const) {
      await client.plans.createPlan({
        plan: {
          name: code,
          code,
          interval: 'monthly',
          amount_cents: amount,
          amount_currency: currency,
          pay_in_advance: false,
          charges: [{ billable_metric_id: metric.data.billable_metric.lago_id, charge_model: 'standard', properties: { amount: '0.01' } }],
        },
      });
    }
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ testClock: '2024-03-10T10:00:00Z' }));
    await setupCatalog(key);
  });
  after(() => t.close());

  test('a subscription for an unknown customer creates the customer, takes the plan currency and starts today', async () => {
    const client = t.client(key);
    const res = await client.subscriptions.createSubscription({
      subscription: { external_customer_id: 'cus_new', plan_code: 'basic', external_id: 'sub_1', name: 'Main' },
    });
    const sub: SubscriptionObjectExtended = res.data.subscription;
    assert.equal(sub.status, 'active');
    assert.equal(sub.external_customer_id, 'cus_new');
    assert.equal(sub.plan_code, 'basic');
    assert.equal(sub.plan_amount_cents, 1000);
    assert.equal(sub.plan_amount_currency, 'EUR');
    assert.equal(sub.billing_time, 'calendar');
    assert.equal(sub.subscription_at, '2024-03-10T10:00:00Z');
    assert.equal(sub.started_at, '2024-03-10T10:00:00.000Z');
    assert.equal(sub.current_billing_period_started_at, '2024-03-10T10:00:00Z');
    assert.equal(sub.current_billing_period_ending_at, '2024-03-31T23:59:59Z');
    assert.equal(sub.plan?.code, 'basic');
    assert.equal(sub.plan?.charges?.length, 1);

    const customer = await client.customers.findCustomer('cus_new');
    assert.equal(customer.data.customer.currency, 'EUR');

    // The same request again answers the same subscription.
    const again = await client.subscriptions.createSubscription({
      subscription: { external_customer_id: 'cus_new', plan_code: 'basic', external_id: 'sub_1' },
    });
    assert.equal(again.data.subscription.lago_id, sub.lago_id);

    const found = await client.subscriptions.findSubscription('sub_1');
    assert.equal(found.data.subscription.lago_id, sub.lago_id);
  });

  test('anniversary billing, a past start and a future start', async () => {
    const client = t.client(key);
    const past = await client.subscriptions.createSubscription({
      subscription: {
        external_customer_id: 'cus_dates',
        plan_code: 'basic',
        external_id: 'sub_past',
        billing_time: 'anniversary',
        subscription_at: '2024-01-31T08:00:00Z',
      },
    });
    const p: SubscriptionObject = past.data.subscription;
    assert.equal(p.status, 'active');
    assert.equal(p.started_at, '2024-01-31T08:00:00.000Z');
    // Anniversary on the 31st: February's period runs Feb 29 to Mar 30 in a leap year.
    assert.equal(p.current_billing_period_started_at, '2024-02-29T00:00:00Z');
    assert.equal(p.current_billing_period_ending_at, '2024-03-30T23:59:59Z');

    const future = await client.subscriptions.createSubscription({
      subscription: { external_customer_id: 'cus_dates', plan_code: 'basic', external_id: 'sub_future', subscription_at: '2024-04-01T00:00:00Z', ending_at: '2024-12-31T00:00:00Z' },
    });
    const f = future.data.subscription;
    assert.equal(f.status, 'pending');
    assert.equal(f.started_at, null);
    assert.equal(f.ending_at, '2024-12-31T00:00:00Z');
    assert.equal(f.current_billing_period_started_at, null);

    await assert.rejects(client.subscriptions.findSubscription('sub_future'), (e) => lagoError(e).body.code === 'subscription_not_found');
    const pending = await client.subscriptions.findSubscription('sub_future', { status: 'pending' });
    assert.equal(pending.data.subscription.lago_id, f.lago_id);

    const active = await client.subscriptions.findAllSubscriptions({ external_customer_id: 'cus_dates' });
    assert.deepEqual(active.data.subscriptions.map((s) => s.external_id), ['sub_past']);
    const both = await client.subscriptions.findAllSubscriptions({ external_customer_id: 'cus_dates', 'status[]': ['active', 'pending'] });
    assert.deepEqual(both.data.subscriptions.map((s) => s.external_id), ['sub_future', 'sub_past']);
    const onlyPending = await client.subscriptions.findAllSubscriptions({ 'status[]': ['pending'] });
    assert.deepEqual(onlyPending.data.subscriptions.map((s) => s.external_id), ['sub_future']);
    const byCustomer = await client.customers.findAllCustomerSubscriptions('cus_dates', { 'status[]': ['pending', 'active'], per_page: 1 });
    assert.equal(byCustomer.data.subscriptions.length, 1);
    assert.deepEqual(byCustomer.data.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 2 });
    const byPlan = await client.subscriptions.findAllSubscriptions({ plan_code: 'premium' });
    assert.deepEqual(byPlan.data.subscriptions, []);
  });

  test('an external id live for another customer is refused', async () => {
    const client = t.client(key);
    await client.subscriptions.createSubscription({ subscription: { external_customer_id: 'cus_a', plan_code: 'basic', external_id: 'shared' } });
    await assert.rejects(
      client.subscriptions.createSubscription({ subscription: { external_customer_id: 'cus_b', plan_code: 'basic', external_id: 'shared' } }),
      (e) => {
        assert.deepEqual(lagoError(e).body.error_details, { external_id: ['value_already_exist'] });
        return true;
      },
    );
  });

  const bad: Array<[string, unknown, number, unknown]> = [
    ['missing wrapper', { plan_code: 'basic' }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: subscription' }],
    ['unknown plan', { subscription: { external_customer_id: 'c1', plan_code: 'nope', external_id: 's1' } }, 404, { status: 404, error: 'Not Found', code: 'plan_not_found' }],
    ['no plan code', { subscription: { external_customer_id: 'c1', external_id: 's1' } }, 404, { status: 404, error: 'Not Found', code: 'plan_not_found' }],
    ['bad subscription_at', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', subscription_at: '2022-99-99T00:00:00Z' } }, 422, { subscription_at: ['invalid_date'] }],
    ['ending_at before the start', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', subscription_at: '2024-05-01T00:00:00Z', ending_at: '2024-04-01T00:00:00Z' } }, 422, { ending_at: ['invalid_date'] }],
    ['ending_at in the past', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', ending_at: '2024-01-01T00:00:00Z' } }, 422, { ending_at: ['invalid_date'] }],
    ['no customer', { subscription: { plan_code: 'basic', external_id: 's1' } }, 422, { external_customer_id: ['value_is_mandatory'] }],
    ['no external id', { subscription: { external_customer_id: 'c1', plan_code: 'basic' } }, 422, { external_id: ['value_is_mandatory'] }],
    ['unknown billing time', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', billing_time: 'weekly' } }, 422, { billing_time: ['value_is_invalid'] }],
    ['billing time of the wrong type', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', billing_time: 1 } }, 422, { billing_time: ['value_is_invalid'] }],
    ['name of the wrong type', { subscription: { external_customer_id: 'c1', plan_code: 'basic', external_id: 's1', name: ['x'] } }, 422, { name: ['value_is_invalid'] }],
    ['a plan in another currency than the customer', { subscription: { external_customer_id: 'cus_eur', plan_code: 'dollars', external_id: 's_usd' } }, 422, { currency: ['currencies_does_not_match'] }],
  ];
  for (const [name, payload, status, expected] of bad) {
    test(`refused: ${name}`, async () => {
      await t.client(key).customers.createCustomer({ customer: { external_id: 'cus_eur', currency: 'EUR' } });
      await t.client(key).subscriptions.createSubscription({ subscription: { external_customer_id: 'cus_eur', plan_code: 'basic', external_id: 's_eur' } });
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, { method: 'POST', url: '/api/v1/subscriptions', payload: payload as object });
      assert.equal(res.statusCode, status);
      if (status === 422) assert.deepEqual(res.json(), { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: expected });
      else assert.deepEqual(res.json(), expected);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test("another organization can neither see these subscriptions nor subscribe to this organization's plans", async () => {
    const client = t.client(key);
    await client.subscriptions.createSubscription({ subscription: { external_customer_id: 'cus_iso', plan_code: 'basic', external_id: 'sub_iso' } });
    const { key: other } = await t.newOrganization({ name: 'Other' });
    const get = await t.request(other, { method: 'GET', url: '/api/v1/subscriptions/sub_iso' });
    assert.equal(get.statusCode, 404);
    assert.equal(get.json().code, 'subscription_not_found');
    const list = await t.request(other, { method: 'GET', url: '/api/v1/subscriptions?status[]=active&status[]=pending' });
    assert.deepEqual(list.json().subscriptions, []);
    const scoped = await t.request(other, { method: 'GET', url: '/api/v1/customers/cus_iso/subscriptions' });
    assert.equal(scoped.statusCode, 404);
    assert.equal(scoped.json().code, 'customer_not_found');
    const subscribe = await t.request(other, {
      method: 'POST',
      url: '/api/v1/subscriptions',
      payload: { subscription: { external_customer_id: 'cus_iso', plan_code: 'basic', external_id: 'sub_iso' } },
    });
    assert.equal(subscribe.statusCode, 404);
    assert.equal(subscribe.json().code, 'plan_not_found');
  });
});
