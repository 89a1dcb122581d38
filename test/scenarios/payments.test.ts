import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { story } from './story.ts';

type Json = Record<string, any>;

// A customer who pays late: a monthly invoice becomes overdue, a first transfer covers part of it (it stays overdue),
// the second pays it off. Two later invoices go overdue too, and the customer is asked to pay both at once.
describe('scenarios: manual payments and payment requests over overdue invoices', () => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    t = await startTestApp();
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  test('overdue, partly paid (still overdue), paid off; then a payment request over two overdue invoices', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const { received } = await s.listen(receiver);
    const webhooks = async (type: string) => {
      await t.app.services.webhookDelivery.deliverDue();
      return received().filter((w) => w.webhook_type === type);
    };
    const invoice = async (id: string) => (await s.call<{ invoice: Json }>('GET', `/invoices/${id}`)).invoice;
    const pay = (invoiceId: string, amount: number, reference: string, paidAt?: string) =>
      s.call<{ payment: Json }>('POST', '/payments', { payment: { invoice_id: invoiceId, amount_cents: amount, reference, ...(paidAt && { paid_at: paidAt }) } });

    await s.plan({ code: 'pro', amount_cents: 10_000 });
    await s.customer({ external_id: 'acme', name: 'Acme', email: 'ap@acme.test', net_payment_term: 15 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'acme-pro' });

    // January is billed on February 1st, due on the 16th, overdue from the 17th.
    await s.advance('2024-02-01T01:00:00Z');
    const [january] = await s.invoices('acme');
    assert.equal(january!.total_amount_cents, 10_000);
    assert.equal(january!.payment_due_date, '2024-02-16');
    await s.advance('2024-02-17T12:00:00Z');
    assert.equal((await invoice(january!.lago_id)).payment_overdue, true);
    assert.equal((await webhooks('invoice.payment_overdue')).length, 1);

    // A first transfer of 40.00: 60.00 left, still pending and overdue, nothing reported.
    await pay(january!.lago_id, 4_000, 'TRF-001', '2024-02-18');
    let current = await invoice(january!.lago_id);
    assert.deepEqual(
      [current.payment_status, current.payment_overdue, current.total_paid_amount_cents, current.total_due_amount_cents],
      ['pending', true, 4_000, 6_000],
    );
    assert.deepEqual(await webhooks('invoice.payment_status_updated'), []);

    // The clock moves on: a partly paid invoice stays overdue, and is not reported overdue twice.
    await s.advance('2024-02-25T00:00:00Z');
    assert.equal((await invoice(january!.lago_id)).payment_overdue, true);
    assert.equal((await webhooks('invoice.payment_overdue')).length, 1);

    // The rest pays it off: paid, nothing due, no longer overdue, reported once with its fees paid.
    await pay(january!.lago_id, 6_000, 'TRF-002');
    current = await invoice(january!.lago_id);
    assert.deepEqual(
      [current.payment_status, current.payment_overdue, current.total_paid_amount_cents, current.total_due_amount_cents],
      ['succeeded', false, 10_000, 0],
    );
    const updated = await webhooks('invoice.payment_status_updated');
    assert.equal(updated.length, 1);
    assert.equal(updated[0]!.invoice.lago_id, january!.lago_id);
    assert.equal(updated[0]!.invoice.payment_status, 'succeeded');
    assert.equal(updated[0]!.invoice.payment_overdue, false);
    assert.equal(updated[0]!.invoice.total_due_amount_cents, 0);
    assert.deepEqual(
      updated[0]!.invoice.fees.map((f: Json) => f.payment_status),
      ['succeeded'],
    );
    const payments = (await s.call<{ payments: Json[] }>('GET', `/payments?invoice_id=${january!.lago_id}`)).payments;
    assert.deepEqual(
      payments.map((p) => [p.reference, p.amount_cents, p.created_at]),
      [
        ['TRF-002', 6_000, '2024-02-25T00:00:00Z'],
        ['TRF-001', 4_000, '2024-02-18T00:00:00Z'],
      ],
    );

    // February (due March 16th) and March (due April 16th) both go unpaid.
    await s.advance('2024-04-20T00:00:00Z');
    const [, february, march] = await s.invoices('acme');
    for (const late of [february!, march!]) assert.equal((await invoice(late.lago_id)).payment_overdue, true);
    assert.equal((await webhooks('invoice.payment_overdue')).length, 3);

    const { payment_request: request } = await s.call<{ payment_request: Json }>('POST', '/payment_requests', {
      payment_request: { external_customer_id: 'acme', lago_invoice_ids: [february!.lago_id, march!.lago_id] },
    });
    assert.equal(request.amount_cents, 20_000);
    assert.equal(request.email, 'ap@acme.test');
    assert.equal(request.payment_status, 'pending');
    const created = await webhooks('payment_request.created');
    assert.equal(created.length, 1);
    assert.equal(created[0]!.object_type, 'payment_request');
    assert.deepEqual(created[0]!.payment_request, request);
    assert.deepEqual(
      created[0]!.payment_request.invoices.map((i: Json) => [i.lago_id, i.payment_overdue, i.total_due_amount_cents]).sort(),
      [
        [february!.lago_id, true, 10_000],
        [march!.lago_id, true, 10_000],
      ].sort(),
    );

    // The customer pays both invoices: each is paid and no longer overdue; the request itself is not charged by
    // anyone (no payment provider) and stays pending, as in Lago.
    await pay(february!.lago_id, 10_000, 'TRF-003');
    await pay(march!.lago_id, 10_000, 'TRF-004');
    const after = (await s.call<{ payment_request: Json }>('GET', `/payment_requests/${request.lago_id}`)).payment_request;
    assert.equal(after.payment_status, 'pending');
    assert.deepEqual(
      after.invoices.map((i: Json) => [i.payment_status, i.payment_overdue, i.total_due_amount_cents]),
      [
        ['succeeded', false, 0],
        ['succeeded', false, 0],
      ],
    );
    assert.equal((await webhooks('invoice.payment_status_updated')).length, 3);
    assert.equal((await s.call<{ payments: Json[] }>('GET', '/customers/acme/payments')).payments.length, 4);
  });
});
