import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppliedCouponObject, AppliedCouponObjectExtended, CouponBaseInput } from 'lago-javascript-client';
import { terminateExpiredCoupons } from '../../src/modules/coupons/service.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { insertCharge, insertMetric, insertPlan } from './coupons-factory.ts';

const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const UNPROCESSABLE = (details: Record<string, unknown>) => ({
  status: 422,
  error: 'Unprocessable Entity',
  code: 'validation_errors',
  error_details: details,
});
const fixed = (code: string, extra: CouponBaseInput = {}): { coupon: CouponBaseInput } => ({
  coupon: { name: `Coupon ${code}`, code, coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration', ...extra },
});
const percentage = (code: string, extra: CouponBaseInput = {}): { coupon: CouponBaseInput } => ({
  coupon: { name: `Coupon ${code}`, code, coupon_type: 'percentage', percentage_rate: '10', frequency: 'forever', expiration: 'no_expiration', ...extra },
});

describe('applied coupons through the Lago client', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Applier', testClock: '2024-03-01T10:00:00Z' }));
    const startup = await insertPlan(t.database, orgId, 'startup');
    await insertPlan(t.database, orgId, 'scale');
    const apiCalls = await insertMetric(t.database, orgId, 'api_calls');
    await insertMetric(t.database, orgId, 'storage');
    await insertCharge(t.database, orgId, startup, apiCalls);
    const client = t.client(key);
    await client.coupons.createCoupon(fixed('fixed10'));
    await client.coupons.createCoupon(fixed('usd5', { amount_cents: 500, amount_currency: 'USD' }));
    await client.coupons.createCoupon(fixed('one_shot', { reusable: false }));
    await client.coupons.createCoupon(percentage('pct', { frequency: 'recurring', frequency_duration: 3 }));
    await client.coupons.createCoupon(percentage('on_startup', { applies_to: { plan_codes: ['startup'] } }));
    await client.coupons.createCoupon(percentage('on_api_calls', { applies_to: { billable_metric_codes: ['api_calls'] } }));
    await client.coupons.createCoupon(percentage('on_storage', { applies_to: { billable_metric_codes: ['storage'] } }));
    await client.coupons.createCoupon(fixed('short_lived', { expiration: 'time_limit', expiration_at: '2024-03-01T12:00:00Z' }));
    await client.coupons.createCoupon(fixed('ended', { expiration: 'time_limit', expiration_at: '2024-03-01T11:00:00Z' }));
    await client.coupons.createCoupon(fixed('deleted'));
    await client.coupons.destroyCoupon('deleted');
    for (const external_id of ['alice', 'bob', 'carol', 'dave']) await client.customers.createCustomer({ customer: { external_id } });
  });
  after(() => t.close());

  test('applies coupons with their terms or overrides; a fixed amount gives the customer its currency', async () => {
    const client = t.client(key);
    const res = await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'alice', coupon_code: 'fixed10' } });
    const applied: AppliedCouponObject = res.data.applied_coupon;
    const coupon = (await client.coupons.findCoupon('fixed10')).data.coupon;
    const customer = (await client.customers.findCustomer('alice')).data.customer;
    assert.deepEqual(
      { ...applied, lago_id: undefined },
      {
        lago_id: undefined,
        lago_coupon_id: coupon.lago_id,
        coupon_code: 'fixed10',
        coupon_name: 'Coupon fixed10',
        coupon_description: null,
        coupon_status: 'active',
        coupon_deleted_at: null,
        lago_customer_id: customer.lago_id,
        external_customer_id: 'alice',
        status: 'active',
        amount_cents: 1000,
        amount_cents_remaining: 1000,
        amount_currency: 'EUR',
        percentage_rate: null,
        frequency: 'once',
        frequency_duration: null,
        frequency_duration_remaining: null,
        expiration_at: null,
        created_at: '2024-03-01T10:00:00Z',
        terminated_at: null,
      },
    );
    assert.equal(customer.currency, 'EUR');

    const cheaper = (
      await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'alice', coupon_code: 'fixed10', amount_cents: 250, amount_currency: 'EUR' } })
    ).data.applied_coupon;
    assert.deepEqual([cheaper.amount_cents, cheaper.amount_cents_remaining], [250, 250]);
    const recurring = (
      await client.appliedCoupons.applyCoupon({
        applied_coupon: { external_customer_id: 'alice', coupon_code: 'pct', percentage_rate: '15.5', frequency_duration: 6 },
      })
    ).data.applied_coupon;
    assert.deepEqual(
      [recurring.percentage_rate, recurring.frequency, recurring.frequency_duration, recurring.frequency_duration_remaining, recurring.amount_cents, recurring.amount_cents_remaining],
      ['15.5', 'recurring', 6, 6, null, null],
    );
    const forever = (
      await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'bob', coupon_code: 'fixed10', frequency: 'forever', amount_cents: null } })
    ).data.applied_coupon;
    assert.deepEqual([forever.frequency, forever.amount_cents, forever.amount_cents_remaining], ['forever', 1000, null]);
    const shortLived = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'bob', coupon_code: 'short_lived' } })).data
      .applied_coupon;
    assert.equal(shortLived.expiration_at, '2024-03-01T12:00:00Z');
  });

  test('lists with Lago filters and pagination, for everyone or one customer', async () => {
    const { key: own } = await t.newOrganization({ name: 'Lists', testClock: '2024-01-01T00:00:00Z' });
    const client = t.client(own);
    await client.coupons.createCoupon(fixed('a'));
    await client.coupons.createCoupon(percentage('b'));
    await client.customers.createCustomer({ customer: { external_id: 'x' } });
    await client.customers.createCustomer({ customer: { external_id: 'y' } });
    const apply = async (customer: string, coupon: string, at: string) => {
      await t.request(own, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: at } } });
      return (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: customer, coupon_code: coupon } })).data.applied_coupon;
    };
    const xa = await apply('x', 'a', '2024-01-02T00:00:00Z');
    const xb = await apply('x', 'b', '2024-01-03T00:00:00Z');
    const ya = await apply('y', 'a', '2024-01-04T00:00:00Z');
    await client.customers.deleteAppliedCoupon('x', xb.lago_id);

    const ids = (list: AppliedCouponObjectExtended[]) => list.map((a) => a.lago_id);
    const all = (await client.appliedCoupons.findAllAppliedCoupons()).data;
    assert.deepEqual(ids(all.applied_coupons), [ya.lago_id, xb.lago_id, xa.lago_id]);
    assert.deepEqual(all.applied_coupons[0]!.credits, []);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ status: 'active' })).data.applied_coupons), [ya.lago_id, xa.lago_id]);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ status: 'terminated' })).data.applied_coupons), [xb.lago_id]);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ external_customer_id: 'x' })).data.applied_coupons), [xb.lago_id, xa.lago_id]);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ external_customer_id: 'nobody' })).data.applied_coupons), []);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ 'coupon_code[]': ['a'] })).data.applied_coupons), [ya.lago_id, xa.lago_id]);
    assert.deepEqual(ids((await client.appliedCoupons.findAllAppliedCoupons({ 'coupon_code[]': ['a', 'b'], status: 'active' })).data.applied_coupons), [
      ya.lago_id,
      xa.lago_id,
    ]);
    const page = (await client.appliedCoupons.findAllAppliedCoupons({ page: 2, per_page: 2 })).data;
    assert.deepEqual(ids(page.applied_coupons), [xa.lago_id]);
    assert.deepEqual(page.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
    const ignored = await t.request(own, { method: 'GET', url: '/api/v1/applied_coupons?status=paused&status2=x' });
    assert.equal(ignored.json().meta.total_count, 3, 'an unknown status is ignored, as in Lago');

    const mine = (await client.customers.findAllCustomerAppliedCoupons('x', { status: 'active' })).data;
    assert.deepEqual(ids(mine.applied_coupons), [xa.lago_id]);
    const coupons = (await client.customers.findAllCustomerAppliedCoupons('y', { 'coupon_code[]': ['b'] })).data;
    assert.deepEqual(coupons.applied_coupons, []);
    const forced = await t.request(own, { method: 'GET', url: '/api/v1/customers/y/applied_coupons?external_customer_id=x' });
    assert.deepEqual(forced.json().applied_coupons.map((a: { lago_id: string }) => a.lago_id), [ya.lago_id], 'the path names the customer');
  });

  test('a coupon that is not reusable is applied once even under concurrent requests', async () => {
    const client = t.client(key);
    await client.coupons.createCoupon(fixed('race_once', { reusable: false }));
    await client.customers.createCustomer({ customer: { external_id: 'racer' } });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.request(key, { method: 'POST', url: '/api/v1/applied_coupons', payload: { applied_coupon: { external_customer_id: 'racer', coupon_code: 'race_once' } } }),
      ),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 422, 422, 422, 422]);
    assert.deepEqual(results.find((r) => r.statusCode === 422)!.json(), UNPROCESSABLE({ coupon: ['coupon_is_not_reusable'] }));
  });

  test('terminating through the customer route is idempotent', async () => {
    const client = t.client(key);
    const applied = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'carol', coupon_code: 'pct' } })).data.applied_coupon;
    const ended = (await client.customers.deleteAppliedCoupon('carol', applied.lago_id)).data.applied_coupon;
    assert.equal(ended.status, 'terminated');
    assert.equal(ended.terminated_at, '2024-03-01T10:00:00Z');
    assert.equal('credits' in ended, false);
    await t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: '2024-03-01T10:30:00Z' } } });
    const again = (await client.customers.deleteAppliedCoupon('carol', applied.lago_id)).data.applied_coupon;
    assert.equal(again.terminated_at, '2024-03-01T10:00:00Z');
  });

  test('bad requests get Lago answers and change nothing', async () => {
    const client = t.client(key);
    await client.customers.createCustomer({ customer: { external_id: 'eve', currency: 'EUR' } });
    const used = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'eve', coupon_code: 'one_shot' } })).data.applied_coupon;
    await client.customers.deleteAppliedCoupon('eve', used.lago_id);
    await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'eve', coupon_code: 'on_startup' } });
    const dave = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'dave', coupon_code: 'pct' } })).data.applied_coupon;
    await t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: '2024-03-01T12:00:00Z' } } });
    await terminateExpiredCoupons(t.database.db, orgId, new Date('2024-03-01T11:30:00Z'));

    const apply = (body: Record<string, unknown>) => ({ applied_coupon: { external_customer_id: 'eve', ...body } });
    const cases: { name: string; method?: 'POST' | 'DELETE' | 'GET'; url?: string; payload?: unknown; status: number; body: unknown }[] = [
      { name: 'no root key', payload: {}, status: 400, body: { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: applied_coupon' } },
      { name: 'unknown customer', payload: { applied_coupon: { external_customer_id: 'nobody', coupon_code: 'fixed10' } }, status: 404, body: NOT_FOUND('customer_not_found') },
      { name: 'no customer given', payload: { applied_coupon: { coupon_code: 'fixed10' } }, status: 404, body: NOT_FOUND('customer_not_found') },
      { name: 'unknown coupon', payload: apply({ coupon_code: 'nope' }), status: 404, body: NOT_FOUND('coupon_not_found') },
      { name: 'deleted coupon', payload: apply({ coupon_code: 'deleted' }), status: 404, body: NOT_FOUND('coupon_not_found') },
      { name: 'terminated coupon', payload: apply({ coupon_code: 'ended' }), status: 404, body: NOT_FOUND('coupon_not_found') },
      { name: 'expired, not yet terminated', payload: apply({ coupon_code: 'short_lived' }), status: 404, body: NOT_FOUND('coupon_not_found') },
      { name: 'not reusable', payload: apply({ coupon_code: 'one_shot' }), status: 422, body: UNPROCESSABLE({ coupon: ['coupon_is_not_reusable'] }) },
      { name: 'another currency', payload: apply({ coupon_code: 'usd5' }), status: 422, body: UNPROCESSABLE({ currency: ['currencies_does_not_match'] }) },
      {
        name: 'another currency by override',
        payload: apply({ coupon_code: 'fixed10', amount_currency: 'NOK' }),
        status: 422,
        body: UNPROCESSABLE({ currency: ['currencies_does_not_match'] }),
      },
      { name: 'bad currency override', payload: apply({ coupon_code: 'fixed10', amount_currency: 'nok' }), status: 422, body: UNPROCESSABLE({ amount_currency: ['value_is_invalid'] }) },
      { name: 'negative amount', payload: apply({ coupon_code: 'fixed10', amount_cents: -1 }), status: 422, body: UNPROCESSABLE({ amount_cents: ['value_is_out_of_range'] }) },
      { name: 'unknown frequency', payload: apply({ coupon_code: 'fixed10', frequency: 'weekly' }), status: 422, body: UNPROCESSABLE({ frequency: ['value_is_invalid'] }) },
      {
        name: 'recurring without duration',
        payload: apply({ coupon_code: 'fixed10', frequency: 'recurring' }),
        status: 422,
        body: UNPROCESSABLE({
          frequency_duration: ['value_is_mandatory', 'is not a number'],
          frequency_duration_remaining: ['value_is_mandatory', 'is not a number'],
        }),
      },
      { name: 'rate as garbage', payload: apply({ coupon_code: 'pct', percentage_rate: 'ten' }), status: 422, body: UNPROCESSABLE({ percentage_rate: ['value_is_invalid'] }) },
      {
        name: 'same plan twice',
        payload: apply({ coupon_code: 'on_startup' }),
        status: 405,
        body: { status: 405, error: 'Method Not Allowed', code: 'plan_overlapping' },
      },
      {
        name: 'a metric the limited plan charges',
        payload: apply({ coupon_code: 'on_api_calls' }),
        status: 405,
        body: { status: 405, error: 'Method Not Allowed', code: 'plan_overlapping' },
      },
      { name: 'delete: not a uuid', method: 'DELETE', url: '/api/v1/customers/eve/applied_coupons/123', status: 404, body: NOT_FOUND('applied_coupon_not_found') },
      { name: 'delete: unknown customer', method: 'DELETE', url: `/api/v1/customers/nobody/applied_coupons/${dave.lago_id}`, status: 404, body: NOT_FOUND('customer_not_found') },
      {
        name: "delete: another customer's coupon",
        method: 'DELETE',
        url: `/api/v1/customers/eve/applied_coupons/${dave.lago_id}`,
        status: 404,
        body: NOT_FOUND('applied_coupon_not_found'),
      },
      { name: 'delete without customer', method: 'DELETE', url: `/api/v1/applied_coupons/${dave.lago_id}`, status: 404, body: NOT_FOUND('resource_not_found') },
      { name: 'nested list: unknown customer', method: 'GET', url: '/api/v1/customers/nobody/applied_coupons', status: 404, body: NOT_FOUND('customer_not_found') },
    ];
    const before = await snapshotDatabase(t.database);
    for (const c of cases) {
      const res = await t.request(key, {
        method: c.method ?? 'POST',
        url: c.url ?? '/api/v1/applied_coupons',
        ...(c.payload !== undefined && { payload: c.payload as object }),
      });
      assert.equal(res.statusCode, c.status, `${c.name}: ${res.body}`);
      assert.deepEqual(res.json(), c.body, c.name);
    }
    assert.equal(await snapshotDatabase(t.database), before);

    // A metric coupon that does not overlap applies fine next to the plan one.
    const storage = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'eve', coupon_code: 'on_storage' } })).data.applied_coupon;
    assert.equal(storage.status, 'active');
  });

  test("a coupon of one organization never reaches another organization's customers", async () => {
    const client = t.client(key);
    const { key: other } = await t.newOrganization({ name: 'Other' });
    const intruder = t.client(other);
    await intruder.customers.createCustomer({ customer: { external_id: 'alice' } });
    await intruder.coupons.createCoupon(fixed('theirs'));
    const expect404 = async (call: () => Promise<unknown>, code: string) =>
      assert.rejects(call(), (e) => {
        assert.deepEqual(lagoError(e), { status: 404, body: NOT_FOUND(code) });
        return true;
      });
    // Their customer "alice", our coupon code: the coupon is unknown to them.
    await expect404(() => intruder.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'alice', coupon_code: 'fixed10' } }), 'coupon_not_found');
    // Their coupon, a customer only we have.
    await expect404(() => intruder.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'bob', coupon_code: 'theirs' } }), 'customer_not_found');
    // Our customer "alice" with their coupon, through our key: unknown to us.
    await expect404(() => client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'alice', coupon_code: 'theirs' } }), 'coupon_not_found');

    const ours = (await client.customers.findAllCustomerAppliedCoupons('alice')).data.applied_coupons;
    assert.ok(ours.length > 0);
    const theirs = await intruder.appliedCoupons.findAllAppliedCoupons();
    assert.deepEqual(theirs.data.applied_coupons, []);
    assert.deepEqual((await intruder.customers.findAllCustomerAppliedCoupons('alice')).data.applied_coupons, []);
    await expect404(() => intruder.customers.findAllCustomerAppliedCoupons('bob'), 'customer_not_found');
    await expect404(() => intruder.customers.deleteAppliedCoupon('alice', ours[0]!.lago_id), 'applied_coupon_not_found');
    await expect404(() => intruder.customers.deleteAppliedCoupon('bob', ours[0]!.lago_id), 'customer_not_found');
    assert.equal((await client.customers.findAllCustomerAppliedCoupons('alice')).data.applied_coupons[0]!.status, ours[0]!.status);
  });
});
