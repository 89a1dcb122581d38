import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { setInvoicePaymentStatus } from '../../src/modules/invoices/payment-status.ts';
import { findInvoice } from '../../src/modules/invoices/repository.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { queryRows } from '../../src/db/query.ts';
import { sql } from 'drizzle-orm';

const UNPROCESSABLE = (details: Record<string, unknown>) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });
const NOT_FOUND = (code: string) => ({ status: 404, error: 'Not Found', code });

/** Lago's `V1::WalletSerializer` keys, in its order, with the API's includes. */
const WALLET_KEYS = [
  'lago_id',
  'lago_customer_id',
  'external_customer_id',
  'billing_entity_code',
  'status',
  'currency',
  'name',
  'code',
  'purchase_order_number',
  'rate_amount',
  'credits_balance',
  'credits_ongoing_balance',
  'credits_ongoing_usage_balance',
  'balance_cents',
  'ongoing_balance_cents',
  'ongoing_usage_balance_cents',
  'consumed_credits',
  'created_at',
  'expiration_at',
  'last_balance_sync_at',
  'last_consumed_credit_at',
  'terminated_at',
  'invoice_requires_successful_payment',
  'paid_top_up_min_amount_cents',
  'paid_top_up_max_amount_cents',
  'priority',
  'recurring_transaction_rules',
  'applies_to',
  'applied_invoice_custom_sections',
  'payment_method',
];

const TRANSACTION_KEYS = [
  'lago_id',
  'lago_wallet_id',
  'lago_invoice_id',
  'lago_credit_note_id',
  'lago_voided_invoice_id',
  'billing_entity_code',
  'status',
  'source',
  'transaction_status',
  'transaction_type',
  'amount',
  'credit_amount',
  'remaining_amount_cents',
  'remaining_credit_amount',
  'priority',
  'purchase_order_number',
  'settled_at',
  'failed_at',
  'created_at',
  'invoice_requires_successful_payment',
  'metadata',
  'name',
  'payment_method',
];

type Json = Record<string, any>;

describe('wallets API', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, as = key) => {
    const res = await t.request(as, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Json };
  };
  const ok = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await call(method, url, payload);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization({ name: 'Wallets Co', testClock: '2024-03-01T10:00:00Z' }));
    await ok('POST', '/customers', { customer: { external_id: 'cus_1', name: 'One', currency: 'EUR' } });
    await ok('POST', '/customers', { customer: { external_id: 'cus_2', name: 'Two' } });
    await ok('POST', '/customers', { customer: { external_id: 'cus_usd', name: 'Dollars', currency: 'USD' } });
    await ok('POST', '/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } });
  });
  after(() => t.close());

  test('a wallet with paid and granted credits, through the Lago client: granted settle, paid wait for their credit invoice', async () => {
    const client = t.client(key);
    const created = (
      await client.wallets.createWallet({
        wallet: {
          external_customer_id: 'cus_1',
          name: 'Prepaid',
          rate_amount: '1.5',
          currency: 'EUR',
          paid_credits: '10',
          granted_credits: '5',
          priority: 7,
          expiration_at: '2025-01-01T00:00:00Z',
          transaction_metadata: [{ key: 'source', value: 'api' }],
        } as never,
      })
    ).data.wallet as unknown as Json;
    assert.deepEqual(Object.keys(created), WALLET_KEYS);
    assert.equal(created.code, 'prepaid');
    assert.equal(created.rate_amount, '1.5');
    assert.equal(created.status, 'active');
    assert.equal(created.priority, 7);
    assert.equal(created.balance_cents, 750);
    assert.equal(created.credits_balance, '5.0');
    assert.equal(created.ongoing_balance_cents, 750);
    assert.equal(created.credits_ongoing_balance, '5.0');
    assert.equal(created.consumed_credits, '0.0');
    assert.equal(created.expiration_at, '2025-01-01T00:00:00Z');
    assert.deepEqual(created.applies_to, { fee_types: [], billable_metric_codes: [] });
    assert.deepEqual(created.payment_method, { payment_method_id: null, payment_method_type: 'provider' });

    const list = (await client.wallets.findAllWalletTransactions(created.lago_id)).data as unknown as Json;
    assert.equal(list.wallet_transactions.length, 2);
    // Both made at the same instant: newest first, then by id (time-ordered), so the purchase (made first) leads.
    const [paid, granted] = list.wallet_transactions;
    assert.deepEqual(Object.keys(paid), TRANSACTION_KEYS);
    assert.deepEqual(
      [paid.transaction_status, paid.status, paid.amount, paid.credit_amount, paid.remaining_amount_cents, paid.metadata],
      ['purchased', 'pending', '15.0', '10.0', null, [{ key: 'source', value: 'api' }]],
    );
    assert.deepEqual(
      [granted.transaction_status, granted.status, granted.amount, granted.credit_amount, granted.remaining_amount_cents, granted.remaining_credit_amount],
      ['granted', 'settled', '7.5', '5.0', 750, '5.0'],
    );

    // The purchase is billed at once: a finalized credit invoice of one untaxed credit fee.
    const invoice = (await ok('GET', `/invoices/${paid.lago_invoice_id}`)).invoice;
    assert.deepEqual(
      [invoice.invoice_type, invoice.status, invoice.payment_status, invoice.fees_amount_cents, invoice.taxes_amount_cents, invoice.total_amount_cents],
      ['credit', 'finalized', 'pending', 1500, 0, 1500],
    );
    assert.match(invoice.number, /-001-001$/);
    assert.equal(invoice.fees.length, 1);
    assert.deepEqual([invoice.fees[0].item.type, invoice.fees[0].amount_cents, invoice.fees[0].units], ['credit', 1500, '10.0']);

    // Paid: the purchase settles and its credits join the balance.
    await ok('PUT', `/invoices/${invoice.lago_id}`, { invoice: { payment_status: 'succeeded' } });
    const after = (await client.wallets.findWallet(created.lago_id)).data.wallet as unknown as Json;
    assert.deepEqual([after.balance_cents, after.credits_balance], [2250, '15.0']);
    const settled = (await client.walletTransactions.findWalletTransaction(paid.lago_id)).data as unknown as Json;
    assert.deepEqual(
      [settled.wallet_transaction.status, settled.wallet_transaction.remaining_amount_cents, settled.wallet_transaction.applied_invoice_custom_sections],
      ['settled', 1500, []],
    );
  });

  test('validation errors use Lago codes', async () => {
    const base = { external_customer_id: 'cus_2', rate_amount: '1', currency: 'EUR' };
    assert.deepEqual((await call('POST', '/wallets', { wallet: { rate_amount: '1', currency: 'EUR' } })).body, UNPROCESSABLE({ customer: ['customer_not_found'] }));
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, paid_credits: 'abc', granted_credits: 10, expiration_at: '2020-01-01T00:00:00Z' } })).body,
      UNPROCESSABLE({
        paid_credits: ['invalid_paid_credits', 'invalid_amount'],
        granted_credits: ['invalid_granted_credits', 'invalid_amount'],
        expiration_at: ['invalid_date'],
      }),
    );
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, rate_amount: '0', priority: 51, paid_top_up_min_amount_cents: 500, paid_top_up_max_amount_cents: 100 } })).body,
      UNPROCESSABLE({ rate_amount: ['value_is_out_of_range'], priority: ['value_is_invalid'], paid_top_up_max_amount_cents: ['must_be_greater_than_or_equal_min'] }),
    );
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, applies_to: { billable_metric_codes: ['nope'] } } })).body, UNPROCESSABLE({ applies_to: ['invalid_limitations'] }));
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, applies_to: { fee_types: ['tip'] } } })).body, UNPROCESSABLE({ applies_to: ['invalid_limitations'] }));
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, recurring_transaction_rules: [{ trigger: 'interval', interval: 'daily' }] } })).body,
      UNPROCESSABLE({ recurring_transaction_rules: ['invalid_recurring_rule'] }),
    );
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, recurring_transaction_rules: [{ trigger: 'threshold', threshold_credits: '1' }, { trigger: 'threshold', threshold_credits: '2' }] } })).body,
      UNPROCESSABLE({ recurring_transaction_rules: ['invalid_number_of_recurring_rules'] }),
    );
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, recurring_transaction_rules: [{ trigger: 'interval', interval: 'monthly', method: 'fixed', grants_target_top_up: true }] } })).body,
      UNPROCESSABLE({ recurring_transaction_rules: ['invalid_recurring_rule'] }),
    );
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, transaction_metadata: {} } })).body, UNPROCESSABLE({ metadata: ['invalid_type'] }));
    assert.deepEqual(
      (await call('POST', '/wallets', { wallet: { ...base, paid_credits: '10', paid_top_up_min_amount_cents: 3000 } })).body,
      UNPROCESSABLE({ paid_credits: ['amount_below_minimum'] }),
    );
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, rate_amount: '0.01', granted_credits: '0.4' } })).body, UNPROCESSABLE({ granted_credits: ['amount_rounds_to_zero'] }));
    // The customer's currency is fixed once it has one.
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, external_customer_id: 'cus_usd' } })).body, UNPROCESSABLE({ currency: ['currencies_does_not_match'] }));
    // Nothing of the refused requests was kept: cus_2 still has no wallet and no currency.
    assert.equal((await ok('GET', '/wallets?external_customer_id=cus_2')).wallets.length, 0);
    assert.equal((await ok('GET', '/customers/cus_2')).customer.currency, null);
    // Ignoring the limits on creation lets the purchase through.
    const allowed = await call('POST', '/wallets', { wallet: { ...base, code: 'limited', paid_credits: '10', paid_top_up_min_amount_cents: 3000, ignore_paid_top_up_limits_on_creation: 'true' } });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal((await ok('GET', '/customers/cus_2')).customer.currency, 'EUR');
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, code: 'limited' } })).body, UNPROCESSABLE({ code: ['value_already_exist'] }));
  });

  test('padded amounts are read as Rails reads them; amounts beyond what a bigint holds are 422, never 500', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_edge', currency: 'EUR' } });
    const base = { external_customer_id: 'cus_edge', currency: 'EUR' };
    const padded = (await ok('POST', '/wallets', { wallet: { ...base, code: 'padded', rate_amount: ' 2 ', granted_credits: ' 3 ' } })).wallet;
    assert.deepEqual([padded.rate_amount, padded.balance_cents], ['2.0', 600]);
    const grant = await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: padded.lago_id, granted_credits: ' 1 ', voided_credits: ' 1 ' } });
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    const huge = '999999999999999999999999';
    assert.deepEqual((await call('POST', '/wallets', { wallet: { ...base, code: 'huge', rate_amount: '1', granted_credits: huge } })).body, UNPROCESSABLE({ granted_credits: ['invalid_amount'] }));
    assert.deepEqual(
      (await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: padded.lago_id, paid_credits: huge } })).body,
      UNPROCESSABLE({ paid_credits: ['invalid_amount'] }),
    );
    assert.deepEqual(
      (await call('PUT', `/wallets/${padded.lago_id}`, { wallet: { paid_top_up_max_amount_cents: '11111111111111111111111111' } })).body,
      UNPROCESSABLE({ paid_top_up_max_amount_cents: ['value_is_out_of_range'] }),
    );
    assert.equal((await ok('GET', `/wallets/${padded.lago_id}`)).wallet.balance_cents, 600);
  });

  test('codes come from the name, a customer holds at most 6 active wallets', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_many', name: 'Many', currency: 'EUR' } });
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const name = i < 2 ? 'Gift Card!' : i === 2 ? undefined : `Wallet ${i}`;
      codes.push((await ok('POST', '/wallets', { wallet: { external_customer_id: 'cus_many', rate_amount: '1', currency: 'EUR', name } })).wallet.code);
    }
    assert.equal(codes[0], 'gift_card');
    assert.match(codes[1]!, /^gift_card_\d+$/);
    assert.deepEqual(codes.slice(2), ['default', 'wallet_3', 'wallet_4', 'wallet_5']);
    assert.deepEqual((await call('POST', '/wallets', { wallet: { external_customer_id: 'cus_many', rate_amount: '1', currency: 'EUR' } })).body, UNPROCESSABLE({ customer: ['wallet_limit_reached'] }));
  });

  test('get, update, terminate, by id and by customer and code; lists and their filters', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_3', name: 'Three', currency: 'EUR' } });
    const w = (
      await ok('POST', '/customers/cus_3/wallets', {
        wallet: { rate_amount: '2', currency: 'EUR', code: 'main', applies_to: { fee_types: ['charge'], billable_metric_codes: ['calls'] }, metadata: { team: 'ops' } },
      })
    ).wallet;
    assert.equal(w.external_customer_id, 'cus_3');
    assert.deepEqual(w.applies_to, { fee_types: ['charge'], billable_metric_codes: ['calls'] });
    assert.deepEqual(w.metadata, { team: 'ops' });
    assert.equal((await ok('GET', '/customers/cus_3/wallets/main')).wallet.lago_id, w.lago_id);
    assert.deepEqual((await call('GET', '/customers/cus_3/wallets/other')).body, NOT_FOUND('wallet_not_found'));
    assert.deepEqual((await call('GET', '/customers/nobody/wallets/main')).body, NOT_FOUND('customer_not_found'));

    const updated = (
      await ok('PUT', `/wallets/${w.lago_id}`, {
        wallet: {
          name: 'Main wallet',
          priority: 3,
          paid_top_up_min_amount_cents: 200,
          recurring_transaction_rules: [{ trigger: 'threshold', threshold_credits: '5', paid_credits: '10', granted_credits: '0' }],
        },
      })
    ).wallet;
    assert.deepEqual([updated.name, updated.priority, updated.paid_top_up_min_amount_cents, updated.code], ['Main wallet', 3, 200, 'main']);
    assert.equal(updated.recurring_transaction_rules.length, 1);
    const rule = updated.recurring_transaction_rules[0];
    assert.deepEqual(
      Object.keys(rule),
      ['lago_id', 'paid_credits', 'granted_credits', 'grants_target_top_up', 'interval', 'method', 'started_at', 'expiration_at', 'status', 'target_ongoing_balance', 'threshold_credits', 'trigger', 'created_at', 'invoice_requires_successful_payment', 'transaction_metadata', 'transaction_name', 'purchase_order_number', 'ignore_paid_top_up_limits', 'applied_invoice_custom_sections', 'payment_method'],
    );
    assert.deepEqual([rule.trigger, rule.method, rule.threshold_credits, rule.paid_credits, rule.status], ['threshold', 'fixed', '5.0', '10.0', 'active']);
    // A rule whose purchase falls below the wallet's minimum is refused.
    assert.deepEqual(
      (await call('PUT', `/wallets/${w.lago_id}`, { wallet: { paid_top_up_min_amount_cents: 5000 } })).body,
      UNPROCESSABLE({ recurring_transaction_rules: ['invalid_recurring_rule'] }),
    );
    // Updating the rule by its id keeps it; leaving it out terminates it.
    const same = (await ok('PUT', `/customers/cus_3/wallets/main`, { wallet: { recurring_transaction_rules: [{ lago_id: rule.lago_id, trigger: 'threshold', threshold_credits: '2' }] } })).wallet;
    assert.deepEqual([same.recurring_transaction_rules[0].lago_id, same.recurring_transaction_rules[0].threshold_credits], [rule.lago_id, '2.0']);
    assert.equal((await ok('PUT', `/wallets/${w.lago_id}`, { wallet: { recurring_transaction_rules: [] } })).wallet.recurring_transaction_rules.length, 0);

    const list = await ok('GET', '/wallets?external_customer_id=cus_3');
    assert.deepEqual(list.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 1 });
    assert.deepEqual((await call('GET', '/wallets?external_customer_id=nobody')).body, NOT_FOUND('customer_not_found'));
    assert.equal((await ok('GET', '/customers/cus_3/wallets')).wallets.length, 1);

    const terminated = (await ok('DELETE', `/wallets/${w.lago_id}`)).wallet;
    assert.equal(terminated.status, 'terminated');
    assert.match(terminated.terminated_at, /^2024-03-01T10:00:00\.000Z$/);
    assert.deepEqual((await call('PUT', `/wallets/${w.lago_id}`, { wallet: { name: 'x' } })).body, UNPROCESSABLE({ wallet_id: ['wallet_is_terminated'] }));
    assert.deepEqual((await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: w.lago_id, granted_credits: '1' } })).body, UNPROCESSABLE({ wallet_id: ['wallet_is_terminated'] }));
    // A terminated wallet's code is free again.
    assert.equal((await ok('POST', '/customers/cus_3/wallets', { wallet: { rate_amount: '1', currency: 'EUR', code: 'main' } })).wallet.code, 'main');

    // Other organizations see nothing.
    const other = await t.newOrganization({ name: 'Other' });
    assert.deepEqual((await call('GET', `/wallets/${w.lago_id}`, undefined, other.key)).body, NOT_FOUND('wallet_not_found'));
    assert.deepEqual((await call('DELETE', `/wallets/${w.lago_id}`, undefined, other.key)).body, NOT_FOUND('wallet_not_found'));
    assert.deepEqual((await call('GET', `/wallets/not-a-uuid`)).body, NOT_FOUND('wallet_not_found'));
  });

  test('wallet transactions: grants, voids, their checks and list filters', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_4', name: 'Four', currency: 'EUR' } });
    const w = (await ok('POST', '/wallets', { wallet: { external_customer_id: 'cus_4', rate_amount: '1', currency: 'EUR', granted_credits: '20' } })).wallet;
    const out = await ok('POST', '/wallet_transactions', {
      wallet_transaction: { wallet_id: w.lago_id, voided_credits: '3.5', granted_credits: '0', name: 'cleanup', metadata: [{ key: 'why', value: 'test' }] },
    });
    assert.equal(out.wallet_transactions.length, 1);
    assert.deepEqual(
      [out.wallet_transactions[0].transaction_status, out.wallet_transactions[0].transaction_type, out.wallet_transactions[0].amount, out.wallet_transactions[0].name],
      ['voided', 'outbound', '3.5', 'cleanup'],
    );
    const wallet = (await ok('GET', `/wallets/${w.lago_id}`)).wallet;
    assert.deepEqual([wallet.balance_cents, wallet.credits_balance, wallet.consumed_credits], [1650, '16.5', '3.5']);
    assert.deepEqual(
      (await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: w.lago_id, voided_credits: '17' } })).body,
      UNPROCESSABLE({ voided_credits: ['insufficient_credits'] }),
    );
    assert.deepEqual(
      (await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: '6a1e9c62-42a2-4cf4-9a3e-1f2f1d2e3b4c', paid_credits: '1' } })).body,
      UNPROCESSABLE({ wallet_id: ['wallet_not_found'] }),
    );
    assert.deepEqual(
      (await call('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: w.lago_id, paid_credits: '-1', metadata: [{ key: 'k' }] } })).body,
      UNPROCESSABLE({ paid_credits: ['invalid_paid_credits', 'invalid_amount'], metadata: ['invalid_key_value_pair'] }),
    );
    const voided = await ok('GET', `/wallets/${w.lago_id}/wallet_transactions?transaction_status=voided`);
    assert.equal(voided.wallet_transactions.length, 1);
    assert.equal((await ok('GET', `/wallets/${w.lago_id}/wallet_transactions?transaction_type=inbound&status=settled`)).wallet_transactions.length, 1);
    assert.equal((await ok('GET', `/wallets/${w.lago_id}/wallet_transactions?metadata[why]=test`)).wallet_transactions.length, 1);
    assert.equal((await ok('GET', `/wallets/${w.lago_id}/wallet_transactions?transaction_status=bogus`)).wallet_transactions.length, 2);
    assert.deepEqual((await call('GET', `/wallets/6a1e9c62-42a2-4cf4-9a3e-1f2f1d2e3b4c/wallet_transactions`)).body, NOT_FOUND('wallet_not_found'));
    assert.deepEqual((await call('GET', `/wallet_transactions/6a1e9c62-42a2-4cf4-9a3e-1f2f1d2e3b4c`)).body, NOT_FOUND('wallet_transaction_not_found'));
    // The voided credits were drawn from the grant.
    const grant = (await ok('GET', `/wallets/${w.lago_id}/wallet_transactions?transaction_status=granted`)).wallet_transactions[0];
    assert.equal(grant.remaining_amount_cents, 1650);
  });

  test('a purchase that requires a successful payment stays open and hidden until paid', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_5', name: 'Five', currency: 'EUR' } });
    const w = (await ok('POST', '/wallets', { wallet: { external_customer_id: 'cus_5', rate_amount: '1', currency: 'EUR', invoice_requires_successful_payment: true } })).wallet;
    assert.equal(w.invoice_requires_successful_payment, true);
    const [purchase] = (await ok('POST', '/wallet_transactions', { wallet_transaction: { wallet_id: w.lago_id, paid_credits: '12' } })).wallet_transactions;
    assert.equal(purchase.invoice_requires_successful_payment, true);
    assert.deepEqual((await call('GET', `/invoices/${purchase.lago_invoice_id}`)).body, NOT_FOUND('invoice_not_found'));
    const db = t.database.db;
    const open = (await findInvoice(db, orgId, purchase.lago_invoice_id))!;
    assert.equal(open.status, 'open');
    assert.match(open.number, /-DRAFT$/);
    const paidAt = Temporal.Instant.from('2024-03-01T10:00:00Z');
    await inTransaction(db, (tx) => setInvoicePaymentStatus(tx, open, 'succeeded', paidAt));
    const invoice = (await ok('GET', `/invoices/${purchase.lago_invoice_id}`)).invoice;
    assert.deepEqual([invoice.status, invoice.payment_status, invoice.issuing_date], ['finalized', 'succeeded', '2024-03-01']);
    assert.doesNotMatch(invoice.number, /DRAFT/);
    assert.equal((await ok('GET', `/wallets/${w.lago_id}`)).wallet.balance_cents, 1200);
  });

  test('a failed payment fails the purchase and adds nothing', async () => {
    await ok('POST', '/customers', { customer: { external_id: 'cus_6', name: 'Six', currency: 'EUR' } });
    const w = (await ok('POST', '/wallets', { wallet: { external_customer_id: 'cus_6', rate_amount: '1', currency: 'EUR', paid_credits: '8' } })).wallet;
    const [purchase] = (await ok('GET', `/wallets/${w.lago_id}/wallet_transactions`)).wallet_transactions;
    await ok('PUT', `/invoices/${purchase.lago_invoice_id}`, { invoice: { payment_status: 'failed' } });
    const failed = (await ok('GET', `/wallet_transactions/${purchase.lago_id}`)).wallet_transaction;
    assert.deepEqual([failed.status, failed.failed_at], ['failed', '2024-03-01T10:00:00Z']);
    assert.equal((await ok('GET', `/wallets/${w.lago_id}`)).wallet.balance_cents, 0);
  });

  test('webhooks carry Lago’s payloads: wallet.*, wallet_transaction.* with their wallet, invoice.paid_credit_added', async () => {
    const hooks = await t.newOrganization({ name: 'Hooks', testClock: '2024-03-01T10:00:00Z' });
    const as = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
      const res = await call(method, url, payload, hooks.key);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    await as('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: 'http://127.0.0.1:9/hooks', signature_algo: 'hmac' } });
    await as('POST', '/customers', { customer: { external_id: 'cus_hooks', name: 'Hooks', currency: 'EUR' } });
    const w = (
      await as('POST', '/wallets', {
        wallet: {
          external_customer_id: 'cus_hooks',
          rate_amount: '1',
          currency: 'EUR',
          paid_credits: '3',
          granted_credits: '2',
          recurring_transaction_rules: [{ trigger: 'interval', interval: 'weekly' }],
        },
      })
    ).wallet;
    await as('DELETE', `/wallets/${w.lago_id}`);
    const rows = await queryRows<{ webhook_type: string; payload: string }>(
      t.database.db,
      sql`SELECT webhook_type, payload FROM webhooks WHERE organization_id = ${hooks.id} AND webhook_type NOT LIKE 'customer.%' ORDER BY id`,
    );
    const types = rows.map((r) => r.webhook_type);
    // Billow's shared finalization also reports `invoice.created` for the credit invoice, which Lago does not (see the
    // report); the wallet's own webhooks come in Lago's order.
    assert.deepEqual(
      types.filter((x) => x !== 'invoice.created'),
      ['wallet.created', 'wallet.updated', 'wallet_transaction.created', 'wallet_transaction.created', 'invoice.paid_credit_added', 'wallet.terminated'],
    );
    const body = (type: string) => JSON.parse(rows.find((r) => r.webhook_type === type)!.payload) as Json;
    const created = body('wallet.created');
    assert.deepEqual([created.webhook_type, created.object_type, created.organization_id], ['wallet.created', 'wallet', hooks.id]);
    // Webhooks show the rules but not `applies_to` (Lago's webhook serializers include only the rules).
    assert.deepEqual(Object.keys(created.wallet).slice(-2), ['recurring_transaction_rules', 'payment_method']);
    assert.equal(created.wallet.recurring_transaction_rules[0].interval, 'weekly');
    const transaction = body('wallet_transaction.created');
    assert.equal(transaction.wallet_transaction.wallet.lago_id, w.lago_id);
    assert.equal('recurring_transaction_rules' in transaction.wallet_transaction.wallet, false);
    const invoice = body('invoice.paid_credit_added').invoice;
    assert.deepEqual([invoice.invoice_type, invoice.total_amount_cents, invoice.fees.length, invoice.customer.external_id], ['credit', 300, 1, 'cus_hooks']);
    const terminated = body('wallet.terminated').wallet;
    assert.deepEqual([terminated.status, terminated.recurring_transaction_rules], ['terminated', []]);
  });

  test('the Lago client reads errors', async () => {
    const client = t.client(key);
    await assert.rejects(client.wallets.findWallet('6a1e9c62-42a2-4cf4-9a3e-1f2f1d2e3b4c'), (error) => {
      assert.deepEqual(lagoError(error), { status: 404, body: NOT_FOUND('wallet_not_found') });
      return true;
    });
  });
});
