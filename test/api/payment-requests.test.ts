import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

type Json = Record<string, any>;

const PAYMENT_REQUEST_KEYS = ['lago_id', 'amount_cents', 'amount_currency', 'email', 'payment_status', 'created_at', 'customer', 'invoices'];

describe('payment requests (dunning over overdue invoices)', () => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    t = await startTestApp({ listen: true });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  /**
   * A test-clock organization whose customer `acme` has three one-off invoices of 100.00 EUR issued on March 1st and due
   * the same day, and `other` one: all overdue once the clock reaches March 3rd. `fresh` is issued then, not overdue.
   */
  const setup = async (name = 'Dunning') => {
    const { key, id: organizationId } = await t.newOrganization({ name, testClock: '2024-03-01T10:00:00Z' });
    const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      t.request(key, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<Json> => {
      const res = await call(method, url, payload);
      assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
      return res.json();
    };
    await ok('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac', event_types: ['payment_request.created'] } });
    await ok('POST', '/add_ons', { add_on: { name: 'Setup', code: 'setup', amount_cents: 10_000, amount_currency: 'EUR' } });
    await ok('POST', '/customers', { customer: { external_id: 'acme', name: 'Acme', email: 'billing@acme.test', currency: 'EUR' } });
    await ok('POST', '/customers', { customer: { external_id: 'other', name: 'Other', currency: 'EUR' } });
    const newInvoice = async (customer = 'acme'): Promise<Json> =>
      (await ok('POST', '/invoices', { invoice: { external_customer_id: customer, fees: [{ add_on_code: 'setup', units: 1 }] } })).invoice;
    const [a, b, c, theirs] = [await newInvoice(), await newInvoice(), await newInvoice(), await newInvoice('other')];
    await ok('POST', '/test_clock/advance', { test_clock: { frozen_time: '2024-03-03T00:00:00Z' } });
    for (const i of [a, b, c, theirs]) assert.equal((await ok('GET', `/invoices/${i!.lago_id}`)).invoice.payment_overdue, true);
    const fresh = await newInvoice();
    const request = (fields: Record<string, unknown>) => call('POST', '/payment_requests', { payment_request: fields });
    const received = async () => {
      await t.app.services.webhookDelivery.deliverDue();
      return receiver.delivered().filter((r) => r.json.organization_id === organizationId).map((r) => r.json as Json);
    };
    return { key, organizationId, call, ok, a: a!, b: b!, c: c!, theirs: theirs!, fresh, request, received };
  };

  test('a request over two overdue invoices, through the Lago client: what is left to pay, the customer, the invoices, a webhook', async () => {
    const { key, ok, a, b, received } = await setup();
    // Part of one invoice is already paid: the request asks for the rest.
    await ok('POST', '/payments', { payment: { invoice_id: b.lago_id, amount_cents: 2_500, reference: 'part' } });
    const client = t.client(key);
    const made = (await client.paymentRequests.createPaymentRequest({ payment_request: { external_customer_id: 'acme', email: ' dunning@acme.test ', lago_invoice_ids: [b.lago_id, a.lago_id] } }))
      .data.payment_request as Json;
    assert.deepEqual(Object.keys(made), PAYMENT_REQUEST_KEYS);
    assert.equal(made.amount_cents, 17_500);
    assert.equal(made.amount_currency, 'EUR');
    assert.equal(made.email, 'dunning@acme.test');
    assert.equal(made.payment_status, 'pending');
    assert.equal(made.created_at, '2024-03-03T00:00:00Z');
    // Lago prints the customer and invoices without their own includes.
    assert.equal(made.customer.external_id, 'acme');
    assert.equal('taxes' in made.customer, false);
    assert.equal('integration_customers' in made.customer, false);
    assert.deepEqual(made.invoices.map((i: Json) => i.lago_id).sort(), [a.lago_id, b.lago_id].sort());
    for (const invoice of made.invoices) {
      assert.equal(invoice.payment_overdue, true);
      for (const part of ['customer', 'metadata', 'applied_taxes', 'fees']) assert.equal(part in invoice, false);
    }
    assert.equal(made.invoices.find((i: Json) => i.lago_id === b.lago_id).total_due_amount_cents, 7_500);

    assert.deepEqual(((await client.paymentRequests.findPaymentRequest(made.lago_id)).data as Json).payment_request, made);
    const listed = (await client.paymentRequests.findAllPaymentRequests()).data as Json;
    assert.deepEqual(listed.payment_requests, [made]);
    assert.deepEqual(listed.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 1 });
    assert.deepEqual(((await client.customers.findAllCustomerPaymentRequests('acme')).data as Json).payment_requests, [made]);

    const webhooks = await received();
    assert.equal(webhooks.length, 1);
    assert.deepEqual(webhooks[0], { webhook_type: 'payment_request.created', object_type: 'payment_request', organization_id: webhooks[0]!.organization_id, payment_request: made });
  });

  test('without an email the request goes to the customer', async () => {
    const { ok, c } = await setup();
    const made = (await ok('POST', '/payment_requests', { payment_request: { external_customer_id: 'acme', lago_invoice_ids: [c.lago_id] } })).payment_request;
    assert.equal(made.email, 'billing@acme.test');
    assert.equal(made.amount_cents, 10_000);
  });

  test("Lago's refusals: unknown customer, no invoice of the customer, an invoice not overdue, two currencies", async () => {
    const { call, a, c, theirs, fresh, request, received } = await setup();
    const expect = async (fields: Record<string, unknown> | undefined, status: number, body: unknown) => {
      const res = await call('POST', '/payment_requests', fields === undefined ? {} : { payment_request: fields });
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), body);
    };
    await expect(undefined, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: payment_request' });
    const customerNotFound = { status: 404, error: 'Not Found', code: 'customer_not_found' };
    await expect({ external_customer_id: 'nobody', lago_invoice_ids: [a.lago_id] }, 404, customerNotFound);
    await expect({ lago_invoice_ids: [a.lago_id] }, 404, customerNotFound);
    const invoiceNotFound = { status: 404, error: 'Not Found', code: 'invoice_not_found' };
    await expect({ external_customer_id: 'acme' }, 404, invoiceNotFound);
    await expect({ external_customer_id: 'acme', lago_invoice_ids: [] }, 404, invoiceNotFound);
    await expect({ external_customer_id: 'acme', lago_invoice_ids: a.lago_id }, 404, invoiceNotFound);
    await expect({ external_customer_id: 'acme', lago_invoice_ids: ['nope', theirs.lago_id] }, 404, invoiceNotFound);
    const notAllowed = (code: string) => ({ status: 405, error: 'Method Not Allowed', code });
    await expect({ external_customer_id: 'acme', lago_invoice_ids: [a.lago_id, fresh.lago_id] }, 405, notAllowed('invoices_not_overdue'));

    // Another customer's invoice among the customer's own is left out, as Lago leaves it out.
    const res = await request({ external_customer_id: 'acme', lago_invoice_ids: [a.lago_id, theirs.lago_id, 'nope', a.lago_id] });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().payment_request.invoices.map((i: Json) => i.lago_id), [a.lago_id]);

    // Billow refuses a second currency for a customer; an invoice in another one is forced here to reach Lago's check.
    await t.database.db.execute(sql`UPDATE invoices SET currency = 'USD' WHERE id = ${c.lago_id}`);
    await expect({ external_customer_id: 'acme', lago_invoice_ids: [a.lago_id, c.lago_id] }, 405, notAllowed('invoices_have_different_currencies'));
    assert.equal((await received()).length, 1);
  });

  test('list filters: customer, payment status, currency, billing entity; one request by id', async () => {
    const { ok, call, a, theirs } = await setup();
    const mine = (await ok('POST', '/payment_requests', { payment_request: { external_customer_id: 'acme', lago_invoice_ids: [a.lago_id] } })).payment_request;
    await ok('POST', '/test_clock/advance', { test_clock: { frozen_time: '2024-03-04T00:00:00Z' } });
    const theirRequest = (await ok('POST', '/payment_requests', { payment_request: { external_customer_id: 'other', lago_invoice_ids: [theirs.lago_id] } }))
      .payment_request;
    const ids = async (query: string) => (await ok('GET', `/payment_requests${query}`)).payment_requests.map((r: Json) => r.lago_id);
    assert.deepEqual(await ids(''), [theirRequest.lago_id, mine.lago_id]);
    assert.deepEqual(await ids('?external_customer_id=acme'), [mine.lago_id]);
    assert.deepEqual(await ids('?external_customer_id=nobody'), []);
    assert.deepEqual(await ids('?payment_status=pending'), [theirRequest.lago_id, mine.lago_id]);
    assert.deepEqual(await ids('?payment_status=succeeded'), []);
    assert.deepEqual(await ids('?currency=EUR&per_page=1&page=2'), [mine.lago_id]);
    assert.deepEqual(await ids('?currency=USD'), []);
    assert.deepEqual(await ids('?billing_entity_codes[]=dunning'), [theirRequest.lago_id, mine.lago_id]);
    assert.deepEqual(await ids('?payment_status=pending'), [theirRequest.lago_id, mine.lago_id]);
    assert.deepEqual((await ok('GET', '/customers/other/payment_requests')).payment_requests.map((r: Json) => r.lago_id), [theirRequest.lago_id]);

    const notFound = async (url: string, code: string) => {
      const res = await call('GET', url);
      assert.equal(res.statusCode, 404, res.body);
      assert.deepEqual(res.json(), { status: 404, error: 'Not Found', code });
    };
    await notFound('/payment_requests?billing_entity_codes[]=dunning&billing_entity_codes[]=bogus', 'billing_entity_not_found');
    await notFound('/customers/nobody/payment_requests', 'customer_not_found');
    await notFound('/payment_requests/nope', 'payment_request_not_found');
    await notFound('/payment_requests/00000000-0000-4000-8000-000000000000', 'payment_request_not_found');
    const { key: otherKey } = await t.newOrganization({ name: 'Elsewhere' });
    try {
      await t.client(otherKey).paymentRequests.findPaymentRequest(mine.lago_id);
      assert.fail('expected a 404');
    } catch (error) {
      assert.equal(lagoError(error).status, 404);
    }
  });

  test('paying the invoices of a request one by one pays them; the request itself stays pending, as Lago without a provider', async () => {
    const { ok, call, a, b } = await setup();
    const made = (await ok('POST', '/payment_requests', { payment_request: { external_customer_id: 'acme', lago_invoice_ids: [a.lago_id, b.lago_id] } })).payment_request;
    for (const invoice of [a, b]) await ok('POST', '/payments', { payment: { invoice_id: invoice.lago_id, amount_cents: 10_000, reference: `pay ${invoice.number}` } });
    const after = (await ok('GET', `/payment_requests/${made.lago_id}`)).payment_request;
    assert.equal(after.payment_status, 'pending');
    assert.equal(after.amount_cents, 20_000);
    for (const invoice of after.invoices) {
      assert.equal(invoice.payment_status, 'succeeded');
      assert.equal(invoice.payment_overdue, false);
      assert.equal(invoice.total_due_amount_cents, 0);
    }
    // Paid, they are no longer overdue: they cannot be requested again.
    const again = await call('POST', '/payment_requests', { payment_request: { external_customer_id: 'acme', lago_invoice_ids: [a.lago_id] } });
    assert.equal(again.statusCode, 405);
    assert.equal(again.json().code, 'invoices_not_overdue');
  });
});
