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
    ({ key, id: orgId } = await t.newOrganization({ name: 'Race', testClock: '2024-05-01T00:00:00Z' }));
    // 300.00 a month, paid in advance: more than any wallet here holds, so every invoice drains what it finds.
    const plan = await post('/plans', { plan: { name: 'Big', code: 'big', interval: 'monthly', amount_cents: 30_000, amount_currency: 'EUR', pay_in_advance: true } });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
  });
  after(() => t?.close());

  const post = async (url: string, body: unknown, method = 'POST') => {
    const res = await fetch(`${t.url}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const get = async (url: string) => (await fetch(`${t.url}/api/v1${url}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<Json>;

  const newCustomer = async (customer: string) => {
    // A grace period keeps subscription invoices drafts, finalized (and paid with credits) when the test says.
    const body = { external_id: customer, name: customer, currency: 'EUR', billing_configuration: { invoice_grace_period: 3 } };
    assert.equal((await post('/customers', { customer: body })).status, 200);
  };
  const walletFor = async (customer: string, granted: string) => {
    const res = await post('/wallets', { wallet: { external_customer_id: customer, rate_amount: '1', currency: 'EUR', granted_credits: granted } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.wallet as Json;
  };

  let clock = Temporal.Instant.from('2024-05-01T00:00:00Z');
  /** A new customer with `count` subscriptions to the big plan, billed at once (in advance) into a draft each. */
  const draftsFor = async (customer: string, count: number): Promise<string[]> => {
    await newCustomer(customer);
    for (let i = 0; i < count; i++) {
      const res = await post('/subscriptions', { subscription: { external_customer_id: customer, plan_code: 'big', external_id: `${customer}_${i}` } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    clock = clock.add({ minutes: 1 });
    assert.equal((await post('/test_clock/advance', { test_clock: { frozen_time: clock.toString() } })).status, 200);
    const drafts = ((await get(`/invoices?external_customer_id=${customer}&status=draft`)).invoices as Json[]).map((i) => i.lago_id as string);
    assert.equal(drafts.length, count);
    return drafts;
  };
  const finalize = (id: string) => post(`/invoices/${id}/finalize`, undefined, 'PUT');
  const credits = (wallet: Json, field: 'granted_credits' | 'voided_credits', amount: string) =>
    post('/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, [field]: amount } });
  /**
   * Voids of `amount` sent one after the other, on two connections, for as long as `busy` runs: each has its chance to
   * land between an invoice reading the balance and drawing on it.
   */
  const voidsWhile = async (wallet: Json, amount: string, busy: Promise<unknown>) => {
    let done = false;
    busy.then(() => (done = true), () => (done = true));
    const pump = async () => {
      const sent = [];
      while (!done) sent.push(await credits(wallet, 'voided_credits', amount));
      return sent;
    };
    return (await Promise.all([pump(), pump()])).flat();
  };
  /** A void that came too late for the credits it asked is refused, as Lago does. */
  const voidedCents = (results: { status: number; body: Json }[]) =>
    results.reduce((sum, r) => {
      // At a rate of 1, a credit is 1.00.
      if (r.status === 200) return sum + Math.round(Number(r.body.wallet_transactions[0].amount) * 100);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(JSON.stringify(r.body), /insufficient_credits/);
      return sum;
    }, 0);
  const ledgerOf = async (wallet: Json) => {
    const [row] = await queryRows<{ inbound: string; outbound: string }>(
      t.database.db,
      sql`SELECT coalesce(sum(amount_cents) FILTER (WHERE transaction_type = 'inbound' AND status = 'settled'), 0)::text AS inbound,
          coalesce(sum(amount_cents) FILTER (WHERE transaction_type = 'outbound'), 0)::text AS outbound
        FROM wallet_transactions WHERE organization_id = ${orgId} AND wallet_id = ${wallet.lago_id}`,
    );
    return { inbound: Number(row!.inbound), outbound: Number(row!.outbound) };
  };

  // Every finalization takes the customer's lock, so finalizations alone are kept apart by it; credits granted and
  // voided meanwhile take only the wallet's, which is what keeps an invoice from spending credits a void just took.
  // A race is a matter of chance: each test runs it three times, on new customers.
  const ROUNDS = 3;

  test('eight subscription invoices finalized at once, credits granted and voided meanwhile: the wallet never pays more than it holds', async () => {
    for (let round = 0; round < ROUNDS; round++) await eightInvoices(`cus_invoices_${round}`);
  });

  const eightInvoices = async (customer: string) => {
    const drafts = await draftsFor(customer, 8);
    const wallet = await walletFor(customer, '100');
    const work = Promise.all(drafts.map((id) => [finalize(id), credits(wallet, 'granted_credits', '9')]).flat());
    // 100.00 + 9.00s less 3.00s is never 0: the first invoice finds credits.
    const [results, voids] = await Promise.all([work, voidsWhile(wallet, '3', work)]);
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const invoices = results.filter((_, i) => i % 2 === 0).map((r) => r.body.invoice as Json);
    for (const invoice of invoices) assert.equal(invoice.prepaid_credit_amount_cents + invoice.total_amount_cents, 30_000);
    const paid = invoices.reduce((s, invoice) => s + (invoice.prepaid_credit_amount_cents as number), 0);
    const voided = voidedCents(voids);
    const after = (await get(`/wallets/${wallet.lago_id}`)).wallet;
    assert.ok(after.balance_cents >= 0 && paid > 0, `balance ${after.balance_cents}, paid ${paid}`);
    // 100 + 8 × 9 in: what the invoices and the voids took, and what is left.
    assert.equal(paid + voided + after.balance_cents, 17_200);
    const ledger = await ledgerOf(wallet);
    assert.deepEqual([ledger.inbound, ledger.outbound], [17_200, paid + voided]);
  };

  test('two finalizations locking the wallet directly (no customer lock): one waits for the other', async () => {
    await newCustomer('cus_direct');
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

  test('ten top-ups racing and a purchase settling while invoices consume and credits are voided: no credit is lost', async () => {
    for (let round = 0; round < ROUNDS; round++) await topUpsRacing(`cus_topups_${round}`);
  });

  const topUpsRacing = async (customer: string) => {
    const drafts = await draftsFor(customer, 4);
    const wallet = await walletFor(customer, '1');
    const purchase = await post('/wallet_transactions', { wallet_transaction: { wallet_id: wallet.lago_id, paid_credits: '40' } });
    const invoiceId = purchase.body.wallet_transactions[0].lago_invoice_id as string;
    // Sent interleaved: ten grants, an invoice after every other grant from the third on, the purchase's payment.
    const sent = [
      ...Array.from({ length: 10 }, (_, i) => [
        { kind: 'grant', response: credits(wallet, 'granted_credits', '5') },
        ...(i >= 2 && i % 2 === 0 ? [{ kind: 'invoice', response: finalize(drafts[i / 2 - 1]!) }] : []),
      ]).flat(),
      { kind: 'payment', response: post(`/invoices/${invoiceId}`, { invoice: { payment_status: 'succeeded' } }, 'PUT') },
    ];
    const work = Promise.all(sent.map(async ({ kind, response }) => ({ kind, ...(await response) })));
    // 1.00 + 5.00s + 40.00 less 2.50s is never 0: only the invoices empty the wallet, and the first finds credits.
    const [results, voids] = await Promise.all([work, voidsWhile(wallet, '2.5', work)]);
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
    const invoices = results.filter((r) => r.kind === 'invoice');
    assert.equal(invoices.length, 4);
    const consumed = invoices.reduce((s, r) => s + (r.body.invoice.prepaid_credit_amount_cents as number), 0);
    const voided = voidedCents(voids);
    const after = (await get(`/wallets/${wallet.lago_id}`)).wallet;
    // 1 + 10 × 5 + 40 in, whatever the invoices and the voids took out.
    assert.equal(after.balance_cents, 9_100 - consumed - voided);
    assert.ok(after.balance_cents >= 0 && consumed > 0, `balance ${after.balance_cents}, consumed ${consumed}`);
    const ledger = await ledgerOf(wallet);
    assert.deepEqual([ledger.inbound, ledger.outbound], [9_100, consumed + voided]);
  };

  /** A subscription invoice of one 7.00 fee, computed and not finalized. */
  const sevenEuros = async (tx: Parameters<typeof loadBillingParty>[0], party: BillingParty) => {
    const stamp = new Date();
    const invoice = await invoicesRepo.insertInvoice(tx, {
      ...emptyInvoice(party, 'EUR', Temporal.PlainDate.from('2024-05-01'), stamp, 'subscription'),
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
