import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { story } from '../scenarios/story.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

interface UsageEntry {
  units: string;
  total_aggregated_units: string;
  events_count: number;
  amount_cents: number;
  pricing_unit_details: unknown;
  presentation_breakdowns: unknown[];
}

interface FilterEntry extends UsageEntry {
  invoice_display_name: string | null;
  values: Record<string, string[]> | null;
}

interface ChargeUsage extends UsageEntry {
  amount_currency: string;
  charge: { lago_id: string; code: string; charge_model: string; invoice_display_name: string | null };
  billable_metric: { lago_id: string; name: string; code: string; aggregation_type: string };
  filters: FilterEntry[];
  grouped_usage: (UsageEntry & { grouped_by: Record<string, string | null>; filters: FilterEntry[] })[];
}

interface UsagePeriod {
  from_datetime: string;
  to_datetime: string;
  issuing_date: string;
  currency: string;
  amount_cents: number;
  total_amount_cents: number;
  taxes_amount_cents: number;
  lago_invoice_id: string;
  charges_usage: ChargeUsage[];
}

interface PastUsage {
  usage_periods: UsagePeriod[];
  meta: { current_page: number; next_page: number | null; prev_page: number | null; total_pages: number; total_count: number };
}

/** A period's figures, compact: its window, its invoice's amounts and each charge's units and amount. */
const summary = (p: UsagePeriod) => ({
  window: `${p.from_datetime}/${p.to_datetime}`,
  issuing_date: p.issuing_date,
  amounts: [p.amount_cents, p.taxes_amount_cents, p.total_amount_cents],
  charges: Object.fromEntries(p.charges_usage.map((c) => [c.billable_metric.code, [c.units, c.events_count, c.amount_cents]])),
});

describe('GET /customers/{id}/past_usage: usage of billed periods, from the invoices', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof story>>;
  let otherKey: string;
  const invoiceIds: Record<string, string> = {};
  const chargeIds: Record<string, string> = {};
  const metricIds: Record<string, string> = {};

  const past = async (query: Record<string, string | number>, key = s.key, customer = 'pu'): Promise<PastUsage> => {
    const res = await t.client(key).customers.findAllCustomerPastUsage(customer, query as never);
    return res.data as unknown as PastUsage;
  };
  const refused = async (query: Record<string, string | number>, key = s.key) => {
    try {
      await t.client(key).customers.findAllCustomerPastUsage('pu', query as never);
    } catch (error) {
      return lagoError(error);
    }
    assert.fail('the request succeeded');
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    ({ key: otherKey } = await t.newOrganization({ name: 'Other Co' }));
    await s.tax('vat', '20', { applied_to_organization: true });
    metricIds.calls = await s.metric({ code: 'calls', name: 'API calls', aggregation_type: 'count_agg', filters: [{ key: 'region', values: ['eu', 'us'] }] });
    metricIds.storage = await s.metric({ code: 'storage', name: 'Storage', aggregation_type: 'sum_agg', field_name: 'gb' });
    const charges = [
      {
        billable_metric_id: metricIds.calls,
        code: 'calls_charge',
        charge_model: 'standard',
        properties: { amount: '0.10' },
        filters: [
          { invoice_display_name: 'Europe', properties: { amount: '0.20' }, values: { region: ['eu'] } },
          { properties: { amount: '0.30' }, values: { region: ['us'] } },
        ],
      },
      { billable_metric_id: metricIds.storage, code: 'storage_charge', charge_model: 'standard', invoice_display_name: 'Disk', properties: { amount: '1', pricing_group_keys: ['team'] } },
    ];
    const plan = (await s.plan({ code: 'usage', amount_cents: 1_000, charges })) as { plan: { charges: { lago_id: string; code: string }[] } };
    for (const c of plan.plan.charges) chargeIds[c.code] = c.lago_id;
    await s.plan({ code: 'usage_plus', amount_cents: 3_000, charges });
    await s.plan({ code: 'usage_other', amount_cents: 1_000, charges });
    await s.customer({ external_id: 'pu', name: 'Past User', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'pu', external_id: 'sub_pu', plan_code: 'usage', subscription_at: '2024-01-01T00:00:00Z' });
    // Another subscription of the same customer: its usage is never in sub_pu's periods.
    await s.subscribe({ external_customer_id: 'pu', external_id: 'sub_other', plan_code: 'usage_other', subscription_at: '2024-01-01T00:00:00Z' });

    // January: 3 calls from the EU, 2 from the US, 1 from nowhere; 2 GB for team a, 5 GB for team b.
    for (const region of ['eu', 'eu', 'eu', 'us', 'us']) await s.event('sub_pu', 'calls', '2024-01-10T00:00:00Z', { region });
    await s.event('sub_pu', 'calls', '2024-01-11T00:00:00Z');
    await s.event('sub_pu', 'storage', '2024-01-12T00:00:00Z', { gb: 2, team: 'a' });
    await s.event('sub_pu', 'storage', '2024-01-12T00:00:00Z', { gb: 5, team: 'b' });
    await s.event('sub_other', 'calls', '2024-01-12T00:00:00Z', { region: 'us' });
    await s.advance('2024-02-01T01:00:00Z');
    // February: 10 calls from the EU, 1 GB for team a.
    for (let i = 0; i < 10; i++) await s.event('sub_pu', 'calls', '2024-02-10T00:00:00Z', { region: 'eu' });
    await s.event('sub_pu', 'storage', '2024-02-12T00:00:00Z', { gb: 1, team: 'a' });
    await s.advance('2024-03-01T01:00:00Z');
    // March: nothing used.
    await s.advance('2024-04-01T01:00:00Z');
    // April: 4 calls from the US, then an upgrade on the 10th bills the old plan's part of April.
    for (let i = 0; i < 4; i++) await s.event('sub_pu', 'calls', '2024-04-05T00:00:00Z', { region: 'us' });
    await s.advance('2024-04-10T12:00:00Z');
    await s.subscribe({ external_customer_id: 'pu', external_id: 'sub_pu', plan_code: 'usage_plus' });

    for (const invoice of await s.invoices('pu')) {
      const own = invoice.billing_periods.find((b) => b.external_subscription_id === 'sub_pu' && b.charges_from_datetime !== null);
      if (own) invoiceIds[own.charges_from_datetime!.slice(0, 7)] = invoice.lago_id;
    }
  });

  after(() => t.close());

  test('every billed period of the external id, latest first, across its plan change, with the invoice amounts', async () => {
    const usage = await past({ external_subscription_id: 'sub_pu' });
    assert.deepEqual(usage.usage_periods.map(summary), [
      {
        // The old plan's part of April, billed by the upgrade: 9 days of 10 € and 4 US calls.
        window: '2024-04-01T00:00:00Z/2024-04-10T12:00:00Z',
        issuing_date: '2024-04-10',
        amounts: [420, 84, 504],
        charges: { calls: ['4.0', 4, 120], storage: ['0.0', 0, 0] },
      },
      // As Lago prints them, the amounts are the whole invoice's: sub_other's 10 € (and its usage) are in them.
      { window: '2024-03-01T00:00:00Z/2024-03-31T23:59:59Z', issuing_date: '2024-04-01', amounts: [2_000, 400, 2_400], charges: { calls: ['0.0', 0, 0], storage: ['0.0', 0, 0] } },
      { window: '2024-02-01T00:00:00Z/2024-02-29T23:59:59Z', issuing_date: '2024-03-01', amounts: [2_300, 460, 2_760], charges: { calls: ['10.0', 10, 200], storage: ['1.0', 1, 100] } },
      {
        window: '2024-01-01T00:00:00Z/2024-01-31T23:59:59Z',
        issuing_date: '2024-02-01',
        // sub_pu: 10 € + 0.60 € (EU) + 0.60 € (US) + 0.10 € (elsewhere) + 7 € of storage; sub_other: 10 € + 0.30 €. 20 % VAT.
        amounts: [2_860, 572, 3_432],
        charges: { calls: ['6.0', 6, 130], storage: ['7.0', 2, 700] },
      },
    ]);
    assert.deepEqual(usage.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 4 });
    assert.deepEqual(
      usage.usage_periods.map((p) => p.lago_invoice_id),
      ['2024-04', '2024-03', '2024-02', '2024-01'].map((month) => invoiceIds[month]),
    );
    assert.ok(usage.usage_periods.every((p) => p.currency === 'EUR'));
  });

  test("charges as Lago's ChargeUsageSerializer shows them: filters when the charge has some, groups when fees were grouped", async () => {
    const january = (await past({ external_subscription_id: 'sub_pu' })).usage_periods[3]!;
    const [calls, storage] = january.charges_usage;
    assert.deepEqual(calls!.charge, { lago_id: chargeIds.calls_charge, code: 'calls_charge', charge_model: 'standard', invoice_display_name: null });
    assert.deepEqual(calls!.billable_metric, { lago_id: metricIds.calls, name: 'API calls', code: 'calls', aggregation_type: 'count_agg' });
    assert.deepEqual([calls!.amount_currency, calls!.total_aggregated_units, calls!.pricing_unit_details, calls!.presentation_breakdowns], ['EUR', '6.0', null, []]);
    const byValues = Object.fromEntries(calls!.filters.map((f) => [JSON.stringify(f.values), [f.invoice_display_name, f.units, f.events_count, f.amount_cents]]));
    assert.deepEqual(byValues, {
      '{"region":["eu"]}': ['Europe', '3.0', 3, 60],
      '{"region":["us"]}': [null, '2.0', 2, 60],
      null: [null, '1.0', 1, 10],
    });
    assert.deepEqual(calls!.grouped_usage, []);

    assert.deepEqual(storage!.charge, { lago_id: chargeIds.storage_charge, code: 'storage_charge', charge_model: 'standard', invoice_display_name: 'Disk' });
    assert.deepEqual(storage!.filters, []);
    assert.deepEqual(
      storage!.grouped_usage.map((g) => [g.grouped_by, g.units, g.total_aggregated_units, g.events_count, g.amount_cents, g.filters, g.pricing_unit_details]),
      [
        [{ team: 'a' }, '2.0', '2.0', 1, 200, [], null],
        [{ team: 'b' }, '5.0', '5.0', 1, 500, [], null],
      ],
    );
  });

  test('periods_count keeps the latest periods; pages step by per_page, as Lago paginates', async () => {
    const latest = await past({ external_subscription_id: 'sub_pu', periods_count: 2 });
    assert.deepEqual(latest.usage_periods.map((p) => p.from_datetime), ['2024-04-01T00:00:00Z', '2024-03-01T00:00:00Z']);
    assert.deepEqual(latest.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 4 });
    const second = await past({ external_subscription_id: 'sub_pu', page: 2, per_page: 1 });
    assert.deepEqual(second.usage_periods.map((p) => p.from_datetime), ['2024-03-01T00:00:00Z']);
    assert.deepEqual(second.meta, { current_page: 2, next_page: 3, prev_page: 1, total_pages: 4, total_count: 4 });
    const beyond = await past({ external_subscription_id: 'sub_pu', page: 9 });
    assert.deepEqual(beyond.usage_periods, []);
  });

  test('billable_metric_code keeps that metric’s charges; the amounts stay the invoice’s', async () => {
    const usage = await past({ external_subscription_id: 'sub_pu', billable_metric_code: 'storage' });
    assert.deepEqual(
      usage.usage_periods.map((p) => [p.amount_cents, p.charges_usage.map((c) => [c.billable_metric.code, c.amount_cents])]),
      [
        [420, [['storage', 0]]],
        [2_000, [['storage', 0]]],
        [2_300, [['storage', 100]]],
        [2_860, [['storage', 700]]],
      ],
    );
  });

  test("another subscription's usage on the same invoices is not shown", async () => {
    const usage = await past({ external_subscription_id: 'sub_other' });
    assert.equal(usage.usage_periods.length, 3);
    const january = usage.usage_periods[2]!;
    // The invoice billed both subscriptions; only sub_other's one US call is its usage.
    assert.equal(january.lago_invoice_id, invoiceIds['2024-01']);
    assert.deepEqual(summary(january).charges, { calls: ['1.0', 1, 30], storage: ['0.0', 0, 0] });
  });

  test('an unknown customer or subscription has no past periods', async () => {
    const none = await past({ external_subscription_id: 'sub_pu' }, s.key, 'nobody');
    assert.deepEqual(none, { usage_periods: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
    assert.deepEqual((await past({ external_subscription_id: 'sub_nope' })).usage_periods, []);
  });

  test('bad requests answer in Lago’s shape', async () => {
    const unprocessable = (details: Record<string, unknown>) => ({ status: 422, body: { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details } });
    assert.deepEqual(await refused({}), unprocessable({ external_subscription_id: ['value_is_mandatory'] }));
    assert.deepEqual(await refused({ external_subscription_id: ' ' }), unprocessable({ external_subscription_id: ['value_is_mandatory'] }));
    assert.deepEqual(await refused({ external_subscription_id: 'sub_pu', periods_count: 'two' }), unprocessable({ periods_count: ['value_is_invalid'] }));
    assert.deepEqual(await refused({ external_subscription_id: 'sub_pu', periods_count: 0 }), unprocessable({ periods_count: ['value_is_invalid'] }));
    assert.deepEqual(await refused({ external_subscription_id: 'sub_pu', billable_metric_code: 'nope' }), {
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'billable_metric_not_found' },
    });
  });

  test("another organization sees none of this one's periods, metrics or invoices", async () => {
    const foreign = await past({ external_subscription_id: 'sub_pu' }, otherKey);
    assert.deepEqual(foreign.usage_periods, []);
    assert.equal(foreign.meta.total_count, 0);
    assert.deepEqual(await refused({ external_subscription_id: 'sub_pu', billable_metric_code: 'calls' }, otherKey), {
      status: 404,
      body: { status: 404, error: 'Not Found', code: 'billable_metric_not_found' },
    });
    // Even with a customer and subscription of the same external ids of its own, it sees only its own (none billed).
    await t.client(otherKey).customers.createCustomer({ customer: { external_id: 'pu', name: 'Other' } });
    assert.deepEqual((await past({ external_subscription_id: 'sub_pu' }, otherKey)).usage_periods, []);
  });
});
