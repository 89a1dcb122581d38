import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { at, chargeOf, createMetric, createPlan, currentUsage, sendEvents, subscribe, type LagoClient } from './usage-fixtures.ts';

const SUB = 'sub_f';
const CUS = 'cus_f';
const ev = (code: string, properties: Record<string, unknown>, day = '05') => ({
  external_subscription_id: SUB,
  code,
  timestamp: at(`2025-07-${day}T10:00:00Z`),
  properties,
});

describe('current usage: charge filters and pricing groups', () => {
  let t: TestApp;
  let key: string;
  let client: LagoClient;

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ testClock: '2025-07-20T00:00:00Z' }));
    client = t.client(key);
    const requests = await createMetric(client, {
      code: 'requests',
      name: 'Requests',
      aggregation_type: 'count_agg',
      filters: [
        { key: 'region', values: ['eu', 'us', 'asia'] },
        { key: 'tier', values: ['free', 'pro'] },
      ],
    });
    const messages = await createMetric(client, { code: 'messages', name: 'Messages', aggregation_type: 'sum_agg', field_name: 'size' });
    const jobs = await createMetric(client, {
      code: 'jobs',
      name: 'Jobs',
      aggregation_type: 'count_agg',
      filters: [{ key: 'cloud', values: ['aws', 'gcp'] }],
    });
    const idle = await createMetric(client, {
      code: 'idle',
      name: 'Idle',
      aggregation_type: 'count_agg',
      filters: [{ key: 'cloud', values: ['aws', 'gcp'] }],
    });
    const quiet = await createMetric(client, { code: 'quiet', name: 'Quiet', aggregation_type: 'sum_agg', field_name: 'n' });
    await createPlan(t, key, 'filtered', [
      {
        billable_metric_id: requests,
        charge_model: 'standard',
        properties: { amount: '1' },
        filters: [
          { values: { region: ['eu'] }, properties: { amount: '2' } },
          { values: { region: ['eu'], tier: ['pro'] }, properties: { amount: '5' }, invoice_display_name: 'EU pro' },
          { values: { region: ['__ALL_FILTER_VALUES__'] }, properties: { amount: '3' } },
        ],
      },
      {
        billable_metric_id: messages,
        charge_model: 'graduated',
        properties: {
          pricing_group_keys: ['channel'],
          graduated_ranges: [
            { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
            { from_value: 11, to_value: null, per_unit_amount: '0.1', flat_amount: '0' },
          ],
        },
      },
      {
        billable_metric_id: jobs,
        charge_model: 'standard',
        properties: { amount: '1', pricing_group_keys: ['team'] },
        filters: [{ values: { cloud: ['aws'] }, properties: { amount: '2', pricing_group_keys: ['team'] } }],
      },
      {
        billable_metric_id: idle,
        charge_model: 'standard',
        properties: { amount: '1' },
        filters: [
          { values: { cloud: ['aws'] }, properties: { amount: '2' } },
          { values: { cloud: ['gcp'] }, properties: { amount: '3' } },
        ],
      },
      { billable_metric_id: quiet, charge_model: 'standard', properties: { amount: '1', pricing_group_keys: ['region'] } },
    ]);
    await subscribe(client, { customer: CUS, plan: 'filtered', subscription: SUB, at: '2025-07-01T00:00:00Z' });
    await sendEvents(client, [
      // The most specific filter wins: eu/pro under "eu pro", eu/free under "eu", other declared regions under ALL.
      ev('requests', { region: 'eu', tier: 'pro' }),
      ev('requests', { region: 'eu', tier: 'pro' }),
      ev('requests', { region: 'eu', tier: 'free' }),
      ev('requests', { region: 'us' }),
      ev('requests', { region: 'us', tier: 'free' }),
      ev('requests', { region: 'us', tier: 'pro' }),
      ev('requests', { region: 'asia', tier: 'pro' }),
      // An undeclared value and a missing key both fall in the default bucket.
      ev('requests', { region: 'mars' }),
      ev('requests', { tier: 'pro' }),
      // Graduated tiers restart in each group: email 15, sms 4, no channel 3 (and "" 2, a group of its own shown null).
      ev('messages', { channel: 'email', size: 8 }),
      ev('messages', { channel: 'email', size: 7 }),
      ev('messages', { channel: 'sms', size: 4 }),
      ev('messages', { size: 3 }),
      ev('messages', { channel: '', size: 2 }),
      // A filter with its own groups, and the default bucket grouped by the charge's keys.
      ev('jobs', { cloud: 'aws', team: 'a' }),
      ev('jobs', { cloud: 'aws', team: 'a' }),
      ev('jobs', { cloud: 'aws', team: 'b' }),
      ev('jobs', { cloud: 'gcp', team: 'a' }),
    ]);
  });
  after(() => t.close());

  test('filters: each bucket with its units and price, the default bucket last with null values', async () => {
    const usage = await currentUsage(client, CUS, SUB, { apply_taxes: false });
    const requests = chargeOf(usage, 'requests');
    assert.deepEqual(
      requests.filters!.map((f) => [f.values, f.invoice_display_name ?? null, f.units, f.total_aggregated_units, f.events_count, f.amount_cents]),
      [
        [{ region: ['eu'] }, null, '1.0', '1.0', 1, 200],
        [{ region: ['eu'], tier: ['pro'] }, 'EU pro', '2.0', '2.0', 2, 1000],
        [{ region: ['__ALL_FILTER_VALUES__'] }, null, '4.0', '4.0', 4, 1200],
        [null, null, '2.0', '2.0', 2, 200],
      ],
    );
    assert.deepEqual([requests.units, requests.events_count, requests.amount_cents, requests.grouped_usage], ['9.0', 9, 2600, []]);
  });

  test('the filter entry keys are Lago\'s, without amount_currency', async () => {
    const res = await t.request(key, { method: 'GET', url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}` });
    const requests = res.json().customer_usage.charges_usage.find((c: { billable_metric: { code: string } }) => c.billable_metric.code === 'requests');
    assert.deepEqual(Object.keys(requests.filters[0]), [
      'units', 'total_aggregated_units', 'events_count', 'amount_cents', 'pricing_unit_details', 'invoice_display_name', 'values',
      'presentation_breakdowns',
    ]);
    const jobs = res.json().customer_usage.charges_usage.find((c: { billable_metric: { code: string } }) => c.billable_metric.code === 'jobs');
    assert.deepEqual(Object.keys(jobs.grouped_usage[0]), [
      'units', 'total_aggregated_units', 'events_count', 'amount_cents', 'pricing_unit_details', 'grouped_by', 'filters',
      'presentation_breakdowns',
    ]);
  });

  test('pricing groups: one line per group, graduated tiers restart per group', async () => {
    const usage = await currentUsage(client, CUS, SUB, { apply_taxes: false });
    const messages = chargeOf(usage, 'messages');
    assert.deepEqual(
      messages.grouped_usage!.map((g) => [g.grouped_by, g.units, g.events_count, g.amount_cents, g.filters]),
      [
        // "" and a missing channel are two groups in Lago's SQL (2 and 3 units, priced apart); both show null, and the
        // entries merge them.
        [{ channel: null }, '5.0', 2, 500, []],
        [{ channel: 'email' }, '15.0', 2, 1050, []],
        [{ channel: 'sms' }, '4.0', 1, 400, []],
      ],
    );
    // Ungrouped, 24 units would cost 10 + 14 × 0.1 = 11.4; per group it is 2 + 3 + 10.5 + 4.
    assert.deepEqual([messages.units, messages.amount_cents, messages.filters], ['24.0', 1950, []]);
  });

  test('filters with groups: groups nest their filters; a filter groups by its own keys', async () => {
    const usage = await currentUsage(client, CUS, SUB, { apply_taxes: false });
    const jobs = chargeOf(usage, 'jobs');
    assert.deepEqual(
      jobs.filters!.map((f) => [f.values, f.units, f.amount_cents]),
      [
        [{ cloud: ['aws'] }, '3.0', 600],
        [null, '1.0', 100],
      ],
    );
    assert.deepEqual(
      jobs.grouped_usage!.map((g) => [g.grouped_by, g.units, g.amount_cents, g.filters!.map((f) => [f.values, f.units, f.amount_cents])]),
      [
        [{ team: 'a' }, '3.0', 500, [[{ cloud: ['aws'] }, '2.0', 400], [null, '1.0', 100]]],
        [{ team: 'b' }, '1.0', 200, [[{ cloud: ['aws'] }, '1.0', 200]]],
      ],
    );
    assert.equal(jobs.amount_cents, 700);
  });

  test('no usage: each bucket still shows a zero line, and a grouped charge one null group', async () => {
    const usage = await currentUsage(client, CUS, SUB, { apply_taxes: false });
    const idle = chargeOf(usage, 'idle');
    assert.deepEqual(
      idle.filters!.map((f) => [f.values, f.units, f.events_count, f.amount_cents]),
      [
        [{ cloud: ['aws'] }, '0.0', 0, 0],
        [{ cloud: ['gcp'] }, '0.0', 0, 0],
        [null, '0.0', 0, 0],
      ],
    );
    assert.deepEqual([idle.units, idle.events_count, idle.amount_cents, idle.grouped_usage], ['0.0', 0, 0, []]);
    const quiet = chargeOf(usage, 'quiet');
    assert.deepEqual(quiet.grouped_usage!.map((g) => [g.grouped_by, g.units, g.amount_cents]), [[{ region: null }, '0.0', 0]]);
    assert.equal(usage.amount_cents, 2600 + 1950 + 700);
  });

  test('filter_by_group restricts usage to property values; a pinned key no longer groups', async () => {
    const get = async (query: string) => {
      const res = await t.request(key, {
        method: 'GET',
        url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}&charge_code=messages&apply_taxes=false&${query}`,
      });
      return { status: res.statusCode, body: res.json() };
    };
    const json = await get(`group=${encodeURIComponent('{"channel":"email"}')}`);
    const email = json.body.customer_usage.charges_usage[0];
    assert.deepEqual([email.units, email.amount_cents, email.grouped_usage], ['15.0', 1050, []]);
    // Rails' nested keys, and the filter_by_ name.
    const nested = (await get('filter_by_group[channel]=sms')).body.customer_usage.charges_usage[0];
    assert.deepEqual([nested.units, nested.amount_cents], ['4.0', 400]);
    const list = (await get(`filter_by_group=${encodeURIComponent('{"channel":["sms","email"]}')}`)).body.customer_usage.charges_usage[0];
    assert.deepEqual([list.units, list.amount_cents], ['19.0', 1090]);
    // A property the aggregates do not split by is read from the events; the channel still groups.
    const bySize = (await get(`group=${encodeURIComponent('{"size":["8","7"]}')}`)).body.customer_usage.charges_usage[0];
    assert.deepEqual(
      bySize.grouped_usage.map((g: { grouped_by: object; units: string; amount_cents: number }) => [g.grouped_by, g.units, g.amount_cents]),
      [[{ channel: 'email' }, '15.0', 1050]],
    );
    // A group filter allows the whole life's usage.
    assert.equal((await get(`full_usage=true&group=${encodeURIComponent('{"channel":"sms"}')}`)).status, 200);
    for (const bad of ['group=not-json', `group=${encodeURIComponent('["email"]')}`, `filter_by_group=${encodeURIComponent('{"channel":{"a":1}}')}`]) {
      const refused = await get(bad);
      const field = bad.startsWith('group') ? 'group' : 'filter_by_group';
      assert.deepEqual(refused, {
        status: 422,
        body: { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { [field]: ['invalid_format'] } },
      });
    }
  });

  test('skip_grouping prices a grouped charge as one', async () => {
    const res = await t.request(key, {
      method: 'GET',
      url: `/api/v1/customers/${CUS}/current_usage?external_subscription_id=${SUB}&charge_code=messages&skip_grouping=true`,
    });
    const messages = res.json().customer_usage.charges_usage[0];
    // 24 units in one tier run: 10 + 14 × 0.1.
    assert.deepEqual([messages.units, messages.amount_cents, messages.grouped_usage], ['24.0', 1140, []]);
  });

  test('an event sent now is in the next answer', async () => {
    await sendEvents(client, [ev('requests', { region: 'eu', tier: 'pro' }, '19')]);
    const usage = await currentUsage(client, CUS, SUB, { charge_code: 'requests' });
    assert.equal(usage.charges_usage[0]!.filters![1]!.units, '3.0');
    assert.equal(usage.amount_cents, 3100);
  });
});
