import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, any>;

/**
 * Whatever a wallet goes through (grants, purchases paid or failed, voids, invoices paying with it), its balance is what
 * settled inbound credits brought less what went out, what its inbound credits have left, and never negative.
 */
describe('wallet ledger (property)', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  let customers = 0;
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
    ({ key, id: orgId } = await t.newOrganization({ name: 'Ledger', testClock: '2024-05-01T00:00:00Z' }));
    await ok('POST', '/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 100, amount_currency: 'EUR' } });
  });
  after(() => t.close());

  const op = fc.oneof(
    fc.record({ kind: fc.constant('grant' as const), credits: fc.integer({ min: 1, max: 5_000 }) }),
    fc.record({ kind: fc.constant('purchase' as const), credits: fc.integer({ min: 1, max: 5_000 }) }),
    fc.record({ kind: fc.constant('pay' as const), which: fc.nat(), succeeded: fc.boolean() }),
    fc.record({ kind: fc.constant('void' as const), share: fc.integer({ min: 1, max: 100 }) }),
    fc.record({ kind: fc.constant('invoice' as const), cents: fc.integer({ min: 1, max: 50_000 }) }),
  );

  test('balance = settled inbound − outbound = what inbound credits have left, never negative', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('1', '0.37', '2.5'), fc.array(op, { minLength: 1, maxLength: 10 }), async (rate, ops) => {
        const customer = `ledger_${++customers}`;
        await ok('POST', '/customers', { customer: { external_id: customer, name: customer, currency: 'EUR' } });
        const wallet = (await ok('POST', '/wallets', { wallet: { external_customer_id: customer, rate_amount: rate, currency: 'EUR' } })).wallet;
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
            const invoice = (await ok('POST', '/invoices', { invoice: { external_customer_id: customer, currency: 'EUR', fees: [{ add_on_code: 'setup', unit_amount_cents: o.cents, units: 1 }] } })).invoice;
            assert.equal(invoice.total_amount_cents + invoice.prepaid_credit_amount_cents, o.cents);
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
  });
});
