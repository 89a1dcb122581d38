import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChargeObject, PlanCreateInput, PlanObject, PlansPaginated } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { deleteMetric, insertMetric, insertSubscription } from './plans-factory.ts';

const NOW = '2024-03-01T12:00:00Z';

describe('plans', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const m = { apiCalls: '', seats: '', requests: '', storage: '', latest: '', deleted: '' };
  let vat: { lago_id: string };
  let gst: { lago_id: string };

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ testClock: NOW }));
    m.apiCalls = await insertMetric(t.database, orgId, { code: 'api_calls', filters: { region: ['us', 'eu'], tier: ['gold', 'silver'] } });
    m.seats = await insertMetric(t.database, orgId, { code: 'seats', recurring: true });
    m.requests = await insertMetric(t.database, orgId, { code: 'requests', aggregationType: 'count_agg' });
    m.storage = await insertMetric(t.database, orgId, { code: 'storage', aggregationType: 'max_agg' });
    m.latest = await insertMetric(t.database, orgId, { code: 'latest', aggregationType: 'latest_agg' });
    m.deleted = await insertMetric(t.database, orgId, { code: 'gone' });
    await deleteMetric(t.database, m.deleted);
    vat = (await t.client(key).taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20' } })).data.tax;
    gst = (await t.client(key).taxes.createTax({ tax: { name: 'GST', code: 'gst', rate: '5' } })).data.tax;
  });
  after(() => t.close());

  const tax = (x: { lago_id: string }, name: string, code: string, rate: number) => ({
    lago_id: x.lago_id,
    name,
    code,
    rate,
    description: null,
    applied_to_organization: false,
    add_ons_count: 0,
    customers_count: 0,
    plans_count: 0,
    charges_count: 0,
    commitments_count: 0,
    created_at: NOW,
  });

  test('a plan with every charge model, filters, group keys, taxes, thresholds and a minimum commitment', async () => {
    const client = t.client(key);
    const presentation = [{ value: 'region', options: { display_in_invoice: true } }];
    const input: PlanCreateInput = {
      plan: {
        name: 'Startup',
        invoice_display_name: 'Startup plan',
        code: 'startup',
        interval: 'monthly',
        description: 'For small teams',
        amount_cents: 10_000,
        amount_currency: 'EUR',
        trial_period: 7,
        pay_in_advance: true,
        tax_codes: ['vat'],
        usage_thresholds: [
          { amount_cents: 5_000, threshold_display_name: 'First' },
          { amount_cents: 20_000, recurring: true },
        ],
        minimum_commitment: { amount_cents: 50_000, invoice_display_name: 'Minimum', tax_codes: ['gst'] },
        charges: [
          {
            billable_metric_id: m.apiCalls,
            charge_model: 'standard',
            invoice_display_name: 'API calls',
            properties: { amount: '0.001', grouped_by: ['customer'], presentation_group_keys: presentation },
            filters: [
              { invoice_display_name: 'US', values: { region: ['us'] }, properties: { amount: '0.002' } },
              {
                values: { region: ['__ALL_FILTER_VALUES__'], tier: ['gold'] },
                properties: { amount: '0.003', pricing_group_keys: ['user'], presentation_group_keys: presentation } as never,
              },
            ],
            tax_codes: ['vat', 'gst'],
          },
          {
            billable_metric_id: m.apiCalls,
            charge_model: 'graduated',
            properties: {
              graduated_ranges: [
                { from_value: 0, to_value: 100, per_unit_amount: '0', flat_amount: '0' },
                { from_value: 101, to_value: null, per_unit_amount: '0.5', flat_amount: '10' },
              ],
            },
          },
          {
            billable_metric_id: m.apiCalls,
            charge_model: 'graduated_percentage',
            properties: {
              graduated_percentage_ranges: [
                { from_value: 0, to_value: 1000, rate: '1', flat_amount: '200' },
                { from_value: 1000, to_value: null, rate: '0.5', flat_amount: '0' },
              ],
            },
          },
          {
            billable_metric_id: m.requests,
            charge_model: 'package',
            pay_in_advance: true,
            invoiceable: false,
            regroup_paid_fees: 'invoice',
            properties: { amount: '5', package_size: 100, free_units: 10 },
          },
          {
            billable_metric_id: m.apiCalls,
            charge_model: 'percentage',
            min_amount_cents: 100,
            properties: {
              rate: '1.5',
              fixed_amount: '0.1',
              free_units_per_events: 3,
              free_units_per_total_aggregation: '100',
              per_transaction_min_amount: '0.5',
              per_transaction_max_amount: '10',
            },
          },
          {
            billable_metric_id: m.seats,
            charge_model: 'volume',
            prorated: true,
            properties: {
              volume_ranges: [
                { from_value: 0, to_value: 10, per_unit_amount: '5', flat_amount: '0' },
                { from_value: 11, to_value: null, per_unit_amount: '4', flat_amount: '0' },
              ],
            },
          },
          { billable_metric_id: m.apiCalls, code: 'dyn', charge_model: 'dynamic' },
        ],
      },
    };
    const created = await client.plans.createPlan(input);
    const plan: PlanObject = created.data.plan;
    const json = plan as PlanObject & Record<string, unknown>;

    assert.deepEqual(
      { ...json, charges: undefined, usage_thresholds: undefined, minimum_commitment: undefined, lago_id: undefined },
      {
        lago_id: undefined,
        name: 'Startup',
        invoice_display_name: 'Startup plan',
        created_at: NOW,
        code: 'startup',
        interval: 'monthly',
        description: 'For small teams',
        amount_cents: 10_000,
        amount_currency: 'EUR',
        trial_period: 7,
        pay_in_advance: true,
        bill_charges_monthly: null,
        bill_fixed_charges_monthly: null,
        customers_count: 0,
        active_subscriptions_count: 0,
        draft_invoices_count: 0,
        parent_id: null,
        pending_deletion: false,
        charges: undefined,
        fixed_charges: [],
        entitlements: [],
        usage_thresholds: undefined,
        applicable_usage_thresholds: [
          { threshold_display_name: null, amount_cents: 20_000, recurring: true },
          { threshold_display_name: 'First', amount_cents: 5_000, recurring: false },
        ],
        taxes: [tax(vat, 'VAT', 'vat', 20)],
        minimum_commitment: undefined,
      },
    );
    assert.equal('metadata' in json, false);
    assert.deepEqual(
      plan.usage_thresholds?.map(({ lago_id: _, ...rest }) => rest),
      [
        { threshold_display_name: null, amount_cents: 20_000, recurring: true, created_at: NOW, updated_at: NOW },
        { threshold_display_name: 'First', amount_cents: 5_000, recurring: false, created_at: NOW, updated_at: NOW },
      ],
    );
    const { lago_id: commitmentId, ...commitment } = plan.minimum_commitment!;
    assert.match(commitmentId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(commitment, {
      plan_code: 'startup',
      invoice_display_name: 'Minimum',
      amount_cents: 50_000,
      interval: 'monthly',
      created_at: NOW,
      updated_at: NOW,
      taxes: [tax(gst, 'GST', 'gst', 5)],
    });

    const charges: ChargeObject[] = plan.charges!;
    // Codes are generated from the metric code, numbered past the highest sibling.
    assert.deepEqual(charges.map((c) => c.code), ['api_calls', 'api_calls_2', 'api_calls_3', 'requests', 'api_calls_4', 'seats', 'dyn']);
    const [standard, graduated, graduatedPercentage, pkg, percentage, volume, dynamic] = charges;
    // The client types a charge's filters without their lago_id, which Lago (and Billow) show.
    const filterIds = (standard!.filters as unknown as { lago_id: string }[]).map((f) => f.lago_id);
    assert.deepEqual(standard, {
      lago_id: standard!.lago_id,
      lago_billable_metric_id: m.apiCalls,
      code: 'api_calls',
      invoice_display_name: 'API calls',
      billable_metric_code: 'api_calls',
      created_at: NOW,
      charge_model: 'standard',
      invoiceable: true,
      regroup_paid_fees: null,
      pay_in_advance: false,
      prorated: false,
      min_amount_cents: 0,
      accepts_target_wallet: false,
      properties: { amount: '0.001', pricing_group_keys: ['customer'], grouped_by: ['customer'], presentation_group_keys: presentation },
      applied_pricing_unit: null,
      lago_parent_id: null,
      filters: [
        {
          lago_id: filterIds[0],
          charge_code: 'api_calls',
          invoice_display_name: 'US',
          properties: { amount: '0.002' },
          values: { region: ['us'] },
        },
        {
          lago_id: filterIds[1],
          charge_code: 'api_calls',
          invoice_display_name: null,
          // Presentation keys are a charge-level setting: filters drop them.
          properties: { amount: '0.003', pricing_group_keys: ['user'], grouped_by: ['user'] },
          values: { region: ['__ALL_FILTER_VALUES__'], tier: ['gold'] },
        },
      ],
      taxes: [tax(gst, 'GST', 'gst', 5), tax(vat, 'VAT', 'vat', 20)],
    });
    assert.deepEqual(graduated!.properties, input.plan.charges![1]!.properties);
    assert.deepEqual(graduatedPercentage!.properties, input.plan.charges![2]!.properties);
    assert.deepEqual(
      { model: pkg!.charge_model, advance: pkg!.pay_in_advance, invoiceable: pkg!.invoiceable, regroup: pkg!.regroup_paid_fees, properties: pkg!.properties },
      { model: 'package', advance: true, invoiceable: false, regroup: 'invoice', properties: { amount: '5', package_size: 100, free_units: 10 } },
    );
    assert.equal(percentage!.min_amount_cents, 100);
    assert.deepEqual(percentage!.properties, input.plan.charges![4]!.properties);
    assert.equal(volume!.prorated, true);
    assert.equal(volume!.billable_metric_code, 'seats');
    assert.deepEqual(dynamic!.properties, {});
    assert.deepEqual(charges.slice(1).map((c) => c.taxes), [[], [], [], [], [], []]);

    // Reading it back gives the very same JSON.
    const found = await client.plans.findPlan('startup');
    assert.deepEqual(found.data.plan, plan);
  });

  test('properties left out take the model defaults; yearly plans may bill charges monthly', async () => {
    const { data } = await t.client(key).plans.createPlan({
      plan: {
        name: 'Yearly',
        code: 'yearly',
        interval: 'yearly',
        amount_cents: 0,
        amount_currency: 'USD',
        pay_in_advance: false,
        bill_charges_monthly: true,
        charges: [
          { billable_metric_id: m.apiCalls, charge_model: 'standard' },
          { billable_metric_id: m.apiCalls, charge_model: 'package', properties: {} },
          { billable_metric_id: m.apiCalls, charge_model: 'graduated' },
        ],
      },
    });
    assert.equal(data.plan.bill_charges_monthly, true);
    assert.equal(data.plan.bill_fixed_charges_monthly, false);
    assert.deepEqual(
      data.plan.charges!.map((c) => c.properties),
      [
        { amount: '0' },
        { package_size: 1, amount: '0', free_units: 0 },
        { graduated_ranges: [{ from_value: 0, to_value: null, per_unit_amount: '0', flat_amount: '0' }] },
      ],
    );
    assert.equal('minimum_commitment' in data.plan, false);
  });

  test('update: fields, taxes, thresholds, commitment, metadata, and the charges as a full list', async () => {
    const client = t.client(key);
    const created = (
      await client.plans.createPlan({
        plan: {
          name: 'Sync',
          code: 'sync',
          interval: 'yearly',
          amount_cents: 1000,
          amount_currency: 'EUR',
          pay_in_advance: false,
          bill_charges_monthly: true,
          tax_codes: ['vat'],
          usage_thresholds: [{ amount_cents: 100 }],
          minimum_commitment: { amount_cents: 500 },
          charges: [
            {
              billable_metric_id: m.apiCalls,
              charge_model: 'standard',
              invoice_display_name: 'Calls',
              properties: { amount: '300' },
              filters: [
                { values: { region: ['us'] }, properties: { amount: '1' } },
                { values: { region: ['eu'] }, properties: { amount: '2' } },
              ],
            },
            { billable_metric_id: m.requests, charge_model: 'package', properties: { amount: '1', package_size: 10, free_units: 0 } },
          ],
        },
      })
    ).data.plan;
    const [calls, pkg] = created.charges!;
    const [us] = calls!.filters as unknown as { lago_id: string }[];

    const updated = (
      await client.plans.updatePlan('sync', {
        plan: {
          name: 'Sync 2',
          description: 'now described',
          tax_codes: [],
          usage_thresholds: [{ amount_cents: 200, threshold_display_name: 'New' }],
          minimum_commitment: { amount_cents: 900, tax_codes: ['gst'] },
          metadata: { team: 'growth', note: null },
          charges: [
            {
              id: calls!.lago_id,
              charge_model: 'standard',
              pay_in_advance: true,
              filters: [
                { values: { region: ['eu'] }, properties: { amount: '20' }, invoice_display_name: 'EU' },
                { values: { region: ['us'] }, properties: { amount: '10' } },
                { values: { tier: ['gold'] }, properties: { amount: '30' } },
              ],
            },
            { billable_metric_id: m.requests, charge_model: 'standard', properties: { amount: '3' }, tax_codes: ['vat'] },
          ],
        },
      })
    ).data.plan;
    assert.equal(updated.name, 'Sync 2');
    assert.equal(updated.description, 'now described');
    assert.equal(updated.code, 'sync');
    // No interval sent: Billow keeps the monthly split (Lago would reset it).
    assert.equal(updated.bill_charges_monthly, true);
    assert.deepEqual(updated.taxes, []);
    assert.deepEqual(updated.metadata, { team: 'growth', note: null });
    assert.deepEqual(
      updated.usage_thresholds!.map((u) => [u.amount_cents, u.threshold_display_name]),
      [[200, 'New']],
    );
    assert.equal(updated.minimum_commitment!.amount_cents, 900);
    assert.equal(updated.minimum_commitment!.lago_id, created.minimum_commitment!.lago_id);
    assert.deepEqual(updated.minimum_commitment!.taxes!.map((x) => x.code), ['gst']);

    const [same, added] = updated.charges!;
    assert.equal(updated.charges!.length, 2);
    assert.equal(same!.lago_id, calls!.lago_id);
    // Left out on update: properties fall back to the defaults and the display name is cleared, as in Lago.
    assert.deepEqual(same!.properties, { amount: '0' });
    assert.equal(same!.invoice_display_name, null);
    assert.equal(same!.pay_in_advance, true);
    const filters = same!.filters as unknown as { lago_id: string; values: object; properties: object; invoice_display_name: string | null }[];
    assert.deepEqual(
      filters.map((f) => [f.values, f.properties, f.invoice_display_name]),
      [
        [{ region: ['eu'] }, { amount: '20' }, 'EU'],
        [{ region: ['us'] }, { amount: '10' }, null],
        [{ tier: ['gold'] }, { amount: '30' }, null],
      ],
    );
    // A filter sent with the values of an existing one is that filter.
    assert.equal(filters[1]!.lago_id, us!.lago_id);
    // The package charge still held `requests` when the new one was named: it is deleted after, as in Lago.
    assert.equal(added!.code, 'requests_2');
    assert.deepEqual(added!.taxes!.map((x) => x.code), ['vat']);
    assert.notEqual(added!.lago_id, pkg!.lago_id);
    const charges = await client.plans.findAllPlanCharges('sync');
    assert.deepEqual(charges.data.charges.map((c) => c.code).sort(), ['api_calls', 'requests_2']);

    // {} removes the commitment; thresholds [] removes them; charges [] removes them all.
    const cleared = (await client.plans.updatePlan('sync', { plan: { minimum_commitment: {} as never, usage_thresholds: [], charges: [] } })).data.plan;
    assert.equal('minimum_commitment' in cleared, false);
    assert.deepEqual(cleared.usage_thresholds, []);
    assert.deepEqual(cleared.charges, []);

    // Sending the interval recomputes the monthly split, as Lago does.
    const monthly = (await client.plans.updatePlan('sync', { plan: { interval: 'monthly', bill_charges_monthly: true } })).data.plan;
    assert.equal(monthly.interval, 'monthly');
    assert.equal(monthly.bill_charges_monthly, null);
    const renamed = (await client.plans.updatePlan('sync', { plan: { code: 'sync-renamed' } })).data.plan;
    assert.equal(renamed.code, 'sync-renamed');
    await assert.rejects(client.plans.findPlan('sync'), (e) => lagoError(e).body.code === 'plan_not_found');
  });

  test('once a plan has a subscription, its billing terms are ignored on update while prices stay editable', async () => {
    const client = t.client(key);
    const plan = (
      await client.plans.createPlan({
        plan: {
          name: 'Locked',
          code: 'locked',
          interval: 'monthly',
          amount_cents: 1000,
          amount_currency: 'EUR',
          pay_in_advance: false,
          trial_period: 3,
          charges: [{ billable_metric_id: m.apiCalls, charge_model: 'standard', properties: { amount: '1' } }],
        },
      })
    ).data.plan;
    // Any subscription counts, even an ended one.
    await insertSubscription(t.database, orgId, plan.lago_id, 'terminated');
    const charge = plan.charges![0]!;
    const updated = (
      await client.plans.updatePlan('locked', {
        plan: {
          name: 'Locked 2',
          amount_cents: 2000,
          code: 'other',
          interval: 'yearly',
          amount_currency: 'USD',
          pay_in_advance: true,
          trial_period: 10,
          charges: [{ id: charge.lago_id, charge_model: 'graduated', code: 'renamed', pay_in_advance: true, properties: { amount: '7' } }],
        },
      })
    ).data.plan;
    assert.deepEqual(
      [updated.name, updated.amount_cents, updated.code, updated.interval, updated.amount_currency, updated.pay_in_advance, updated.trial_period],
      ['Locked 2', 2000, 'locked', 'monthly', 'EUR', false, 3],
    );
    const after = updated.charges![0]!;
    assert.deepEqual([after.lago_id, after.code, after.charge_model, after.pay_in_advance], [charge.lago_id, charge.code, 'standard', false]);
    assert.deepEqual(after.properties, { amount: '7' });
  });

  test('list: newest first, paginated, items without fixed_charges', async () => {
    const { key: own, id } = await t.newOrganization({ name: 'Lister', testClock: '2024-01-01T00:00:00Z' });
    await insertMetric(t.database, id, { code: 'm' });
    for (const [i, code] of ['first', 'second', 'third'].entries()) {
      await t.request(own, { method: 'POST', url: '/api/v1/test_clock/advance', payload: { test_clock: { frozen_time: `2024-01-0${i + 2}T00:00:00Z` } } });
      await t.client(own).plans.createPlan({
        plan: { name: code, code, interval: 'weekly', amount_cents: 1, amount_currency: 'EUR', pay_in_advance: false },
      });
    }
    const page1: PlansPaginated = (await t.client(own).plans.findAllPlans({ per_page: 2 })).data;
    assert.deepEqual(page1.plans.map((p) => p.code), ['third', 'second']);
    assert.deepEqual(page1.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 3 });
    assert.equal('fixed_charges' in page1.plans[0]!, false);
    assert.deepEqual(page1.plans[0]!.charges, []);
    const page2 = (await t.client(own).plans.findAllPlans({ page: 2, per_page: 2 })).data;
    assert.deepEqual(page2.plans.map((p) => p.code), ['first']);
    assert.deepEqual(page2.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
  });

  test('delete: the plan goes at once and frees its code, whether or not it is in use', async () => {
    const client = t.client(key);
    const make = (code: string) =>
      client.plans.createPlan({
        plan: {
          name: code,
          code,
          interval: 'monthly',
          amount_cents: 100,
          amount_currency: 'EUR',
          pay_in_advance: false,
          charges: [{ billable_metric_id: m.apiCalls, charge_model: 'standard', properties: { amount: '1' } }],
        },
      });
    const unused = (await make('unused')).data.plan;
    await insertSubscription(t.database, orgId, unused.lago_id, 'canceled');
    const deleted = (await client.plans.destroyPlan('unused')).data.plan;
    assert.equal(deleted.lago_id, unused.lago_id);
    assert.equal((deleted as { pending_deletion?: boolean }).pending_deletion, true);
    assert.equal(deleted.charges!.length, 1);
    await assert.rejects(client.plans.findPlan('unused'), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: { status: 404, error: 'Not Found', code: 'plan_not_found' } });
      return true;
    });
    const again = (await make('unused')).data.plan;
    assert.notEqual(again.lago_id, unused.lago_id);

    const used = (await make('used')).data.plan;
    await insertSubscription(t.database, orgId, used.lago_id, 'active');
    const answer = (await client.plans.destroyPlan('used')).data.plan as PlanObject & { pending_deletion: boolean };
    assert.equal(answer.pending_deletion, true);
    // Its subscription is terminated in the same request (test/api/plans-delete.test.ts covers that), so it is gone too.
    await assert.rejects(client.plans.findPlan('used'), (e) => lagoError(e).status === 404);
    const listed = (await client.plans.findAllPlans()).data.plans.map((p) => p.code);
    assert.ok(!listed.includes('used'));
    assert.equal(listed.filter((c) => c === 'unused').length, 1);
  });

  // ---- refused requests --------------------------------------------------------------------------------------

  const plan = (extra: Record<string, unknown> = {}) => ({
    plan: { name: 'Bad', code: 'bad', interval: 'monthly', amount_cents: 100, amount_currency: 'EUR', pay_in_advance: false, ...extra },
  });
  const charge = (extra: Record<string, unknown> = {}) => plan({ charges: [{ billable_metric_id: m.apiCalls, charge_model: 'standard', properties: { amount: '1' }, ...extra }] });
  const props = (charge_model: string, properties: unknown, extra: Record<string, unknown> = {}) => charge({ charge_model, properties, ...extra });
  const filter = (f: Record<string, unknown>) => charge({ filters: [f] });
  const notFound = (code: string) => ({ status: 404, error: 'Not Found', code });
  const BAD_REQUEST = { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: plan' };

  const bad: Array<[string, () => unknown, number, unknown]> = [
    ['missing wrapper', () => ({ name: 'x' }), 400, BAD_REQUEST],
    ['empty wrapper', () => ({ plan: {} }), 400, BAD_REQUEST],
    [
      'nothing required',
      () => ({ plan: { description: 'x' } }),
      422,
      {
        name: ['value_is_mandatory'],
        code: ['value_is_mandatory'],
        amount_currency: ['value_is_invalid'],
        interval: ['value_is_invalid'],
        amount_cents: ['value_is_mandatory'],
        pay_in_advance: ['value_is_invalid'],
      },
    ],
    ['unknown interval', () => plan({ interval: 'daily' }), 422, { interval: ['value_is_invalid'] }],
    ['null interval', () => plan({ interval: null }), 422, { interval: ['value_is_invalid'] }],
    ['lower-case currency', () => plan({ amount_currency: 'eur' }), 422, { amount_currency: ['value_is_invalid'] }],
    ['amount as a string', () => plan({ amount_cents: '100' }), 422, { amount_cents: ['value_is_invalid'] }],
    ['negative amount', () => plan({ amount_cents: -1 }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['amount beyond 2^53', () => plan({ amount_cents: 2 ** 60 }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['negative trial', () => plan({ trial_period: -1 }), 422, { trial_period: ['value_is_out_of_range'] }],
    ['code taken', () => plan({ code: 'startup' }), 422, { code: ['value_already_exist'] }],
    ['metadata value not a string', () => plan({ metadata: { a: 5 } }), 422, { metadata: ['value_is_invalid'] }],
    ['fixed charges', () => plan({ fixed_charges: [{ add_on_id: m.apiCalls, charge_model: 'standard' }] }), 422, { fixed_charges: ['feature_unavailable'] }],
    ['charges not a list', () => plan({ charges: 'x' }), 422, { charges: ['value_is_invalid'] }],
    ['unknown metric', () => charge({ billable_metric_id: 'unknown' }), 404, notFound('billable_metrics_not_found')],
    ['deleted metric', () => charge({ billable_metric_id: m.deleted }), 404, notFound('billable_metrics_not_found')],
    ['charge without a metric', () => charge({ billable_metric_id: null }), 404, notFound('billable_metric_not_found')],
    ['unknown plan tax', () => plan({ tax_codes: ['nope'] }), 404, notFound('tax_not_found')],
    ['unknown charge tax', () => charge({ tax_codes: ['vat', 'nope'] }), 404, notFound('tax_not_found')],
    ['unknown commitment tax', () => plan({ minimum_commitment: { amount_cents: 10, tax_codes: ['nope'] } }), 404, notFound('tax_not_found')],
    ['unknown charge model', () => charge({ charge_model: 'custom_properties' }), 422, { charge_model: ['value_is_invalid'] }],
    ['missing charge model', () => charge({ charge_model: undefined }), 422, { charge_model: ['value_is_invalid', 'value_is_mandatory'] }],
    ['custom charge model', () => charge({ charge_model: 'custom', properties: {} }), 422, { charge_model: ['invalid_aggregation_type_or_charge_model'] }],
    ['standard: amount as a number', () => props('standard', { amount: 5 }), 422, { properties: ['invalid_amount'] }],
    ['standard: negative amount', () => props('standard', { amount: '-12' }), 422, { properties: ['invalid_amount'] }],
    [
      'package: every property wrong',
      () => props('package', { amount: 'x', free_units: -3, package_size: 0 }),
      422,
      { properties: ['invalid_amount', 'invalid_free_units', 'invalid_package_size'] },
    ],
    [
      'percentage: rate as a number, max below min',
      () => props('percentage', { rate: 0.25, per_transaction_min_amount: '5', per_transaction_max_amount: '1' }),
      422,
      { properties: ['invalid_rate', 'per_transaction_max_lower_than_per_transaction_min'] },
    ],
    ['percentage: free events zero', () => props('percentage', { rate: '1', free_units_per_events: 0 }), 422, { properties: ['invalid_free_units_per_events'] }],
    ['percentage on a latest metric', () => props('percentage', { rate: '1' }, { billable_metric_id: m.latest }), 422, { properties: ['invalid_value'] }],
    [
      'graduated: a gap',
      () =>
        props('graduated', {
          graduated_ranges: [
            { from_value: 0, to_value: 100, per_unit_amount: '1', flat_amount: '0' },
            { from_value: 120, to_value: null, per_unit_amount: '1', flat_amount: '0' },
          ],
        }),
      422,
      { properties: ['invalid_graduated_ranges'] },
    ],
    [
      'graduated: from_value missing (a 500 in Lago)',
      () => props('graduated', { graduated_ranges: [{ to_value: null, per_unit_amount: '1', flat_amount: '0' }] }),
      422,
      { properties: ['invalid_graduated_ranges'] },
    ],
    [
      'graduated: last range closed, negative price',
      () => props('graduated', { graduated_ranges: [{ from_value: 0, to_value: 10, per_unit_amount: '-1', flat_amount: '0' }] }),
      422,
      { properties: ['invalid_amount', 'invalid_graduated_ranges'] },
    ],
    ['graduated: no ranges', () => props('graduated', { graduated_ranges: [] }), 422, { properties: ['missing_graduated_ranges'] }],
    [
      'volume: ranges sharing a bound',
      () =>
        props('volume', {
          volume_ranges: [
            { from_value: 0, to_value: 10, per_unit_amount: '1', flat_amount: '0' },
            { from_value: 10, to_value: null, per_unit_amount: '1', flat_amount: '0' },
          ],
        }),
      422,
      { properties: ['invalid_volume_ranges'] },
    ],
    [
      'volume: to_value as a non-numeric string (a 500 in Lago)',
      () =>
        props('volume', {
          volume_ranges: [
            { from_value: 0, to_value: 'ten', per_unit_amount: '1', flat_amount: '0' },
            { from_value: 11, to_value: null, per_unit_amount: '1', flat_amount: '0' },
          ],
        }),
      422,
      { properties: ['invalid_volume_ranges', 'invalid_volume_ranges'] },
    ],
    [
      'graduated percentage: ranges missing (a 500 in Lago)',
      () => props('graduated_percentage', { pricing_group_keys: ['a'] }),
      422,
      { properties: ['missing_graduated_percentage_ranges'] },
    ],
    ['pricing_group_keys as a string (a 500 in Lago)', () => props('standard', { amount: '1', pricing_group_keys: 'region' }), 422, { properties: ['invalid_type'] }],
    ['grouped_by holding numbers (a 500 in Lago)', () => props('standard', { amount: '1', grouped_by: [1] }), 422, { properties: ['invalid_type'] }],
    [
      'three presentation keys',
      () => props('standard', { amount: '1', presentation_group_keys: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }),
      422,
      { properties: ['too_many_keys'] },
    ],
    ['properties not an object', () => props('standard', ['1']), 422, { properties: ['value_is_invalid'] }],
    ['dynamic on a count metric', () => props('dynamic', {}, { billable_metric_id: m.requests }), 422, { charge_model: ['invalid_aggregation_type_or_charge_model'] }],
    ['volume in advance', () => props('volume', {}, { pay_in_advance: true }), 422, { pay_in_advance: ['invalid_aggregation_type_or_charge_model'] }],
    ['in advance on a max metric', () => charge({ billable_metric_id: m.storage, pay_in_advance: true }), 422, { pay_in_advance: ['invalid_aggregation_type_or_charge_model'] }],
    ['not invoiceable in arrears', () => charge({ invoiceable: false }), 422, { invoiceable: ['must_be_true_unless_pay_in_advance'] }],
    [
      'regrouping an invoiceable charge',
      () => charge({ pay_in_advance: true, regroup_paid_fees: 'invoice' }),
      422,
      { regroup_paid_fees: ['only_compatible_with_pay_in_advance_and_non_invoiceable'] },
    ],
    ['unknown regroup value (a 500 in Lago)', () => charge({ regroup_paid_fees: 'weekly' }), 422, { regroup_paid_fees: ['value_is_invalid'] }],
    ['prorated on a metered metric', () => charge({ prorated: true }), 422, { prorated: ['invalid_billable_metric_or_charge_model'] }],
    [
      'prorated package on a recurring metric',
      () => props('package', {}, { billable_metric_id: m.seats, prorated: true }),
      422,
      { prorated: ['invalid_billable_metric_or_charge_model'] },
    ],
    ['minimum with pay in advance', () => charge({ pay_in_advance: true, min_amount_cents: 10 }), 422, { min_amount_cents: ['not_compatible_with_pay_in_advance'] }],
    ['negative minimum', () => charge({ min_amount_cents: -1 }), 422, { min_amount_cents: ['value_is_out_of_range'] }],
    ['pricing unit (Billow has none)', () => charge({ applied_pricing_unit: { code: 'credits', conversion_rate: '2' } }), 422, { pricing_unit: ['relation_must_exist'] }],
    [
      'two charges with one code',
      () =>
        plan({
          charges: [
            { billable_metric_id: m.apiCalls, code: 'same', charge_model: 'standard' },
            { billable_metric_id: m.requests, code: 'same', charge_model: 'standard' },
          ],
        }),
      422,
      { code: ['value_already_exist'] },
    ],
    ['filter: unknown key', () => filter({ values: { country: ['fr'] }, properties: { amount: '1' } }), 422, { billable_metric_filter: ['relation_must_exist'], values: ['value_is_invalid'] }],
    ['filter: unknown value', () => filter({ values: { region: ['asia'] }, properties: { amount: '1' } }), 422, { values: ['value_is_invalid'] }],
    ['filter: all values mixed with others', () => filter({ values: { region: ['__ALL_FILTER_VALUES__', 'us'] }, properties: { amount: '1' } }), 422, { values: ['value_is_invalid'] }],
    ['filter: an empty value list', () => filter({ values: { region: [] }, properties: { amount: '1' } }), 422, { values: ['value_is_mandatory'] }],
    ['filter: no values', () => filter({ values: {}, properties: { amount: '1' } }), 422, { values: ['value_is_mandatory'] }],
    ['filter: bad properties', () => filter({ values: { region: ['us'] }, properties: { amount: 1 } }), 422, { properties: ['invalid_amount'] }],
    ['filter: no properties (no defaults for filters)', () => filter({ values: { region: ['us'] } }), 422, { properties: ['invalid_amount'] }],
    ['threshold without amount', () => plan({ usage_thresholds: [{ threshold_display_name: 'x' }] }), 422, { usage_thresholds: ['missing_amount_cents'] }],
    ['thresholds duplicated', () => plan({ usage_thresholds: [{ amount_cents: 10 }, { amount_cents: 10, recurring: false }] }), 422, { usage_thresholds: ['duplicated_values'] }],
    [
      'two recurring thresholds',
      () => plan({ usage_thresholds: [{ amount_cents: 10, recurring: true }, { amount_cents: 20, recurring: true }] }),
      422,
      { usage_thresholds: ['multiple_recurring_thresholds'] },
    ],
    ['threshold of zero', () => plan({ usage_thresholds: [{ amount_cents: 0 }] }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['commitment of zero', () => plan({ minimum_commitment: { amount_cents: 0 } }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['commitment without amount', () => plan({ minimum_commitment: { invoice_display_name: 'x' } }), 422, { amount_cents: ['value_is_mandatory'] }],
  ];
  for (const [name, payload, status, expected] of bad) {
    test(`refused: ${name}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, { method: 'POST', url: '/api/v1/plans', payload: payload() as object });
      assert.equal(res.statusCode, status, res.body);
      const body = res.json();
      if (status === 422) assert.deepEqual(body, { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: expected });
      else assert.deepEqual(body, expected);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('a refused update changes nothing, even after earlier steps succeeded', async () => {
    const client = t.client(key);
    await client.plans.createPlan({ plan: { name: 'Keep', code: 'keep', interval: 'monthly', amount_cents: 1, amount_currency: 'EUR', pay_in_advance: false } });
    const before = await snapshotDatabase(t.database);
    const res = await t.request(key, {
      method: 'PUT',
      url: '/api/v1/plans/keep',
      payload: {
        plan: {
          name: 'Changed',
          tax_codes: ['vat'],
          charges: [
            { billable_metric_id: m.apiCalls, charge_model: 'standard' },
            { billable_metric_id: m.apiCalls, charge_model: 'volume', pay_in_advance: true },
          ],
        },
      },
    });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().error_details, { pay_in_advance: ['invalid_aggregation_type_or_charge_model'] });
    assert.equal(await snapshotDatabase(t.database), before);

    for (const [payload, expected] of [
      [{ plan: { name: '' } }, { name: ['value_is_mandatory'] }],
      [{ plan: { amount_cents: null } }, { amount_cents: ['value_is_mandatory'] }],
      [{ plan: { interval: null } }, { interval: ['value_is_invalid'] }],
      [{ plan: { code: 'startup' } }, { code: ['value_already_exist'] }],
      [{ plan: { charges: [{ id: 'not-a-charge', billable_metric_id: m.apiCalls }] } }, { charge_model: ['value_is_invalid', 'value_is_mandatory'] }],
    ] as const) {
      const r = await t.request(key, { method: 'PUT', url: '/api/v1/plans/keep', payload });
      assert.equal(r.statusCode, 422, JSON.stringify(payload));
      assert.deepEqual(r.json().error_details, expected);
    }
    const missing = await t.request(key, { method: 'PUT', url: '/api/v1/plans/nope', payload: { plan: { name: 'x' } } });
    assert.deepEqual(missing.json(), notFound('plan_not_found'));
    assert.equal(await snapshotDatabase(t.database), before);
  });

  // ---- isolation ---------------------------------------------------------------------------------------------

  test("another organization's key sees none of these plans, and cannot use this organization's metrics or taxes", async () => {
    const { key: other, id: otherId } = await t.newOrganization({ name: 'Other' });
    const filterId = ((await t.client(key).plans.findPlan('startup')).data.plan.charges![0]!.filters[0] as unknown as { lago_id: string }).lago_id;
    const urls: Array<[string, string, unknown]> = [
      ['GET', '/plans/startup', undefined],
      ['PUT', '/plans/startup', { plan: { name: 'stolen' } }],
      ['DELETE', '/plans/startup', undefined],
      ['GET', '/plans/startup/charges', undefined],
      ['POST', '/plans/startup/charges', { charge: { billable_metric_id: m.apiCalls, code: 'x', charge_model: 'standard' } }],
      ['GET', '/plans/startup/charges/api_calls', undefined],
      ['PUT', '/plans/startup/charges/api_calls', { charge: { charge_model: 'standard' } }],
      ['DELETE', '/plans/startup/charges/api_calls', {}],
      ['GET', '/plans/startup/charges/api_calls/filters', undefined],
      ['POST', '/plans/startup/charges/api_calls/filters', { filter: { values: { region: ['eu'] }, properties: { amount: '1' } } }],
      ['GET', `/plans/startup/charges/api_calls/filters/${filterId}`, undefined],
      ['PUT', `/plans/startup/charges/api_calls/filters/${filterId}`, { filter: { properties: { amount: '9' } } }],
      ['DELETE', `/plans/startup/charges/api_calls/filters/${filterId}`, {}],
    ];
    const before = await snapshotDatabase(t.database);
    for (const [method, url, payload] of urls) {
      const res = await t.request(other, { method: method as 'GET', url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.deepEqual(res.json(), notFound('plan_not_found'), `${method} ${url}`);
    }
    assert.equal(await snapshotDatabase(t.database), before);
    const list = await t.client(other).plans.findAllPlans();
    assert.deepEqual(list.data.plans, []);
    assert.equal(list.data.meta.total_count, 0);

    const base = { name: 'Mine', code: 'mine', interval: 'monthly', amount_cents: 1, amount_currency: 'EUR', pay_in_advance: false };
    const withMetric = await t.request(other, {
      method: 'POST',
      url: '/api/v1/plans',
      payload: { plan: { ...base, charges: [{ billable_metric_id: m.apiCalls, charge_model: 'standard' }] } },
    });
    assert.deepEqual(withMetric.json(), notFound('billable_metrics_not_found'));
    const withTax = await t.request(other, { method: 'POST', url: '/api/v1/plans', payload: { plan: { ...base, tax_codes: ['vat'] } } });
    assert.deepEqual(withTax.json(), notFound('tax_not_found'));
    // Through its own plan, the nested route refuses the foreign metric too.
    const ownMetric = await insertMetric(t.database, otherId, { code: 'own' });
    await t.client(other).plans.createPlan({ plan: { ...base, interval: 'monthly', amount_currency: 'EUR', charges: [{ billable_metric_id: ownMetric, charge_model: 'standard' }] } });
    const nested = await t.request(other, {
      method: 'POST',
      url: '/api/v1/plans/mine/charges',
      payload: { charge: { billable_metric_id: m.apiCalls, code: 'foreign', charge_model: 'standard' } },
    });
    assert.deepEqual(nested.json(), notFound('billable_metric_not_found'));
    const sync = await t.request(other, {
      method: 'PUT',
      url: '/api/v1/plans/mine',
      payload: { plan: { charges: [{ billable_metric_id: m.apiCalls, charge_model: 'standard' }] } },
    });
    assert.deepEqual(sync.json(), notFound('billable_metrics_not_found'));
    assert.equal((await t.client(key).plans.findPlan('startup')).data.plan.name, 'Startup');
  });
});
