import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEventService } from '../../src/modules/events/service.ts';
import { frozenClock } from '../../src/lib/clock.ts';
import { Temporal } from 'temporal-polyfill';
import { startTestApp, type TestApp } from '../support/app.ts';
import { feeAmounts, story, type StoryInvoice } from './story.ts';

// Progressive billing to the cent, with a test clock: invoices issued as lifetime usage crosses thresholds, checked
// as events arrive, and the period's invoice crediting them back. Numbers are Lago's worked examples
// (spec/scenarios/invoices/progressive_billing_spec.rb: a sum metric at 0.0002 a unit, so 1,000,000 units are 20,000
// cents) or follow from lago-reference 5.5 and 5.7, worked out in the comments.

interface ProgressiveInvoice extends StoryInvoice {
  progressive_billing_credit_amount_cents: number;
  applied_usage_thresholds?: { lifetime_usage_amount_cents: number; usage_threshold: { amount_cents: number; recurring: boolean } }[];
}

type Story = Awaited<ReturnType<typeof story>>;

describe('scenarios: progressive billing', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  /** Lago's spec setup: a 31.00 monthly plan in arrears from 2022-12-01, `total` summed at 0.0002, the thresholds given. */
  const lagoPlan = async (
    thresholds: Record<string, unknown>[],
    options: { clock?: string; subscription?: Record<string, unknown>; customer?: Record<string, unknown> } = {},
  ) => {
    const s = await story(t, { clock: options.clock ?? '2022-12-01T00:00:00Z' });
    if (options.customer) await s.customer({ external_id: 'acme', name: 'Acme', ...options.customer });
    const metric = await s.metric({ code: 'total', aggregation_type: 'sum_agg', field_name: 'total' });
    await s.plan({
      code: 'basic',
      amount_cents: 3_100,
      charges: [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '0.0002' } }],
      usage_thresholds: thresholds,
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'basic', external_id: 'acme', ...options.subscription });
    return { s, metric };
  };
  /** Moves the clock to `at` and sends one event of `total` units then. */
  const usage = async (s: Story, at: string, total: number, sub = 'acme') => {
    await s.advance(at);
    await s.event(sub, 'total', at, { total });
  };
  const invoicesOf = async (s: Story) => (await s.invoices('acme')) as ProgressiveInvoice[];
  const summary = (i: ProgressiveInvoice) => ({
    type: i.invoice_type,
    fees: i.fees_amount_cents,
    progressive: i.progressive_billing_credit_amount_cents,
    total: i.total_amount_cents,
  });

  test('a threshold mid-month, then the period invoice crediting it (progressive_billing_spec, "final invoice at the end of the month")', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }]);
    // Dec 6: 1,000,000 units = 20,000 ≥ 20,000 → a progressive invoice of the period's usage so far.
    await usage(s, '2022-12-06T00:00:00Z', 1_000_000);
    let invoices = await invoicesOf(s);
    assert.equal(invoices.length, 1);
    const progressive = invoices[0]!;
    assert.deepEqual(summary(progressive), { type: 'progressive_billing', fees: 20_000, progressive: 0, total: 20_000 });
    assert.equal(progressive.status, 'finalized');
    assert.equal(progressive.issuing_date, '2022-12-06');
    assert.deepEqual(feeAmounts(progressive), { 'charge:total': 20_000 });
    assert.deepEqual(
      progressive.billing_periods.map((p) => [p.invoicing_reason, p.charges_from_datetime, p.charges_to_datetime]),
      [['progressive_billing', '2022-12-01T00:00:00Z', '2022-12-31T23:59:59Z']],
    );
    assert.deepEqual(
      progressive.applied_usage_thresholds?.map((a) => [a.usage_threshold.amount_cents, a.usage_threshold.recurring, a.lifetime_usage_amount_cents]),
      [[20_000, false, 20_000]],
    );
    // Dec 16: 40,000 in all, but 20,000 is already billed and no threshold lies above: nothing.
    await usage(s, '2022-12-16T00:00:00Z', 1_000_000);
    assert.equal((await invoicesOf(s)).length, 1);
    // Jan 1: 31.00 + 40,000 of usage, less the 20,000 billed progressively.
    await s.advance('2023-01-01T00:00:00Z');
    invoices = await invoicesOf(s);
    assert.equal(invoices.length, 2);
    const periodic = invoices[1]!;
    assert.deepEqual(summary(periodic), { type: 'subscription', fees: 3_100 + 40_000, progressive: 20_000, total: 3_100 + 20_000 });
    assert.deepEqual(
      periodic.credits.map((c) => [c.amount_cents, c.item.type, c.item.code]),
      [[20_000, 'invoice', progressive.number]],
    );
    const lifetime = await s.call<{ lifetime_usage: Record<string, unknown> }>('GET', '/subscriptions/acme/lifetime_usage');
    assert.equal(lifetime.lifetime_usage.invoiced_usage_amount_cents, 40_000);
    assert.equal(lifetime.lifetime_usage.current_usage_amount_cents, 0);
  });

  test('several thresholds in one period (progressive_billing_spec, "multiple usage thresholds")', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }, { amount_cents: 50_000 }]);
    await usage(s, '2022-12-16T00:00:00Z', 1_000_000);
    await usage(s, '2022-12-21T00:00:00Z', 1_000_000);
    await usage(s, '2022-12-26T00:00:00Z', 1_000_000);
    await s.advance('2023-01-01T00:00:00Z');
    // 20,000 on Dec 16; 40,000 on Dec 21 passes nothing; 60,000 on Dec 26 passes 50,000: 60,000 less the 20,000 billed.
    assert.deepEqual((await invoicesOf(s)).map(summary), [
      { type: 'progressive_billing', fees: 20_000, progressive: 0, total: 20_000 },
      { type: 'progressive_billing', fees: 60_000, progressive: 20_000, total: 40_000 },
      { type: 'subscription', fees: 3_100 + 60_000, progressive: 60_000, total: 3_100 },
    ]);
  });

  test('steps and a recurring threshold, over two periods (progressive_billing_spec, "combination of single thresholds and recurring")', async () => {
    // Steps 2.00, 5.00, 7.00 and 10.00 recurring; 11,000 units are 220 cents.
    const { s } = await lagoPlan([{ amount_cents: 200 }, { amount_cents: 500 }, { amount_cents: 700 }, { amount_cents: 1_000, recurring: true }]);
    await usage(s, '2022-12-06T00:00:00Z', 11_000); // 220: passes 200 → 220
    await usage(s, '2022-12-11T00:00:00Z', 11_000); // 440: nothing
    await usage(s, '2022-12-16T00:00:00Z', 11_000); // 660: passes 500 → 660 − 220
    await usage(s, '2022-12-21T00:00:00Z', 11_000); // 880: passes 700 → 880 − 660
    await usage(s, '2022-12-26T00:00:00Z', 110_000); // 3,080: invoiced 880, 880 mod 1,000 + 2,200 ≥ 1,000 → 3,080 − 880
    await usage(s, '2022-12-28T00:00:00Z', 110_000); // 5,280: 3,080 mod 1,000 = 80, + 2,200 ≥ 1,000 → 5,280 − 3,080
    await s.advance('2023-01-01T00:00:00Z'); // 31.00 + 5,280, less 5,280
    await usage(s, '2023-01-06T00:00:00Z', 110_000); // lifetime 5,280 invoiced: 280 + 2,200 ≥ 1,000 → 2,200
    const invoices = await invoicesOf(s);
    assert.deepEqual(
      invoices.map((i) => [i.invoice_type, i.total_amount_cents, i.progressive_billing_credit_amount_cents]),
      [
        ['progressive_billing', 220, 0],
        ['progressive_billing', 440, 220],
        ['progressive_billing', 220, 660],
        ['progressive_billing', 2_200, 880],
        ['progressive_billing', 2_200, 3_080],
        ['subscription', 3_100, 5_280],
        ['progressive_billing', 2_200, 0],
      ],
    );
    assert.deepEqual(
      invoices.map((i) => i.applied_usage_thresholds?.map((a) => `${a.usage_threshold.amount_cents}${a.usage_threshold.recurring ? 'r' : ''}`)),
      [['200'], ['500'], ['700'], ['1000r'], ['1000r'], undefined, ['1000r']],
    );
    // Lifetime usage: 5,280 invoiced by December's invoice, 2,200 this period, 7,480 in all.
    const lifetime = (await s.call<{ lifetime_usage: Record<string, any> }>('GET', '/subscriptions/acme/lifetime_usage')).lifetime_usage;
    assert.equal(lifetime.invoiced_usage_amount_cents, 5_280);
    assert.equal(lifetime.current_usage_amount_cents, 2_200);
    const thresholds = lifetime.usage_thresholds as { amount_cents: number; completion_ratio: number; reached_at: string | null }[];
    // Steps 200, 500, 700 reached; recurring from 700: (7,480 − 700) / 1,000 = 6 passed (1,700 … 6,700), then
    // 7,480 − (700 + 7,480) mod 1,000 + 1,000 = 7,480 − 180 + 1,000 = 8,300 at 180 / 1,000.
    assert.deepEqual(
      thresholds.map((x) => [x.amount_cents, x.completion_ratio]),
      [[200, 1], [500, 1], [700, 1], [1_700, 1], [2_700, 1], [3_700, 1], [4_700, 1], [5_700, 1], [6_700, 1], [8_300, 0.18]],
    );
    assert.equal(thresholds.at(-1)!.reached_at, null);
    assert.equal(thresholds[0]!.reached_at, '2022-12-06T00:00:00.000Z');
  });

  test('the Lago guide\'s thresholds, $5, $20, $50, $100, $1,000 and $1,000 recurring: each invoice bills the period\'s usage not yet billed', async () => {
    const s = await story(t, { clock: '2024-05-01T00:00:00Z' });
    const metric = await s.metric({ code: 'total', aggregation_type: 'sum_agg', field_name: 'total' });
    await s.plan({
      code: 'basic',
      amount_cents: 0,
      charges: [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '1' } }],
      usage_thresholds: [...[500, 2_000, 5_000, 10_000, 100_000].map((amount_cents) => ({ amount_cents })), { amount_cents: 100_000, recurring: true }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'basic', external_id: 'acme' });
    await usage(s, '2024-05-03T00:00:00Z', 12); // $12: passes $5 and bills $12, not $5
    await usage(s, '2024-05-05T00:00:00Z', 48); // $60: passes $20 and $50 at once → $60 − $12
    await usage(s, '2024-05-09T00:00:00Z', 990); // $1,050: passes $100 and $1,000 → $1,050 − $60
    await usage(s, '2024-05-12T00:00:00Z', 500); // $1,550: above the last step, 1,050 mod 1,000 + 500 < 1,000: nothing
    await usage(s, '2024-05-20T00:00:00Z', 600); // $2,150: 50 + 1,100 ≥ 1,000 → the recurring one, $2,150 − $1,050
    const invoices = await invoicesOf(s);
    assert.deepEqual(
      invoices.map((i) => [i.issuing_date, i.total_amount_cents, i.applied_usage_thresholds?.map((a) => a.usage_threshold.amount_cents)]),
      [
        ['2024-05-03', 1_200, [500]],
        ['2024-05-05', 4_800, [2_000, 5_000]],
        ['2024-05-09', 99_000, [10_000, 100_000]],
        ['2024-05-20', 110_000, [100_000]],
      ],
    );
    assert.equal(invoices[3]!.applied_usage_thresholds![0]!.usage_threshold.recurring, true);
  });

  test('a grace period: the period\'s draft credits the progressive invoice, and one issued while a draft waits counts it (progressive_billing_spec, "grace period")', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }], { customer: { billing_configuration: { invoice_grace_period: 30 } } });
    // January's draft for December (nothing used): 31.00, finalized on Jan 31.
    await s.advance('2023-01-01T02:00:00Z');
    let invoices = await invoicesOf(s);
    assert.deepEqual(invoices.map((i) => [i.status, i.total_amount_cents]), [['draft', 3_100]]);
    // Jan 16: 60,000 of usage passes 20,000 while December's draft waits (its charges, 0, count as invoiced).
    await usage(s, '2023-01-16T00:00:00Z', 3_000_000);
    invoices = await invoicesOf(s);
    assert.deepEqual(invoices.filter((i) => i.invoice_type === 'progressive_billing').map(summary), [
      { type: 'progressive_billing', fees: 60_000, progressive: 0, total: 60_000 },
    ]);
    // Feb 1: January's draft bills 31.00 + 60,000 less the 60,000 billed; December's was finalized meanwhile.
    await s.advance('2023-02-01T00:00:00Z');
    invoices = await invoicesOf(s);
    assert.deepEqual(
      invoices.map((i) => [i.invoice_type, i.status, i.fees_amount_cents, i.progressive_billing_credit_amount_cents, i.total_amount_cents]),
      [
        ['progressive_billing', 'finalized', 60_000, 0, 60_000],
        ['subscription', 'finalized', 3_100, 0, 3_100],
        ['subscription', 'draft', 63_100, 60_000, 3_100],
      ],
    );
    // Finalizing recomputes the draft: the credit stays.
    const finalized = await s.call<{ invoice: ProgressiveInvoice }>('PUT', `/invoices/${invoices[2]!.lago_id}/finalize`);
    assert.deepEqual(summary(finalized.invoice), { type: 'subscription', fees: 63_100, progressive: 60_000, total: 3_100 });
  });

  test('two thresholds crossed by one event: one invoice applying both', async () => {
    const { s } = await lagoPlan([{ amount_cents: 10_000 }, { amount_cents: 20_000, threshold_display_name: 'Second' }]);
    // 1,250,000 units = 25,000: passes 10,000 and 20,000 at once.
    await usage(s, '2022-12-10T00:00:00Z', 1_250_000);
    const invoices = await invoicesOf(s);
    assert.equal(invoices.length, 1);
    assert.deepEqual(summary(invoices[0]!), { type: 'progressive_billing', fees: 25_000, progressive: 0, total: 25_000 });
    assert.deepEqual(
      invoices[0]!.applied_usage_thresholds?.map((a) => [a.usage_threshold.amount_cents, a.lifetime_usage_amount_cents]),
      [
        [10_000, 25_000],
        [20_000, 25_000],
      ],
    );
  });

  test('a step and the recurring threshold crossed by one event: one invoice', async () => {
    const { s } = await lagoPlan([{ amount_cents: 5_000 }, { amount_cents: 10_000, recurring: true }]);
    // 20,000: passes 5,000, and 20,000 − 5,000 ≥ 10,000 passes the recurring one.
    await usage(s, '2022-12-10T00:00:00Z', 1_000_000);
    const [invoice, ...rest] = await invoicesOf(s);
    assert.equal(rest.length, 0);
    assert.equal(invoice!.total_amount_cents, 20_000);
    assert.deepEqual(invoice!.applied_usage_thresholds?.map((a) => [a.usage_threshold.amount_cents, a.usage_threshold.recurring]), [
      [5_000, false],
      [10_000, true],
    ]);
  });

  test('the period invoice credits the progressive invoice before a coupon and taxes (lago-reference 5.5)', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }]);
    await s.tax('vat', '20', { applied_to_organization: true });
    // Dec 6: 20,000 + 20 % VAT.
    await usage(s, '2022-12-06T00:00:00Z', 1_000_000);
    await s.call('POST', '/coupons', {
      coupon: { name: 'Ten', code: 'ten', coupon_type: 'percentage', percentage_rate: '10', frequency: 'forever', expiration: 'no_expiration' },
    });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'acme', coupon_code: 'ten' } });
    await usage(s, '2022-12-16T00:00:00Z', 1_000_000);
    await s.advance('2023-01-01T00:00:00Z');
    const [progressive, periodic] = await invoicesOf(s);
    assert.deepEqual(summary(progressive!), { type: 'progressive_billing', fees: 20_000, progressive: 0, total: 24_000 });
    assert.equal(progressive!.taxes_amount_cents, 4_000);
    // Fees 3,100 + 40,000 = 43,100; less 20,000 billed = 23,100; coupon 10 % = 2,310 → 20,790; VAT 20 % = 4,158.
    assert.deepEqual(
      {
        fees: periodic!.fees_amount_cents,
        progressive: periodic!.progressive_billing_credit_amount_cents,
        coupons: periodic!.coupons_amount_cents,
        subTotal: periodic!.sub_total_excluding_taxes_amount_cents,
        taxes: periodic!.taxes_amount_cents,
        total: periodic!.total_amount_cents,
      },
      { fees: 43_100, progressive: 20_000, coupons: 2_310, subTotal: 20_790, taxes: 4_158, total: 24_948 },
    );
    assert.deepEqual(
      periodic!.credits.map((c) => [c.item.type, c.amount_cents]),
      [
        ['invoice', 20_000],
        ['coupon', 2_310],
      ],
    );
    assert.deepEqual(periodic!.applied_taxes.map((x) => [x.tax_code, x.amount_cents, x.fees_amount_cents]), [['vat', 4_158, 20_790]]);
  });

  test('a threshold reached, then an upgrade: the termination invoice credits it and the lifetime usage carries over (progressive_billing_spec, "upgrades")', async () => {
    const { s, metric } = await lagoPlan([{ amount_cents: 20_000 }]);
    await s.plan({
      code: 'premium',
      amount_cents: 62_000,
      charges: [{ billable_metric_id: metric, charge_model: 'standard', properties: { amount: '0.0002' } }],
      usage_thresholds: [{ amount_cents: 30_000 }],
    });
    await usage(s, '2022-12-16T00:00:00Z', 1_000_000);
    const before = (await s.call<{ lifetime_usage: Record<string, any> }>('GET', '/subscriptions/acme/lifetime_usage')).lifetime_usage;
    await s.advance('2022-12-18T00:00:00Z');
    const upgraded = await s.subscribe({ external_customer_id: 'acme', plan_code: 'premium', external_id: 'acme' });
    assert.equal(upgraded.plan_code, 'premium');
    let invoices = await invoicesOf(s);
    assert.equal(invoices.length, 2);
    // Dec 1–17 of 31.00 = 17.00, and the 20,000 of usage less the 20,000 billed.
    assert.deepEqual(summary(invoices[1]!), { type: 'subscription', fees: 1_700 + 20_000, progressive: 20_000, total: 1_700 });
    assert.equal(invoices[1]!.billing_periods[0]!.invoicing_reason, 'subscription_terminating');
    // The new subscription has the lifetime usage of the old one: 20,000 invoiced by the termination invoice.
    const after = (await s.call<{ lifetime_usage: Record<string, any> }>('GET', '/subscriptions/acme/lifetime_usage')).lifetime_usage;
    assert.equal(after.lago_id, before.lago_id);
    assert.equal(after.lago_subscription_id, upgraded.lago_id);
    assert.equal(after.invoiced_usage_amount_cents, 20_000);
    assert.deepEqual(after.usage_thresholds, [{ amount_cents: 30_000, completion_ratio: 20_000 / 30_000, reached_at: null }]);
    // 15,000 more on the new plan: lifetime 35,000 passes 30,000, billing the new subscription's usage, 15,000.
    await usage(s, '2022-12-20T00:00:00Z', 750_000);
    invoices = await invoicesOf(s);
    assert.equal(invoices.length, 3);
    assert.deepEqual(summary(invoices[2]!), { type: 'progressive_billing', fees: 15_000, progressive: 0, total: 15_000 });
    assert.equal(invoices[2]!.billing_periods[0]!.charges_from_datetime, '2022-12-18T00:00:00Z');
    // Dec 18–31 of 620.00 = 14/31 → 28,000, and 15,000 of usage less the 15,000 billed.
    await s.advance('2023-01-01T00:00:00Z');
    invoices = await invoicesOf(s);
    assert.deepEqual(summary(invoices[3]!), { type: 'subscription', fees: 28_000 + 15_000, progressive: 15_000, total: 28_000 });
  });

  test('progressive_billing_disabled: no progressive invoice until it is switched back on', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }], { subscription: { progressive_billing_disabled: true } });
    await usage(s, '2022-12-06T00:00:00Z', 1_500_000);
    assert.equal((await invoicesOf(s)).length, 0);
    const lifetime = (await s.call<{ lifetime_usage: Record<string, unknown> }>('GET', '/subscriptions/acme/lifetime_usage')).lifetime_usage;
    assert.equal(lifetime.current_usage_amount_cents, 30_000);
    assert.equal('usage_thresholds' in lifetime, false);
    const updated = await s.call<{ subscription: { progressive_billing_disabled: boolean; applicable_usage_thresholds: unknown[] } }>(
      'PUT',
      '/subscriptions/acme',
      { subscription: { progressive_billing_disabled: false } },
    );
    assert.equal(updated.subscription.progressive_billing_disabled, false);
    assert.equal(updated.subscription.applicable_usage_thresholds.length, 1);
    // The next check (the clock's, here) bills the usage of the period so far.
    await s.advance('2022-12-07T00:00:00Z');
    const invoices = await invoicesOf(s);
    assert.deepEqual(invoices.map(summary), [{ type: 'progressive_billing', fees: 30_000, progressive: 0, total: 30_000 }]);
  });

  test('historical usage counts toward the thresholds (PUT lifetime_usage)', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }]);
    await s.call('PUT', '/subscriptions/acme/lifetime_usage', { lifetime_usage: { external_historical_usage_amount_cents: 15_000 } });
    // 300,000 units = 6,000: lifetime 21,000 passes 20,000; the invoice bills this period's 6,000.
    await usage(s, '2022-12-06T00:00:00Z', 300_000);
    const invoices = await invoicesOf(s);
    assert.deepEqual(invoices.map(summary), [{ type: 'progressive_billing', fees: 6_000, progressive: 0, total: 6_000 }]);
    assert.equal(invoices[0]!.applied_usage_thresholds?.[0]?.lifetime_usage_amount_cents, 21_000);
  });

  test('a crossing whose ingestion check never ran is billed by the clock, in its own period', async () => {
    const { s } = await lagoPlan([{ amount_cents: 20_000 }]);
    await s.advance('2022-12-30T00:00:00Z');
    // Events stored as a process that stopped right after their commit would leave them: no check ran.
    const organizationId = (await s.call<{ organization: { lago_id: string } }>('GET', '/organizations')).organization.lago_id;
    const bare = createEventService({ db: t.database.db, metering: t.app.services.metering });
    const stored = await bare.ingest(
      { organizationId, clock: frozenClock(Temporal.Instant.from('2022-12-30T00:00:00Z')) },
      { transaction_id: 'missed', external_subscription_id: 'acme', code: 'total', timestamp: Date.parse('2022-12-30T00:00:00Z') / 1000, properties: { total: 1_000_000 } },
      false,
    );
    assert.ok(stored.ok);
    assert.equal((await invoicesOf(s)).length, 0);
    // The clock leaves Dec 30: the crossing is billed in December, and credited by December's invoice.
    await s.advance('2023-01-01T00:00:00Z');
    const invoices = await invoicesOf(s);
    assert.deepEqual(invoices.map(summary), [
      { type: 'progressive_billing', fees: 20_000, progressive: 0, total: 20_000 },
      { type: 'subscription', fees: 3_100 + 20_000, progressive: 20_000, total: 3_100 },
    ]);
    assert.equal(invoices[0]!.issuing_date, '2022-12-30');
  });
});
