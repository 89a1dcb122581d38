import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InvoicePreviewInput } from 'lago-javascript-client';
import { story } from '../scenarios/story.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });
const UNPROCESSABLE = (details: Record<string, unknown>) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });

interface PreviewFee {
  lago_id: string | null;
  lago_invoice_id: string | null;
  lago_subscription_id: string | null;
  external_subscription_id: string | null;
  lago_customer_id: string | null;
  item: { type: string; code: string; lago_item_id: string | null };
  amount_cents: number;
  taxes_amount_cents: number;
  units: string;
  events_count: number;
  from_date: string | null;
  to_date: string | null;
  created_at: string | null;
  applied_taxes?: unknown;
}

interface PreviewInvoice {
  lago_id: string | null;
  sequential_id: number | null;
  number: string;
  status: string;
  payment_status: string;
  invoice_type: string;
  currency: string;
  issuing_date: string;
  payment_due_date: string;
  fees_amount_cents: number;
  coupons_amount_cents: number;
  sub_total_excluding_taxes_amount_cents: number;
  taxes_amount_cents: number;
  sub_total_including_taxes_amount_cents: number;
  total_amount_cents: number;
  total_due_amount_cents: number;
  customer: { lago_id: string | null; external_id: string | null; sequential_id: number | null; slug: string | null; name: string | null; currency: string | null; timezone: string | null; applicable_timezone: string };
  subscriptions: {
    lago_id: string | null;
    external_id: string | null;
    lago_customer_id: string | null;
    plan_code: string;
    status: string;
    started_at: string | null;
    terminated_at: string | null;
    current_billing_period_started_at: string | null;
    current_billing_period_ending_at: string | null;
  }[];
  fees: PreviewFee[];
  credits: { lago_id: string | null; amount_cents: number; item: { lago_item_id: string | null; type: string; code: string | null; name: string | null }; invoice: { lago_id: string | null } }[];
  applied_taxes: { lago_id: string | null; lago_invoice_id: string | null; tax_code: string; amount_cents: number; fees_amount_cents: number; created_at: string | null }[];
  metadata?: unknown;
  billing_periods?: unknown;
}

/** The totals of a previewed or real invoice, for compact checks. */
const totals = (i: Pick<PreviewInvoice, 'issuing_date' | 'fees_amount_cents' | 'coupons_amount_cents' | 'taxes_amount_cents' | 'total_amount_cents'>) => ({
  issuing_date: i.issuing_date,
  fees: i.fees_amount_cents,
  coupons: i.coupons_amount_cents,
  taxes: i.taxes_amount_cents,
  total: i.total_amount_cents,
});

/** `{ 'subscription:basic': 10000, 'charge:calls': 350 }` */
const feeAmounts = (invoice: { fees: { item: { type: string; code: string }; amount_cents: number }[] }) =>
  Object.fromEntries(invoice.fees.map((f) => [`${f.item.type}:${f.item.code}`, f.amount_cents]));

describe('POST /invoices/preview: the invoice Billow would issue, computed by the billing engine and never kept', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof story>>;
  let otherKey: string;
  const ids: Record<string, string> = {};

  const preview = async (body: Record<string, unknown>, key = s.key): Promise<PreviewInvoice> => {
    const res = await t.client(key).invoices.invoicePreview(body as unknown as InvoicePreviewInput);
    return (res.data as unknown as { invoice: PreviewInvoice }).invoice;
  };
  const refused = async (body: unknown, key = s.key) => {
    const before = await snapshotDatabase(t.database);
    let outcome: { status: number; body: Record<string, unknown> } | null = null;
    try {
      await t.client(key).invoices.invoicePreview(body as InvoicePreviewInput);
    } catch (error) {
      outcome = lagoError(error);
    }
    assert.ok(outcome, 'the preview was answered');
    assert.equal(await snapshotDatabase(t.database), before, 'a refused preview changed the database');
    return outcome;
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    s = await story(t, { clock: '2024-03-15T10:00:00Z' });
    ({ key: otherKey } = await t.newOrganization({ name: 'Other Co' }));
    await s.tax('vat', '20', { applied_to_organization: true });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const usage = [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } }];
    await s.plan({ code: 'basic', amount_cents: 10_000, charges: usage });
    await s.plan({ code: 'tiny', amount_cents: 100 });
    await s.plan({ code: 'tiny_advance', amount_cents: 100, pay_in_advance: true });
    await s.plan({ code: 'advance', amount_cents: 3_100, pay_in_advance: true });
    await s.plan({ code: 'premium', amount_cents: 20_000, charges: usage });
    await s.plan({ code: 'premium_advance', amount_cents: 20_000, pay_in_advance: true });
    await s.plan({ code: 'cheap', amount_cents: 5_000, pay_in_advance: true });
    await s.call('POST', '/coupons', {
      coupon: { name: 'Half', code: 'half', coupon_type: 'percentage', percentage_rate: '50', frequency: 'forever', expiration: 'no_expiration' },
    });
    await s.call('POST', '/coupons', {
      coupon: { name: 'Loyal', code: 'loyal', coupon_type: 'fixed_amount', amount_cents: 500, amount_currency: 'EUR', frequency: 'forever', expiration: 'no_expiration' },
    });

    // Alice: on the basic plan since March 1st, 7 calls so far.
    ids.alice = ((await s.customer({ external_id: 'alice', name: 'Alice', currency: 'EUR' })) as { customer: { lago_id: string } }).customer.lago_id;
    ids.subA = (await s.subscribe({ external_customer_id: 'alice', external_id: 'sub_a', plan_code: 'basic', subscription_at: '2024-03-01T00:00:00Z' })).lago_id as string;
    for (let i = 0; i < 7; i++) await s.event('sub_a', 'calls', '2024-03-10T00:00:00Z');
    // Bob: two calendar subscriptions billed together, and an anniversary one billed on the 20th.
    await s.customer({ external_id: 'bob', name: 'Bob', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'bob', external_id: 'sub_b1', plan_code: 'basic', subscription_at: '2024-03-01T00:00:00Z' });
    await s.subscribe({ external_customer_id: 'bob', external_id: 'sub_b2', plan_code: 'tiny', subscription_at: '2024-03-01T00:00:00Z' });
    await s.subscribe({ external_customer_id: 'bob', external_id: 'sub_b3', plan_code: 'advance', billing_time: 'anniversary', subscription_at: '2024-02-20T00:00:00Z' });
    // Carol: subscriptions that start later.
    await s.customer({ external_id: 'carol', name: 'Carol', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'carol', external_id: 'sub_c1', plan_code: 'tiny', subscription_at: '2024-04-01T00:00:00Z' });
    await s.subscribe({ external_customer_id: 'carol', external_id: 'sub_c2', plan_code: 'tiny_advance', billing_time: 'anniversary', subscription_at: '2024-04-08T00:00:00Z' });
    // Eve: a subscription set to end on March 25th.
    await s.customer({ external_id: 'eve', name: 'Eve', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'eve', external_id: 'sub_e', plan_code: 'tiny', subscription_at: '2024-03-01T00:00:00Z', ending_at: '2024-03-25T00:00:00Z' });
    // Dave: a coupon of his own.
    await s.customer({ external_id: 'dave', name: 'Dave', currency: 'EUR' });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'dave', coupon_code: 'loyal' } });
  });

  after(() => t.close());

  describe('a subscription that does not exist yet', () => {
    test('for a customer that does not exist either: the first period prorated, its subscription fee alone, nothing stored', async () => {
      const before = await snapshotDatabase(t.database);
      const invoice = await preview({ customer: { name: 'Newcomer', currency: 'EUR', tax_identification_number: 'EU123' }, plan_code: 'basic' });
      assert.equal(await snapshotDatabase(t.database), before, 'the preview left something behind');
      // March 15 to 31: 17 of 31 days of 100 €, billed on April 1st; no usage for a subscription that does not exist.
      assert.deepEqual(totals(invoice), { issuing_date: '2024-04-01', fees: 5_484, coupons: 0, taxes: 1_097, total: 6_581 });
      assert.deepEqual(feeAmounts(invoice), { 'subscription:basic': 5_484 });
      // Nothing of it was saved: no ids, no number, Lago's column defaults.
      assert.equal(invoice.lago_id, null);
      assert.equal(invoice.sequential_id, null);
      assert.equal(invoice.number, '');
      assert.equal(invoice.status, 'finalized');
      assert.equal(invoice.payment_status, 'pending');
      assert.equal(invoice.invoice_type, 'subscription');
      assert.equal(invoice.payment_due_date, '2024-04-01');
      assert.equal(invoice.total_due_amount_cents, 6_581);
      assert.equal(invoice.metadata, undefined);
      assert.equal(invoice.billing_periods, undefined);
      assert.deepEqual(
        { lago_id: invoice.customer.lago_id, external_id: invoice.customer.external_id, sequential_id: invoice.customer.sequential_id, slug: invoice.customer.slug },
        { lago_id: null, external_id: null, sequential_id: null, slug: null },
      );
      assert.equal(invoice.customer.name, 'Newcomer');
      assert.equal(invoice.subscriptions.length, 1);
      assert.equal(invoice.subscriptions[0]!.lago_id, null);
      assert.equal(invoice.subscriptions[0]!.external_id, null);
      assert.equal(invoice.subscriptions[0]!.plan_code, 'basic');
      assert.equal(invoice.subscriptions[0]!.status, 'active');
      const [fee] = invoice.fees;
      assert.deepEqual(
        [fee!.lago_id, fee!.lago_invoice_id, fee!.lago_subscription_id, fee!.lago_customer_id, fee!.item.lago_item_id, fee!.created_at],
        [null, null, null, null, null, null],
      );
      assert.equal(fee!.applied_taxes, undefined);
      assert.deepEqual([fee!.from_date, fee!.to_date], ['2024-03-15T00:00:00Z', '2024-03-31T23:59:59Z']);
      assert.deepEqual(invoice.applied_taxes.map((x) => [x.lago_id, x.lago_invoice_id, x.tax_code, x.amount_cents, x.fees_amount_cents, x.created_at]), [
        [null, null, 'vat', 1_097, 5_484, null],
      ]);
    });

    test("Lago's worked example: a calendar plan of 1 € from March 30th bills 2 days (0.06 €) on April 1st", async () => {
      const invoice = await preview({ customer: { name: 'x' }, plan_code: 'tiny', subscription_at: '2024-03-30T00:00:00Z' });
      assert.deepEqual(totals(invoice), { issuing_date: '2024-04-01', fees: 6, coupons: 0, taxes: 1, total: 7 });
    });

    test('paid in advance on its anniversary: the whole first period, issued the day it starts', async () => {
      const invoice = await preview({ customer: { name: 'x' }, plan_code: 'advance', billing_time: 'anniversary', subscription_at: '2024-03-15' });
      assert.deepEqual(totals(invoice), { issuing_date: '2024-03-15', fees: 3_100, coupons: 0, taxes: 620, total: 3_720 });
      assert.deepEqual([invoice.fees[0]!.from_date, invoice.fees[0]!.to_date], ['2024-03-15T00:00:00Z', '2024-04-14T23:59:59Z']);
    });

    test("an unknown billing_time is calendar, as in Lago; the customer's time zone moves the period", async () => {
      const unknown = await preview({ customer: { name: 'x' }, plan_code: 'basic', billing_time: 'weekly' });
      assert.equal(unknown.fees_amount_cents, 5_484);
      // In Tokyo it is already March 15th 19:00; the period still ends on March 31st, local, billed April 1st local.
      const tokyo = await preview({ customer: { name: 'x', timezone: 'Asia/Tokyo' }, plan_code: 'basic' });
      assert.equal(tokyo.customer.applicable_timezone, 'Asia/Tokyo');
      assert.deepEqual(totals(tokyo), { issuing_date: '2024-04-01', fees: 5_484, coupons: 0, taxes: 1_097, total: 6_581 });
      assert.equal(tokyo.fees[0]!.from_date, '2024-03-14T15:00:00Z');
    });

    test('coupons given for the preview apply in the order given, and none of them is kept', async () => {
      const before = await snapshotDatabase(t.database);
      const invoice = await preview({
        customer: { name: 'x' },
        plan_code: 'advance',
        billing_time: 'anniversary',
        subscription_at: '2024-03-15',
        coupons: [
          { code: 'launch', name: 'Launch', coupon_type: 'fixed_amount', amount_cents: 1_000, amount_currency: 'EUR', frequency: 'once' },
          { code: 'half' },
        ],
      });
      assert.equal(await snapshotDatabase(t.database), before, 'the preview left something behind');
      // 31 € − 10 € = 21 €, then half of it: 10.50 €; 20 % VAT on 10.50 €.
      assert.deepEqual(totals(invoice), { issuing_date: '2024-03-15', fees: 3_100, coupons: 2_050, taxes: 210, total: 1_260 });
      assert.equal(invoice.sub_total_excluding_taxes_amount_cents, 1_050);
      assert.deepEqual(
        invoice.credits.map((c) => [c.lago_id, c.amount_cents, c.item.type, c.item.code, c.item.name, c.item.lago_item_id === null, c.invoice.lago_id]),
        [
          [null, 1_000, 'coupon', 'launch', 'Launch', true, null],
          [null, 1_050, 'coupon', 'half', 'Half', false, null],
        ],
      );
    });

    test("a customer's own coupons apply instead of the request's, as in Lago", async () => {
      const before = await snapshotDatabase(t.database);
      const invoice = await preview({
        customer: { external_id: 'dave' },
        plan_code: 'advance',
        billing_time: 'anniversary',
        subscription_at: '2024-03-15',
        coupons: [{ code: 'launch', coupon_type: 'fixed_amount', amount_cents: 1_000, amount_currency: 'EUR' }],
      });
      assert.equal(await snapshotDatabase(t.database), before, 'the coupon was used up by a preview');
      assert.deepEqual(totals(invoice), { issuing_date: '2024-03-15', fees: 3_100, coupons: 500, taxes: 520, total: 3_120 });
      assert.deepEqual(invoice.credits.map((c) => [c.item.code, c.amount_cents]), [['loyal', 500]]);
      assert.equal(invoice.customer.external_id, 'dave');
      assert.equal(invoice.subscriptions[0]!.lago_customer_id, invoice.customer.lago_id);
      assert.notEqual(invoice.customer.lago_id, null);
    });

    test("an existing customer's fields are overridden for the preview only", async () => {
      const before = await snapshotDatabase(t.database);
      const invoice = await preview({ customer: { external_id: 'alice', name: 'Alice Renamed', timezone: 'Asia/Tokyo' }, plan_code: 'tiny' });
      assert.equal(await snapshotDatabase(t.database), before);
      assert.equal(invoice.customer.lago_id, ids.alice);
      assert.equal(invoice.customer.name, 'Alice Renamed');
      assert.equal(invoice.customer.timezone, 'Asia/Tokyo');
      // Only the new subscription is on it.
      assert.deepEqual(feeAmounts(invoice), { 'subscription:tiny': 55 });
    });
  });

  describe('existing subscriptions', () => {
    test('their next invoice: the period that ends with its usage so far', async () => {
      const before = await snapshotDatabase(t.database);
      const invoice = await preview({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'] } });
      assert.equal(await snapshotDatabase(t.database), before);
      assert.deepEqual(totals(invoice), { issuing_date: '2024-04-01', fees: 10_350, coupons: 0, taxes: 2_070, total: 12_420 });
      assert.deepEqual(feeAmounts(invoice), { 'subscription:basic': 10_000, 'charge:calls': 350 });
      const charge = invoice.fees.find((f) => f.item.type === 'charge')!;
      assert.deepEqual([charge.units, charge.events_count, charge.lago_id, charge.lago_subscription_id, charge.external_subscription_id], ['7.0', 7, null, ids.subA, 'sub_a']);
      // Existing subscriptions and customers keep their ids.
      assert.equal(invoice.subscriptions[0]!.lago_id, ids.subA);
      assert.equal(invoice.customer.lago_id, ids.alice);
      assert.equal(invoice.customer.external_id, 'alice');
    });

    test('several subscriptions billed the same day are on one invoice', async () => {
      const invoice = await preview({ customer: { external_id: 'bob' }, subscriptions: { external_ids: ['sub_b1', 'sub_b2'] } });
      assert.deepEqual(totals(invoice), { issuing_date: '2024-04-01', fees: 10_100, coupons: 0, taxes: 2_020, total: 12_120 });
      assert.deepEqual(invoice.subscriptions.map((x) => x.external_id).sort(), ['sub_b1', 'sub_b2']);
    });

    test("a subscription that starts later: its first invoice, at its start when paid in advance (Lago's examples)", async () => {
      const arrears = await preview({ customer: { external_id: 'carol' }, subscriptions: { external_ids: ['sub_c1'] } });
      assert.deepEqual(totals(arrears), { issuing_date: '2024-05-01', fees: 100, coupons: 0, taxes: 20, total: 120 });
      const advance = await preview({ customer: { external_id: 'carol' }, subscriptions: { external_ids: ['sub_c2'] } });
      assert.deepEqual(totals(advance), { issuing_date: '2024-04-08', fees: 100, coupons: 0, taxes: 20, total: 120 });
      // Lago previews it as an unsaved copy, active: no id, its own external id.
      assert.deepEqual([advance.subscriptions[0]!.lago_id, advance.subscriptions[0]!.external_id, advance.subscriptions[0]!.status], [null, 'sub_c2', 'active']);
      const [pending] = (await s.call<{ subscriptions: { status: string }[] }>('GET', '/subscriptions?external_customer_id=carol&status[]=pending')).subscriptions;
      assert.equal(pending!.status, 'pending');
    });

    test('terminated at a later instant: the termination invoice of the used part and its usage', async () => {
      const invoice = await preview({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], terminated_at: '2024-03-20T00:00:00Z' } });
      // March 1st to 20th: 20 of 31 days of 100 €, and the 7 calls.
      assert.deepEqual(totals(invoice), { issuing_date: '2024-03-20', fees: 6_802, coupons: 0, taxes: 1_360, total: 8_162 });
      assert.deepEqual(feeAmounts(invoice), { 'subscription:basic': 6_452, 'charge:calls': 350 });
      assert.deepEqual([invoice.subscriptions[0]!.lago_id, invoice.subscriptions[0]!.status, invoice.subscriptions[0]!.terminated_at], [ids.subA, 'terminated', '2024-03-20T00:00:00Z']);
      const live = (await s.call<{ subscription: { status: string } }>('GET', '/subscriptions/sub_a')).subscription;
      assert.equal(live.status, 'active');
    });

    test('one that ends before its next billing day: its termination invoice, as Lago previews it', async () => {
      const invoice = await preview({ customer: { external_id: 'eve' }, subscriptions: { external_ids: ['sub_e'] }, billing_entity_code: 'acme' });
      // March 1st to 25th: 25 of 31 days of 1 €.
      assert.deepEqual(totals(invoice), { issuing_date: '2024-03-25', fees: 81, coupons: 0, taxes: 16, total: 97 });
      assert.deepEqual([invoice.subscriptions[0]!.status, invoice.subscriptions[0]!.terminated_at], ['terminated', '2024-03-25T00:00:00Z']);
    });

    test('an upgrade, now: the old plan until yesterday with its usage, the new plan from today when paid in advance', async () => {
      const before = await snapshotDatabase(t.database);
      const arrears = await preview({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], plan_code: 'premium' } });
      // March 1st to 14th: 14 of 31 days of 100 €, and the 7 calls; the new plan is billed at the end of its period.
      assert.deepEqual(totals(arrears), { issuing_date: '2024-03-15', fees: 4_866, coupons: 0, taxes: 973, total: 5_839 });
      assert.deepEqual(arrears.subscriptions.map((x) => [x.plan_code, x.status]), [['basic', 'terminated']]);
      const advance = await preview({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], plan_code: 'premium_advance' } });
      // And March 15th to 31st of 200 €: 17 of 31 days.
      assert.deepEqual(feeAmounts(advance), { 'subscription:basic': 4_516, 'charge:calls': 350, 'subscription:premium_advance': 10_968 });
      assert.equal(advance.fees_amount_cents, 15_834);
      assert.equal(advance.total_amount_cents, advance.fees_amount_cents + advance.taxes_amount_cents);
      const upgraded = advance.subscriptions.find((x) => x.plan_code === 'premium_advance')!;
      assert.deepEqual([upgraded.lago_id, upgraded.external_id, upgraded.status], [null, 'sub_a', 'active']);
      assert.equal(await snapshotDatabase(t.database), before);
    });

    test('a downgrade: on the next billing day, the old plan closes its period and the new one starts', async () => {
      const invoice = await preview({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], plan_code: 'cheap' } });
      assert.deepEqual(totals(invoice), { issuing_date: '2024-04-01', fees: 15_350, coupons: 0, taxes: 3_070, total: 18_420 });
      assert.deepEqual(feeAmounts(invoice), { 'subscription:basic': 10_000, 'charge:calls': 350, 'subscription:cheap': 5_000 });
      const cheap = invoice.subscriptions.find((x) => x.plan_code === 'cheap')!;
      assert.deepEqual([cheap.lago_id, cheap.started_at, cheap.current_billing_period_started_at, cheap.current_billing_period_ending_at], [
        null,
        '2024-04-01T00:00:00.000Z',
        '2024-04-01T00:00:00Z',
        '2024-04-30T23:59:59Z',
      ]);
      const basic = invoice.subscriptions.find((x) => x.plan_code === 'basic')!;
      assert.deepEqual([basic.lago_id, basic.terminated_at], [ids.subA, '2024-04-01T00:00:00Z']);
    });
  });

  describe('refused previews answer in Lago’s shape and change nothing', () => {
    const cases: [string, unknown, number, Record<string, unknown>][] = [
      ['coupons that are not a list', { coupons: { code: 'half' } }, 400, { status: 400, error: 'coupons_must_be_an_array' }],
      ['subscriptions that are not an object', { subscriptions: [] }, 400, { status: 400, error: 'subscriptions_must_be_an_object' }],
      ['an unknown customer', { customer: { external_id: 'nobody' }, plan_code: 'basic' }, 404, NOT_FOUND('customer_not_found')],
      ['an unknown plan', { customer: { name: 'x' }, plan_code: 'nope' }, 404, NOT_FOUND('plan_not_found')],
      ['no plan at all', { customer: { name: 'x' } }, 404, NOT_FOUND('plan_not_found')],
      ['an unknown billing entity', { customer: { name: 'x' }, plan_code: 'basic', billing_entity_code: 'elsewhere' }, 404, NOT_FOUND('billing_entity_not_found')],
      ['subscriptions of nobody known', { customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_b1'] } }, 404, NOT_FOUND('subscription_not_found')],
      ['subscriptions of a customer that does not exist', { customer: { name: 'x' }, subscriptions: { external_ids: ['sub_a'] } }, 422, UNPROCESSABLE({ customer: ['must_be_persisted'] })],
      ['an unknown target plan', { customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], plan_code: 'nope' } }, 404, NOT_FOUND('plan_not_found')],
      ['the plan it is on', { customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], plan_code: 'basic' } }, 422, UNPROCESSABLE({ base: ['new_plan_should_be_different_from_existing_plan'] })],
      ['a plan change of two subscriptions', { customer: { external_id: 'bob' }, subscriptions: { external_ids: ['sub_b1', 'sub_b2'], plan_code: 'cheap' } }, 422, UNPROCESSABLE({ subscriptions: ['only_one_subscription_allowed_for_plan_change'] })],
      ['a termination of two subscriptions', { customer: { external_id: 'bob' }, subscriptions: { external_ids: ['sub_b1', 'sub_b2'], terminated_at: '2024-05-01T00:00:00Z' } }, 422, UNPROCESSABLE({ subscriptions: ['only_one_subscription_allowed_for_termination'] })],
      ['a termination that is no date', { customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], terminated_at: 'soon' } }, 422, UNPROCESSABLE({ terminated_at: ['invalid_timestamp'] })],
      ['a termination in the past', { customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'], terminated_at: '2024-03-15T09:59:59Z' } }, 422, UNPROCESSABLE({ terminated_at: ['cannot_be_in_past'] })],
      ['external ids that are not a list', { customer: { external_id: 'alice' }, subscriptions: { external_ids: 'sub_a' } }, 422, UNPROCESSABLE({ external_ids: ['value_is_invalid'] })],
      ['subscriptions billed on different days', { customer: { external_id: 'bob' }, subscriptions: { external_ids: ['sub_b1', 'sub_b3'] } }, 422, UNPROCESSABLE({ base: ['billing_periods_does_not_match'] })],
      ['a start that is no date', { customer: { name: 'x' }, plan_code: 'basic', subscription_at: 'tomorrow' }, 422, UNPROCESSABLE({ subscription_at: ['invalid_date'] })],
      ['an unknown time zone', { customer: { name: 'x', timezone: 'Mars/Olympus' }, plan_code: 'basic' }, 422, UNPROCESSABLE({ timezone: ['invalid_timezone'] })],
      ['an unknown country', { customer: { name: 'x', country: 'XX' }, plan_code: 'basic' }, 422, UNPROCESSABLE({ country: ['not_a_valid_country_code'] })],
      ['a tax integration Billow does not have', { customer: { name: 'x', integration_customers: [{ integration_type: 'anrok', integration_code: 'a' }] }, plan_code: 'basic' }, 404, NOT_FOUND('anrok_integration_not_found')],
      ['a percentage coupon without its rate', { customer: { name: 'x' }, plan_code: 'basic', coupons: [{ code: 'new', coupon_type: 'percentage' }] }, 422, UNPROCESSABLE({ percentage_rate: ['value_is_mandatory'] })],
      ['a coupon of an unknown type', { customer: { name: 'x' }, plan_code: 'basic', coupons: [{ code: 'new', coupon_type: 'gift' }] }, 422, UNPROCESSABLE({ coupon_type: ['value_is_invalid'] })],
      ['a fixed coupon in no currency', { customer: { name: 'x' }, plan_code: 'basic', coupons: [{ code: 'new', amount_cents: 100 }] }, 422, UNPROCESSABLE({ amount_currency: ['value_is_invalid'] })],
      ['a customer that is no object', { customer: 'alice', plan_code: 'basic' }, 422, UNPROCESSABLE({ customer: ['value_is_invalid'] })],
    ];
    for (const [name, body, status, expected] of cases) {
      test(name, async () => {
        const outcome = await refused(body);
        assert.equal(outcome.status, status, JSON.stringify(outcome.body));
        assert.deepEqual(outcome.body, expected);
      });
    }
  });

  describe('isolation between organizations', () => {
    test("another organization cannot preview this one's customers, subscriptions or plans", async () => {
      assert.deepEqual((await refused({ customer: { external_id: 'alice' }, plan_code: 'basic' }, otherKey)).body, NOT_FOUND('customer_not_found'));
      assert.deepEqual((await refused({ customer: { name: 'x' }, plan_code: 'basic' }, otherKey)).body, NOT_FOUND('plan_not_found'));
      await t.client(otherKey).customers.createCustomer({ customer: { external_id: 'alice', name: 'Other Alice' } });
      assert.deepEqual(
        (await refused({ customer: { external_id: 'alice' }, subscriptions: { external_ids: ['sub_a'] } }, otherKey)).body,
        NOT_FOUND('subscription_not_found'),
      );
      // Its own preview does not see this organization's coupons either: a code it does not have is a coupon made of the terms given.
      await t.client(otherKey).plans.createPlan({ plan: { name: 'p', code: 'p', interval: 'monthly', amount_cents: 1_000, amount_currency: 'EUR', pay_in_advance: true } } as never);
      const own = await preview({ customer: { name: 'x' }, plan_code: 'p', billing_time: 'anniversary', coupons: [{ code: 'loyal', coupon_type: 'percentage', percentage_rate: '10' }] }, otherKey);
      assert.deepEqual([own.fees_amount_cents, own.coupons_amount_cents], [1_000, 100]);
      assert.deepEqual(own.credits.map((c) => [c.item.code, c.item.lago_item_id]), [['loyal', null]]);
    });
  });
});

describe('a preview is the invoice the billing clock then issues', () => {
  let t: TestApp;
  after(() => t.close());

  test('next invoice of a subscription with usage, coupon and taxes: the same amounts to the cent on the billing day', async () => {
    t = await startTestApp({ listen: true });
    const s = await story(t, { clock: '2024-03-15T10:00:00Z', timezone: 'Europe/Paris' });
    await s.tax('vat', '19.6', { applied_to_organization: true });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'sum_agg', field_name: 'n' });
    await s.plan({
      code: 'graduated',
      amount_cents: 4_999,
      charges: [
        {
          billable_metric_id: calls,
          charge_model: 'graduated',
          properties: {
            graduated_ranges: [
              { from_value: 0, to_value: 100, per_unit_amount: '0.05', flat_amount: '1' },
              { from_value: 101, to_value: null, per_unit_amount: '0.013', flat_amount: '0' },
            ],
          },
        },
      ],
    });
    await s.call('POST', '/coupons', {
      coupon: { name: 'Ten', code: 'ten', coupon_type: 'percentage', percentage_rate: '10', frequency: 'forever', expiration: 'no_expiration' },
    });
    await s.customer({ external_id: 'cust', name: 'Cust', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'cust', external_id: 'sub', plan_code: 'graduated', subscription_at: '2024-03-05T10:00:00Z' });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'cust', coupon_code: 'ten' } });
    await s.event('sub', 'calls', '2024-03-06T00:00:00Z', { n: 150 });
    await s.event('sub', 'calls', '2024-03-12T00:00:00Z', { n: 37 });

    const res = await t.client(s.key).invoices.invoicePreview({ customer: { external_id: 'cust' }, subscriptions: { external_ids: ['sub'] } } as unknown as InvoicePreviewInput);
    const previewed = (res.data as unknown as { invoice: PreviewInvoice }).invoice;
    // 100 units at 0.05 + 1 flat, then 87 at 0.013: 6 € + 1.131 € = 7.131 € -> 713; March 5th (Paris) to 31st: 27 of 31 days of 49.99 €.
    assert.deepEqual(feeAmounts(previewed), { 'subscription:graduated': 4_354, 'charge:calls': 713 });

    await s.advance('2024-04-01T06:00:00Z');
    const [real] = await s.invoices('cust');
    assert.ok(real, 'the billing clock issued the invoice');
    assert.deepEqual(totals(previewed), totals(real));
    assert.deepEqual(feeAmounts(previewed), feeAmounts(real));
    assert.equal(previewed.total_amount_cents, real.total_amount_cents);
    assert.deepEqual(
      previewed.fees.map((f) => [f.item.code, f.amount_cents, f.taxes_amount_cents, f.units, f.from_date, f.to_date]),
      real.fees.map((f) => [f.item.code, f.amount_cents, f.taxes_amount_cents, f.units, f.from_date, f.to_date]),
    );
    assert.deepEqual(previewed.credits.map((c) => c.amount_cents), real.credits.map((c) => c.amount_cents));
  });
});
