import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InvoicePreviewInput } from 'lago-javascript-client';
import { story } from '../scenarios/story.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

type Json = Record<string, any>;

/**
 * Lago's `Invoices::PreviewService` pays the previewed invoice as finalization would, read-only: the customer's
 * credit notes first (a credit line each), then its wallets by priority, each only on the fees it applies to.
 */
describe('POST /invoices/preview: credit notes and prepaid credits the invoice would consume, nothing consumed', () => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof story>>;

  const preview = async (body: Record<string, unknown>): Promise<Json> => {
    const before = await snapshotDatabase(t.database);
    const res = await t.client(s.key).invoices.invoicePreview(body as unknown as InvoicePreviewInput);
    assert.equal(await snapshotDatabase(t.database), before, 'the preview changed the database');
    return (res.data as unknown as { invoice: Json }).invoice;
  };
  const amounts = (i: Json) => ({
    fees: i.fees_amount_cents,
    taxes: i.taxes_amount_cents,
    credit_notes: i.credit_notes_amount_cents,
    prepaid: i.prepaid_credit_amount_cents,
    total: i.total_amount_cents,
    due: i.total_due_amount_cents,
  });
  /** A credit note of `cents` (taxes included, 20 %) on a one-off invoice of the customer (those never consume notes). */
  const creditNote = async (customer: string, cents: number, addOn = 'setup'): Promise<Json> => {
    const invoice = (
      await s.call<{ invoice: Json }>('POST', '/invoices', {
        invoice: { external_customer_id: customer, currency: 'EUR', fees: [{ add_on_code: addOn, tax_codes: ['vat'] }] },
      })
    ).invoice;
    return (
      await s.call<{ credit_note: Json }>('POST', '/credit_notes', {
        credit_note: {
          invoice_id: invoice.lago_id,
          reason: 'other',
          credit_amount_cents: cents,
          items: [{ fee_id: invoice.fees[0].lago_id, amount_cents: (cents * 5) / 6 }],
        },
      })
    ).credit_note;
  };
  const wallet = async (customer: string, code: string, credits: string, priority: number, appliesTo: Json = {}): Promise<Json> =>
    (
      await s.call<{ wallet: Json }>('POST', '/wallets', {
        wallet: { external_customer_id: customer, code, name: code, rate_amount: '1', currency: 'EUR', granted_credits: credits, priority, applies_to: appliesTo },
      })
    ).wallet;
  /** A customer on `plan` since March 1st, with `calls` events on March 10th. */
  const customer = async (id: string, plan: string, calls: number) => {
    await s.customer({ external_id: id, name: id, currency: 'EUR' });
    await s.subscribe({ external_customer_id: id, external_id: `sub_${id}`, plan_code: plan, billing_time: 'calendar' });
    for (let i = 0; i < calls; i++) await s.event(`sub_${id}`, 'calls', '2024-03-10T12:00:00Z');
  };
  const balances = async (notes: Json[], wallets: Json[]) => ({
    notes: await Promise.all(notes.map(async (n) => (await s.call<{ credit_note: Json }>('GET', `/credit_notes/${n.lago_id}`)).credit_note.balance_amount_cents)),
    wallets: await Promise.all(wallets.map(async (w) => (await s.call<{ wallet: Json }>('GET', `/wallets/${w.lago_id}`)).wallet.balance_cents)),
  });

  const made: Record<string, { notes: Json[]; wallets: Json[] }> = {};

  before(async () => {
    t = await startTestApp({ listen: true });
    s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const usage = [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } }];
    await s.plan({ code: 'basic', amount_cents: 10_000, charges: usage });
    await s.plan({ code: 'advance', amount_cents: 3_100, pay_in_advance: true, charges: usage });
    await s.call('POST', '/add_ons', { add_on: { name: 'setup', code: 'setup', amount_cents: 50_00, amount_currency: 'EUR' } });
    await s.call('POST', '/add_ons', { add_on: { name: 'big', code: 'big', amount_cents: 100_00, amount_currency: 'EUR' } });

    // Every April invoice of `basic`: 100.00 + 10 calls at 0.50, 20 % VAT: 105.00 + 21.00 = 126.00.
    await customer('notes', 'basic', 10);
    await customer('wallets', 'basic', 10);
    await customer('both', 'basic', 10);
    await customer('ending', 'advance', 40);
    await s.advance('2024-03-15T10:00:00Z');
    made.notes = { notes: [await creditNote('notes', 30_00), await creditNote('notes', 120_00, 'big')], wallets: [] };
    made.wallets = {
      notes: [],
      wallets: [await wallet('wallets', 'calls_only', '100', 1, { billable_metric_codes: ['calls'] }), await wallet('wallets', 'any', '20', 2)],
    };
    made.both = { notes: [await creditNote('both', 30_00)], wallets: [await wallet('both', 'calls_only', '100', 1, { billable_metric_codes: ['calls'] })] };
  });
  after(async () => t.close());

  test('credit notes, oldest first, each up to what the invoice still owes: a credit line each, none consumed', async () => {
    const before = await balances(made.notes!.notes, []);
    assert.deepEqual(before.notes, [30_00, 120_00]);
    const invoice = await preview({ customer: { external_id: 'notes' }, subscriptions: { external_ids: ['sub_notes'] } });
    assert.deepEqual(amounts(invoice), { fees: 105_00, taxes: 21_00, credit_notes: 126_00, prepaid: 0, total: 0, due: 0 });
    const [first, second] = made.notes!.notes as [Json, Json];
    assert.deepEqual(
      invoice.credits.map((c: Json) => [c.lago_id, c.amount_cents, c.before_taxes, c.item.type, c.item.lago_item_id, c.item.code, c.invoice.lago_id]),
      [
        [null, 30_00, false, 'credit_note', first.lago_id, first.number, null],
        [null, 96_00, false, 'credit_note', second.lago_id, second.number, null],
      ],
    );
    assert.deepEqual(await balances(made.notes!.notes, []), before);
  });

  test('wallets by priority, one limited to a metric paying only its charge with taxes, none consumed', async () => {
    const before = await balances([], made.wallets!.wallets);
    assert.deepEqual(before.wallets, [100_00, 20_00]);
    const invoice = await preview({ customer: { external_id: 'wallets' }, subscriptions: { external_ids: ['sub_wallets'] } });
    // calls_only: the calls fee 5.00 + 1.00 VAT; any: 20.00 of the rest.
    assert.deepEqual(amounts(invoice), { fees: 105_00, taxes: 21_00, credit_notes: 0, prepaid: 26_00, total: 100_00, due: 100_00 });
    assert.deepEqual(invoice.credits, []);
    assert.deepEqual(await balances([], made.wallets!.wallets), before);
  });

  test('both: the credit note first, then the wallet on the fee it applies to (its full amount, as Lago previews it)', async () => {
    const before = await balances(made.both!.notes, made.both!.wallets);
    const invoice = await preview({ customer: { external_id: 'both' }, subscriptions: { external_ids: ['sub_both'] } });
    // Lago's preview fees are unsaved and carry no share of the credit notes: the wallet pays the calls fee whole.
    assert.deepEqual(amounts(invoice), { fees: 105_00, taxes: 21_00, credit_notes: 30_00, prepaid: 6_00, total: 90_00, due: 90_00 });
    assert.deepEqual(invoice.credits.map((c: Json) => [c.amount_cents, c.item.type, c.item.lago_item_id]), [[30_00, 'credit_note', made.both!.notes[0]!.lago_id]]);
    assert.deepEqual(await balances(made.both!.notes, made.both!.wallets), before);
  });

  test('a customer made for the preview has no credits (Lago applies wallets to persisted customers only)', async () => {
    const invoice = await preview({ customer: { name: 'Nobody yet', currency: 'EUR' }, plan_code: 'basic' });
    // From March 15th to the end of March: 17/31 of 100.00.
    assert.deepEqual(amounts(invoice), { fees: 54_84, taxes: 10_97, credit_notes: 0, prepaid: 0, total: 65_81, due: 65_81 });
    assert.deepEqual(invoice.credits, []);
  });

  test("a termination of a plan paid in advance is credited its unused days, as the real termination then is", async () => {
    const invoice = await preview({ customer: { external_id: 'ending' }, subscriptions: { external_ids: ['sub_ending'], terminated_at: '2024-03-15T10:00:00Z' } });
    // 16 unused days of 31.00 (1.00 a day) + 20 % VAT = 19.20, against 40 calls: 20.00 + 4.00 VAT.
    assert.deepEqual(amounts(invoice), { fees: 20_00, taxes: 4_00, credit_notes: 19_20, prepaid: 0, total: 4_80, due: 4_80 });
    assert.deepEqual(invoice.credits.map((c: Json) => [c.amount_cents, c.item.type, c.item.lago_item_id, c.item.code]), [[19_20, 'credit_note', null, null]]);
    const notesBefore = await s.call<{ credit_notes: Json[] }>('GET', '/credit_notes?external_customer_id=ending');
    assert.equal(notesBefore.credit_notes.length, 0, 'the preview issued no credit note');

    await s.terminate('sub_ending');
    const real = (await s.invoices('ending')).find((i) => i.billing_periods.some((p) => p.invoicing_reason === 'subscription_terminating'))!;
    assert.deepEqual(amounts(real as unknown as Json), amounts(invoice));
  });
});
