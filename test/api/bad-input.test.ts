import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

/**
 * One table of bad requests across every catalog resource: each gets its 4xx in Lago's shape with the field codes, and
 * the database is byte-for-byte what it was before. (Each module's own tests hold many more.)
 */
describe('bad input across the catalog', () => {
  let t: TestApp;
  let key: string;
  let metricId = '';

  before(async () => {
    t = await startTestApp();
    ({ key } = await t.newOrganization({ testClock: '2024-05-01T00:00:00Z' }));
    const post = async (url: string, payload: object) => {
      const res = await t.request(key, { method: 'POST', url, payload });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return res.json();
    };
    await post('/api/v1/taxes', { tax: { name: 'VAT', code: 'vat', rate: '20' } });
    await post('/api/v1/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 1000, amount_currency: 'EUR' } });
    metricId = (
      await post('/api/v1/billable_metrics', {
        billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb', filters: [{ key: 'region', values: ['us', 'eu'] }] },
      })
    ).billable_metric.lago_id;
    await post('/api/v1/plans', {
      plan: { name: 'Basic', code: 'basic', interval: 'monthly', amount_cents: 1000, amount_currency: 'EUR', pay_in_advance: false },
    });
    await post('/api/v1/customers', { customer: { external_id: 'cus_1', currency: 'EUR' } });
    await post('/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_1', plan_code: 'basic', external_id: 'live' } });
    await post('/api/v1/coupons', {
      coupon: { name: 'Welcome', code: 'welcome', coupon_type: 'percentage', percentage_rate: '10', frequency: 'once', expiration: 'no_expiration' },
    });
  });
  after(() => t.close());

  const range = (from: number, to: number | null, price = '1') => ({ from_value: from, to_value: to, per_unit_amount: price, flat_amount: '0' });
  const plan = (overrides: object, charge?: object) => ({
    plan: {
      name: 'P',
      code: 'p_new',
      interval: 'monthly',
      amount_cents: 100,
      amount_currency: 'EUR',
      pay_in_advance: false,
      // The metric is created in before(); its id is put in when the request is sent.
      ...(charge ? { charges: [{ billable_metric_id: '$METRIC_ID', ...charge }] } : {}),
      ...overrides,
    },
  });
  const graduated = (ranges: object[]) => plan({}, { charge_model: 'graduated', properties: { graduated_ranges: ranges } });
  const unprocessable = (error_details: object) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details });
  const notFound = (code: string) => ({ status: 404, error: 'Not Found', code });
  const missing = (root: string) => ({ status: 400, error: `BadRequest: param is missing or the value is empty or invalid: ${root}` });

  type Row = [name: string, method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload: object | string | undefined, status: number, body: object];
  const rows: Row[] = [
    // Malformed or oversized bodies, missing wrappers
    ['malformed JSON', 'POST', '/api/v1/plans', '{"plan": {"name": ', 400, { status: 400, error: 'Bad Request' }],
    ['a body over the size limit', 'POST', '/api/v1/customers', JSON.stringify({ customer: { external_id: 'big', name: 'x'.repeat(1_100_000) } }), 413, { status: 413, error: 'Payload Too Large' }],
    ['event properties nested 100 levels deep', 'POST', '/api/v1/events', `{"event":{"transaction_id":"deep","code":"c","properties":{"a":${'['.repeat(100)}${']'.repeat(100)}}}}`, 400, { status: 400, error: 'Bad Request' }],
    ['a body array nested 500,000 levels deep', 'POST', '/api/v1/events/batch', `{"events":${'['.repeat(500_000)}${']'.repeat(500_000)}}`, 400, { status: 400, error: 'Bad Request' }],
    ['no wrapper key', 'POST', '/api/v1/billable_metrics', { name: 'x', code: 'x' }, 400, missing('billable_metric')],
    ['an empty wrapper', 'POST', '/api/v1/plans', { plan: {} }, 400, missing('plan')],
    ['a wrapper that is a string', 'POST', '/api/v1/customers', { customer: 'cus' }, 400, missing('customer')],
    ['a JSON array body', 'POST', '/api/v1/coupons', '[]', 400, missing('coupon')],
    // Missing and mistyped fields
    ['metric without name or code', 'POST', '/api/v1/billable_metrics', { billable_metric: { aggregation_type: 'count_agg' } }, 422, unprocessable({ name: ['value_is_mandatory'], code: ['value_is_mandatory'] })],
    ['sum metric without field_name', 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'S', code: 's', aggregation_type: 'sum_agg' } }, 422, unprocessable({ field_name: ['value_is_mandatory'] })],
    ['metric name of the wrong type', 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 42, code: 'n', aggregation_type: 'count_agg' } }, 422, unprocessable({ name: ['value_is_invalid'] })],
    ['plan amount as a string', 'POST', '/api/v1/plans', plan({ amount_cents: '100' }), 422, unprocessable({ amount_cents: ['value_is_invalid'] })],
    ['tax without a rate', 'POST', '/api/v1/taxes', { tax: { name: 'GST', code: 'gst' } }, 422, unprocessable({ rate: ['value_is_mandatory'] })],
    ['tax rate that is not a number', 'POST', '/api/v1/taxes', { tax: { name: 'GST', code: 'gst', rate: 'abc' } }, 422, unprocessable({ rate: ['value_is_invalid'] })],
    ['customer without external_id', 'POST', '/api/v1/customers', { customer: { name: 'Nobody' } }, 422, unprocessable({ external_id: ['value_is_mandatory'] })],
    ['subscription without external_id', 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_1', plan_code: 'basic' } }, 422, unprocessable({ external_id: ['value_is_mandatory'] })],
    ['fixed coupon without an amount', 'POST', '/api/v1/coupons', { coupon: { name: 'F', code: 'f', coupon_type: 'fixed_amount', frequency: 'once', expiration: 'no_expiration' } }, 422, unprocessable({ amount_cents: ['value_is_mandatory'], amount_currency: ['value_is_mandatory'] })],
    // Unknown enums and charge models
    ['unknown aggregation type', 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'X', code: 'x', aggregation_type: 'median_agg', field_name: 'v' } }, 422, unprocessable({ aggregation_type: ['value_is_invalid'] })],
    ['unknown rounding function', 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'X', code: 'x', aggregation_type: 'sum_agg', field_name: 'v', rounding_function: 'truncate' } }, 422, unprocessable({ rounding_function: ['value_is_invalid'] })],
    ['unknown plan interval', 'POST', '/api/v1/plans', plan({ interval: 'daily' }), 422, unprocessable({ interval: ['value_is_invalid'] })],
    ['unknown charge model', 'POST', '/api/v1/plans', plan({}, { charge_model: 'tiered' }), 422, unprocessable({ charge_model: ['value_is_invalid'] })],
    ['unknown billing time', 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_1', plan_code: 'basic', external_id: 's1', billing_time: 'monthly' } }, 422, unprocessable({ billing_time: ['value_is_invalid'] })],
    ['unknown coupon frequency', 'POST', '/api/v1/coupons', { coupon: { name: 'C', code: 'c', coupon_type: 'percentage', percentage_rate: '5', frequency: 'daily', expiration: 'no_expiration' } }, 422, unprocessable({ frequency: ['value_is_invalid'] })],
    ['unknown customer type', 'POST', '/api/v1/customers', { customer: { external_id: 'c2', customer_type: 'robot' } }, 422, unprocessable({ customer_type: ['value_is_invalid'] })],
    // Charge properties: ranges and amounts
    ['graduated ranges with a gap', 'POST', '/api/v1/plans', graduated([range(0, 100), range(150, null)]), 422, unprocessable({ properties: ['invalid_graduated_ranges'] })],
    ['overlapping graduated ranges', 'POST', '/api/v1/plans', graduated([range(0, 100), range(50, null)]), 422, unprocessable({ properties: ['invalid_graduated_ranges'] })],
    ['graduated ranges not starting at zero', 'POST', '/api/v1/plans', graduated([range(10, 100), range(101, null)]), 422, unprocessable({ properties: ['invalid_graduated_ranges'] })],
    ['last graduated range closed', 'POST', '/api/v1/plans', graduated([range(0, 100), range(101, 200)]), 422, unprocessable({ properties: ['invalid_graduated_ranges'] })],
    ['negative per-unit price', 'POST', '/api/v1/plans', graduated([range(0, null, '-1')]), 422, unprocessable({ properties: ['invalid_amount'] })],
    ['standard amount as a number', 'POST', '/api/v1/plans', plan({}, { charge_model: 'standard', properties: { amount: 5 } }), 422, unprocessable({ properties: ['invalid_amount'] })],
    ['package of size zero', 'POST', '/api/v1/plans', plan({}, { charge_model: 'package', properties: { amount: '5', package_size: 0, free_units: 0 } }), 422, unprocessable({ properties: ['invalid_package_size'] })],
    ['negative percentage rate', 'POST', '/api/v1/plans', plan({}, { charge_model: 'percentage', properties: { rate: '-1' } }), 422, unprocessable({ properties: ['invalid_rate'] })],
    ['volume in advance', 'POST', '/api/v1/plans', plan({}, { charge_model: 'volume', pay_in_advance: true, properties: { volume_ranges: [range(0, null)] } }), 422, unprocessable({ pay_in_advance: ['invalid_aggregation_type_or_charge_model'] })],
    ['filter on an undeclared value', 'POST', '/api/v1/plans', plan({}, { charge_model: 'standard', properties: { amount: '1' }, filters: [{ values: { region: ['mars'] }, properties: { amount: '2' } }] }), 422, unprocessable({ values: ['value_is_invalid'] })],
    // Negative amounts
    ['negative plan amount', 'POST', '/api/v1/plans', plan({ amount_cents: -100 }), 422, unprocessable({ amount_cents: ['value_is_out_of_range'] })],
    ['negative add-on amount', 'POST', '/api/v1/add_ons', { add_on: { name: 'A', code: 'a', amount_cents: -1, amount_currency: 'EUR' } }, 422, unprocessable({ amount_cents: ['value_is_out_of_range'] })],
    ['negative tax rate', 'POST', '/api/v1/taxes', { tax: { name: 'N', code: 'n', rate: -5 } }, 422, unprocessable({ rate: ['value_is_out_of_range'] })],
    ['negative payment term', 'POST', '/api/v1/customers', { customer: { external_id: 'c3', net_payment_term: -1 } }, 422, unprocessable({ net_payment_term: ['value_is_out_of_range'] })],
    // Unknown currency or time zone
    ['unknown plan currency', 'POST', '/api/v1/plans', plan({ amount_currency: 'XYZ' }), 422, unprocessable({ amount_currency: ['value_is_invalid'] })],
    ['lower-case currency', 'POST', '/api/v1/add_ons', { add_on: { name: 'A', code: 'a', amount_cents: 1, amount_currency: 'eur' } }, 422, unprocessable({ amount_currency: ['value_is_invalid'] })],
    ['unknown customer currency', 'POST', '/api/v1/customers', { customer: { external_id: 'c4', currency: 'EURO' } }, 422, unprocessable({ currency: ['value_is_invalid'] })],
    ['unknown customer time zone', 'POST', '/api/v1/customers', { customer: { external_id: 'c5', timezone: 'Europe/Atlantis' } }, 422, unprocessable({ timezone: ['invalid_timezone'] })],
    ['unknown organization time zone', 'PUT', '/api/v1/organizations', { organization: { timezone: 'GMT+25' } }, 422, unprocessable({ timezone: ['invalid_timezone'] })],
    // Unknown codes in references
    ['a plan charging an unknown metric', 'POST', '/api/v1/plans', { plan: { ...plan({}).plan, charges: [{ billable_metric_id: '01900000-0000-7000-8000-000000000000', charge_model: 'standard', properties: { amount: '1' } }] } }, 404, notFound('billable_metrics_not_found')],
    ['a plan with an unknown tax', 'POST', '/api/v1/plans', plan({ tax_codes: ['nope'] }), 404, notFound('tax_not_found')],
    ['a customer with an unknown tax', 'POST', '/api/v1/customers', { customer: { external_id: 'c6', tax_codes: ['nope'] } }, 404, notFound('tax_not_found')],
    ['a subscription to an unknown plan', 'POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus_1', plan_code: 'nope', external_id: 's2' } }, 404, notFound('plan_not_found')],
    ['a coupon limited to an unknown plan', 'POST', '/api/v1/coupons', { coupon: { name: 'L', code: 'l', coupon_type: 'percentage', percentage_rate: '5', frequency: 'once', expiration: 'no_expiration', applies_to: { plan_codes: ['nope'] } } }, 404, notFound('plans_not_found')],
    ['applying an unknown coupon', 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'cus_1', coupon_code: 'nope' } }, 404, notFound('coupon_not_found')],
    ['applying a coupon to an unknown customer', 'POST', '/api/v1/applied_coupons', { applied_coupon: { external_customer_id: 'nobody', coupon_code: 'welcome' } }, 404, notFound('customer_not_found')],
    ['updating an unknown metric', 'PUT', '/api/v1/billable_metrics/nope', { billable_metric: { name: 'x' } }, 404, notFound('billable_metric_not_found')],
    ['deleting an unknown add-on', 'DELETE', '/api/v1/add_ons/nope', undefined, 404, notFound('add_on_not_found')],
    ['ending a subscription before tomorrow', 'PUT', '/api/v1/subscriptions/live', { subscription: { ending_at: '2024-05-01T12:00:00Z' } }, 422, unprocessable({ ending_at: ['invalid_date'] })],
    ['an ending date that is no date', 'PUT', '/api/v1/subscriptions/live', { subscription: { ending_at: 'soon' } }, 422, unprocessable({ ending_at: ['invalid_date'] })],
    ['updating an unknown subscription', 'PUT', '/api/v1/subscriptions/nope', { subscription: { name: 'x' } }, 404, notFound('subscription_not_found')],
    ['terminating an unknown subscription', 'DELETE', '/api/v1/subscriptions/nope', undefined, 404, notFound('subscription_not_found')],
    ['an unknown credit note choice', 'DELETE', '/api/v1/subscriptions/live?on_termination_credit_note=cash', undefined, 422, unprocessable({ on_termination_credit_note: ['invalid_value'] })],
    ['an unknown invoice', 'GET', '/api/v1/invoices/00000000-0000-0000-0000-000000000000', undefined, 404, notFound('invoice_not_found')],
    // Duplicates
    ['a taken metric code', 'POST', '/api/v1/billable_metrics', { billable_metric: { name: 'S2', code: 'storage', aggregation_type: 'count_agg' } }, 422, unprocessable({ code: ['value_already_exist'] })],
    ['a taken plan code', 'POST', '/api/v1/plans', plan({ code: 'basic' }), 422, unprocessable({ code: ['value_already_exist'] })],
    ['a code too long to index', 'POST', '/api/v1/taxes', { tax: { name: 'Long', code: 'c'.repeat(501), rate: '1' } }, 422, unprocessable({ code: ['value_is_too_long'] })],
  ];

  test(`the table holds at least 40 bad requests (${rows.length})`, () => assert.ok(rows.length >= 40));

  for (const [name, method, url, payload, status, body] of rows) {
    test(`${status}: ${name}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, {
        method,
        url,
        ...(payload === undefined
          ? {}
          : {
              payload: (typeof payload === 'string' ? payload : JSON.stringify(payload)).replaceAll('$METRIC_ID', metricId),
              headers: { 'content-type': 'application/json' },
            }),
      });
      assert.equal(res.statusCode, status, res.body.slice(0, 500));
      assert.deepEqual(res.json(), body);
      assert.equal(await snapshotDatabase(t.database), before, 'the database changed');
    });
  }
});
