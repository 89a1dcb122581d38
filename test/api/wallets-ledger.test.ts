import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, any>;

/**
 * Whatever a wallet goes through (grants, purchases paid or failed, voids, invoices paying with it), its balance is what
 * settled inbound credits brought less what went out, what its inbound credits have left, and never negative. The
 * invoices paying with it are subscription invoices (one-off invoices use no credits, as in Lago): a subscription to
 * a plan of the drawn amount, paid in advance, billed by moving the test clock on.
 */
describe('wallet ledger (property)', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let customers = 0;
  let clock = Temporal.Instant.from('2024-05-01T00:00:00Z');
  /** Invoices that found credits in the wallet, over all runs: the property must have seen some. */
  let paidWithCredits = 0;
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await call(method, url, payload);
    assert.equal(res.status, 200, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization({ name: 'Ledger', testClock: clock.toString() }));
  });
  after(() => t.close());

  // Grants and invoices come twice as often as the rest, so that many runs see invoices paid with credits.
  const op = fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant' as const), credits: fc.integer({ min: 1, max: 5_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('purchase' as const), credits: fc.integer({ min: 1, max: 5_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('pay' as const), which: fc.nat(), succeeded: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), share: fc.integer({ min: 1, max: 100 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('invoice' as const), cents: fc.integer({ min: 1, max: 50_000 }) }) },
  );

  test('balance = settled inbound − outbound = what inbound credits have left, never negative', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('1', '0.37', '2.5'), fc.array(op, { minLength: 1, maxLength: 10 }), async (rate, ops) => {
        const customer = `ledger_${++customers}`;
        await ok('POST', '/customers', { customer: { external_id: customer, name: customer, currency: 'EUR' } });
        const wallet = (await ok('POST', '/wallets', { wallet: { external_customer_id: customer, rate_amount: rate, currency: 'EUR' } })).wallet;
        const invoiced = new Set<string>();
        let subscriptions = 0;
        for (const o of ops) {
          if (o.kind === 'grant' || o.kind === 'purchase') {
            const credits = (o.credits / 100).toFixed(2);
            const field = o.kind === 'grant' ? 'granted_credits' : 'paid_credits';
            const res = await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, [field]: credits } });
            // A top-up worth less than a cent is refused, as Lago does.
            assert.ok(res.status === 200 || JSON.stringify(res.body).includes('amount_rounds_to_zero'), JSON.stringify(res.body));
          } else if (o.kind === 'pay') {
            const pending = (await ok('GET', `/wallets/${wallet.lago_id}/wallet_transactions?status=pending`)).wallet_transactions as Json[];
            if (pending.length === 0) continue;
            const purchase = pending[o.which % pending.length]!;
            await ok('PUT', `/invoices/${purchase.lago_invoice_id}`, { invoice: { payment_status: o.succeeded ? 'succeeded' : 'failed' } });
          } else if (o.kind === 'void') {
            const current = (await ok('GET', `/wallets/${wallet.lago_id}`)).wallet;
            const credits = ((Number(current.credits_balance) * o.share) / 100).toFixed(5);
            if (Number(credits) <= 0) continue;
            await ok('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, voided_credits: credits } });
          } else {
            const before = BigInt((await ok('GET', `/wallets/${wallet.lago_id}`)).wallet.balance_cents);
            const plan = `${customer}_${++subscriptions}`;
            await ok('POST', '/plans', { plan: { name: plan, code: plan, interval: 'monthly', amount_cents: o.cents, amount_currency: 'EUR', pay_in_advance: true } });
            await ok('POST', '/subscriptions', { subscription: { external_customer_id: customer, plan_code: plan, external_id: plan, billing_time: 'anniversary' } });
            clock = clock.add({ minutes: 1 });
            await ok('POST', '/test_clock/advance', { test_clock: { frozen_time: clock.toString() } });
            const fresh = ((await ok('GET', `/invoices?external_customer_id=${customer}`)).invoices as Json[]).filter((i) => i.invoice_type === 'subscription' && !invoiced.has(i.lago_id));
            assert.equal(fresh.length, 1, JSON.stringify(fresh));
            const invoice = fresh[0]!;
            invoiced.add(invoice.lago_id);
            assert.equal(invoice.status, 'finalized');
            assert.equal(invoice.total_amount_cents + invoice.prepaid_credit_amount_cents, o.cents);
            // Nothing else pays for it, and the wallet applies to every fee: it takes all it can.
            assert.equal(BigInt(invoice.prepaid_credit_amount_cents), before < BigInt(o.cents) ? before : BigInt(o.cents));
            if (invoice.prepaid_credit_amount_cents > 0) paidWithCredits++;
          }
        }
        const [ledger] = await queryRows<{ balance: string; inbound: string; outbound: string; remaining: string }>(
          t.database.db,
          sql`SELECT w.balance_cents::text AS balance,
              coalesce((SELECT sum(amount_cents) FROM wallet_transactions WHERE organization_id = w.organization_id AND wallet_id = w.id AND transaction_type = 'inbound' AND status = 'settled'), 0)::text AS inbound,
              coalesce((SELECT sum(amount_cents) FROM wallet_transactions WHERE organization_id = w.organization_id AND wallet_id = w.id AND transaction_type = 'outbound'), 0)::text AS outbound,
              coalesce((SELECT sum(remaining_amount_cents) FROM wallet_transactions WHERE organization_id = w.organization_id AND wallet_id = w.id AND transaction_type = 'inbound' AND status = 'settled'), 0)::text AS remaining
            FROM wallets w WHERE w.organization_id = ${orgId} AND w.id = ${wallet.lago_id}`,
        );
        const balance = BigInt(ledger!.balance);
        assert.ok(balance >= 0n);
        assert.equal(balance, BigInt(ledger!.inbound) - BigInt(ledger!.outbound));
        assert.equal(balance, BigInt(ledger!.remaining));
        const shown = (await ok('GET', `/wallets/${wallet.lago_id}`)).wallet;
        assert.equal(BigInt(shown.balance_cents), balance);
      }),
      { numRuns: 25 },
    );
    assert.ok(paidWithCredits > 0, 'no invoice of any run was paid with credits');
    const [outbound] = await queryRows<{ count: string }>(
      t.database.db,
      sql`SELECT count(*)::text AS count FROM wallet_transactions WHERE organization_id = ${orgId} AND transaction_type = 'outbound' AND transaction_status = 'invoiced'`,
    );
    assert.equal(Number(outbound!.count), paidWithCredits);
  });
});
