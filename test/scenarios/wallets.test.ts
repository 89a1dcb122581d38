import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { story, type StoryInvoice } from './story.ts';

// Prepaid credits over months with a test clock: top-ups paid then consumed to the cent, wallets limited to a metric,
// wallets by priority, interval and threshold rules, expiry. Amounts follow lago-reference 5.5 (wallets come last, after
// taxes) and 5.6, worked out in the comments.

type Story = Awaited<ReturnType<typeof story>>;
type Json = Record<string, any>;

interface WalletInvoice extends StoryInvoice {
  prepaid_credit_amount_cents: number;
}

const wallet = async (s: Story, body: Record<string, unknown>) =>
  (await s.call<{ wallet: Json }>('POST', '/wallets', { wallet: { rate_amount: '1', currency: 'EUR', ...body } })).wallet;
const getWallet = async (s: Story, id: string) => (await s.call<{ wallet: Json }>('GET', `/wallets/${id}`)).wallet;
const transactions = async (s: Story, id: string, query = '') =>
  (await s.call<{ wallet_transactions: Json[] }>('GET', `/wallets/${id}/wallet_transactions?per_page=100${query}`)).wallet_transactions;
const events = async (s: Story, sub: string, code: string, at: string, count: number) => {
  for (let i = 0; i < count; i++) await s.event(sub, code, at);
};
/** The customer's invoices but its credit (top-up) invoices. */
const billed = async (s: Story, customer: string) => ((await s.invoices(customer)) as WalletInvoice[]).filter((i) => i.invoice_type !== 'credit');

describe('scenarios: wallets', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const domainEvents = async (organizationId: string, type: string) =>
    queryRows<{ object_id: string; occurred_at: Date | string }>(
      t.database.db,
      sql`SELECT object_id, occurred_at FROM domain_events WHERE organization_id = ${organizationId} AND event_type = ${type} ORDER BY occurred_at, id`,
    );

  /** Plan `pro`: 10.00 a month in arrears and calls at 0.50, for customer `acme` from 2024-01-01. */
  const setUp = async (options: { tax?: boolean; storage?: boolean } = {}) => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    const charges: Record<string, unknown>[] = [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } }];
    if (options.storage) {
      const storage = await s.metric({ code: 'storage', aggregation_type: 'count_agg' });
      charges.push({ billable_metric_id: storage, charge_model: 'standard', properties: { amount: '1' } });
    }
    await s.plan({ code: 'pro', amount_cents: 1_000, charges });
    await s.customer({ external_id: 'acme', currency: 'EUR' });
    if (options.tax) await s.tax('vat', '20', { applied_to_organization: true });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    const { organization } = await s.call<{ organization: { lago_id: string } }>('GET', '/organizations');
    return { s, organizationId: organization.lago_id };
  };

  test('a paid top-up is consumed by the next invoices to the cent, after taxes, and the wallet reports its depletion', async () => {
    const { s, organizationId } = await setUp({ tax: true });
    const w = await wallet(s, { external_customer_id: 'acme', paid_credits: '50' });
    assert.equal(w.balance_cents, 0);
    const [purchase] = await transactions(s, w.lago_id);
    const credit = (await s.call<{ invoice: Json }>('GET', `/invoices/${purchase!.lago_invoice_id}`)).invoice;
    assert.deepEqual([credit.invoice_type, credit.status, credit.total_amount_cents], ['credit', 'finalized', 5_000]);
    await s.call('PUT', `/invoices/${credit.lago_id}`, { invoice: { payment_status: 'succeeded' } });
    assert.equal((await getWallet(s, w.lago_id)).balance_cents, 5_000);

    // January: 30 calls = 15.00, with 20% VAT 18.00 of unbilled usage: the ongoing balance is 50 - 18 = 32.
    await events(s, 'sub', 'calls', '2024-01-15T12:00:00Z', 30);
    await s.advance('2024-01-20T00:00:00Z');
    const ongoing = await getWallet(s, w.lago_id);
    assert.deepEqual(
      [ongoing.balance_cents, ongoing.ongoing_usage_balance_cents, ongoing.ongoing_balance_cents, ongoing.credits_ongoing_balance, ongoing.credits_ongoing_usage_balance],
      [5_000, 1_800, 3_200, '32.0', '18.0'],
    );

    // Feb 1: 10.00 + 15.00 = 25.00, VAT 5.00, 30.00 in all, paid by the wallet: nothing left to pay.
    await s.advance('2024-02-01T01:00:00Z');
    const [january] = await billed(s, 'acme');
    assert.deepEqual(
      [january!.fees_amount_cents, january!.taxes_amount_cents, january!.prepaid_credit_amount_cents, january!.total_amount_cents, january!.payment_status],
      [2_500, 500, 3_000, 0, 'succeeded'],
    );
    const afterJanuary = await getWallet(s, w.lago_id);
    assert.deepEqual([afterJanuary.balance_cents, afterJanuary.credits_balance, afterJanuary.consumed_credits], [2_000, '20.0', '30.0']);
    const [consumption] = await transactions(s, w.lago_id, '&transaction_status=invoiced');
    assert.deepEqual(
      [consumption!.transaction_type, consumption!.status, consumption!.amount, consumption!.lago_invoice_id],
      ['outbound', 'settled', '30.0', january!.lago_id],
    );
    // Lago's split of the prepaid credit: all of it purchased.
    const [split] = await queryRows<{ granted: string | null; purchased: string | null }>(
      t.database.db,
      sql`SELECT prepaid_granted_credit_amount_cents::text AS granted, prepaid_purchased_credit_amount_cents::text AS purchased FROM invoices WHERE id = ${january!.lago_id}`,
    );
    assert.deepEqual(split, { granted: null, purchased: '3000' });

    // February: 100 calls = 50.00 + 10.00 = 60.00, VAT 12.00, 72.00; the wallet's last 20.00 pay part of it.
    await events(s, 'sub', 'calls', '2024-02-10T12:00:00Z', 100);
    await s.advance('2024-03-01T01:00:00Z');
    const february = (await billed(s, 'acme'))[1]!;
    assert.deepEqual([february.total_amount_cents, february.prepaid_credit_amount_cents, february.payment_status], [5_200, 2_000, 'pending']);
    const empty = await getWallet(s, w.lago_id);
    assert.deepEqual([empty.balance_cents, empty.credits_balance, empty.consumed_credits, empty.last_consumed_credit_at], [0, '0.0', '50.0', '2024-03-01T00:00:00Z']);
    // Depleted once, when the February invoice emptied it (the refresh right after the billing run).
    const depleted = await domainEvents(organizationId, 'wallet.depleted_ongoing_balance');
    assert.equal(depleted.length, 1);
    assert.equal(new Date(depleted[0]!.occurred_at).toISOString(), '2024-03-01T00:00:00.000Z');
    // The top-up invoice was reported as such.
    assert.equal((await domainEvents(organizationId, 'invoice.paid_credit_added')).length, 1);
  });

  test('a wallet limited to one metric pays only that metric’s fees', async () => {
    const { s } = await setUp({ storage: true });
    const w = await wallet(s, { external_customer_id: 'acme', granted_credits: '100', applies_to: { billable_metric_codes: ['calls'] } });
    await events(s, 'sub', 'calls', '2024-01-10T00:00:00Z', 30);
    await events(s, 'sub', 'storage', '2024-01-10T00:00:00Z', 5);
    // Unbilled usage that reaches this wallet: the calls only (15.00 of the 20.00).
    await s.advance('2024-01-11T00:00:00Z');
    assert.equal((await getWallet(s, w.lago_id)).ongoing_usage_balance_cents, 1_500);
    await s.advance('2024-02-01T01:00:00Z');
    // 10.00 subscription + 15.00 calls + 5.00 storage = 30.00; the wallet pays the 15.00 of calls.
    const [invoice] = await billed(s, 'acme');
    assert.deepEqual([invoice!.fees_amount_cents, invoice!.prepaid_credit_amount_cents, invoice!.total_amount_cents], [3_000, 1_500, 1_500]);
    assert.equal((await getWallet(s, w.lago_id)).balance_cents, 8_500);
  });

  test('a wallet limited to one metric pays only that metric’s share of what credit notes left (Lago spreads them over the fees)', async () => {
    const { s } = await setUp({ storage: true });
    await events(s, 'sub', 'calls', '2024-01-10T00:00:00Z', 30);
    await events(s, 'sub', 'storage', '2024-01-10T00:00:00Z', 5);
    await s.advance('2024-02-01T01:00:00Z');
    const [january] = await billed(s, 'acme');
    const subscriptionFee = (january!.fees as Json[]).find((f) => f.item.type === 'subscription')!;
    await s.call('POST', '/credit_notes', {
      credit_note: { invoice_id: january!.lago_id, credit_amount_cents: 1_000, items: [{ fee_id: subscriptionFee.lago_id, amount_cents: 1_000 }] },
    });
    const w = await wallet(s, { external_customer_id: 'acme', granted_credits: '100', applies_to: { billable_metric_codes: ['calls'] } });
    await events(s, 'sub', 'calls', '2024-02-10T00:00:00Z', 30);
    await events(s, 'sub', 'storage', '2024-02-10T00:00:00Z', 5);
    await s.advance('2024-03-01T01:00:00Z');
    // 30.00 less the 10.00 credit note, spread over the fees by their amounts: the calls keep 15.00 − 5.00 = 10.00 to
    // pay, which is all the wallet may take; the subscription and storage shares (10.00) stay due.
    const february = (await billed(s, 'acme'))[1]! as Json;
    assert.deepEqual(
      [february.fees_amount_cents, february.credit_notes_amount_cents, february.prepaid_credit_amount_cents, february.total_amount_cents],
      [3_000, 1_000, 1_000, 1_000],
    );
    assert.equal((await getWallet(s, w.lago_id)).balance_cents, 9_000);
  });

  test('two wallets pay by priority, then by age', async () => {
    const { s } = await setUp();
    const older = await wallet(s, { external_customer_id: 'acme', code: 'older', granted_credits: '50', priority: 20 });
    const urgent = await wallet(s, { external_customer_id: 'acme', code: 'urgent', granted_credits: '8', priority: 1 });
    await events(s, 'sub', 'calls', '2024-01-10T00:00:00Z', 40);
    await s.advance('2024-02-01T01:00:00Z');
    // 10.00 + 20.00 = 30.00: the priority-1 wallet's 8.00 first, then 22.00 from the other.
    const [invoice] = await billed(s, 'acme');
    assert.deepEqual([invoice!.prepaid_credit_amount_cents, invoice!.total_amount_cents], [3_000, 0]);
    assert.equal((await getWallet(s, urgent.lago_id)).balance_cents, 0);
    assert.equal((await getWallet(s, older.lago_id)).balance_cents, 2_800);
    assert.equal((await transactions(s, urgent.lago_id, '&transaction_status=invoiced'))[0]!.amount, '8.0');
    assert.equal((await transactions(s, older.lago_id, '&transaction_status=invoiced'))[0]!.amount, '22.0');
  });

  test('an interval rule tops up monthly on the wallet’s anniversary, not on the day it was created', async () => {
    const { s } = await setUp();
    await s.advance('2024-01-10T09:00:00Z');
    const w = await wallet(s, {
      external_customer_id: 'acme',
      granted_credits: '10',
      recurring_transaction_rules: [{ trigger: 'interval', interval: 'monthly', paid_credits: '5', granted_credits: '10', transaction_name: 'Monthly' }],
    });
    await s.advance('2024-04-15T00:00:00Z');
    const inbound = await transactions(s, w.lago_id, '&transaction_type=inbound');
    const interval = inbound
      .filter((i) => i.source === 'interval')
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.transaction_status.localeCompare(b.transaction_status));
    // Feb 10, Mar 10, Apr 10 at the hourly job's minute 55: a purchase and a grant each time.
    assert.deepEqual(
      interval.map((i) => [i.created_at, i.transaction_status, i.credit_amount, i.name]),
      [
        ['2024-02-10T00:55:00Z', 'granted', '10.0', 'Monthly'],
        ['2024-02-10T00:55:00Z', 'purchased', '5.0', 'Monthly'],
        ['2024-03-10T00:55:00Z', 'granted', '10.0', 'Monthly'],
        ['2024-03-10T00:55:00Z', 'purchased', '5.0', 'Monthly'],
        ['2024-04-10T00:55:00Z', 'granted', '10.0', 'Monthly'],
        ['2024-04-10T00:55:00Z', 'purchased', '5.0', 'Monthly'],
      ],
    );
    const credits = (await s.invoices('acme')).filter((i) => i.invoice_type === 'credit');
    assert.deepEqual(
      credits.map((i) => [i.issuing_date, i.total_amount_cents]),
      [
        ['2024-02-10', 500],
        ['2024-03-10', 500],
        ['2024-04-10', 500],
      ],
    );
    // The grants went in (the purchases wait for their payment); the invoices of Feb, Mar and Apr took 10.00 each.
    assert.equal((await getWallet(s, w.lago_id)).balance_cents, 10 * 100 + 3 * 1_000 - 3 * 1_000);
    // A second pass over the same months adds nothing.
    await s.advance('2024-04-15T01:00:00Z');
    assert.equal((await transactions(s, w.lago_id, '&transaction_type=inbound')).length, 7);
  });

  test('a threshold rule buys credits as soon as events bring the ongoing balance to its threshold, once while the purchase is pending', async () => {
    const { s } = await setUp();
    const w = await wallet(s, {
      external_customer_id: 'acme',
      granted_credits: '20',
      recurring_transaction_rules: [{ trigger: 'threshold', threshold_credits: '5', paid_credits: '10' }],
    });
    await s.advance('2024-01-05T00:00:00Z');
    // 30 calls = 15.00: the ongoing balance is 5.00, at the threshold.
    await events(s, 'sub', 'calls', '2024-01-05T00:00:00Z', 29);
    assert.equal((await transactions(s, w.lago_id)).filter((x) => x.source === 'threshold').length, 0);
    await events(s, 'sub', 'calls', '2024-01-05T00:00:00Z', 1);
    const topUps = (await transactions(s, w.lago_id)).filter((x) => x.source === 'threshold');
    assert.deepEqual(
      topUps.map((x) => [x.transaction_status, x.status, x.credit_amount]),
      [['purchased', 'pending', '10.0']],
    );
    // Further usage: the pending purchase counts, no second one.
    await events(s, 'sub', 'calls', '2024-01-05T00:00:00Z', 2);
    assert.equal((await transactions(s, w.lago_id)).filter((x) => x.source === 'threshold').length, 1);
    // Once paid, the credits are in.
    await s.call('PUT', `/invoices/${topUps[0]!.lago_invoice_id}`, { invoice: { payment_status: 'succeeded' } });
    const paid = await getWallet(s, w.lago_id);
    assert.deepEqual([paid.balance_cents, paid.ongoing_balance_cents], [3_000, 3_000 - 1_600]);
  });

  test('a threshold rule also fires after an invoice consumed the credits', async () => {
    const { s } = await setUp();
    const w = await wallet(s, {
      external_customer_id: 'acme',
      granted_credits: '12',
      recurring_transaction_rules: [{ trigger: 'threshold', threshold_credits: '3', method: 'target', target_ongoing_balance: '20', grants_target_top_up: true }],
    });
    // The 10.00 subscription fee is not unbilled usage: the ongoing balance stays 12 until Feb 1 takes 10.00.
    await s.advance('2024-02-01T01:00:00Z');
    const topUps = (await transactions(s, w.lago_id)).filter((x) => x.source === 'threshold');
    // 2.00 left, under 3: granted up to the target of 20, 18 credits.
    assert.deepEqual(
      topUps.map((x) => [x.transaction_status, x.status, x.credit_amount, x.created_at]),
      [['granted', 'settled', '18.0', '2024-02-01T00:00:00Z']],
    );
    assert.equal((await getWallet(s, w.lago_id)).balance_cents, 2_000);
  });

  test('a wallet expires at the first hourly run after its expiration_at and pays nothing afterwards', async () => {
    const { s, organizationId } = await setUp();
    const w = await wallet(s, { external_customer_id: 'acme', granted_credits: '100', expiration_at: '2024-01-31T23:30:00Z' });
    await s.advance('2024-01-31T23:40:00Z');
    assert.equal((await getWallet(s, w.lago_id)).status, 'active');
    await s.advance('2024-02-01T01:00:00Z');
    const expired = await getWallet(s, w.lago_id);
    assert.deepEqual([expired.status, expired.terminated_at, expired.balance_cents], ['terminated', '2024-01-31T23:45:00.000Z', 10_000]);
    const [invoice] = await billed(s, 'acme');
    assert.deepEqual([invoice!.prepaid_credit_amount_cents, invoice!.total_amount_cents], [0, 1_000]);
    assert.equal((await domainEvents(organizationId, 'wallet.terminated')).length, 1);
  });
});
