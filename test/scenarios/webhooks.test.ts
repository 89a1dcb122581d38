import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { story } from './story.ts';

type Json = Record<string, any>;

// A customer's life on a test clock with an endpoint listening: what the receiver gets, in order, and what each
// webhook shows (the object as the change committed, with Lago's includes for its type).
describe('scenarios: webhooks report a subscription life as it happens', () => {
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

  test('plans, customer, start, trial end, draft, upgrade, finalization, termination: each reported once, in order', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const { received: mine } = await s.listen(receiver);
    const deliver = () => t.app.services.webhookDelivery.deliverDue();

    await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'big', amount_cents: 3_100, trial_period: 5 });
    await s.plan({ code: 'small', amount_cents: 1_000 });
    await s.customer({ external_id: 'acme', billing_configuration: { invoice_grace_period: 1 } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'big', external_id: 'sub' });
    await s.advance('2024-02-01T12:00:00Z');
    await deliver();
    // The draft as it was drafted, although the invoice is refreshed and finalized later.
    const drafted = mine().find((w) => w.webhook_type === 'invoice.drafted')!;
    assert.equal(drafted.invoice.status, 'draft');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'small', external_id: 'sub' });
    await s.advance('2024-02-03T00:00:00Z');
    await s.terminate('sub');
    await deliver();

    assert.deepEqual(
      mine().map((w) => w.webhook_type),
      [
        'billable_metric.created',
        'plan.created',
        'plan.created',
        'customer.created',
        'subscription.started',
        'subscription.trial_ended',
        'invoice.drafted',
        'subscription.updated',
        'invoice.created',
        // Due the day it was finalized (net_payment_term 0) and unpaid when the clock reaches the next day.
        'invoice.payment_overdue',
        'subscription.terminated',
        'invoice.drafted',
      ],
    );
    for (const w of mine()) {
      assert.deepEqual(Object.keys(w), ['webhook_type', 'object_type', 'organization_id', w.object_type]);
      assert.equal(w.webhook_type.split('.')[0], w.object_type);
    }

    const started = mine().find((w) => w.webhook_type === 'subscription.started')!.subscription;
    assert.equal(started.external_id, 'sub');
    assert.equal(started.status, 'active');
    assert.equal(started.plan.code, 'big');
    assert.equal(started.customer.external_id, 'acme');
    assert.equal('taxes' in started.customer, false);
    assert.deepEqual(started.entitlements, []);
    const terminated = mine().find((w) => w.webhook_type === 'subscription.terminated')!.subscription;
    assert.equal(terminated.status, 'terminated');
    assert.equal('entitlements' in terminated, false);

    // invoice.created: the invoice as GET /invoices/{id} shows it, with Lago's includes for that webhook.
    const created = mine().find((w) => w.webhook_type === 'invoice.created')!.invoice;
    const shown = ((await s.call('GET', `/invoices/${created.lago_id}`)) as Json).invoice;
    assert.equal(created.status, 'finalized');
    assert.equal(created.number, shown.number);
    assert.equal(created.total_amount_cents, shown.total_amount_cents);
    assert.deepEqual(created.fees, shown.fees);
    // The subscriptions as they were when the invoice was finalized (terminated since).
    assert.deepEqual(created.subscriptions.map((x: Json) => [x.lago_id, x.status]), shown.subscriptions.map((x: Json) => [x.lago_id, 'active']));
    for (const part of ['customer', 'subscriptions', 'billing_periods', 'fees', 'credits', 'applied_taxes', 'applied_invoice_custom_sections']) {
      assert.ok(part in created, `invoice.created shows ${part}`);
    }
    assert.equal('metadata' in created, false);
    assert.equal('error_details' in created, false);
    assert.ok('error_details' in drafted.invoice);

    const plan = mine().find((w) => w.webhook_type === 'plan.created')!.plan;
    assert.equal('fixed_charges' in plan, false);
    assert.deepEqual(plan.entitlements, []);
  });

  test('deleting a plan and a metric reports them as deleted; voiding and paying an invoice report it', async () => {
    const s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    const { received: mine } = await s.listen(receiver, { webhook_url: `${receiver.url}/two`, signature_algo: 'jwt' });

    await s.metric({ code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' });
    await s.call('PUT', '/billable_metrics/gb', { billable_metric: { name: 'Gigabytes' } });
    await s.plan({ code: 'pro', amount_cents: 2_000, pay_in_advance: true });
    await s.call('PUT', '/plans/pro', { plan: { name: 'Pro plan' } });
    await s.customer({ external_id: 'zed' });
    await s.customer({ external_id: 'zed', name: 'Zed' });
    await s.subscribe({ external_customer_id: 'zed', plan_code: 'pro', external_id: 'zed-sub' });
    const [invoice] = (await s.invoices('zed')) as unknown as Json[];
    await s.call('PUT', `/invoices/${invoice!.lago_id}`, { invoice: { payment_status: 'failed' } });
    await s.call('POST', `/invoices/${invoice!.lago_id}/void`);
    await s.call('DELETE', '/plans/pro');
    await s.call('DELETE', '/billable_metrics/gb');
    await t.app.services.webhookDelivery.deliverDue();

    const types = mine().map((w) => w.webhook_type);
    assert.deepEqual(types, [
      'billable_metric.created',
      'billable_metric.updated',
      'plan.created',
      'plan.updated',
      'customer.created',
      'customer.updated',
      'subscription.started',
      'invoice.created',
      'invoice.payment_status_updated',
      'invoice.voided',
      'subscription.terminated',
      'invoice.created',
      'plan.deleted',
      'billable_metric.deleted',
    ]);
    const byType = (type: string) => mine().find((w) => w.webhook_type === type)!;
    assert.equal(byType('billable_metric.updated').billable_metric.name, 'Gigabytes');
    assert.equal(byType('plan.updated').plan.name, 'Pro plan');
    assert.equal(byType('customer.updated').customer.name, 'Zed');
    assert.equal(byType('invoice.payment_status_updated').invoice.payment_status, 'failed');
    assert.deepEqual(Object.keys(byType('invoice.payment_status_updated').invoice).filter((k) => ['customer', 'fees', 'credits', 'subscriptions'].includes(k)), ['customer', 'fees']);
    assert.equal(byType('invoice.voided').invoice.status, 'voided');
    assert.equal(byType('plan.deleted').plan.code, 'pro');
    assert.equal('entitlements' in byType('plan.deleted').plan, false);
    assert.equal(byType('billable_metric.deleted').billable_metric.code, 'gb');
  });
});
