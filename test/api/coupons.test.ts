import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CouponObject } from 'lago-javascript-client';
import { terminateExpiredCoupons } from '../../src/modules/coupons/service.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { insertMetric, insertPlan } from './coupons-factory.ts';

const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const UNPROCESSABLE = (details: Record<string, unknown>) => ({
  status: 422,
  error: 'Unprocessable Entity',
  code: 'validation_errors',
  error_details: details,
});
const missingRoot = { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: coupon' };
const fixed = { name: 'Ten off', coupon_type: 'fixed_amount', amount_cents: 1000, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration' } as const;

describe('coupons through the Lago client', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Coupons Co', testClock: '2024-03-01T10:00:00Z' }));
    const startupId = await insertPlan(t.database, orgId, 'startup');
    await insertPlan(t.database, orgId, 'startup', { parentId: startupId, name: 'Override of startup' });
    await insertPlan(t.database, orgId, 'scale');
    await insertPlan(t.database, orgId, 'retired', { deletedAt: new Date('2024-02-01T00:00:00Z') });
    await insertMetric(t.database, orgId, 'api_calls');
    await insertMetric(t.database, orgId, 'storage');
    await insertMetric(t.database, orgId, 'old_metric', { deletedAt: new Date('2024-02-01T00:00:00Z') });
  });
  after(() => t.close());

  test('creates each kind of coupon', async () => {
    const client = t.client(key);
    const once: CouponObject = (await client.coupons.createCoupon({ coupon: { ...fixed, code: 'ten_once', description: 'Welcome' } })).data.coupon;
    assert.deepEqual(
      { ...once, lago_id: undefined },
      {
        lago_id: undefined,
        name: 'Ten off',
        code: 'ten_once',
        description: 'Welcome',
        coupon_type: 'fixed_amount',
        amount_cents: 1000,
        amount_currency: 'EUR',
        percentage_rate: null,
        frequency: 'once',
        frequency_duration: null,
        reusable: true,
        limited_plans: false,
        limited_billable_metrics: false,
        plan_codes: [],
        billable_metric_codes: [],
        created_at: '2024-03-01T10:00:00Z',
        expiration: 'no_expiration',
        expiration_at: null,
        terminated_at: null,
      },
    );

    const recurring = (
      await client.coupons.createCoupon({
        coupon: {
          name: 'Twelve and a half',
          code: 'pct_recurring',
          coupon_type: 'percentage',
          percentage_rate: '12.5',
          frequency: 'recurring',
          frequency_duration: 3,
          expiration: 'time_limit',
          expiration_at: '2024-12-31T23:59:59Z',
          reusable: false,
          applies_to: { plan_codes: ['startup', 'scale', 'startup'] },
        },
      })
    ).data.coupon;
    assert.equal(recurring.percentage_rate, '12.5');
    assert.equal(recurring.amount_cents, null);
    assert.equal(recurring.frequency_duration, 3);
    assert.equal(recurring.expiration_at, '2024-12-31T23:59:59Z');
    assert.equal(recurring.reusable, false);
    assert.equal(recurring.limited_plans, true);
    assert.deepEqual(recurring.plan_codes, ['startup', 'scale']);

    const forever = (
      await client.coupons.createCoupon({
        coupon: {
          name: 'Twenty forever',
          code: 'pct_forever',
          coupon_type: 'percentage',
          percentage_rate: '20',
          frequency: 'forever',
          expiration: 'no_expiration',
          applies_to: { billable_metric_codes: ['storage', 'api_calls'] },
        },
      })
    ).data.coupon;
    assert.equal(forever.percentage_rate, '20.0');
    assert.equal(forever.limited_billable_metrics, true);
    assert.deepEqual(forever.billable_metric_codes, ['storage', 'api_calls']);

    // Lago's lenient date parsing and its number-or-string rate.
    const raw = await t.request(key, {
      method: 'POST',
      url: '/api/v1/coupons',
      payload: { coupon: { name: 'Raw', code: 'raw/slash', coupon_type: 'percentage', percentage_rate: 7.123456, frequency: 'once', expiration: 'time_limit', expiration_at: '2064-12-13 12:00:00' } },
    });
    assert.equal(raw.statusCode, 200, raw.body);
    assert.equal(raw.json().coupon.percentage_rate, '7.12346');
    assert.equal(raw.json().coupon.expiration_at, '2064-12-13T12:00:00Z');
    const bySlash = await client.coupons.findCoupon('raw/slash');
    assert.equal(bySlash.data.coupon.code, 'raw/slash', 'codes may hold slashes, as Lago routes them');
  });

  test('read, update before and after the coupon is applied', async () => {
    const client = t.client(key);
    await client.coupons.createCoupon({ coupon: { ...fixed, code: 'editable', applies_to: { plan_codes: ['startup'] } } });
    const found = (await client.coupons.findCoupon('editable')).data.coupon;
    assert.deepEqual(found.plan_codes, ['startup']);

    const switched = (
      await client.coupons.updateCoupon('editable', {
        coupon: { code: 'edited', coupon_type: 'percentage', percentage_rate: '5', frequency: 'forever', applies_to: { billable_metric_codes: ['storage'] } },
      })
    ).data.coupon;
    assert.equal(switched.code, 'edited');
    assert.equal(switched.coupon_type, 'percentage');
    assert.equal(switched.percentage_rate, '5.0');
    assert.equal(switched.amount_cents, null);
    assert.deepEqual([switched.limited_plans, switched.limited_billable_metrics], [false, true]);
    assert.deepEqual(switched.plan_codes, []);
    assert.deepEqual(switched.billable_metric_codes, ['storage']);
    const renamed = (await client.coupons.updateCoupon('edited', { coupon: { name: 'Renamed' } })).data.coupon;
    assert.deepEqual(renamed.billable_metric_codes, ['storage'], 'an update without applies_to keeps the limits');
    const cleared = (await client.coupons.updateCoupon('edited', { coupon: { applies_to: { billable_metric_codes: [] } } })).data.coupon;
    assert.deepEqual([cleared.limited_plans, cleared.limited_billable_metrics, cleared.billable_metric_codes], [false, false, []]);

    await client.customers.createCustomer({ customer: { external_id: 'holder' } });
    await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'holder', coupon_code: 'edited' } });
    const frozen = (
      await client.coupons.updateCoupon('edited', {
        coupon: {
          name: 'Still editable',
          description: 'yes',
          expiration: 'time_limit',
          expiration_at: '2025-01-01T00:00:00Z',
          code: 'ignored',
          percentage_rate: '50',
          reusable: false,
          applies_to: { plan_codes: ['scale'] },
        },
      })
    ).data.coupon;
    assert.equal(frozen.name, 'Still editable');
    assert.equal(frozen.description, 'yes');
    assert.equal(frozen.expiration, 'time_limit');
    assert.equal(frozen.expiration_at, '2025-01-01T00:00:00Z');
    assert.equal(frozen.code, 'edited', 'terms of an applied coupon are silently kept');
    assert.equal(frozen.percentage_rate, '5.0');
    assert.equal(frozen.reusable, true);
    assert.deepEqual(frozen.plan_codes, []);
  });

  test('lists active before terminated, unlimited before time-limited, soonest expiry first, then newest', async () => {
    const { key: own, id } = await t.newOrganization({ name: 'Order', testClock: '2024-01-01T00:00:00Z' });
    const at = async (time: string) =>
      t.request(own, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: time } } });
    const make = async (code: string, extra: Record<string, unknown> = {}) => {
      const res = await t.request(own, { method: 'POST', url: '/api/v1/coupons', payload: { coupon: { ...fixed, code, ...extra } } });
      assert.equal(res.statusCode, 200, res.body);
    };
    await at('2024-01-02T00:00:00Z');
    await make('old_unlimited');
    await make('late_expiry', { expiration: 'time_limit', expiration_at: '2024-09-01T00:00:00Z' });
    await make('expiring_soon', { expiration: 'time_limit', expiration_at: '2024-01-10T00:00:00Z' });
    await at('2024-01-03T00:00:00Z');
    await make('new_unlimited');
    await at('2024-02-01T00:00:00Z');
    assert.equal(await terminateExpiredCoupons(t.database.db, id, new Date('2024-02-01T00:00:00Z')), 1);
    const client = t.client(own);
    const codes = (await client.coupons.findAllCoupons()).data.coupons.map((c) => c.code);
    assert.deepEqual(codes, ['new_unlimited', 'old_unlimited', 'late_expiry', 'expiring_soon']);
    const expired = (await client.coupons.findCoupon('expiring_soon')).data.coupon;
    assert.equal(expired.terminated_at, '2024-02-01T00:00:00Z');
    const page = await client.coupons.findAllCoupons({ page: 2, per_page: 3 });
    assert.deepEqual(page.data.coupons.map((c) => c.code), ['expiring_soon']);
    assert.deepEqual(page.data.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 4 });
  });

  test('delete ends the coupon, frees its code and ends its applications', async () => {
    const client = t.client(key);
    await client.coupons.createCoupon({ coupon: { ...fixed, code: 'doomed' } });
    await client.customers.createCustomer({ customer: { external_id: 'doomed_holder' } });
    const applied = (await client.appliedCoupons.applyCoupon({ applied_coupon: { external_customer_id: 'doomed_holder', coupon_code: 'doomed' } })).data
      .applied_coupon;
    const deleted = (await client.coupons.destroyCoupon('doomed')).data.coupon;
    assert.equal(deleted.code, 'doomed');
    assert.equal(deleted.terminated_at, '2024-03-01T10:00:00Z');
    await assert.rejects(client.coupons.findCoupon('doomed'), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: NOT_FOUND('coupon_not_found') });
      return true;
    });
    assert.ok(!(await client.coupons.findAllCoupons({ per_page: 100 })).data.coupons.some((c) => c.code === 'doomed'));
    const listed = (await client.customers.findAllCustomerAppliedCoupons('doomed_holder')).data.applied_coupons;
    assert.equal(listed[0]!.lago_id, applied.lago_id);
    assert.equal(listed[0]!.status, 'terminated');
    assert.equal(listed[0]!.coupon_status, 'terminated');
    assert.equal(listed[0]!.coupon_deleted_at, '2024-03-01T10:00:00Z');

    const reborn = (await client.coupons.createCoupon({ coupon: { ...fixed, code: 'doomed', name: 'Reborn' } })).data.coupon;
    assert.notEqual(reborn.lago_id, deleted.lago_id);
  });

  test('bad requests get Lago answers and change nothing', async () => {
    const client = t.client(key);
    await client.coupons.createCoupon({ coupon: { ...fixed, code: 'taken' } });
    await client.coupons.createCoupon({ coupon: { ...fixed, code: 'taken_too' } });
    const cases: { name: string; method?: 'POST' | 'PUT'; url?: string; payload: unknown; status: number; body: unknown }[] = [
      { name: 'no root key', payload: {}, status: 400, body: missingRoot },
      { name: 'empty root', payload: { coupon: {} }, status: 400, body: missingRoot },
      {
        name: 'everything missing',
        payload: { coupon: { description: 'x' } },
        status: 422,
        body: UNPROCESSABLE({
          expiration: ['value_is_invalid'],
          coupon_type: ['value_is_invalid'],
          frequency: ['value_is_invalid'],
          name: ['value_is_mandatory'],
          code: ['value_is_mandatory'],
        }),
      },
      {
        name: 'fixed amount without amount',
        payload: { coupon: { ...fixed, code: 'n', amount_cents: undefined, amount_currency: undefined } },
        status: 422,
        body: UNPROCESSABLE({ amount_cents: ['value_is_mandatory'], amount_currency: ['value_is_mandatory'] }),
      },
      {
        name: 'zero amount, lower-case currency',
        payload: { coupon: { ...fixed, code: 'n', amount_cents: 0, amount_currency: 'eur' } },
        status: 422,
        body: UNPROCESSABLE({ amount_cents: ['value_is_out_of_range'], amount_currency: ['value_is_invalid'] }),
      },
      { name: 'amount as text', payload: { coupon: { ...fixed, code: 'n', amount_cents: '100' } }, status: 422, body: UNPROCESSABLE({ amount_cents: ['value_is_invalid'] }) },
      {
        name: 'percentage without rate',
        payload: { coupon: { ...fixed, code: 'n', coupon_type: 'percentage' } },
        status: 422,
        body: UNPROCESSABLE({ percentage_rate: ['value_is_mandatory'] }),
      },
      {
        name: 'rate not a number',
        payload: { coupon: { ...fixed, code: 'n', coupon_type: 'percentage', percentage_rate: 'abc' } },
        status: 422,
        body: UNPROCESSABLE({ percentage_rate: ['value_is_invalid'] }),
      },
      {
        name: 'rate above 100',
        payload: { coupon: { ...fixed, code: 'n', coupon_type: 'percentage', percentage_rate: '150' } },
        status: 422,
        body: UNPROCESSABLE({ percentage_rate: ['value_is_out_of_range'] }),
      },
      {
        name: 'recurring without duration',
        payload: { coupon: { ...fixed, code: 'n', frequency: 'recurring' } },
        status: 422,
        body: UNPROCESSABLE({ frequency_duration: ['value_is_mandatory', 'is not a number'] }),
      },
      {
        name: 'recurring with zero duration',
        payload: { coupon: { ...fixed, code: 'n', frequency: 'recurring', frequency_duration: 0 } },
        status: 422,
        body: UNPROCESSABLE({ frequency_duration: ['value_is_out_of_range'] }),
      },
      { name: 'code taken', payload: { coupon: { ...fixed, code: 'taken' } }, status: 422, body: UNPROCESSABLE({ code: ['value_already_exist'] }) },
      { name: 'reusable null', payload: { coupon: { ...fixed, code: 'n', reusable: null } }, status: 422, body: UNPROCESSABLE({ reusable: ['value_is_reserved'] }) },
      {
        name: 'past expiration, reported alone',
        payload: { coupon: { code: 'n', expiration: 'time_limit', expiration_at: '2024-02-01T00:00:00Z' } },
        status: 422,
        body: UNPROCESSABLE({ expiration_at: ['invalid_date'] }),
      },
      { name: 'unparsable expiration', payload: { coupon: { ...fixed, code: 'n', expiration_at: 'soon' } }, status: 422, body: UNPROCESSABLE({ expiration_at: ['invalid_date'] }) },
      {
        name: 'time limit without a date',
        payload: { coupon: { ...fixed, code: 'n', expiration: 'time_limit' } },
        status: 422,
        body: UNPROCESSABLE({ expiration_at: ['value_is_mandatory'] }),
      },
      { name: 'unknown plan', payload: { coupon: { ...fixed, code: 'n', applies_to: { plan_codes: ['startup', 'nope'] } } }, status: 404, body: NOT_FOUND('plans_not_found') },
      { name: 'deleted plan', payload: { coupon: { ...fixed, code: 'n', applies_to: { plan_codes: ['retired'] } } }, status: 404, body: NOT_FOUND('plans_not_found') },
      {
        name: 'deleted metric',
        payload: { coupon: { ...fixed, code: 'n', applies_to: { billable_metric_codes: ['old_metric'] } } },
        status: 404,
        body: NOT_FOUND('billable_metrics_not_found'),
      },
      {
        name: 'plans and metrics',
        payload: { coupon: { ...fixed, code: 'n', applies_to: { plan_codes: ['scale'], billable_metric_codes: ['storage'] } } },
        status: 405,
        body: { status: 405, error: 'Method Not Allowed', code: 'only_one_limitation_type_per_coupon_allowed' },
      },
      { name: 'update unknown', method: 'PUT', url: '/api/v1/coupons/nope', payload: { coupon: { name: 'x' } }, status: 404, body: NOT_FOUND('coupon_not_found') },
      { name: 'update empty root', method: 'PUT', url: '/api/v1/coupons/taken', payload: { coupon: {} }, status: 400, body: missingRoot },
      {
        name: 'update to a taken code',
        method: 'PUT',
        url: '/api/v1/coupons/taken',
        payload: { coupon: { code: 'taken_too' } },
        status: 422,
        body: UNPROCESSABLE({ code: ['value_already_exist'] }),
      },
      {
        name: 'update to a past expiry',
        method: 'PUT',
        url: '/api/v1/coupons/taken',
        payload: { coupon: { expiration_at: '2020-01-01' } },
        status: 422,
        body: UNPROCESSABLE({ expiration_at: ['invalid_date'] }),
      },
    ];
    const before = await snapshotDatabase(t.database);
    for (const c of cases) {
      const res = await t.request(key, { method: c.method ?? 'POST', url: c.url ?? '/api/v1/coupons', payload: c.payload as object });
      assert.equal(res.statusCode, c.status, `${c.name}: ${res.body}`);
      assert.deepEqual(res.json(), c.body, c.name);
    }
    assert.equal(await snapshotDatabase(t.database), before);
  });

  test("another organization's key never reaches these coupons", async () => {
    const client = t.client(key);
    await client.coupons.createCoupon({ coupon: { ...fixed, code: 'private_coupon' } });
    const { key: other, id: otherId } = await t.newOrganization({ name: 'Other' });
    const intruder = t.client(other);
    for (const call of [
      () => intruder.coupons.findCoupon('private_coupon'),
      () => intruder.coupons.updateCoupon('private_coupon', { coupon: { name: 'hijacked' } }),
      () => intruder.coupons.destroyCoupon('private_coupon'),
    ]) {
      await assert.rejects(call(), (e) => {
        assert.deepEqual(lagoError(e), { status: 404, body: NOT_FOUND('coupon_not_found') });
        return true;
      });
    }
    const list = await intruder.coupons.findAllCoupons();
    assert.deepEqual(list.data.coupons, []);
    assert.equal(list.data.meta.total_count, 0);
    // Plans of another organization are unknown here, even with the same code.
    await assert.rejects(intruder.coupons.createCoupon({ coupon: { ...fixed, code: 'x', applies_to: { plan_codes: ['startup'] } } }), (e) => {
      assert.deepEqual(lagoError(e).body, NOT_FOUND('plans_not_found'));
      return true;
    });
    await insertPlan(t.database, otherId, 'startup');
    const same = (await intruder.coupons.createCoupon({ coupon: { ...fixed, code: 'private_coupon', applies_to: { plan_codes: ['startup'] } } })).data.coupon;
    assert.deepEqual(same.plan_codes, ['startup']);
    assert.equal((await client.coupons.findCoupon('private_coupon')).data.coupon.limited_plans, false);
  });
});
