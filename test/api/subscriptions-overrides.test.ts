import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ApplicableUsageThreshold, ChargeObject, PlanObject, PlanOverridesObject, SubscriptionObjectExtended } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const NOW = '2024-03-10T10:00:00Z';

/** The plan as Lago shows it: the client's type leaves out a few keys its server sends. */
type FullPlan = PlanObject & {
  parent_id: string | null;
  applicable_usage_thresholds: ApplicableUsageThreshold[];
  metadata?: Record<string, unknown>;
};
const full = (plan: PlanObject | undefined): FullPlan => plan as FullPlan;

describe('subscriptions with plan_overrides', () => {
  let t: TestApp;
  let key: string;
  /** The parent plan `pro` as created, and its two charges (API calls with a US filter, seats). */
  let pro: FullPlan;
  let apiCalls: ChargeObject;
  let seats: ChargeObject;

  const subscribe = async (externalId: string, overrides: PlanOverridesObject, extra: Record<string, unknown> = {}) =>
    (
      await t.client(key).subscriptions.createSubscription({
        subscription: { external_customer_id: `cus_${externalId}`, plan_code: 'pro', external_id: externalId, plan_overrides: overrides, ...extra },
      })
    ).data.subscription as SubscriptionObjectExtended;

  const codes = (taxes: { code: string }[] | undefined) => (taxes ?? []).map((x) => x.code);
  /** A charge's copy without what differs on any copy (ids, parent link, dates). */
  const comparable = ({ lago_id: _id, lago_parent_id: _parent, created_at: _at, filters, ...rest }: ChargeObject) => ({
    ...rest,
    filters: (filters ?? []).map((f) => {
      const { lago_id: _filterId, ...kept } = f as typeof f & { lago_id?: string };
      return kept;
    }),
  });

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ testClock: NOW }));
    const client = t.client(key);
    for (const [code, rate] of [['vat', '20'], ['gst', '5'], ['reduced', '10']] as const) {
      await client.taxes.createTax({ tax: { name: code.toUpperCase(), code, rate } });
    }
    const calls = await client.billableMetrics.createBillableMetric({
      billable_metric: { name: 'API calls', code: 'api_calls', aggregation_type: 'sum_agg', field_name: 'value', filters: [{ key: 'region', values: ['us', 'eu'] }] },
    });
    const seatMetric = await client.billableMetrics.createBillableMetric({ billable_metric: { name: 'Seats', code: 'seats', aggregation_type: 'count_agg' } });
    const created = await client.plans.createPlan({
      plan: {
        name: 'Pro',
        code: 'pro',
        invoice_display_name: 'Pro plan',
        description: 'For teams',
        interval: 'monthly',
        amount_cents: 10_000,
        amount_currency: 'EUR',
        trial_period: 7,
        pay_in_advance: false,
        tax_codes: ['vat'],
        metadata: { team: 'core' },
        usage_thresholds: [{ amount_cents: 50_000, threshold_display_name: 'Big' }],
        minimum_commitment: { amount_cents: 20_000, invoice_display_name: 'Minimum', tax_codes: ['vat'] },
        charges: [
          {
            billable_metric_id: calls.data.billable_metric.lago_id,
            charge_model: 'standard',
            invoice_display_name: 'Calls',
            properties: { amount: '0.01' },
            filters: [{ invoice_display_name: 'US', values: { region: ['us'] }, properties: { amount: '0.02' } }],
            tax_codes: ['vat'],
          },
          {
            billable_metric_id: seatMetric.data.billable_metric.lago_id,
            charge_model: 'package',
            properties: { amount: '5', package_size: 10, free_units: 0 },
          },
        ],
      },
    });
    pro = full(created.data.plan);
    [apiCalls, seats] = pro.charges as [ChargeObject, ChargeObject];
    await client.plans.createPlan({
      plan: { name: 'Basic', code: 'basic', interval: 'monthly', amount_cents: 1_000, amount_currency: 'EUR', pay_in_advance: false },
    });
  });
  after(() => t.close());

  test('the subscription gets a private copy of the plan carrying every override; the plan itself is unchanged', async () => {
    const client = t.client(key);
    const sub = await subscribe('sub_full', {
      amount_cents: 8_000,
      amount_currency: 'USD',
      name: 'Pro for ACME',
      description: 'Negotiated',
      invoice_display_name: 'ACME plan',
      trial_period: 14,
      tax_codes: ['gst'],
      minimum_commitment: { amount_cents: 15_000, tax_codes: ['gst'] },
      charges: [
        {
          id: apiCalls.lago_id,
          invoice_display_name: 'API',
          min_amount_cents: 100,
          properties: { amount: '0.005' },
          filters: [{ invoice_display_name: 'EU', values: { region: ['eu'] }, properties: { amount: '0.001' } }],
          tax_codes: ['gst', 'reduced'],
        },
      ],
      usage_thresholds: [{ amount_cents: 30_000, threshold_display_name: 'Half' }],
    });
    assert.equal(sub.plan_code, 'pro');
    assert.equal(sub.plan_amount_cents, 8_000);
    assert.equal(sub.plan_amount_currency, 'USD');

    const plan = full(sub.plan);
    assert.notEqual(plan.lago_id, pro.lago_id);
    assert.equal(plan.parent_id, pro.lago_id);
    assert.equal(plan.code, 'pro');
    assert.equal(plan.name, 'Pro for ACME');
    assert.equal(plan.description, 'Negotiated');
    assert.equal(plan.invoice_display_name, 'ACME plan');
    assert.equal(plan.amount_cents, 8_000);
    assert.equal(plan.amount_currency, 'USD');
    assert.equal(plan.trial_period, 14);
    assert.equal(plan.interval, 'monthly');
    assert.equal(plan.pay_in_advance, false);
    assert.deepEqual(codes(plan.taxes), ['gst']);
    assert.deepEqual(plan.metadata, { team: 'core' });
    assert.equal(plan.minimum_commitment?.amount_cents, 15_000);
    assert.equal(plan.minimum_commitment?.invoice_display_name, 'Minimum');
    assert.deepEqual(codes(plan.minimum_commitment?.taxes), ['gst']);

    const [calls, seatsCopy] = plan.charges as [ChargeObject, ChargeObject];
    assert.equal(plan.charges?.length, 2);
    assert.equal(calls.lago_parent_id, apiCalls.lago_id);
    assert.notEqual(calls.lago_id, apiCalls.lago_id);
    assert.equal(calls.code, apiCalls.code);
    assert.equal(calls.charge_model, 'standard');
    assert.equal(calls.lago_billable_metric_id, apiCalls.lago_billable_metric_id);
    assert.equal(calls.invoice_display_name, 'API');
    assert.equal(calls.min_amount_cents, 100);
    assert.deepEqual(calls.properties, { ...apiCalls.properties, amount: '0.005' });
    assert.deepEqual(
      calls.filters?.map((f) => ({ invoice_display_name: f.invoice_display_name, values: f.values, properties: f.properties })),
      [{ invoice_display_name: 'EU', values: { region: ['eu'] }, properties: { amount: '0.001' } }],
    );
    assert.deepEqual(codes(calls.taxes), ['gst', 'reduced']);
    // A charge the overrides do not name is copied as it is.
    assert.equal(seatsCopy.lago_parent_id, seats.lago_id);
    assert.deepEqual(comparable(seatsCopy), comparable(seats));

    // The copy's own thresholds apply to the subscription; the plan's applicable ones stay the parent's.
    assert.deepEqual(plan.usage_thresholds?.map((x) => [x.amount_cents, x.threshold_display_name]), [[30_000, 'Half']]);
    assert.deepEqual(plan.applicable_usage_thresholds, [{ threshold_display_name: 'Big', amount_cents: 50_000, recurring: false }]);
    assert.deepEqual(sub.applicable_usage_thresholds, [{ threshold_display_name: 'Half', amount_cents: 30_000, recurring: false }]);

    // The new customer takes the overridden currency.
    assert.equal((await client.customers.findCustomer('cus_sub_full')).data.customer.currency, 'USD');

    // Reading the subscription shows the same copy.
    const found = await client.subscriptions.findSubscription('sub_full');
    assert.deepEqual(found.data.subscription.plan, plan);
    assert.equal(found.data.subscription.plan_amount_cents, 8_000);

    // /plans knows only the parent, unchanged; listing by the parent's code finds the subscription.
    assert.deepEqual((await client.plans.findPlan('pro')).data.plan, pro);
    const plans = await client.plans.findAllPlans();
    assert.deepEqual(plans.data.plans.map((p) => p.lago_id).sort(), [pro.lago_id, plans.data.plans.find((p) => p.code === 'basic')!.lago_id].sort());
    assert.equal(plans.data.meta.total_count, 2);
    const listed = await client.subscriptions.findAllSubscriptions({ plan_code: 'pro' });
    assert.ok(listed.data.subscriptions.some((s) => s.external_id === 'sub_full' && s.plan_amount_cents === 8_000));
    const charges = await client.plans.findAllPlanCharges('pro');
    assert.deepEqual(charges.data.charges.map((c) => c.lago_id).sort(), [apiCalls.lago_id, seats.lago_id].sort());
  });

  test('what the overrides do not name is the parent’s: taxes, filters, commitment, metadata; thresholds apply from the parent', async () => {
    const sub = await subscribe('sub_price', { amount_cents: 5_000 });
    const plan = full(sub.plan);
    assert.equal(plan.parent_id, pro.lago_id);
    assert.equal(sub.plan_amount_cents, 5_000);
    assert.equal(sub.plan_amount_currency, 'EUR');
    // Everything but the ids, dates, price and the parts compared below is the parent's. A subscription's plan shows no
    // fixed charges, as in Lago.
    const own = ['lago_id', 'created_at', 'amount_cents', 'parent_id', 'charges', 'minimum_commitment', 'usage_thresholds', 'fixed_charges'];
    const rest = (p: FullPlan) => Object.fromEntries(Object.entries(p).filter(([k]) => !own.includes(k)));
    assert.deepEqual(rest(plan), rest(pro));
    assert.equal(plan.amount_cents, 5_000);
    assert.deepEqual(plan.charges?.map(comparable), pro.charges?.map(comparable));
    assert.deepEqual(plan.charges?.map((c) => c.lago_parent_id), [apiCalls.lago_id, seats.lago_id]);
    const commitment = (p: FullPlan) => ({ ...p.minimum_commitment, lago_id: undefined, created_at: undefined, updated_at: undefined });
    assert.deepEqual(commitment(plan), commitment(pro));
    assert.notEqual(plan.minimum_commitment?.lago_id, pro.minimum_commitment?.lago_id);
    assert.deepEqual(plan.usage_thresholds, []);
    assert.deepEqual(sub.applicable_usage_thresholds, [{ threshold_display_name: 'Big', amount_cents: 50_000, recurring: false }]);

    // An empty override still bills the subscription on its own copy, as in Lago.
    const empty = await subscribe('sub_empty', {});
    assert.equal(full(empty.plan).parent_id, pro.lago_id);
    assert.equal(empty.plan_amount_cents, 10_000);
  });

  test('empty lists and nulls clear what they name; an empty commitment keeps the parent’s', async () => {
    const sub = await subscribe('sub_clear', {
      tax_codes: [],
      description: null as unknown as string,
      minimum_commitment: {} as PlanOverridesObject['minimum_commitment'],
      charges: [{ id: apiCalls.lago_id, filters: [], tax_codes: [], invoice_display_name: null as unknown as string }],
    });
    const plan = sub.plan!;
    assert.deepEqual(plan.taxes, []);
    assert.equal(plan.description, null);
    assert.equal(plan.minimum_commitment?.amount_cents, 20_000);
    assert.deepEqual(codes(plan.minimum_commitment?.taxes), ['vat']);
    const calls = plan.charges![0]!;
    assert.deepEqual(calls.filters, []);
    assert.deepEqual(calls.taxes, []);
    assert.equal(calls.invoice_display_name, null);
    assert.deepEqual(calls.properties, apiCalls.properties);
    // The parent keeps its own.
    const parent = (await t.client(key).plans.findPlan('pro')).data.plan;
    assert.deepEqual(parent, pro);
  });

  test('a commitment the parent lacks is created by the override; progressive billing disabled applies no threshold', async () => {
    const client = t.client(key);
    const res = await client.subscriptions.createSubscription({
      subscription: {
        external_customer_id: 'cus_basic',
        plan_code: 'basic',
        external_id: 'sub_basic',
        progressive_billing_disabled: true,
        plan_overrides: { minimum_commitment: { amount_cents: 500, invoice_display_name: 'Floor' }, usage_thresholds: [{ amount_cents: 100 }] },
      },
    });
    const sub: SubscriptionObjectExtended = res.data.subscription;
    assert.equal(sub.plan?.minimum_commitment?.amount_cents, 500);
    assert.equal(sub.plan?.minimum_commitment?.invoice_display_name, 'Floor');
    assert.deepEqual(sub.plan?.minimum_commitment?.taxes, []);
    assert.deepEqual(sub.plan?.usage_thresholds?.map((x) => x.amount_cents), [100]);
    assert.deepEqual(sub.applicable_usage_thresholds, []);
    assert.equal((await client.plans.findPlan('basic')).data.plan.minimum_commitment, undefined);
  });

  test('overrides naming no charge of the plan are ignored, as in Lago', async () => {
    const sub = await subscribe('sub_unknown_charge', {
      charges: [{ id: randomUUID(), properties: { amount: '9' } }, { id: 'not-a-uuid', min_amount_cents: 5 }, { properties: { amount: '7' } }],
    });
    assert.deepEqual(sub.plan?.charges?.map(comparable), pro.charges?.map(comparable));
  });

  test('a null plan_overrides bills the plan itself; the same subscription sent again keeps its plan, and one on a copy is a plan change', async () => {
    const plain = await t.client(key).subscriptions.createSubscription({
      subscription: { external_customer_id: 'cus_null', plan_code: 'pro', external_id: 'sub_null', plan_overrides: null as unknown as PlanOverridesObject },
    });
    assert.equal(plain.data.subscription.plan?.lago_id, pro.lago_id);
    // The same subscription sent again with overrides is answered as it is, on the plan itself, as in Lago.
    const again = await subscribe('sub_null', { amount_cents: 1 }, { external_customer_id: 'cus_null' });
    assert.equal(again.lago_id, plain.data.subscription.lago_id);
    assert.equal(again.plan?.lago_id, pro.lago_id);

    // One on an override copy is on another plan: sending the plan itself is a plan change (the same yearly amount
    // is an upgrade), billed on the plan itself from now on.
    const copy = await subscribe('sub_again', { amount_cents: 9_000 });
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/subscriptions',
      payload: { subscription: { external_customer_id: 'cus_sub_again', plan_code: 'pro', external_id: 'sub_again' } },
    });
    assert.equal(res.statusCode, 200);
    const changed = res.json().subscription;
    assert.notEqual(changed.lago_id, copy.lago_id);
    assert.equal(changed.plan.lago_id, pro.lago_id);
    assert.equal(changed.status, 'active');
  });

  const chargeOverride = (fields: Record<string, unknown>) => ({ charges: [{ id: apiCalls.lago_id, ...fields }] });
  const bad: Array<[string, () => unknown, number, unknown, string?]> = [
    ['fixed charges', () => ({ fixed_charges: [{ id: randomUUID(), units: 2 }] }), 422, { fixed_charges: ['feature_unavailable'] }],
    ['not an object', () => 'cheap', 422, { plan_overrides: ['value_is_invalid'] }],
    ['a negative amount', () => ({ amount_cents: -1 }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['an amount beyond 2^53', () => ({ amount_cents: 2 ** 60 }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['a null amount', () => ({ amount_cents: null }), 422, { amount_cents: ['value_is_mandatory'] }],
    ['an amount as text', () => ({ amount_cents: '100' }), 422, { amount_cents: ['value_is_invalid'] }],
    ['an unknown currency', () => ({ amount_currency: 'EURO' }), 422, { amount_currency: ['value_is_invalid'] }],
    ['a blank name', () => ({ name: ' ' }), 422, { name: ['value_is_mandatory'] }],
    ['a negative trial', () => ({ trial_period: -1 }), 422, { trial_period: ['value_is_out_of_range'] }],
    ['an unknown plan tax', () => ({ tax_codes: ['vat', 'nope'] }), 404, 'tax_not_found'],
    ['charges not a list', () => ({ charges: { id: apiCalls.lago_id } }), 422, { charges: ['value_is_invalid'] }],
    ['charge properties the model refuses', () => chargeOverride({ properties: { amount: 'abc' } }), 422, { properties: ['invalid_amount'] }],
    ['a negative charge minimum', () => chargeOverride({ min_amount_cents: -5 }), 422, { min_amount_cents: ['value_is_out_of_range'] }],
    ['an unknown charge tax', () => chargeOverride({ tax_codes: ['nope'] }), 404, 'tax_not_found'],
    ['a filter on a key the metric lacks', () => chargeOverride({ filters: [{ values: { zone: ['a'] }, properties: { amount: '1' } }] }), 422, { billable_metric_filter: ['relation_must_exist'], values: ['value_is_invalid'] }],
    ['a filter value the metric lacks', () => chargeOverride({ filters: [{ values: { region: ['mars'] }, properties: { amount: '1' } }] }), 422, { values: ['value_is_invalid'] }],
    ['a filter without values', () => chargeOverride({ filters: [{ properties: { amount: '1' } }] }), 422, { values: ['value_is_mandatory'] }],
    ['filter properties the model refuses', () => chargeOverride({ filters: [{ values: { region: ['eu'] }, properties: { amount: '-1' } }] }), 422, { properties: ['invalid_amount'] }],
    ['a threshold without amount', () => ({ usage_thresholds: [{ threshold_display_name: 'x' }] }), 422, { usage_thresholds: ['missing_amount_cents'] }],
    ['the same threshold twice', () => ({ usage_thresholds: [{ amount_cents: 10 }, { amount_cents: 10 }] }), 422, { usage_thresholds: ['duplicated_values'] }],
    ['two recurring thresholds', () => ({ usage_thresholds: [{ amount_cents: 10, recurring: true }, { amount_cents: 20, recurring: true }] }), 422, { usage_thresholds: ['multiple_recurring_thresholds'] }],
    ['a zero threshold', () => ({ usage_thresholds: [{ amount_cents: 0 }] }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['a zero commitment', () => ({ minimum_commitment: { amount_cents: 0 } }), 422, { amount_cents: ['value_is_out_of_range'] }],
    ['a null commitment amount', () => ({ minimum_commitment: { amount_cents: null } }), 422, { amount_cents: ['value_is_mandatory'] }],
    ['an unknown commitment tax', () => ({ minimum_commitment: { tax_codes: ['nope'] } }), 404, 'tax_not_found'],
    ['a commitment without amount on a plan without one', () => ({ minimum_commitment: { invoice_display_name: 'Floor' } }), 422, { amount_cents: ['value_is_mandatory'] }, 'basic'],
    ['a currency the customer is not billed in', () => ({ amount_currency: 'USD' }), 422, { currency: ['currencies_does_not_match'] }],
  ];
  for (const [name, overrides, status, expected, planCode] of bad) {
    test(`refused: ${name}`, async () => {
      const client = t.client(key);
      await client.customers.createCustomer({ customer: { external_id: 'cus_eur', currency: 'EUR' } });
      await client.subscriptions.createSubscription({ subscription: { external_customer_id: 'cus_eur', plan_code: 'basic', external_id: 's_eur' } });
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, {
        method: 'POST',
        url: '/api/v1/subscriptions',
        payload: { subscription: { external_customer_id: 'cus_eur', plan_code: planCode ?? 'pro', external_id: 's_bad', plan_overrides: overrides() } },
      });
      assert.equal(res.statusCode, status, res.body);
      if (status === 422) assert.deepEqual(res.json(), { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: expected });
      else assert.deepEqual(res.json(), { status: 404, error: 'Not Found', code: expected });
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('a refused override leaves no customer behind either', async () => {
    const before = await snapshotDatabase(t.database);
    await assert.rejects(subscribe('sub_new_refused', { tax_codes: ['nope'] }), (e) => lagoError(e).body.code === 'tax_not_found');
    assert.equal(await snapshotDatabase(t.database), before);
  });

  test("another organization's tax codes and charges cannot be used, and its key sees nothing of the copy", async () => {
    const { key: other } = await t.newOrganization({ name: 'Other', testClock: NOW });
    const theirs = t.client(other);
    await theirs.taxes.createTax({ tax: { name: 'Theirs', code: 'their_tax', rate: '1' } });
    const metric = await theirs.billableMetrics.createBillableMetric({ billable_metric: { name: 'Calls', code: 'api_calls', aggregation_type: 'count_agg' } });
    const theirPlan = await theirs.plans.createPlan({
      plan: {
        name: 'Theirs',
        code: 'theirs',
        interval: 'monthly',
        amount_cents: 1,
        amount_currency: 'EUR',
        pay_in_advance: false,
        charges: [{ billable_metric_id: metric.data.billable_metric.lago_id, charge_model: 'standard', properties: { amount: '1' } }],
      },
    });
    const theirCharge = theirPlan.data.plan.charges![0]!;

    const before = await snapshotDatabase(t.database);
    for (const overrides of [
      { tax_codes: ['their_tax'] },
      { charges: [{ id: apiCalls.lago_id, tax_codes: ['their_tax'] }] },
      { minimum_commitment: { amount_cents: 1, tax_codes: ['their_tax'] } },
    ]) {
      await assert.rejects(subscribe('sub_iso_tax', overrides), (e) => lagoError(e).status === 404 && lagoError(e).body.code === 'tax_not_found');
    }
    assert.equal(await snapshotDatabase(t.database), before);

    // Their charge is not a charge of this plan: ignored, and their plan is untouched.
    const sub = await subscribe('sub_iso', { charges: [{ id: theirCharge.lago_id, properties: { amount: '9' } }] });
    assert.deepEqual(sub.plan?.charges?.map(comparable), pro.charges?.map(comparable));
    assert.deepEqual((await theirs.plans.findPlan('theirs')).data.plan, theirPlan.data.plan);

    // Their key neither reaches this subscription nor lists it by the plan code.
    const get = await t.request(other, { method: 'GET', url: '/api/v1/subscriptions/sub_iso' });
    assert.equal(get.statusCode, 404);
    const listed = await t.request(other, { method: 'GET', url: '/api/v1/subscriptions?plan_code=pro' });
    assert.deepEqual(listed.json().subscriptions, []);
    const plan = await t.request(other, { method: 'GET', url: '/api/v1/plans/pro' });
    assert.equal(plan.statusCode, 404);
  });
});
