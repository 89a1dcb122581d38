import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

/**
 * One organization's key can never read, list, change or delete another's objects, nor use them by reference: every
 * such request is a 404 (or an empty list) and leaves the other organization's data as it was.
 */
describe('isolation between organizations', () => {
  let t: TestApp;
  let owner: string;
  let intruder: string;
  const ids = { metric: '', filter: '', appliedCoupon: '' };

  before(async () => {
    t = await startTestApp();
    ({ key: owner } = await t.newOrganization({ name: 'Owner' }));
    ({ key: intruder } = await t.newOrganization({ name: 'Intruder' }));
    const post = async (url: string, payload: object) => {
      const res = await t.request(owner, { method: 'POST', url, payload });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return res.json();
    };
    await post('/api/v1/taxes', { tax: { name: 'VAT', code: 'vat', rate: '20' } });
    await post('/api/v1/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 1000, amount_currency: 'EUR' } });
    ids.metric = (
      await post('/api/v1/billable_metrics', {
        billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb', filters: [{ key: 'region', values: ['us', 'eu'] }] },
      })
    ).billable_metric.lago_id;
    const plan = await post('/api/v1/plans', {
      plan: {
        name: 'Basic',
        code: 'basic',
        interval: 'monthly',
        amount_cents: 1000,
        amount_currency: 'EUR',
        pay_in_advance: false,
        charges: [
          {
            billable_metric_id: ids.metric,
            code: 'storage_charge',
            charge_model: 'standard',
            properties: { amount: '1' },
            filters: [{ values: { region: ['us'] }, properties: { amount: '2' } }],
          },
        ],
      },
    });
    const filters = await t.request(owner, { method: 'GET', url: '/api/v1/plans/basic/charges/storage_charge/filters' });
    ids.filter = filters.json().filters[0].lago_id;
    assert.equal(plan.plan.charges.length, 1);
    await post('/api/v1/customers', { customer: { external_id: 'cus_1', name: 'Jane', currency: 'EUR' } });
    await post('/api/v1/coupons', {
      coupon: { name: 'Welcome', code: 'welcome', coupon_type: 'percentage', percentage_rate: '10', frequency: 'once', expiration: 'no_expiration' },
    });
    ids.appliedCoupon = (await post('/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cus_1', coupon_code: 'welcome' } })).applied_coupon.lago_id;
    await post('/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_1', plan_code: 'basic', external_id: 'sub_1' } });
  });
  after(() => t.close());

  type Probe = [method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: () => string, payload: object | undefined, code: string];
  const probes: Probe[] = [
    ['GET', () => '/api/v1/taxes/vat', undefined, 'tax_not_found'],
    ['PUT', () => '/api/v1/taxes/vat', { tax: { name: 'stolen' } }, 'tax_not_found'],
    ['DELETE', () => '/api/v1/taxes/vat', undefined, 'tax_not_found'],
    ['GET', () => '/api/v1/add_ons/setup', undefined, 'add_on_not_found'],
    ['PUT', () => '/api/v1/add_ons/setup', { add_on: { name: 'stolen' } }, 'add_on_not_found'],
    ['DELETE', () => '/api/v1/add_ons/setup', undefined, 'add_on_not_found'],
    ['GET', () => '/api/v1/billable_metrics/storage', undefined, 'billable_metric_not_found'],
    ['PUT', () => '/api/v1/billable_metrics/storage', { billable_metric: { name: 'stolen' } }, 'billable_metric_not_found'],
    ['DELETE', () => '/api/v1/billable_metrics/storage', undefined, 'billable_metric_not_found'],
    ['GET', () => '/api/v1/plans/basic', undefined, 'plan_not_found'],
    ['PUT', () => '/api/v1/plans/basic', { plan: { name: 'stolen' } }, 'plan_not_found'],
    ['DELETE', () => '/api/v1/plans/basic', undefined, 'plan_not_found'],
    ['GET', () => '/api/v1/plans/basic/charges', undefined, 'plan_not_found'],
    ['POST', () => '/api/v1/plans/basic/charges', { charge: { billable_metric_id: ids.metric, code: 'x', charge_model: 'standard', properties: { amount: '1' } } }, 'plan_not_found'],
    ['GET', () => '/api/v1/plans/basic/charges/storage_charge', undefined, 'plan_not_found'],
    ['PUT', () => '/api/v1/plans/basic/charges/storage_charge', { charge: { charge_model: 'standard', properties: { amount: '9' } } }, 'plan_not_found'],
    ['DELETE', () => '/api/v1/plans/basic/charges/storage_charge', undefined, 'plan_not_found'],
    ['GET', () => '/api/v1/plans/basic/charges/storage_charge/filters', undefined, 'plan_not_found'],
    ['GET', () => `/api/v1/plans/basic/charges/storage_charge/filters/${ids.filter}`, undefined, 'plan_not_found'],
    ['PUT', () => `/api/v1/plans/basic/charges/storage_charge/filters/${ids.filter}`, { filter: { properties: { amount: '9' } } }, 'plan_not_found'],
    ['DELETE', () => `/api/v1/plans/basic/charges/storage_charge/filters/${ids.filter}`, undefined, 'plan_not_found'],
    ['GET', () => '/api/v1/customers/cus_1', undefined, 'customer_not_found'],
    ['DELETE', () => '/api/v1/customers/cus_1', undefined, 'customer_not_found'],
    ['GET', () => '/api/v1/customers/cus_1/applied_coupons', undefined, 'customer_not_found'],
    ['DELETE', () => `/api/v1/customers/cus_1/applied_coupons/${ids.appliedCoupon}`, undefined, 'customer_not_found'],
    ['GET', () => '/api/v1/customers/cus_1/subscriptions', undefined, 'customer_not_found'],
    ['GET', () => '/api/v1/coupons/welcome', undefined, 'coupon_not_found'],
    ['PUT', () => '/api/v1/coupons/welcome', { coupon: { name: 'stolen' } }, 'coupon_not_found'],
    ['DELETE', () => '/api/v1/coupons/welcome', undefined, 'coupon_not_found'],
    ['GET', () => '/api/v1/subscriptions/sub_1', undefined, 'subscription_not_found'],
    ['PUT', () => '/api/v1/subscriptions/sub_1', { subscription: { name: 'stolen' } }, 'subscription_not_found'],
    ['DELETE', () => '/api/v1/subscriptions/sub_1', undefined, 'subscription_not_found'],
    ['DELETE', () => '/api/v1/subscriptions/sub_1?status=pending', undefined, 'subscription_not_found'],
    // References to the owner's objects from the intruder's own requests
    ['POST', () => '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cus_1', coupon_code: 'welcome' } }, 'customer_not_found'],
    ['POST', () => '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_x', plan_code: 'basic', external_id: 'sub_x' } }, 'plan_not_found'],
    ['POST', () => '/api/v1/add_ons', { add_on: { name: 'A', code: 'a', amount_cents: 1, amount_currency: 'EUR', tax_codes: ['vat'] } }, 'tax_not_found'],
    [
      'POST',
      () => '/api/v1/plans',
      { plan: { name: 'P', code: 'p', interval: 'monthly', amount_cents: 1, amount_currency: 'EUR', pay_in_advance: false, charges: [{ billable_metric_id: ids.metric, charge_model: 'standard', properties: { amount: '1' } }] } },
      'billable_metrics_not_found',
    ],
  ];

  for (const [method, url, payload, code] of probes) {
    test(`${method} ${url().replace(/[0-9a-f-]{36}/, ':id')} with another key: 404 ${code}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await t.request(intruder, { method, url: url(), ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, 404, res.body);
      assert.deepEqual(res.json(), { status: 404, error: 'Not Found', code });
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('every list is empty for another key', async () => {
    const lists: Array<[string, string]> = [
      ['/api/v1/taxes', 'taxes'],
      ['/api/v1/add_ons', 'add_ons'],
      ['/api/v1/billable_metrics', 'billable_metrics'],
      ['/api/v1/plans', 'plans'],
      ['/api/v1/customers', 'customers'],
      ['/api/v1/coupons', 'coupons'],
      ['/api/v1/applied_coupons', 'applied_coupons'],
      ['/api/v1/subscriptions?status[]=active&status[]=pending&status[]=terminated&status[]=canceled', 'subscriptions'],
    ];
    for (const [url, key] of lists) {
      const mine = await t.request(owner, { method: 'GET', url });
      assert.equal(mine.json()[key].length, 1, `${url} for the owner`);
      const theirs = await t.request(intruder, { method: 'GET', url });
      assert.equal(theirs.statusCode, 200);
      assert.deepEqual(theirs.json()[key], [], url);
      assert.equal(theirs.json().meta.total_count, 0, url);
    }
  });

  test("the same external id in another organization is another customer", async () => {
    const res = await t.request(intruder, { method: 'POST', url: '/api/v1/customers', payload: { customer: { external_id: 'cus_1', name: 'Mallory' } } });
    assert.equal(res.statusCode, 200);
    const mine = await t.request(owner, { method: 'GET', url: '/api/v1/customers/cus_1' });
    assert.equal(mine.json().customer.name, 'Jane');
    assert.notEqual(res.json().customer.lago_id, mine.json().customer.lago_id);
  });
});
