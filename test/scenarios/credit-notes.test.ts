import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { story } from './story.ts';

type Json = Record<string, any>;
type Story = Awaited<ReturnType<typeof story>>;

const creditNotesOf = async (s: Story, customer: string): Promise<Json[]> =>
  // In the order they were issued: by invoice, then by their number on it.
  (await s.call<{ credit_notes: Json[] }>('GET', `/credit_notes?external_customer_id=${customer}&per_page=100`)).credit_notes.sort((a, b) =>
    a.number < b.number ? -1 : 1,
  );
const amounts = (n: Json) => ({
  sub: n.sub_total_excluding_taxes_amount_cents,
  coupons: n.coupons_adjustment_amount_cents,
  taxes: n.taxes_amount_cents,
  credit: n.credit_amount_cents,
  refund: n.refund_amount_cents,
  offset: n.offset_amount_cents,
  total: n.total_amount_cents,
  balance: n.balance_amount_cents,
  status: n.credit_status,
});

// Credit notes over a customer's months: issued on an invoice, consumed by the next ones to the cent, and issued by
// Billow itself when a subscription paid in advance ends (or is upgraded) before its period does.
describe('scenarios: credit notes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  test('credit notes are consumed by the next invoices, oldest first, until nothing is left', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'pro', amount_cents: 100_00, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-01-02T00:00:00Z');
    const [jan] = await s.invoices('acme');
    assert.equal(jan!.total_amount_cents, 120_00);
    const janFee = jan!.fees[0] as unknown as Json;

    // 30.00 of the January fee, with its 6.00 of VAT, as credit.
    const first = (
      await s.call<{ credit_note: Json }>('POST', '/credit_notes', {
        credit_note: { invoice_id: jan!.lago_id, reason: 'order_change', credit_amount_cents: 36_00, items: [{ fee_id: janFee.lago_id, amount_cents: 30_00 }] },
      })
    ).credit_note;
    assert.equal(first.issuing_date, '2024-01-02');

    await s.advance('2024-02-01T00:00:00Z');
    const feb = (await s.invoices('acme'))[1]!;
    assert.deepEqual(
      [feb.sub_total_including_taxes_amount_cents, (feb as Json).credit_notes_amount_cents, feb.total_amount_cents, feb.payment_status],
      [120_00, 36_00, 84_00, 'pending'],
    );
    assert.deepEqual(feb.credits, [
      {
        lago_id: (feb.credits[0] as Json).lago_id,
        amount_cents: 36_00,
        amount_currency: 'EUR',
        before_taxes: false,
        item: { lago_item_id: first.lago_id, type: 'credit_note', code: first.number, name: jan!.number, description: null },
        invoice: { lago_id: feb.lago_id, payment_status: 'pending' },
      },
    ]);
    assert.equal((feb as Json).total_due_amount_cents, 84_00);
    assert.deepEqual(amounts((await creditNotesOf(s, 'acme'))[0]!), { sub: 30_00, coupons: 0, taxes: 6_00, credit: 36_00, refund: 0, offset: 0, total: 36_00, balance: 0, status: 'consumed' });

    // The rest of January (70.00 + 14.00) and all of February (100.00 + 20.00): 204.00 of credit for March's 120.00.
    const febFee = feb.fees[0] as unknown as Json;
    await s.call('POST', '/credit_notes', { credit_note: { invoice_id: jan!.lago_id, credit_amount_cents: 84_00, items: [{ fee_id: janFee.lago_id, amount_cents: 70_00 }] } });
    await s.call('POST', '/credit_notes', { credit_note: { invoice_id: feb.lago_id, credit_amount_cents: 120_00, items: [{ fee_id: febFee.lago_id, amount_cents: 100_00 }] } });
    await s.advance('2024-03-01T00:00:00Z');
    const mar = (await s.invoices('acme'))[2]!;
    assert.deepEqual([(mar as Json).credit_notes_amount_cents, mar.total_amount_cents, mar.payment_status], [120_00, 0, 'succeeded']);
    assert.deepEqual(mar.credits.map((c) => c.amount_cents), [84_00, 36_00], 'the older note first');
    let notes = await creditNotesOf(s, 'acme');
    assert.deepEqual(notes.map((n) => [n.balance_amount_cents, n.credit_status]), [[0, 'consumed'], [0, 'consumed'], [84_00, 'available']]);

    await s.advance('2024-04-01T00:00:00Z');
    const apr = (await s.invoices('acme'))[3]!;
    assert.deepEqual([(apr as Json).credit_notes_amount_cents, apr.total_amount_cents], [84_00, 36_00]);
    notes = await creditNotesOf(s, 'acme');
    assert.deepEqual(notes.map((n) => n.credit_status), ['consumed', 'consumed', 'consumed']);
    // What the invoices got equals what the notes gave.
    const credited = [feb, mar, apr].flatMap((i) => i.credits).reduce((sum, c) => sum + c.amount_cents, 0);
    assert.equal(credited, notes.reduce((sum, n) => sum + n.credit_amount_cents, 0));
    // A voided note is never consumed.
    const aprFee = apr.fees[0] as unknown as Json;
    const voidable = (
      await s.call<{ credit_note: Json }>('POST', '/credit_notes', {
        credit_note: { invoice_id: apr.lago_id, credit_amount_cents: 12_00, items: [{ fee_id: aprFee.lago_id, amount_cents: 10_00 }] },
      })
    ).credit_note;
    await s.call('PUT', `/credit_notes/${voidable.lago_id}/void`);
    await s.advance('2024-05-01T00:00:00Z');
    const may = (await s.invoices('acme'))[4]!;
    assert.deepEqual([(may as Json).credit_notes_amount_cents, may.total_amount_cents, may.credits], [0, 120_00, []]);
  });

  test("terminate_pay_in_advance_spec: 50.00 a month at 20 %, started and terminated on Feb 8: 20 unused days are credited (4285)", async () => {
    const s = await story(t, { clock: '2023-02-08T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 50_00, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    await s.advance('2023-02-08T00:00:00Z');
    const [start] = await s.invoices('acme');
    assert.equal(start!.total_amount_cents, 45_00, '21 of 28 days: 37.50 + 7.50');
    await s.terminate('sub');
    const [note] = await creditNotesOf(s, 'acme');
    // 20 × 5000/28 = 3571.43 + 714.29 of VAT = 4285.71, settled to subtotal + taxes = 3571 + 714.
    assert.deepEqual(amounts(note!), { sub: 35_71, coupons: 0, taxes: 7_14, credit: 42_85, refund: 0, offset: 0, total: 42_85, balance: 42_85, status: 'available' });
    assert.deepEqual([note!.reason, note!.lago_invoice_id, note!.precise_taxes_amount_cents, note!.items[0].precise_amount_cents], [
      'order_cancellation',
      start!.lago_id,
      '714.28571',
      '3571.42857',
    ]);
  });

  test('termination mid-period with a coupon and taxes: the unused days less their coupon share, plus VAT; the next invoice consumes it', async () => {
    const s = await story(t, { clock: '2024-02-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 50_00, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.call('POST', '/coupons', { coupon: { name: 'ten', code: 'ten', coupon_type: 'fixed_amount', amount_cents: 10_00, amount_currency: 'EUR', frequency: 'forever', expiration: 'no_expiration' } });
    await s.call('POST', '/applied_coupons', { applied_coupon: { external_customer_id: 'acme', coupon_code: 'ten' } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    await s.advance('2024-02-10T12:00:00Z');
    const [start] = await s.invoices('acme');
    assert.deepEqual([start!.fees_amount_cents, start!.coupons_amount_cents, start!.taxes_amount_cents, start!.total_amount_cents], [50_00, 10_00, 8_00, 48_00]);

    await s.terminate('sub');
    const [note] = await creditNotesOf(s, 'acme');
    // Feb 11–29 unused: 19 × 5000/29 = 3275.86206; its share of the 10.00 coupon is 3275.86206/5000 × 1000 = 655.17241;
    // VAT on the rest: 20 % × 2620.68965 = 524.13793; 3275.86206 − 655.17241 + 524.13793 = 3144.83 → 3145.
    assert.deepEqual(amounts(note!), { sub: 26_21, coupons: 6_55, taxes: 5_24, credit: 31_45, refund: 0, offset: 0, total: 31_45, balance: 31_45, status: 'available' });
    assert.deepEqual([note!.applied_taxes[0].base_amount_cents, note!.applied_taxes[0].amount_cents, note!.taxes_rate], [26_21, 5_24, 20]);

    // A new subscription on Mar 1 is billed 50.00 − 10.00 + 8.00 = 48.00, less the 31.45 of credit.
    await s.advance('2024-03-01T00:00:00Z');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub2' });
    await s.advance('2024-03-01T01:00:00Z');
    const next = (await s.invoices('acme')).find((i) => i.billing_periods.some((p) => p.external_subscription_id === 'sub2'))!;
    assert.deepEqual([next.sub_total_including_taxes_amount_cents, (next as Json).credit_notes_amount_cents, next.total_amount_cents], [48_00, 31_45, 16_55]);
    assert.equal((await creditNotesOf(s, 'acme'))[0]!.credit_status, 'consumed');
  });

  test('on_termination_credit_note: refund gives back the paid part, offset takes the unpaid part off what is due, skip gives nothing', async () => {
    const s = await story(t, { clock: '2024-04-01T00:00:00Z' });
    await s.plan({ code: 'adv', amount_cents: 30_00, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    for (const sub of ['r', 'o', 'k']) await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: sub });
    await s.advance('2024-04-11T00:00:00Z');
    const invoices = await s.invoices('acme');
    const invoiceOf = (sub: string) => invoices.find((i) => i.billing_periods.some((p) => p.external_subscription_id === sub))!;
    assert.deepEqual(['r', 'o', 'k'].map((sub) => invoiceOf(sub).total_amount_cents), [30_00, 30_00, 30_00]);
    // April 12–30 unused when terminated on the 11th: 19 × 3000/30 = 19.00 per subscription.
    await s.terminate('r', '?on_termination_credit_note=refund');
    await s.terminate('o', '?on_termination_credit_note=offset');
    await s.terminate('k', '?on_termination_credit_note=skip');
    const notes = await creditNotesOf(s, 'acme');
    // Nothing was paid: nothing to refund, so `refund` credits it all and `offset` offsets it all.
    assert.deepEqual(notes.map(amounts), [
      { sub: 19_00, coupons: 0, taxes: 0, credit: 19_00, refund: 0, offset: 0, total: 19_00, balance: 19_00, status: 'available' },
      { sub: 19_00, coupons: 0, taxes: 0, credit: 0, refund: 0, offset: 19_00, total: 19_00, balance: 0, status: 'available' },
    ]);
    assert.deepEqual(notes.map((n) => n.lago_invoice_id), [invoiceOf('r').lago_id, invoiceOf('o').lago_id]);
    const invoice = (await s.call<{ invoice: Json }>('GET', `/invoices/${invoiceOf('o').lago_id}`)).invoice;
    assert.deepEqual([invoice.total_offsetted_credit_note_amount_cents, invoice.total_due_amount_cents, invoice.payment_status], [19_00, 11_00, 'pending']);
  });

  test('an upgrade away from a plan paid in advance credits its unused days, the change day included, to the new plan’s invoice', async () => {
    const s = await story(t, { clock: '2024-02-01T00:00:00Z' });
    await s.plan({ code: 'small', amount_cents: 29_00, pay_in_advance: true });
    await s.plan({ code: 'big', amount_cents: 58_00, pay_in_advance: true });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'small', external_id: 'sub' });
    await s.advance('2024-02-10T12:00:00Z');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'big', external_id: 'sub' });
    const [note] = await creditNotesOf(s, 'acme');
    // Feb 10–29: 20 days of 1.00 back on the small plan; the big plan bills the same 20 days at 2.00.
    assert.deepEqual(amounts(note!), { sub: 20_00, coupons: 0, taxes: 0, credit: 20_00, refund: 0, offset: 0, total: 20_00, balance: 0, status: 'consumed' });
    const upgrade = (await s.invoices('acme'))[1]!;
    assert.deepEqual([upgrade.fees_amount_cents, (upgrade as Json).credit_notes_amount_cents, upgrade.total_amount_cents], [40_00, 20_00, 20_00]);
  });
});
