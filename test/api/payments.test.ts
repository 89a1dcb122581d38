import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

type Json = Record<string, any>;

/** The keys of Lago's payment JSON, in order (spec/requests/api/v1/payments_controller_spec.rb). */
const PAYMENT_KEYS = [
  'lago_id',
  'lago_customer_id',
  'external_customer_id',
  'invoice_ids',
  'invoice_numbers',
  'lago_payable_id',
  'payable_type',
  'amount_cents',
  'amount_currency',
  'status',
  'payment_status',
  'type',
  'reference',
  'payment_provider_code',
  'payment_provider_type',
  'external_payment_id',
  'provider_payment_id',
  'provider_customer_id',
  'next_action',
  'created_at',
];

const invalid = (details: unknown) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });

describe('payments (manual payments against invoices)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  /** A test-clock organization with a customer and a finalized one-off invoice of 100.00 EUR. */
  const setup = async (name = 'Acme') => {
    const { key } = await t.newOrganization({ name, testClock: '2024-03-01T10:00:00Z' });
    const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<Json> => {
      const res = await call(method, url, payload);
      assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
      return res.json();
    };
    await ok('POST', '/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 10_000, amount_currency: 'EUR' } });
    await ok('POST', '/customers', { customer: { external_id: 'acme', name: 'Acme', currency: 'EUR' } });
    const newInvoice = async (externalCustomerId = 'acme'): Promise<Json> =>
      (await ok('POST', '/invoices', { invoice: { external_customer_id: externalCustomerId, fees: [{ add_on_code: 'setup', units: 1 }] } })).invoice;
    const invoice = await newInvoice();
    assert.equal(invoice.status, 'finalized');
    assert.equal(invoice.total_amount_cents, 10_000);
    const pay = (fields: Record<string, unknown>) => call('POST', '/payments', { payment: fields });
    return { key, call, ok, invoice, newInvoice, pay };
  };

  test('a partial payment, then the rest, through the Lago client: the invoice is paid once covered', async () => {
    const { key, ok, invoice } = await setup();
    const client = t.client(key);

    const first = (await client.payments.createPayment({ payment: { invoice_id: invoice.lago_id, amount_cents: 4_000, reference: 'wire-1', paid_at: '2024-03-02' } }))
      .data.payment as Json;
    assert.deepEqual(Object.keys(first), PAYMENT_KEYS);
    assert.deepEqual(first, {
      lago_id: first.lago_id,
      lago_customer_id: invoice.customer.lago_id,
      external_customer_id: 'acme',
      invoice_ids: [invoice.lago_id],
      invoice_numbers: [invoice.number],
      lago_payable_id: invoice.lago_id,
      payable_type: 'Invoice',
      amount_cents: 4_000,
      amount_currency: 'EUR',
      status: 'succeeded',
      payment_status: 'succeeded',
      type: 'manual',
      reference: 'wire-1',
      payment_provider_code: null,
      payment_provider_type: null,
      external_payment_id: null,
      provider_payment_id: null,
      provider_customer_id: null,
      next_action: {},
      created_at: '2024-03-02T00:00:00Z',
    });

    // Partly paid: still pending, 60.00 left.
    let current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.equal(current.payment_status, 'pending');
    assert.equal(current.total_paid_amount_cents, 4_000);
    assert.equal(current.total_due_amount_cents, 6_000);
    assert.deepEqual((await ok('GET', '/invoices?partially_paid=true')).invoices.map((i: Json) => i.lago_id), [invoice.lago_id]);

    // No paid_at: paid now, on the organization's clock.
    const second = (await client.payments.createPayment({ payment: { invoice_id: invoice.lago_id, amount_cents: 6_000, reference: 'wire-2' } })).data.payment as Json;
    assert.equal(second.created_at, '2024-03-01T10:00:00Z');
    current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.equal(current.payment_status, 'succeeded');
    assert.equal(current.total_paid_amount_cents, 10_000);
    assert.equal(current.total_due_amount_cents, 0);
    assert.deepEqual(
      current.fees.map((f: Json) => f.payment_status),
      ['succeeded'],
    );

    // Newest payment first: by when each was made, not when it was recorded.
    const listed = (await client.payments.findAllPayments()).data as Json;
    assert.deepEqual(
      listed.payments.map((p: Json) => p.reference),
      ['wire-1', 'wire-2'],
    );
    assert.deepEqual(listed.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 2 });
    assert.deepEqual(((await client.payments.findPayment(second.lago_id)).data as Json).payment, second);
    assert.deepEqual(
      ((await client.customers.findAllCustomerPayments('acme')).data as Json).payments.map((p: Json) => p.lago_id),
      [first.lago_id, second.lago_id],
    );
    const paged = (await ok('GET', '/payments?per_page=1&page=2')) as Json;
    assert.deepEqual(paged.payments.map((p: Json) => p.lago_id), [second.lago_id]);
    assert.deepEqual(paged.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 2 });

    // Nothing is due any more.
    const res = await t.request(key, { method: 'POST', url: '/api/v1/payments', payload: { payment: { invoice_id: invoice.lago_id, amount_cents: 1, reference: 'extra' } } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json(), invalid({ amount_cents: ['value_is_out_of_range'] }));
  });

  test('list filters: by invoice and by customer; an invoice_id that is not a UUID is refused', async () => {
    const { ok, call, invoice, newInvoice, pay } = await setup();
    await ok('POST', '/customers', { customer: { external_id: 'other', name: 'Other', currency: 'EUR' } });
    const otherInvoice = await newInvoice('other');
    const a = (await pay({ invoice_id: invoice.lago_id, amount_cents: 100, reference: 'a' })).json().payment;
    const b = (await pay({ invoice_id: otherInvoice.lago_id, amount_cents: 200, reference: 'b', paid_at: '2024-02-01T12:30:00Z' })).json().payment;
    const ids = async (query: string) => (await ok('GET', `/payments${query}`)).payments.map((p: Json) => p.lago_id);
    assert.deepEqual(await ids(''), [a.lago_id, b.lago_id]);
    assert.deepEqual(await ids(`?invoice_id=${invoice.lago_id}`), [a.lago_id]);
    assert.deepEqual(await ids('?external_customer_id=other'), [b.lago_id]);
    assert.deepEqual(await ids('?external_customer_id=nobody'), []);
    assert.deepEqual(await ids('?invoice_id=&external_customer_id='), [a.lago_id, b.lago_id]);
    assert.deepEqual(await ids(`?invoice_id=${invoice.lago_id}&external_customer_id=other`), []);
    assert.deepEqual((await ok('GET', `/customers/other/payments?invoice_id=${invoice.lago_id}`)).payments, []);
    assert.equal(b.created_at, '2024-02-01T12:30:00Z');

    const bad = await call('GET', '/payments?invoice_id=not-a-uuid');
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json(), invalid({ invoice_id: ['is in invalid format'] }));
    const noCustomer = await call('GET', '/customers/nobody/payments');
    assert.equal(noCustomer.statusCode, 404);
    assert.deepEqual(noCustomer.json(), { status: 404, error: 'Not Found', code: 'customer_not_found' });
    const empty = (await ok('GET', '/payments?invoice_id=00000000-0000-4000-8000-000000000000')) as Json;
    assert.deepEqual(empty, { payments: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
  });

  test("Lago's checks, in Lago's order, with its codes", async () => {
    const { call, ok, invoice, newInvoice, pay } = await setup();
    const expect = async (fields: Record<string, unknown> | undefined, status: number, body: unknown) => {
      const res = await call('POST', '/payments', fields === undefined ? {} : { payment: fields });
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), body);
    };
    await expect(undefined, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: payment' });
    // The invoice first, then the amount, then whether the invoice exists.
    await expect({ amount_cents: 'x', reference: 'r' }, 422, invalid({ invoice_id: ['value_is_mandatory'] }));
    await expect({ invoice_id: '  ', amount_cents: 100, reference: 'r' }, 422, invalid({ invoice_id: ['value_is_mandatory'] }));
    for (const amount of ['100', 0, -5, 1.5, null, true]) {
      await expect({ invoice_id: invoice.lago_id, amount_cents: amount, reference: 'r' }, 422, invalid({ amount_cents: ['invalid_value'] }));
    }
    const notFound = { status: 404, error: 'Not Found', code: 'invoice_not_found' };
    await expect({ invoice_id: 'nope', amount_cents: 100 }, 404, notFound);
    await expect({ invoice_id: '00000000-0000-4000-8000-000000000000', amount_cents: 100, reference: 'r' }, 404, notFound);
    const { key: otherKey } = await t.newOrganization({ name: 'Other org' });
    const foreign = await t.request(otherKey, { method: 'POST', url: '/api/v1/payments', payload: { payment: { invoice_id: invoice.lago_id, amount_cents: 100, reference: 'r' } } });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual(foreign.json(), notFound);

    // Only a finalized invoice takes a manual payment: a voided one is Lago's 403.
    const voided = await newInvoice();
    await ok('POST', `/invoices/${voided.lago_id}/void`, {});
    await expect({ invoice_id: voided.lago_id, amount_cents: 100, reference: 'r', paid_at: 'garbage' }, 403, { status: 403, error: 'Forbidden', code: 'feature_unavailable' });

    await expect({ invoice_id: invoice.lago_id, amount_cents: 100, reference: 'r', paid_at: 'garbage' }, 422, invalid({ paid_at: ['invalid_date'] }));
    await expect({ invoice_id: invoice.lago_id, amount_cents: 100, reference: 'r', paid_at: 20240120 }, 422, invalid({ paid_at: ['invalid_date'] }));
    // The payment's own checks come together.
    await expect({ invoice_id: invoice.lago_id, amount_cents: 10_001 }, 422, invalid({ reference: ['value_is_mandatory'], amount_cents: ['value_is_out_of_range'] }));
    await expect({ invoice_id: invoice.lago_id, amount_cents: 100, reference: 'x'.repeat(41) }, 422, invalid({ reference: ['value_is_too_long'] }));
    await expect({ invoice_id: invoice.lago_id, amount_cents: 100, reference: ['r'] }, 422, invalid({ reference: ['value_is_mandatory'] }));

    // None of the refused payments was kept.
    assert.deepEqual((await ok('GET', '/payments')).payments, []);
    assert.equal((await ok('GET', `/invoices/${invoice.lago_id}`)).invoice.total_paid_amount_cents, 0);

    // 40 characters and a numeric reference are fine; the amount due shrinks with each payment.
    assert.equal((await pay({ invoice_id: invoice.lago_id, amount_cents: 9_000, reference: 'y'.repeat(40) })).statusCode, 200);
    const numeric = await pay({ invoice_id: invoice.lago_id, amount_cents: 999, reference: 12345 });
    assert.equal(numeric.json().payment.reference, '12345');
    await expect({ invoice_id: invoice.lago_id, amount_cents: 2, reference: 'r' }, 422, invalid({ amount_cents: ['value_is_out_of_range'] }));
    assert.equal((await ok('GET', `/invoices/${invoice.lago_id}`)).invoice.payment_status, 'pending');
  });

  test('marking an invoice paid (PUT) leaves what was paid as it was, as in Lago; a payment is still taken', async () => {
    const { ok, invoice, pay } = await setup();
    const marked = (await ok('PUT', `/invoices/${invoice.lago_id}`, { invoice: { payment_status: 'succeeded' } })).invoice;
    assert.equal(marked.payment_status, 'succeeded');
    assert.equal(marked.total_paid_amount_cents, 0);
    assert.equal(marked.total_due_amount_cents, 10_000);
    const res = await pay({ invoice_id: invoice.lago_id, amount_cents: 10_000, reference: 'late record' });
    assert.equal(res.statusCode, 200, res.body);
    const after = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.equal(after.payment_status, 'succeeded');
    assert.equal(after.total_paid_amount_cents, 10_000);
    assert.equal(after.total_due_amount_cents, 0);
  });

  test("a credit invoice (a wallet top-up's) is paid in full or not at all; an open one is paid without a payment webhook", async () => {
    const { ok, invoice, newInvoice, pay } = await setup();
    // Top-up invoices come from wallets; one-off invoices stand in for them here, retyped (and one held open).
    const open = await newInvoice();
    await t.database.db.execute(sql`UPDATE invoices SET invoice_type = 'credit' WHERE id IN (${invoice.lago_id}, ${open.lago_id})`);
    await t.database.db.execute(sql`UPDATE invoices SET status = 'open' WHERE id = ${open.lago_id}`);
    const partial = await pay({ invoice_id: invoice.lago_id, amount_cents: 5_000, reference: 'half' });
    assert.equal(partial.statusCode, 422);
    assert.deepEqual(partial.json(), invalid({ amount_cents: ['invalid_amount'] }));
    assert.equal((await pay({ invoice_id: invoice.lago_id, amount_cents: 10_000, reference: 'full' })).statusCode, 200);
    assert.equal((await ok('GET', `/invoices/${invoice.lago_id}`)).invoice.payment_status, 'succeeded');

    // An open invoice is not shown by the API, but takes a manual payment; Lago reports no payment status change then.
    const paidOpen = await pay({ invoice_id: open.lago_id, amount_cents: 10_000, reference: 'open' });
    assert.equal(paidOpen.statusCode, 200, paidOpen.body);
    const reported = await queryRows<{ object_id: string }>(
      t.database.db,
      sql`SELECT object_id FROM domain_events WHERE event_type = 'invoice.payment_status_updated' AND object_id IN (${invoice.lago_id}, ${open.lago_id})`,
    );
    assert.deepEqual(
      reported.map((r) => r.object_id),
      [invoice.lago_id],
    );
    const [row] = await queryRows<{ payment_status: string; total_paid_amount_cents: string }>(
      t.database.db,
      sql`SELECT payment_status, total_paid_amount_cents::text FROM invoices WHERE id = ${open.lago_id}`,
    );
    assert.deepEqual(row, { payment_status: 'succeeded', total_paid_amount_cents: '10000' });
  });

  // Lago's spec/services/payments/manual_create_service_spec.rb: a 100.00 invoice with 30.00 offset by a credit note.
  test('what a credit note offsets is not due: 70.00 is taken in two payments, the second pays the invoice', async () => {
    const { ok, invoice, pay } = await setup();
    const [fee] = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice.fees;
    await ok('POST', '/credit_notes', {
      credit_note: { invoice_id: invoice.lago_id, reason: 'other', offset_amount_cents: 3_000, items: [{ fee_id: fee.lago_id, amount_cents: 3_000 }] },
    });
    let current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.equal(current.total_due_amount_cents, 7_000);
    const over = await pay({ invoice_id: invoice.lago_id, amount_cents: 7_001, reference: 'too much' });
    assert.deepEqual(over.json(), invalid({ amount_cents: ['value_is_out_of_range'] }));
    assert.equal((await pay({ invoice_id: invoice.lago_id, amount_cents: 5_000, reference: 'first' })).statusCode, 200);
    current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.deepEqual([current.payment_status, current.total_paid_amount_cents, current.total_due_amount_cents], ['pending', 5_000, 2_000]);
    assert.equal((await pay({ invoice_id: invoice.lago_id, amount_cents: 2_000, reference: 'second' })).statusCode, 200);
    current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.deepEqual([current.payment_status, current.total_paid_amount_cents, current.total_due_amount_cents], ['succeeded', 7_000, 0]);
  });

  test('concurrent payments cannot together take more than is due', async () => {
    const { invoice, pay, ok } = await setup();
    const results = await Promise.all([1, 2, 3].map((n) => pay({ invoice_id: invoice.lago_id, amount_cents: 6_000, reference: `p${n}` })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 422, 422]);
    const current = (await ok('GET', `/invoices/${invoice.lago_id}`)).invoice;
    assert.equal(current.total_paid_amount_cents, 6_000);
    assert.equal(current.total_due_amount_cents, 4_000);
  });

  test('an unknown payment, or one of another organization, is not found', async () => {
    const { key, invoice, pay } = await setup();
    const made = (await pay({ invoice_id: invoice.lago_id, amount_cents: 100, reference: 'r' })).json().payment;
    const { key: otherKey } = await t.newOrganization({ name: 'Elsewhere' });
    const notFound = { status: 404, error: 'Not Found', code: 'payment_not_found' };
    for (const [apiKey, id] of [
      [otherKey, made.lago_id],
      [key, 'nope'],
      [key, '00000000-0000-4000-8000-000000000000'],
    ]) {
      const res = await t.request(apiKey, { method: 'GET', url: `/api/v1/payments/${id}` });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), notFound);
    }
    try {
      await t.client(otherKey).payments.findPayment(made.lago_id);
      assert.fail('expected a 404');
    } catch (error) {
      assert.equal(lagoError(error).status, 404);
    }
    const listed = await t.request(otherKey, { method: 'GET', url: '/api/v1/payments' });
    assert.deepEqual(listed.json().payments, []);
  });
});
