import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { feeAmounts, story, type StoryInvoice } from './story.ts';

// Pay-in-advance charges over a customer's months, to the cent: every event billed at once by its own fee (and
// invoice, when the charge is invoiceable), priced as the charge model with the event minus without it. Numbers come
// from Lago's spec/scenarios/pay_in_advance_charges_spec.rb where named, else are worked out in the comments.

type Story = Awaited<ReturnType<typeof story>>;

interface FeeJson {
  lago_id: string;
  lago_invoice_id: string | null;
  lago_charge_filter_id: string | null;
  amount_cents: number;
  taxes_amount_cents: number;
  units: string;
  events_count: number;
  pay_in_advance: boolean;
  invoiceable: boolean;
  payment_status: string;
  event_transaction_id?: string | null;
  amount_details: Record<string, unknown>;
  from_date: string | null;
  to_date: string | null;
  item: { type: string; code: string; grouped_by: Record<string, string | null> };
}

/** The subscription's fees, oldest first, as GET /fees lists them. */
const feesOf = async (s: Story, sub = 'sub'): Promise<FeeJson[]> =>
  (await s.call<{ fees: FeeJson[] }>('GET', `/fees?external_subscription_id=${sub}&fee_type=charge&per_page=100`)).fees;

/** A monthly plan (10 EUR in arrears) with one pay-in-advance charge, and `acme` subscribed to it from 2024-01-01. */
const setup = async (t: TestApp, metric: Record<string, unknown>, charge: Record<string, unknown>, plan: Record<string, unknown> = {}) => {
  const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
  const metricId = await s.metric(metric);
  await s.plan({ code: 'pro', amount_cents: 1_000, charges: [{ billable_metric_id: metricId, pay_in_advance: true, ...charge }], ...plan });
  await s.customer({ external_id: 'acme', currency: 'EUR' });
  await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
  return s;
};

/** Sends an event at an instant, the clock standing there. */
const eventAt = async (s: Story, code: string, at: string, properties: Record<string, unknown> = {}) => {
  await s.advance(at);
  await s.event('sub', code, at, properties);
};

/** The subscription's current usage of its one charge: amount in cents and units shown. */
const chargeUsage = async (s: Story, sub = 'sub'): Promise<[number, string]> => {
  const usage = (await s.call<{ customer_usage: { charges_usage: { amount_cents: number; units: string }[] } }>(
    'GET',
    `/customers/acme/current_usage?external_subscription_id=${sub}`,
  )).customer_usage;
  const [charge] = usage.charges_usage;
  return [charge!.amount_cents, charge!.units];
};

const inAdvanceInvoices = (invoices: StoryInvoice[]) => invoices.filter((i) => i.billing_periods.some((p) => p.invoicing_reason === 'in_advance_charge'));

describe('scenarios: pay-in-advance charges', () => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    t = await startTestApp();
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  test('webhooks: fee.created for each fee (the fee without its taxes), then invoice.created for an invoiceable charge', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const { received } = await s.listen(receiver);
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const seats = await s.metric({ code: 'seats', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'pro',
      amount_cents: 1_000,
      charges: [
        { billable_metric_id: calls, charge_model: 'standard', pay_in_advance: true, properties: { amount: '2' } },
        { billable_metric_id: seats, charge_model: 'standard', pay_in_advance: true, invoiceable: false, properties: { amount: '3' } },
      ],
    });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await eventAt(s, 'calls', '2024-01-10T00:00:00Z');
    await eventAt(s, 'seats', '2024-01-11T00:00:00Z');
    await t.app.services.webhookDelivery.deliverDue();
    const mine = received().filter((w) => w.webhook_type.startsWith('fee.') || w.webhook_type === 'invoice.created');
    assert.deepEqual(mine.map((w) => [w.webhook_type, w.fee?.event_transaction_id ?? w.invoice?.fees_amount_cents]), [
      ['fee.created', 'tx_1'],
      ['invoice.created', 200],
      ['fee.created', 'tx_2'],
    ]);
    const standalone = mine[2]!.fee;
    assert.deepEqual([standalone.amount_cents, standalone.lago_invoice_id, standalone.invoiceable, standalone.pay_in_advance, 'applied_taxes' in standalone], [300, null, false, true, false]);
    const shown = (await s.call<{ fee: Record<string, unknown> }>('GET', `/fees/${standalone.lago_id}`)).fee;
    const { applied_taxes: _taxes, ...withoutTaxes } = shown;
    assert.deepEqual(standalone, withoutTaxes);
  });

  test('count / standard, invoiceable: one finalized invoice per event, with its taxes and the coupon, none of it on the period invoice (count_agg / standard)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('vat', '20');
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'pro',
      amount_cents: 1_000,
      charges: [{ billable_metric_id: calls, charge_model: 'standard', pay_in_advance: true, properties: { amount: '10' }, tax_codes: ['vat'] }],
    });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.call('POST', '/coupons', { coupon: { name: 'five', code: 'five', coupon_type: 'fixed_amount', amount_cents: 500, amount_currency: 'EUR', frequency: 'once', expiration: 'no_expiration' } });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'acme', coupon_code: 'five' } });

    await eventAt(s, 'calls', '2024-01-15T10:00:00Z');
    await eventAt(s, 'calls', '2024-01-17T10:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');

    const invoices = await s.invoices('acme');
    const charged = inAdvanceInvoices(invoices);
    assert.equal(charged.length, 2);
    // 10 EUR each; the first takes the 5 EUR coupon: (1000 − 500) × 20 % = 100 of tax, total 600; then 1000 + 200.
    assert.deepEqual(
      charged.map((i) => [i.invoice_type, i.status, i.issuing_date, i.fees_amount_cents, i.coupons_amount_cents, i.taxes_amount_cents, i.total_amount_cents]),
      [
        ['subscription', 'finalized', '2024-01-15', 1000, 500, 100, 600],
        ['subscription', 'finalized', '2024-01-17', 1000, 0, 200, 1200],
      ],
    );
    const fee = charged[0]!.fees[0]! as unknown as FeeJson;
    assert.deepEqual([fee.units, fee.events_count, fee.pay_in_advance, fee.event_transaction_id, fee.amount_details], ['1.0', 1, true, 'tx_1', {}]);
    // The period invoice bills the plan only (January's, in arrears); the coupon was used by then.
    const periodic = invoices.filter((i) => i.billing_periods.some((p) => p.invoicing_reason === 'subscription_periodic'));
    assert.deepEqual(periodic.map((i) => [feeAmounts(i), i.coupons_amount_cents]), [[{ 'subscription:pro': 1000 }, 0]]);
    // Its billing period is what Lago's dates service gives at the event's instant: in the first period, the charges
    // window of the period before, cut to the subscription's start.
    assert.deepEqual(charged[0]!.billing_periods.map((p) => [p.invoicing_reason, p.charges_from_datetime, p.charges_to_datetime]), [
      ['in_advance_charge', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
    ]);
  });

  test('sum / graduated crossing a tier with its flat amount, not invoiceable: standalone fees 0.07, 0.02, 0.04 (sum_agg / graduated)', async () => {
    const s = await setup(
      t,
      { code: 'storage', aggregation_type: 'sum_agg', field_name: 'amount' },
      {
        charge_model: 'graduated',
        invoiceable: false,
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 5, per_unit_amount: '0.02', flat_amount: '0.01' },
            { from_value: 6, to_value: null, per_unit_amount: '0.01', flat_amount: '0.01' },
          ],
        },
      },
    );
    // An event later in the period is not counted for the earlier ones (Lago bounds the aggregation by the event).
    await s.event('sub', 'storage', '2024-02-19T00:00:00Z', { amount: '5' });
    await eventAt(s, 'storage', '2024-02-15T00:00:00Z', { amount: '3' });
    await eventAt(s, 'storage', '2024-02-17T00:00:00Z', { amount: '1' });
    await eventAt(s, 'storage', '2024-02-18T00:00:00Z', { amount: '2' });
    const fees = (await feesOf(s)).filter((f) => f.event_transaction_id !== 'tx_1');
    // 3 × 0.02 + the first flat 0.01; 1 × 0.02; 1 × 0.02 + 1 × 0.01 + the second flat 0.01.
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units, f.lago_invoice_id, f.invoiceable, f.payment_status]), [
      [7, '3.0', null, false, 'pending'],
      [2, '1.0', null, false, 'pending'],
      [4, '2.0', null, false, 'pending'],
    ]);
    assert.deepEqual([fees[0]!.from_date, fees[0]!.to_date], ['2024-02-01T00:00:00Z', '2024-02-29T23:59:59Z']);
    assert.equal(inAdvanceInvoices(await s.invoices('acme')).length, 0);
  });

  test('sum / package with free units (sum_agg / package)', async () => {
    const s = await setup(
      t,
      { code: 'storage', aggregation_type: 'sum_agg', field_name: 'amount' },
      { charge_model: 'package', invoiceable: false, properties: { amount: '100', free_units: 3, package_size: 2 } },
    );
    await eventAt(s, 'storage', '2024-02-15T00:00:00Z', { amount: '3' });
    await eventAt(s, 'storage', '2024-02-17T00:00:00Z', { amount: '1' });
    await eventAt(s, 'storage', '2024-02-18T00:00:00Z', { amount: '2' });
    assert.deepEqual((await feesOf(s)).map((f) => f.amount_cents), [0, 10_000, 10_000]);
  });

  test('sum / percentage with a minimum and a maximum per transaction (sum_agg / percentage, min / max per transaction)', async () => {
    const s = await setup(
      t,
      { code: 'payments', aggregation_type: 'sum_agg', field_name: 'amount' },
      {
        charge_model: 'percentage',
        invoiceable: false,
        properties: { rate: '1', fixed_amount: '0.5', per_transaction_max_amount: '2', per_transaction_min_amount: '1.75' },
      },
    );
    await eventAt(s, 'payments', '2024-02-14T00:00:00Z', { amount: '100' });
    await s.event('sub', 'payments', '2024-02-20T00:00:00Z', { amount: '333' });
    await eventAt(s, 'payments', '2024-02-15T00:00:00Z', { amount: '1000' });
    const fees = await feesOf(s);
    const byTransaction = Object.fromEntries(fees.map((f) => [f.event_transaction_id, f.amount_cents]));
    // 100 × 1 % + 0.5 = 1.5, raised to 1.75; 333 → 3.83, lowered to 2; 1000 → 10.5, lowered to 2.
    assert.deepEqual(byTransaction, { tx_1: 175, tx_2: 200, tx_3: 200 });
    assert.equal(fees.find((f) => f.event_transaction_id === 'tx_3')!.amount_details.min_max_adjustment_total_amount, '-8.5');
  });

  test('count / graduated, a batch of events at one instant: each priced at its own position, 0, 0, 2 (count_agg / graduated same second)', async () => {
    const s = await setup(
      t,
      { code: 'calls', aggregation_type: 'count_agg' },
      {
        charge_model: 'graduated',
        invoiceable: false,
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 2, per_unit_amount: '0', flat_amount: '0' },
            { from_value: 3, to_value: null, per_unit_amount: '2', flat_amount: '0' },
          ],
        },
      },
    );
    await s.advance('2024-02-15T00:00:00Z');
    const timestamp = Date.parse('2024-02-15T00:00:00Z') / 1000;
    await s.call('POST', '/events/batch', {
      events: ['b1', 'b2', 'b3'].map((id) => ({ transaction_id: id, external_subscription_id: 'sub', code: 'calls', timestamp })),
    });
    const fees = await feesOf(s);
    assert.deepEqual(
      fees.map((f) => [f.event_transaction_id, f.amount_cents, f.units]),
      [
        ['b1', 0, '1.0'],
        ['b2', 0, '1.0'],
        ['b3', 200, '1.0'],
      ],
    );
  });

  test('sum / standard with a negative event: it bills nothing and refunds nothing, the total is billed again above its high mark (sum_agg / standard)', async () => {
    const s = await setup(t, { code: 'storage', aggregation_type: 'sum_agg', field_name: 'amount' }, { charge_model: 'standard', properties: { amount: '1' } });
    await eventAt(s, 'storage', '2024-02-15T00:00:00Z', { amount: '10' });
    await eventAt(s, 'storage', '2024-02-17T00:00:00Z', { amount: '-4' });
    await eventAt(s, 'storage', '2024-02-18T00:00:00Z', { amount: '8' });
    const fees = await feesOf(s);
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units]), [
      [1000, '10.0'],
      [0, '0.0'],
      [400, '4.0'],
    ]);
    // Each event has its invoice; the customer does not skip invoices of 0, so the second one is finalized at 0.
    const charged = inAdvanceInvoices(await s.invoices('acme'));
    assert.deepEqual(charged.map((i) => [i.total_amount_cents, i.status, i.payment_status]), [
      [1000, 'finalized', 'pending'],
      [0, 'finalized', 'succeeded'],
      [400, 'finalized', 'pending'],
    ]);
  });

  test('not invoiceable: PUT /fees sets the payment status, and the paid fees of the period are regrouped on an advance_charges invoice at its end', async () => {
    const s = await setup(
      t,
      { code: 'calls', aggregation_type: 'count_agg' },
      { charge_model: 'standard', invoiceable: false, regroup_paid_fees: 'invoice', properties: { amount: '10' } },
    );
    await eventAt(s, 'calls', '2024-01-10T00:00:00Z');
    await eventAt(s, 'calls', '2024-01-20T00:00:00Z');
    const [paid, unpaid] = await feesOf(s);
    const updated = await s.call<{ fee: FeeJson & { succeeded_at: string | null } }>('PUT', `/fees/${paid!.lago_id}`, { fee: { payment_status: 'succeeded' } });
    assert.deepEqual([updated.fee.payment_status, updated.fee.succeeded_at], ['succeeded', '2024-01-20T00:00:00Z']);
    await s.advance('2024-02-01T00:00:00Z');

    const invoices = await s.invoices('acme');
    const regrouped = invoices.filter((i) => i.invoice_type === 'advance_charges');
    assert.equal(regrouped.length, 1);
    const invoice = regrouped[0]!;
    assert.deepEqual(
      [invoice.status, invoice.payment_status, invoice.fees_amount_cents, invoice.total_amount_cents, invoice.billing_periods.map((p) => p.invoicing_reason)],
      ['finalized', 'succeeded', 1000, 1000, ['in_advance_charge_periodic']],
    );
    assert.deepEqual(invoice.fees.map((f) => (f as unknown as FeeJson).lago_id), [paid!.lago_id]);
    // The unpaid fee waits, on no invoice; an invoiced fee's status follows its invoice.
    const after = await feesOf(s);
    assert.equal(after.find((f) => f.lago_id === unpaid!.lago_id)!.lago_invoice_id, null);
    const refused = await t.request(s.key, { method: 'PUT', url: `/api/v1/fees/${paid!.lago_id}`, payload: { fee: { payment_status: 'failed' } } });
    assert.equal(refused.statusCode, 405);
  });

  test('a recurring metric: the seats held are billed again at the start of each period, then a new seat at its marginal price', async () => {
    const s = await setup(
      t,
      { code: 'seats', aggregation_type: 'unique_count_agg', field_name: 'user', recurring: true },
      { charge_model: 'graduated', properties: { graduated_ranges: [{ from_value: 0, to_value: 2, per_unit_amount: '10', flat_amount: '0' }, { from_value: 3, to_value: null, per_unit_amount: '5', flat_amount: '0' }] } },
    );
    await eventAt(s, 'seats', '2024-01-10T00:00:00Z', { user: 'ann' });
    await eventAt(s, 'seats', '2024-01-20T00:00:00Z', { user: 'bob' });
    await s.advance('2024-02-01T00:00:00Z');
    await eventAt(s, 'seats', '2024-02-10T00:00:00Z', { user: 'cat' });
    await s.advance('2024-03-01T00:00:00Z');

    const invoices = await s.invoices('acme');
    assert.deepEqual(inAdvanceInvoices(invoices).map((i) => [i.issuing_date, i.fees_amount_cents]), [
      ['2024-01-10', 1000],
      ['2024-01-20', 1000],
      // Two seats carried into February: the third is priced in the second tier.
      ['2024-02-10', 500],
    ]);
    const periodic = invoices.filter((i) => i.billing_periods.some((p) => p.invoicing_reason === 'subscription_periodic'));
    // February 1st: January's plan fee and the 2 seats again, for February; March 1st: 3 seats (2 × 10 + 5).
    assert.deepEqual(periodic.map((i) => feeAmounts(i)), [
      { 'subscription:pro': 1000, 'charge:seats': 2000 },
      { 'subscription:pro': 1000, 'charge:seats': 2500 },
    ]);
    const seats = periodic[0]!.fees.find((f) => f.item.code === 'seats')!;
    assert.deepEqual([seats.from_date, seats.to_date, seats.units], ['2024-02-01T00:00:00Z', '2024-02-29T23:59:59Z', '2.0']);
  });

  test('prorated sum / standard: each event pays the days left, a negative value refunds nothing, the carried units are billed for the whole next period (Lago current_usage sum_agg scenario)', async () => {
    const s = await setup(
      t,
      { code: 'storage', aggregation_type: 'sum_agg', field_name: 'item_id', recurring: true },
      { charge_model: 'standard', prorated: true, properties: { amount: '29' } },
    );
    // February has 29 days. 10 on the 6th: 24 days left, 10 × 24/29 = 8.27587 × 29 = 240.00 (Lago: 24000).
    await eventAt(s, 'storage', '2024-02-06T01:00:00Z', { item_id: 10 });
    // Current usage shows the units held and prices what the fees billed, as Lago's scenario: 24000 each time.
    assert.deepEqual(await chargeUsage(s), [24_000, '10.0']);
    await eventAt(s, 'storage', '2024-02-06T02:00:00Z', { item_id: -5 });
    assert.deepEqual(await chargeUsage(s), [24_000, '5.0']);
    // Back to 7, under the mark of 10: nothing added, the fee shows the units it applied.
    await eventAt(s, 'storage', '2024-02-06T03:00:00Z', { item_id: 2 });
    assert.deepEqual(await chargeUsage(s), [24_000, '7.0']);
    // 7 units carried into March, billed for the whole month on March 1st (7 × 29 = 203.00); 5 more on the 17th:
    // 15 of 31 days left, 5 × 15/31 = 2.41936 × 29 = 70.16.
    await s.advance('2024-03-01T00:00:00Z');
    assert.deepEqual(await chargeUsage(s), [20_300, '7.0']);
    await eventAt(s, 'storage', '2024-03-17T00:00:00Z', { item_id: 5 });
    // In current usage too: (7 + 2.41936) × 29 = 273.16.
    assert.deepEqual(await chargeUsage(s), [27_316, '12.0']);
    await s.advance('2024-04-01T00:00:00Z');

    const fees = (await feesOf(s)).filter((f) => f.event_transaction_id);
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units, f.from_date]), [
      [24_000, '10.0', '2024-02-01T00:00:00Z'],
      [0, '0.0', '2024-02-01T00:00:00Z'],
      [0, '2.0', '2024-02-01T00:00:00Z'],
      [7_016, '5.0', '2024-03-01T00:00:00Z'],
    ]);
    const periodic = (await s.invoices('acme')).filter((i) => i.billing_periods.some((p) => p.invoicing_reason === 'subscription_periodic'));
    assert.deepEqual(periodic.map((i) => feeAmounts(i)), [
      // Nothing carried from January.
      { 'subscription:pro': 1000, 'charge:storage': 0 },
      { 'subscription:pro': 1000, 'charge:storage': 20_300 },
      // 12 carried into April, whole: 12 × 29.
      { 'subscription:pro': 1000, 'charge:storage': 34_800 },
    ]);
  });

  test('prorated unique count / standard: a seat bought late in the month pays its last days, removing it refunds nothing (Lago current_usage unique_count_agg scenario)', async () => {
    const s = await story(t, { clock: '2024-02-23T01:00:00Z' });
    const metricId = await s.metric({ code: 'seats', aggregation_type: 'unique_count_agg', field_name: 'item_id', recurring: true });
    await s.plan({
      code: 'pro',
      amount_cents: 0,
      charges: [{ billable_metric_id: metricId, charge_model: 'standard', pay_in_advance: true, prorated: true, properties: { amount: '1' } }],
    });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub', billing_time: 'calendar' });
    // 7 days of February's 29 left: 7/29 = 0.24138 → 0.24 (Lago: 24 cents).
    await eventAt(s, 'seats', '2024-02-23T01:02:00Z', { item_id: 'seat_1' });
    assert.deepEqual(await chargeUsage(s), [24, '1.0']);
    await eventAt(s, 'seats', '2024-02-29T01:01:00Z', { item_id: 'seat_1', operation_type: 'remove' });
    await eventAt(s, 'seats', '2024-02-29T01:02:00Z', { item_id: 'seat_1', operation_type: 'remove' });
    // Removed: no units, and what was billed stays (Lago: 24 cents, units 0).
    assert.deepEqual(await chargeUsage(s), [24, '0.0']);
    // Added again: back to the mark of 1, nothing added (Lago bills the applied unit at 0).
    await eventAt(s, 'seats', '2024-02-29T02:00:00Z', { item_id: 'seat_1' });
    const fees = await feesOf(s);
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units]), [
      [24, '1.0'],
      [0, '0.0'],
      [0, '0.0'],
      [0, '1.0'],
    ]);
  });

  test('a recurring metric, not invoiceable: the seats carried over get a standalone fee at the period start', async () => {
    const s = await setup(
      t,
      { code: 'seats', aggregation_type: 'unique_count_agg', field_name: 'user', recurring: true },
      { charge_model: 'standard', invoiceable: false, properties: { amount: '10' } },
    );
    await eventAt(s, 'seats', '2024-01-10T00:00:00Z', { user: 'ann' });
    await eventAt(s, 'seats', '2024-01-20T00:00:00Z', { user: 'bob' });
    await s.advance('2024-02-01T00:00:00Z');
    const fees = await feesOf(s);
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units, f.event_transaction_id ?? null, f.lago_invoice_id, f.from_date]), [
      [1000, '1.0', 'tx_1', null, '2024-01-01T00:00:00Z'],
      [1000, '1.0', 'tx_2', null, '2024-01-01T00:00:00Z'],
      [2000, '2.0', null, null, '2024-02-01T00:00:00Z'],
    ]);
  });

  test('estimate_fees: what an event would bill now, nothing stored', async () => {
    const s = await setup(
      t,
      { code: 'storage', aggregation_type: 'sum_agg', field_name: 'amount' },
      {
        charge_model: 'graduated',
        invoiceable: false,
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 5, per_unit_amount: '0.02', flat_amount: '0.01' },
            { from_value: 6, to_value: null, per_unit_amount: '0.01', flat_amount: '0.01' },
          ],
        },
      },
    );
    await eventAt(s, 'storage', '2024-02-15T00:00:00Z', { amount: '4' });
    const estimate = await s.call<{ fees: (FeeJson & { created_at: string | null })[] }>('POST', '/events/estimate_fees', {
      event: { code: 'storage', external_subscription_id: 'sub', properties: { amount: '2' } },
    });
    // From 4 to 6: 1 × 0.02, then 1 × 0.01 and the second tier's flat amount 0.01.
    assert.deepEqual(estimate.fees.map((f) => [f.lago_id, f.created_at, f.amount_cents, f.units, f.pay_in_advance]), [[null, null, 4, '2.0', true]]);
    assert.equal((await feesOf(s)).length, 1);
  });
});
