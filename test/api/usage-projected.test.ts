import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CustomerProjectedUsageObject } from 'lago-javascript-client';
import { startTestApp, type TestApp } from '../support/app.ts';
import { advanceClock, at, createMetric, createPlan, sendEvents, subscribe, type LagoClient } from './usage-fixtures.ts';

describe('projected usage', () => {
  let t: TestApp;
  let key: string;
  let client: LagoClient;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ testClock: '2025-07-01T00:00:00Z' }));
    client = t.client(key);
    const cloud = await createMetric(client, {
      code: 'cloud_calls',
      name: 'Cloud calls',
      aggregation_type: 'count_agg',
      filters: [{ key: 'cloud', values: ['aws', 'google'] }],
    });
    const seats = await createMetric(client, { code: 'seats', name: 'Seats', aggregation_type: 'sum_agg', field_name: 'n', recurring: true });
    const api = await createMetric(client, { code: 'api', name: 'Api', aggregation_type: 'count_agg' });
    await createPlan(t, key, 'cloud', [
      {
        billable_metric_id: cloud,
        charge_model: 'standard',
        properties: { amount: '0' },
        filters: [
          { values: { cloud: ['aws'] }, properties: { amount: '10' } },
          { values: { cloud: ['google'] }, properties: { amount: '20' } },
        ],
      },
      { billable_metric_id: seats, charge_model: 'standard', properties: { amount: '5' } },
      {
        billable_metric_id: api,
        charge_model: 'graduated',
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '2' },
            { from_value: 11, to_value: null, per_unit_amount: '0.5', flat_amount: '3' },
          ],
        },
      },
    ]);
    await subscribe(client, { customer: 'cus_p', plan: 'cloud', subscription: 'sub_p', at: '2025-06-01T00:00:00Z' });
    await sendEvents(client, [
      ...Array.from({ length: 3 }, () => ({ external_subscription_id: 'sub_p', code: 'cloud_calls', timestamp: at('2025-07-02T10:00:00Z'), properties: { cloud: 'aws' } })),
      { external_subscription_id: 'sub_p', code: 'cloud_calls', timestamp: at('2025-07-02T10:00:00Z'), properties: { cloud: 'google' } },
      { external_subscription_id: 'sub_p', code: 'cloud_calls', timestamp: at('2025-07-02T10:00:00Z'), properties: { cloud: 'azure' } },
      { external_subscription_id: 'sub_p', code: 'seats', timestamp: at('2025-06-10T00:00:00Z'), properties: { n: 2 } },
      ...Array.from({ length: 2 }, () => ({ external_subscription_id: 'sub_p', code: 'api', timestamp: at('2025-07-02T12:00:00Z') })),
    ]);
    await advanceClock(t, key, '2025-07-03T10:00:00Z');
  });
  after(() => t.close());

  test("Lago's spec example: on July 3 at 10:00 (3 days of 31), 3 units at 10 project to 31.0 units and 31 000 cents", async () => {
    const res = await client.customers.findCustomerProjectedUsage('cus_p', { external_subscription_id: 'sub_p', apply_taxes: false });
    const usage: CustomerProjectedUsageObject = res.data.customer_projected_usage;
    assert.equal(usage.from_datetime, '2025-07-01T00:00:00Z');
    assert.equal(usage.to_datetime, '2025-07-31T23:59:59Z');
    assert.equal(usage.issuing_date, '2025-07-31');

    const cloud = usage.charges_usage.find((c) => c.billable_metric.code === 'cloud_calls')!;
    assert.equal(cloud.units, '5.0');
    assert.equal(cloud.amount_cents, 5000);
    const [aws, google, rest] = cloud.filters!;
    assert.deepEqual(
      { values: aws!.values, units: aws!.units, amount: aws!.amount_cents, projected: aws!.projected_units, cents: aws!.projected_amount_cents },
      { values: { cloud: ['aws'] }, units: '3.0', amount: 3000, projected: '31.0', cents: 31000 },
    );
    assert.deepEqual(
      { units: google!.units, amount: google!.amount_cents, projected: google!.projected_units, cents: google!.projected_amount_cents },
      { units: '1.0', amount: 2000, projected: '10.33', cents: 20660 },
    );
    // The default bucket (an undeclared cloud, priced at 0) is left out of the projection, as Lago leaves it out.
    assert.deepEqual(
      { values: rest!.values, units: rest!.units, projected: rest!.projected_units, cents: rest!.projected_amount_cents },
      { values: null, units: '1.0', projected: '0.0', cents: 0 },
    );
    assert.equal(cloud.projected_units, '41.33');
    assert.equal(cloud.projected_amount_cents, 51660);

    // A recurring metric already lasts the whole period: projected = current (2 seats at 5).
    const seats = usage.charges_usage.find((c) => c.billable_metric.code === 'seats')!;
    assert.deepEqual([seats.units, seats.amount_cents, seats.projected_units, seats.projected_amount_cents], ['2.0', 1000, '2.0', 1000]);

    // Graduated: 2 units → 20.67 projected units fill the first tier (10 × 1 + 2) and 10.67 of the second (× 0.5 + 3): 20.335.
    const api = usage.charges_usage.find((c) => c.billable_metric.code === 'api')!;
    assert.deepEqual([api.units, api.amount_cents, api.projected_units, api.projected_amount_cents], ['2.0', 400, '20.67', 2034]);

    assert.equal(usage.amount_cents, 5000 + 1000 + 400);
    assert.equal(usage.projected_amount_cents, 51660 + 1000 + 2034);
    assert.equal(usage.taxes_amount_cents, 0);
    assert.equal(usage.total_amount_cents, 6400);
  });

  test('key order of every level is Lago\'s', async () => {
    const res = await t.request(key, { method: 'GET', url: '/api/v1/customers/cus_p/projected_usage?external_subscription_id=sub_p' });
    assert.equal(res.statusCode, 200);
    const body = res.json().customer_projected_usage;
    assert.deepEqual(Object.keys(body), [
      'from_datetime', 'to_datetime', 'issuing_date', 'currency', 'amount_cents', 'projected_amount_cents', 'total_amount_cents',
      'taxes_amount_cents', 'lago_invoice_id', 'charges_usage',
    ]);
    const cloud = body.charges_usage.find((c: { billable_metric: { code: string } }) => c.billable_metric.code === 'cloud_calls');
    assert.deepEqual(Object.keys(cloud), [
      'units', 'events_count', 'amount_cents', 'amount_currency', 'projected_units', 'projected_amount_cents',
      'projected_presentation_breakdowns', 'pricing_unit_details', 'charge', 'billable_metric', 'filters', 'grouped_usage',
      'presentation_breakdowns',
    ]);
    assert.deepEqual(Object.keys(cloud.charge), ['lago_id', 'charge_model', 'invoice_display_name']);
    assert.deepEqual(Object.keys(cloud.filters[0]), [
      'units', 'events_count', 'amount_cents', 'projected_units', 'projected_amount_cents', 'projected_presentation_breakdowns',
      'pricing_unit_details', 'invoice_display_name', 'values', 'presentation_breakdowns',
    ]);
  });

  test('at the first instant of a period its first day counts as begun (1/31); on its last day, the projection is the usage', async () => {
    const { key: other } = await t.newOrganization({ testClock: '2025-07-01T00:00:00Z' });
    const c = t.client(other);
    const api = await createMetric(c, { code: 'api', aggregation_type: 'count_agg' });
    await createPlan(t, other, 'p', [{ billable_metric_id: api, charge_model: 'standard', properties: { amount: '1' } }]);
    await subscribe(c, { customer: 'c', plan: 'p', subscription: 's', at: '2025-06-01T00:00:00Z' });
    await sendEvents(c, [{ external_subscription_id: 's', code: 'api', timestamp: at('2025-07-01T00:00:00Z') }]);
    const first = (await c.customers.findCustomerProjectedUsage('c', { external_subscription_id: 's' })).data.customer_projected_usage;
    assert.deepEqual([first.charges_usage[0]!.projected_units, first.projected_amount_cents], ['31.0', 3100]);
    await advanceClock(t, other, '2025-07-31T12:00:00Z');
    const last = (await c.customers.findCustomerProjectedUsage('c', { external_subscription_id: 's' })).data.customer_projected_usage;
    assert.deepEqual([last.charges_usage[0]!.projected_units, last.projected_amount_cents], ['1.0', 100]);
  });

  test('errors are those of current usage', async () => {
    const unknown = await t.request(key, { method: 'GET', url: '/api/v1/customers/nobody/projected_usage?external_subscription_id=sub_p' });
    assert.deepEqual(unknown.json(), { status: 404, error: 'Not Found', code: 'customer_not_found' });
    const noSub = await t.request(key, { method: 'GET', url: '/api/v1/customers/cus_p/projected_usage' });
    assert.deepEqual(noSub.json(), { status: 405, error: 'Method Not Allowed', code: 'no_active_subscription' });
  });
});
