import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { story } from './story.ts';

type Json = Record<string, any>;

// Lago's two hourly reminders, driven by test clocks: an unpaid invoice past its due date becomes overdue, and a
// subscription with an end date is alerted 45 and 15 days before it. Each is sent once, dated when the live clock would
// have sent it, whatever the advances jump over.
describe('scenarios: payment overdue and termination alerts follow the clock', () => {
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

  /** A test-clock organization with an endpoint on the receiver, and what it records and receives. */
  const organization = async (clock: string) => {
    const s = await story(t, { clock });
    await s.call('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac' } });
    const organizationId = ((await s.call('GET', '/organizations')) as Json).organization.lago_id as string;
    const recorded = async (type: string) =>
      (
        await queryRows<{ object_id: string; occurred_at: Date | string }>(
          t.database.db,
          sql`SELECT object_id, occurred_at FROM domain_events WHERE organization_id = ${organizationId} AND event_type = ${type}
            ORDER BY occurred_at, id`,
        )
      ).map((r) => ({ objectId: r.object_id, at: new Date(r.occurred_at).toISOString() }));
    const received = async (type: string) => {
      await t.app.services.webhookDelivery.deliverDue();
      return receiver
        .delivered()
        .filter((r) => r.json.organization_id === organizationId && r.json.webhook_type === type)
        .map((r) => r.json as Json);
    };
    const invoice = async (id: string) => ((await s.call('GET', `/invoices/${id}`)) as Json).invoice as Json;
    return { s, organizationId, recorded, received, invoice };
  };

  test('an unpaid invoice is overdue from the day after its due date (UTC), once; a paid one never is', async () => {
    const { s, recorded, received, invoice } = await organization('2024-03-01T00:00:00Z');
    await s.plan({ code: 'pro', amount_cents: 1_000, pay_in_advance: true });
    await s.customer({ external_id: 'late', net_payment_term: 5 });
    await s.customer({ external_id: 'prompt', net_payment_term: 5 });
    await s.subscribe({ external_customer_id: 'late', plan_code: 'pro', external_id: 'late-sub' });
    await s.subscribe({ external_customer_id: 'prompt', plan_code: 'pro', external_id: 'prompt-sub' });
    const [late] = await s.invoices('late');
    const [prompt] = await s.invoices('prompt');
    assert.equal(late!.payment_due_date, '2024-03-06');
    assert.equal(prompt!.payment_due_date, '2024-03-06');
    await s.call('PUT', `/invoices/${prompt!.lago_id}`, { invoice: { payment_status: 'succeeded' } });

    // Due on the 6th: still not overdue at the last instant of that day.
    await s.advance('2024-03-06T23:59:59Z');
    assert.equal((await invoice(late!.lago_id)).payment_overdue, false);
    assert.deepEqual(await recorded('invoice.payment_overdue'), []);

    // Jumping over the 7th: marked as the hourly job would have marked it, at the first hour of the 7th.
    await s.advance('2024-03-10T12:00:00Z');
    const overdue = await invoice(late!.lago_id);
    assert.equal(overdue.payment_overdue, true);
    assert.equal(overdue.updated_at, '2024-03-07T00:00:00Z');
    assert.equal((await invoice(prompt!.lago_id)).payment_overdue, false);
    await s.advance('2024-03-12T00:00:00Z');
    assert.deepEqual(await recorded('invoice.payment_overdue'), [{ objectId: late!.lago_id, at: '2024-03-07T00:00:00.000Z' }]);

    const listed = (await s.call('GET', '/invoices?payment_overdue=true')) as Json;
    assert.deepEqual(listed.invoices.map((i: Json) => i.lago_id), [late!.lago_id]);
    const notListed = (await s.call('GET', '/invoices?payment_overdue=false')) as Json;
    assert.deepEqual(notListed.invoices.map((i: Json) => i.lago_id), [prompt!.lago_id]);

    const webhooks = await received('invoice.payment_overdue');
    assert.equal(webhooks.length, 1);
    assert.equal(webhooks[0]!.object_type, 'invoice');
    assert.equal(webhooks[0]!.invoice.lago_id, late!.lago_id);
    assert.equal(webhooks[0]!.invoice.payment_overdue, true);
    assert.equal(webhooks[0]!.invoice.customer.external_id, 'late');
    assert.equal(webhooks[0]!.invoice.fees.length, 1);
    assert.ok(Array.isArray(webhooks[0]!.invoice.applied_taxes));

    // Paying it ends the overdue state for good, with no new reminder.
    const paid = (await s.call('PUT', `/invoices/${late!.lago_id}`, { invoice: { payment_status: 'succeeded' } })) as Json;
    assert.equal(paid.invoice.payment_overdue, false);
    await s.advance('2024-03-20T00:00:00Z');
    assert.equal((await invoice(late!.lago_id)).payment_overdue, false);
    assert.equal((await recorded('invoice.payment_overdue')).length, 1);
    assert.equal((await received('invoice.payment_overdue')).length, 1);
  });

  test('a failed payment keeps an invoice due: with net_payment_term 0 it is overdue the next UTC day', async () => {
    const { s, recorded, invoice } = await organization('2024-05-01T00:00:00Z');
    await s.plan({ code: 'pro', amount_cents: 1_000, pay_in_advance: true });
    await s.customer({ external_id: 'c' });
    await s.subscribe({ external_customer_id: 'c', plan_code: 'pro', external_id: 'c-sub' });
    const [first] = await s.invoices('c');
    await s.call('PUT', `/invoices/${first!.lago_id}`, { invoice: { payment_status: 'failed' } });
    await s.advance('2024-05-01T23:00:00Z');
    assert.equal((await invoice(first!.lago_id)).payment_overdue, false);
    await s.advance('2024-05-02T00:00:00Z');
    assert.equal((await invoice(first!.lago_id)).payment_overdue, true);
    assert.deepEqual(await recorded('invoice.payment_overdue'), [{ objectId: first!.lago_id, at: '2024-05-02T00:00:00.000Z' }]);
  });

  test('a subscription ending in 60 days is alerted 45 and 15 days before, once each, across several advances', async () => {
    const { s, recorded, received } = await organization('2024-01-01T00:00:00Z');
    await s.plan({ code: 'pro', amount_cents: 1_000 });
    await s.customer({ external_id: 'acme' });
    const sub = await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'ends', ending_at: '2024-03-01T00:00:00Z' });
    // Its end date is set on the 20th, after the day 15 days before it: that alert is not sent late.
    const other = await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'set-late' });

    await s.advance('2024-01-10T00:00:00Z');
    assert.deepEqual(await recorded('subscription.termination_alert'), []);
    await s.advance('2024-01-20T00:00:00Z');
    await s.call('PUT', '/subscriptions/set-late', { subscription: { ending_at: '2024-01-30T00:00:00Z' } });
    await s.advance('2024-01-25T00:00:00Z');
    await s.advance('2024-02-20T00:00:00Z');
    await s.advance('2024-02-21T06:00:00Z');
    await s.advance('2024-03-05T00:00:00Z');

    assert.deepEqual(await recorded('subscription.termination_alert'), [
      { objectId: sub.lago_id, at: '2024-01-16T00:00:00.000Z' },
      { objectId: sub.lago_id, at: '2024-02-15T00:00:00.000Z' },
    ]);
    assert.equal((await recorded('subscription.terminated')).filter((e) => e.objectId === other.lago_id).length, 1);

    const alerts = await received('subscription.termination_alert');
    assert.equal(alerts.length, 2);
    for (const alert of alerts) {
      assert.deepEqual(Object.keys(alert), ['webhook_type', 'object_type', 'organization_id', 'subscription']);
      assert.equal(alert.object_type, 'subscription');
      assert.equal(alert.subscription.lago_id, sub.lago_id);
      // Sent while it was still active, before it ended on March 1st.
      assert.equal(alert.subscription.status, 'active');
      assert.equal(alert.subscription.ending_at, '2024-03-01T00:00:00Z');
      assert.equal(alert.subscription.plan.code, 'pro');
      assert.equal(alert.subscription.customer.external_id, 'acme');
      assert.equal('entitlements' in alert.subscription, false);
    }
  });

  test('runners at once (two processes, say) report each reminder once', async () => {
    const { s, organizationId, recorded } = await organization('2024-06-01T00:00:00Z');
    await s.plan({ code: 'pro', amount_cents: 1_000, pay_in_advance: true });
    await s.customer({ external_id: 'c' });
    const sub = await s.subscribe({ external_customer_id: 'c', plan_code: 'pro', external_id: 'c-sub', ending_at: '2024-06-20T00:00:00Z' });
    const [first] = await s.invoices('c');
    const upTo = Temporal.Instant.from('2024-06-10T00:00:00Z');
    const billing = t.app.services.billing;
    await Promise.all([0, 1, 2, 3].map(() => billing.runDue(organizationId, upTo)));
    await s.advance('2024-06-10T00:00:00Z');
    assert.deepEqual(await recorded('invoice.payment_overdue'), [{ objectId: first!.lago_id, at: '2024-06-02T00:00:00.000Z' }]);
    assert.deepEqual(await recorded('subscription.termination_alert'), [{ objectId: sub.lago_id, at: '2024-06-05T00:00:00.000Z' }]);
  });

  test('the live clock sends them for organizations without a test clock, stamped with the real time', async () => {
    const { key, id: organizationId } = await t.newOrganization();
    const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<Json> => {
      const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload && { payload }) });
      assert.ok(res.statusCode < 300, `${method} ${url} answered ${res.statusCode}: ${res.body}`);
      return res.json() as Json;
    };
    await call('POST', '/plans', { plan: { name: 'Pro', code: 'pro', interval: 'monthly', amount_cents: 1_000, amount_currency: 'EUR', pay_in_advance: true } });
    await call('POST', '/customers', { customer: { external_id: 'live' } });
    const today = Temporal.Now.plainDateISO('UTC');
    const sub = (
      await call('POST', '/subscriptions', {
        subscription: { external_customer_id: 'live', plan_code: 'pro', external_id: 'live-sub', ending_at: `${today.add({ days: 15 })}T12:00:00Z` },
      })
    ).subscription as Json;
    const invoiceId = ((await call('GET', '/invoices')).invoices as Json[])[0]!.lago_id as string;
    // As if they were made yesterday: the invoice was due then, and the subscription has had this end date since.
    const yesterday = today.subtract({ days: 1 });
    await t.database.db.execute(
      sql`UPDATE invoices SET payment_due_date = ${yesterday.toString()}::date, finalized_at = ${`${yesterday}T00:00:00Z`}::timestamptz WHERE id = ${invoiceId}`,
    );
    await t.database.db.execute(
      sql`UPDATE subscriptions SET started_at = ${`${yesterday}T00:00:00Z`}::timestamptz, updated_at = ${`${yesterday}T00:00:00Z`}::timestamptz WHERE id = ${sub.lago_id}`,
    );

    const before = Date.now();
    await t.app.services.billing.runLive();
    await t.app.services.billing.runLive();
    const after = Date.now();
    assert.equal(((await call('GET', `/invoices/${invoiceId}`)).invoice as Json).payment_overdue, true);
    const rows = await queryRows<{ event_type: string; object_id: string; occurred_at: Date | string }>(
      t.database.db,
      sql`SELECT event_type, object_id, occurred_at FROM domain_events WHERE organization_id = ${organizationId}
        AND event_type IN ('invoice.payment_overdue', 'subscription.termination_alert') ORDER BY event_type`,
    );
    assert.deepEqual(
      rows.map((r) => [r.event_type, r.object_id]),
      [
        ['invoice.payment_overdue', invoiceId],
        ['subscription.termination_alert', sub.lago_id],
      ],
    );
    for (const row of rows) {
      const at = new Date(row.occurred_at).getTime();
      assert.ok(at >= before && at <= after, `${row.event_type} stamped with the real time`);
    }
  });

  test('one advance over the whole life: both alerts while active, then the end; a start on the alert day is alerted that day', async () => {
    const { s, recorded } = await organization('2024-01-16T10:30:00Z');
    await s.plan({ code: 'pro', amount_cents: 1_000 });
    await s.customer({ external_id: 'acme' });
    const sub = await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'ends', ending_at: '2024-03-01T00:00:00Z' });
    // Its alert days were before it started: none is sent.
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'short', ending_at: '2024-01-26T00:00:00Z' });
    await s.advance('2024-04-01T00:00:00Z');
    assert.deepEqual(await recorded('subscription.termination_alert'), [
      { objectId: sub.lago_id, at: '2024-01-16T11:00:00.000Z' },
      { objectId: sub.lago_id, at: '2024-02-15T00:00:00.000Z' },
    ]);
    const terminated = await recorded('subscription.terminated');
    assert.deepEqual(
      terminated.filter((e) => e.objectId === sub.lago_id).map((e) => e.at),
      ['2024-03-01T00:00:00.000Z'],
    );
  });
});
