import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChargeFilterFullObject, ChargeObject, ChargesPaginated } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { insertMetric, insertSubscription } from './plans-factory.ts';

describe('plan charges and charge filters (nested routes)', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let metric: string;
  let count: string;

  const advance = (to: string) =>
    t.request(key, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: to } } });
  const notFound = (code: string) => ({ status: 404, error: 'Not Found', code });

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-05-01T00:00:00Z' }));
    metric = await insertMetric(t.database, orgId, { code: 'api_calls', filters: { region: ['us', 'eu'], tier: ['gold'] } });
    count = await insertMetric(t.database, orgId, { code: 'logins', aggregationType: 'count_agg' });
    await t.client(key).taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20' } });
    await t.client(key).plans.createPlan({
      plan: { name: 'Base', code: 'base', interval: 'monthly', amount_cents: 0, amount_currency: 'EUR', pay_in_advance: false },
    });
  });
  after(() => t.close());

  test('charges: create, read, update, list newest first and delete through the Lago client', async () => {
    const client = t.client(key);
    await advance('2024-05-02T00:00:00Z');
    const created = await client.plans.createPlanCharge('base', {
      charge: {
        billable_metric_id: metric,
        code: 'calls',
        charge_model: 'standard',
        invoice_display_name: 'Calls',
        properties: { amount: '100', pricing_group_keys: ['user'], presentation_group_keys: [{ value: 'user' }] },
        filters: [{ values: { region: ['us'] }, properties: { amount: '50' }, invoice_display_name: 'US' }],
        tax_codes: ['vat'],
      },
    });
    const charge: ChargeObject = created.data.charge;
    assert.equal(charge.code, 'calls');
    assert.equal(charge.billable_metric_code, 'api_calls');
    assert.equal(charge.created_at, '2024-05-02T00:00:00Z');
    assert.deepEqual(charge.properties, {
      amount: '100',
      pricing_group_keys: ['user'],
      grouped_by: ['user'],
      presentation_group_keys: [{ value: 'user' }],
    });
    assert.deepEqual(charge.taxes!.map((x) => x.code), ['vat']);
    assert.deepEqual(
      (charge.filters as unknown as ChargeFilterFullObject[]).map(({ lago_id: _, ...f }) => f),
      [{ charge_code: 'calls', invoice_display_name: 'US', properties: { amount: '50' }, values: { region: ['us'] } }],
    );
    assert.deepEqual((await client.plans.findPlanCharge('base', 'calls')).data.charge, charge);

    await advance('2024-05-03T00:00:00Z');
    await client.plans.createPlanCharge('base', { charge: { billable_metric_id: count, code: 'logins', charge_model: 'package' } });
    const page: ChargesPaginated = (await client.plans.findAllPlanCharges('base', { per_page: 1 })).data;
    assert.deepEqual(page.charges.map((c) => c.code), ['logins']);
    assert.deepEqual(page.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 2 });
    assert.deepEqual((await client.plans.findAllPlanCharges('base', { page: 2, per_page: 1 })).data.charges.map((c) => c.code), ['calls']);

    const updated = (
      await client.plans.updatePlanCharge('base', 'calls', {
        charge: {
          charge_model: 'standard',
          invoice_display_name: 'Updated Charge Name',
          properties: { amount: '200', presentation_group_keys: [] },
          tax_codes: [],
        },
      })
    ).data.charge;
    assert.deepEqual(updated.properties, { amount: '200' });
    assert.equal(updated.invoice_display_name, 'Updated Charge Name');
    assert.deepEqual(updated.taxes, []);
    // Filters are left alone when not sent.
    assert.equal(updated.filters.length, 1);

    const renamed = (await client.plans.updatePlanCharge('base', 'calls', { charge: { charge_model: 'graduated', code: 'calls-v2' } })).data.charge;
    assert.equal(renamed.code, 'calls-v2');
    assert.equal(renamed.charge_model, 'graduated');
    assert.deepEqual(renamed.properties, { graduated_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0', flat_amount: '0' }] });
    // The kept filter now carries graduated properties it lacks: filters are checked when they are written.
    await assert.rejects(client.plans.findPlanCharge('base', 'calls'), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: notFound('charge_not_found') });
      return true;
    });

    const deleted = (await client.plans.destroyPlanCharge('base', 'calls-v2', { charge: { cascade_updates: true } })).data.charge;
    assert.equal(deleted.lago_id, charge.lago_id);
    assert.deepEqual(deleted.filters, []);
    await assert.rejects(client.plans.findPlanCharge('base', 'calls-v2'), (e) => lagoError(e).body.code === 'charge_not_found');
    assert.deepEqual((await client.plans.findPlan('base')).data.plan.charges!.map((c) => c.code), ['logins']);
    // The code is free again.
    await client.plans.createPlanCharge('base', { charge: { billable_metric_id: metric, code: 'calls-v2', charge_model: 'standard' } });
  });

  test('charges on a plan in use: creation allowed, billing terms frozen, properties editable', async () => {
    const client = t.client(key);
    const plan = (
      await client.plans.createPlan({
        plan: {
          name: 'Used',
          code: 'used',
          interval: 'monthly',
          amount_cents: 0,
          amount_currency: 'EUR',
          pay_in_advance: false,
          charges: [{ billable_metric_id: count, code: 'c', charge_model: 'standard', properties: { amount: '1' } }],
        },
      })
    ).data.plan;
    await insertSubscription(t.database, orgId, plan.lago_id, 'active');
    await client.plans.createPlanCharge('used', { charge: { billable_metric_id: metric, code: 'late', charge_model: 'standard' } });
    const updated = (
      await client.plans.updatePlanCharge('used', 'c', { charge: { charge_model: 'package', code: 'other', pay_in_advance: true, properties: { amount: '3' } } })
    ).data.charge;
    assert.deepEqual([updated.code, updated.charge_model, updated.pay_in_advance, updated.properties], ['c', 'standard', false, { amount: '3' }]);
  });

  test('filters: create, read, update, list in order and delete through the Lago client', async () => {
    const client = t.client(key);
    await client.plans.createPlanCharge('base', { charge: { billable_metric_id: metric, code: 'f', charge_model: 'standard', properties: { amount: '1' } } });
    const created = await client.plans.createPlanChargeFilter('base', 'f', {
      filter: {
        invoice_display_name: 'US Region Filter',
        properties: { amount: '50', presentation_group_keys: [{ value: 'x' }] } as never,
        values: { region: ['us'] },
      },
    });
    const filter: ChargeFilterFullObject = created.data.filter;
    assert.deepEqual(filter, {
      lago_id: filter.lago_id,
      charge_code: 'f',
      invoice_display_name: 'US Region Filter',
      properties: { amount: '50' },
      values: { region: ['us'] },
    });
    const second = (
      await client.plans.createPlanChargeFilter('base', 'f', { filter: { properties: { amount: '60' }, values: { region: ['__ALL_FILTER_VALUES__'], tier: ['gold'] } } })
    ).data.filter;
    // Two filters may match the same values, as in Lago.
    await client.plans.createPlanChargeFilter('base', 'f', { filter: { properties: { amount: '70' }, values: { region: ['us'] } } });

    const list = (await client.plans.findAllPlanChargeFilters('base', 'f')).data;
    assert.deepEqual(list.filters.map((x) => x.properties), [{ amount: '50' }, { amount: '60' }, { amount: '70' }]);
    assert.deepEqual(list.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 3 });
    assert.deepEqual((await client.plans.findPlanChargeFilter('base', 'f', second.lago_id)).data.filter, second);

    const updated = (
      await client.plans.updatePlanChargeFilter('base', 'f', filter.lago_id, {
        filter: { properties: { amount: '55', grouped_by: ['user'] }, values: { region: ['eu'] } },
      })
    ).data.filter;
    // Only properties and the display name change; the values are the filter's identity.
    assert.deepEqual(updated, { ...filter, properties: { amount: '55', pricing_group_keys: ['user'], grouped_by: ['user'] } });
    const renamed = (await client.plans.updatePlanChargeFilter('base', 'f', filter.lago_id, { filter: { invoice_display_name: null } })).data.filter;
    assert.equal(renamed.invoice_display_name, null);
    assert.deepEqual(renamed.properties, updated.properties);

    const deleted = (await client.plans.destroyPlanChargeFilter('base', 'f', filter.lago_id, { filter: { cascade_updates: true } })).data.filter;
    assert.deepEqual(deleted, { ...renamed, values: {} });
    await assert.rejects(client.plans.findPlanChargeFilter('base', 'f', filter.lago_id), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: notFound('charge_filter_not_found') });
      return true;
    });
    assert.equal((await client.plans.findPlanCharge('base', 'f')).data.charge.filters.length, 2);
  });

  test('unknown plan, charge and filter', async () => {
    for (const [url, code] of [
      ['/plans/nope/charges', 'plan_not_found'],
      ['/plans/nope/charges/f', 'plan_not_found'],
      ['/plans/base/charges/nope', 'charge_not_found'],
      ['/plans/base/charges/nope/filters', 'charge_not_found'],
      ['/plans/base/charges/logins/filters/not-a-uuid', 'charge_filter_not_found'],
      ['/plans/base/charges/logins/filters/01890000-0000-7000-8000-000000000000', 'charge_filter_not_found'],
    ] as const) {
      const res = await t.request(key, { method: 'GET', url: `/api/v1${url}` });
      assert.deepEqual([res.statusCode, res.json()], [404, notFound(code)], url);
    }
  });

  const ensureCharge = async () => {
    const res = await t.request(key, { method: 'GET', url: '/api/v1/plans/base/charges/target' });
    if (res.statusCode === 404) {
      await t.client(key).plans.createPlanCharge('base', {
        charge: { billable_metric_id: metric, code: 'target', charge_model: 'standard', properties: { amount: '1' }, filters: [{ values: { region: ['eu'] }, properties: { amount: '2' } }] },
      });
    }
  };

  const bad: Array<[string, 'POST' | 'PUT', string, () => unknown, number, unknown]> = [
    ['charge: missing wrapper', 'POST', '/plans/base/charges', () => ({ code: 'x' }), 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: charge' }],
    ['charge: empty wrapper', 'PUT', '/plans/base/charges/target', () => ({ charge: {} }), 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: charge' }],
    ['charge: no code (never generated here)', 'POST', '/plans/base/charges', () => ({ charge: { billable_metric_id: metric, charge_model: 'standard' } }), 422, { code: ['value_is_mandatory'] }],
    ['charge: unknown metric', 'POST', '/plans/base/charges', () => ({ charge: { billable_metric_id: 'invalid_id', code: 'x', charge_model: 'standard' } }), 404, notFound('billable_metric_not_found')],
    ['charge: code taken', 'POST', '/plans/base/charges', () => ({ charge: { billable_metric_id: metric, code: 'target', charge_model: 'standard' } }), 422, { code: ['value_already_exist'] }],
    ['charge: unknown tax', 'POST', '/plans/base/charges', () => ({ charge: { billable_metric_id: metric, code: 'x', charge_model: 'standard', tax_codes: ['nope'] } }), 404, notFound('tax_not_found')],
    ['charge: bad filter value', 'POST', '/plans/base/charges', () => ({ charge: { billable_metric_id: metric, code: 'x', charge_model: 'standard', filters: [{ values: { region: ['mars'] }, properties: { amount: '1' } }] } }), 422, { values: ['value_is_invalid'] }],
    ['charge update: model left out', 'PUT', '/plans/base/charges/target', () => ({ charge: { properties: { amount: '1' } } }), 422, { charge_model: ['value_is_invalid', 'value_is_mandatory'] }],
    ['charge update: bad properties', 'PUT', '/plans/base/charges/target', () => ({ charge: { charge_model: 'volume', properties: { volume_ranges: [{ from_value: 0, to_value: 5, per_unit_amount: '1', flat_amount: '0' }] } } }), 422, { properties: ['invalid_volume_ranges'] }],
    ['charge update: unknown metric', 'PUT', '/plans/base/charges/target', () => ({ charge: { charge_model: 'standard', billable_metric_id: '01890000-0000-7000-8000-000000000000' } }), 404, notFound('billable_metric_not_found')],
    ['charge update: volume in advance', 'PUT', '/plans/base/charges/target', () => ({ charge: { charge_model: 'volume', pay_in_advance: true } }), 422, { pay_in_advance: ['invalid_aggregation_type_or_charge_model'] }],
    ['charge update: filters with empty values', 'PUT', '/plans/base/charges/target', () => ({ charge: { charge_model: 'standard', filters: [{ values: {}, properties: { amount: '1' } }] } }), 422, { values: ['value_is_mandatory'] }],
    ['charge update: min amount as string', 'PUT', '/plans/base/charges/target', () => ({ charge: { charge_model: 'standard', min_amount_cents: '10' } }), 422, { min_amount_cents: ['value_is_invalid'] }],
    ['filter: missing wrapper', 'POST', '/plans/base/charges/target/filters', () => ({ values: {} }), 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: filter' }],
    ['filter: no values', 'POST', '/plans/base/charges/target/filters', () => ({ filter: { properties: { amount: '1' } } }), 422, { values: ['value_is_mandatory'] }],
    ['filter: unknown key', 'POST', '/plans/base/charges/target/filters', () => ({ filter: { properties: { amount: '1' }, values: { planet: ['mars'] } } }), 422, { billable_metric_filter: ['relation_must_exist'], values: ['value_is_invalid'] }],
    ['filter: values not a list', 'POST', '/plans/base/charges/target/filters', () => ({ filter: { properties: { amount: '1' }, values: { region: 'us' } } }), 422, { values: ['value_is_invalid'] }],
    ['filter: bad properties', 'POST', '/plans/base/charges/target/filters', () => ({ filter: { properties: { amount: '-1' }, values: { region: ['us'] } } }), 422, { properties: ['invalid_amount'] }],
    ['filter: properties not an object', 'POST', '/plans/base/charges/target/filters', () => ({ filter: { properties: 'x', values: { region: ['us'] } } }), 422, { properties: ['value_is_invalid'] }],
  ];
  for (const [name, method, url, payload, status, expected] of bad) {
    test(`refused: ${name}`, async () => {
      await ensureCharge();
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, { method, url: `/api/v1${url}`, payload: payload() as object });
      assert.equal(res.statusCode, status, res.body);
      const body = res.json();
      if (status === 422) assert.deepEqual(body, { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: expected });
      else assert.deepEqual(body, expected);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('refused filter updates change nothing', async () => {
    await ensureCharge();
    const [filter] = (await t.client(key).plans.findAllPlanChargeFilters('base', 'target')).data.filters;
    const before = await snapshotDatabase(t.database);
    const url = `/api/v1/plans/base/charges/target/filters/${filter!.lago_id}`;
    const res = await t.request(key, { method: 'PUT', url, payload: { filter: { properties: { amount: 3 } } } });
    assert.deepEqual(res.json().error_details, { properties: ['invalid_amount'] });
    const cleared = await t.request(key, { method: 'PUT', url, payload: { filter: { properties: null } } });
    assert.deepEqual(cleared.json().error_details, { properties: ['invalid_amount'] });
    assert.equal(await snapshotDatabase(t.database), before);
  });
});
