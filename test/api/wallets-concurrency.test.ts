import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { queryRows } from '../../src/db/query.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { emptyInvoice } from '../../src/modules/billing/invoice-writer.ts';
import type { BillingParty } from '../../src/modules/billing/party.ts';
import { loadBillingParty } from '../../src/modules/billing/party.ts';
import * as invoicesRepo from '../../src/modules/invoices/repository.ts';
import { applyWalletsToInvoice } from '../../src/modules/wallets/apply.ts';
import { newId } from '../../src/lib/ids.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const POSTGRES = process.env.TEST_DATABASE_URL ?? null;
const skip = POSTGRES ? false : 'needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions need a server';

type Json = Record<string, any>;

/** Real concurrent transactions against one wallet: nothing is spent twice, nothing is lost. */
describe('wallets under concurrency', { skip }, () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Race' }));
    await post('/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 100, amount_currency: 'EUR' } });
  });
  after(() => t?.close());

  const post = async (url: string, body: unknown, method = 'POST') => {
    const res = await fetch(`${t.url}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const get = async (url: string) => (await fetch(`${t.url}/api/v1${url}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<Json>;

  const walletFor = async (customer: string, granted: string) => {
    assert.equal((await post('/customers', { customer: { external_id: customer, name: customer, currency: 'EUR' } })).status, 200);
    const res = await post('/wallets', { wallet: { external_customer_id: customer, rate_amount: '1', currency: 'EUR', granted_credits: granted } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.wallet as Json;
  };

  test('eight one-off invoices finalized at once share one wallet of 100.00: it pays exactly 100.00 in all', async () => {
    const wallet = await walletFor('cus_invoices', '100');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post('/invoices', { invoice: { external_customer_id: 'cus_invoices', currency: 'EUR', fees: [{ add_on_code: 'setup', unit_amount_cents: 3_000 }] } })),
    );
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const paid = results.reduce((s, r) => s + (r.body.invoice.prepaid_credit_amount_cents as number), 0);
    assert.equal(paid, 10_000);
    assert.equal(results.reduce((s, r) => s + (r.body.invoice.total_amount_cents as number), 0), 8 * 3_000 - 10_000);
    const after = (await get(`/wallets/${wallet.lago_id}`)).wallet;
    assert.deepEqual([after.balance_cents, after.consumed_credits], [0, '100.0']);
  });

  test('two finalizations locking the wallet directly (no customer lock): one waits for the other', async () => {
    const wallet = await walletFor('cus_direct', '10');
    const at = Temporal.Now.instant();
    // Two invoices of 7.00 each, ready to be finalized.
    const invoices = await inTransaction(t.database.db, async (tx) => {
      const party = await loadBillingParty(tx, orgId, wallet.lago_customer_id);
      const made = [];
      for (let i = 0; i < 2; i++) made.push(await sevenEuros(tx, party));
      return made;
    });
    const party = await inTransaction(t.database.db, (tx) => loadBillingParty(tx, orgId, wallet.lago_customer_id));
    const outcomes = await Promise.all(invoices.map((invoice) => inTransaction(t.database.db, (tx) => applyWalletsToInvoice(tx, party, invoice, at))));
    assert.deepEqual(outcomes.map((i) => i.prepaidCreditAmountCents).sort(), [300n, 700n]);
    const [row] = await queryRows<{ balance_cents: string }>(t.database.db, sql`SELECT balance_cents::text FROM wallets WHERE id = ${wallet.lago_id}`);
    assert.equal(row!.balance_cents, '0');
  });

  test('ten top-ups racing and a purchase settling while an invoice consumes: no credit is lost', async () => {
    const wallet = await walletFor('cus_topups', '1');
    const purchase = await post('/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, paid_credits: '40' } });
    const invoiceId = purchase.body.wallet_transactions[0].lago_invoice_id as string;
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => post('/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, granted_credits: '5' } })),
      post(`/invoices/${invoiceId}`, { invoice: { payment_status: 'succeeded' } }, 'PUT'),
      post('/invoices', { invoice: { external_customer_id: 'cus_topups', currency: 'EUR', fees: [{ add_on_code: 'setup', unit_amount_cents: 2_500 }] } }),
    ]);
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const consumed = results.at(-1)!.body.invoice.prepaid_credit_amount_cents as number;
    const after = (await get(`/wallets/${wallet.lago_id}`)).wallet;
    // 1 + 10 × 5 + 40 in, whatever the invoice took out.
    assert.equal(after.balance_cents, 9_100 - consumed);
    assert.ok(consumed > 0 && consumed <= 2_500);
    const [ledger] = await queryRows<{ inbound: string; outbound: string }>(
      t.database.db,
      sql`SELECT coalesce(sum(amount_cents) FILTER (WHERE transaction_type = 'inbound' AND status = 'settled'), 0)::text AS inbound,
          coalesce(sum(amount_cents) FILTER (WHERE transaction_type = 'outbound'), 0)::text AS outbound
        FROM wallet_transactions WHERE organization_id = ${orgId} AND wallet_id = ${wallet.lago_id}`,
    );
    assert.equal(Number(ledger!.inbound) - Number(ledger!.outbound), after.balance_cents);
  });

  /** An invoice of one 7.00 add-on fee, computed and not finalized. */
  const sevenEuros = async (tx: Parameters<typeof loadBillingParty>[0], party: BillingParty) => {
    const stamp = new Date();
    const invoice = await invoicesRepo.insertInvoice(tx, {
      ...emptyInvoice(party, 'EUR', Temporal.PlainDate.from('2024-05-01'), stamp, 'one_off'),
      feesAmountCents: 700n,
      subTotalExcludingTaxesAmountCents: 700n,
      subTotalIncludingTaxesAmountCents: 700n,
      totalAmountCents: 700n,
    });
    await invoicesRepo.insertFees(tx, [
      {
        organizationId: invoice.organizationId,
        id: newId(),
        invoiceId: invoice.id,
        customerId: invoice.customerId,
        feeType: 'add_on',
        feeKey: `add_on:${newId()}`,
        groupedBy: {},
        amountCurrency: 'EUR',
        amountCents: 700n,
        preciseAmountCents: '700',
        unitAmountCents: 700n,
        preciseUnitAmount: '7',
        units: '1',
        eventsCount: 0n,
        amountDetails: {},
        preciseCouponsAmountCents: '0',
        taxesAmountCents: 0n,
        taxesPreciseAmountCents: '0',
        taxesRate: '0',
        payInAdvance: false,
        invoiceable: true,
        paymentStatus: 'pending',
        position: 0,
        createdAt: stamp,
        updatedAt: stamp,
      },
    ]);
    return invoice;
  };
});
