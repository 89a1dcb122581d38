import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../src/db/database.ts';
import { queryRows } from '../../src/db/query.ts';
import { frozenClock } from '../../src/lib/clock.ts';
import type { EventRow } from '../../src/modules/events/repository.ts';
import { createProgressiveIngestListener } from '../../src/modules/progressive-billing/ingest-listener.ts';
import { invalidateWatch, peekWatch } from '../../src/modules/progressive-billing/watch-cache.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

const NOW = '2024-03-10T10:00:00Z';

interface SubscriptionJson {
  lago_id: string;
  plan_code: string;
  progressive_billing_disabled: boolean;
  applicable_usage_thresholds: { threshold_display_name: string | null; amount_cents: number; recurring: boolean }[];
  plan: { lago_id: string; parent_id?: string | null; usage_thresholds: { amount_cents: number }[] };
}

describe('progressive billing API', () => {
  let t: TestApp;
  let key: string;
  let organizationId: string;

  const call = async <T = Record<string, any>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, as = key) => {
    const res = await t.request(as, { method, url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as T };
  };
  const ok = async <T = Record<string, any>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
    const res = await call<T>(method, url, payload);
    assert.ok(res.status < 300, `${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const subscribe = async (externalId: string, extra: Record<string, unknown> = {}, plan = 'metered') =>
    (await ok<{ subscription: SubscriptionJson }>('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: plan, external_id: externalId, ...extra } }))
      .subscription;
  const event = (sub: string, total: number, id: string) =>
    call('POST', '/events', { event: { transaction_id: id, external_subscription_id: sub, code: 'total', timestamp: Date.parse(NOW) / 1000, properties: { total } } });

  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: organizationId } = await t.newOrganization({ testClock: NOW }));
    const metric = await ok('POST', '/billable_metrics', { billable_metric: { name: 'Total', code: 'total', aggregation_type: 'sum_agg', field_name: 'total' } });
    const charges = [{ billable_metric_id: metric.billable_metric.lago_id, charge_model: 'standard', properties: { amount: '0.01' } }]; // a unit is a cent
    await ok('POST', '/plans', {
      plan: { name: 'Metered', code: 'metered', interval: 'monthly', amount_cents: 1_000, amount_currency: 'EUR', pay_in_advance: false, charges, usage_thresholds: [{ amount_cents: 5_000 }] },
    });
    await ok('POST', '/plans', { plan: { name: 'Plain', code: 'plain', interval: 'monthly', amount_cents: 1_000, amount_currency: 'EUR', pay_in_advance: false, charges } });
  });
  after(() => t.close());

  test('usage_thresholds on the subscription replace the plan\'s; [] gives them back; progressive_billing_disabled leaves none', async () => {
    const created = await subscribe('own', { usage_thresholds: [{ amount_cents: 300, threshold_display_name: 'Small' }, { amount_cents: 1_000, recurring: true }] });
    assert.deepEqual(created.applicable_usage_thresholds, [
      { threshold_display_name: null, amount_cents: 1_000, recurring: true },
      { threshold_display_name: 'Small', amount_cents: 300, recurring: false },
    ]);
    assert.deepEqual(created.plan.usage_thresholds.map((x) => x.amount_cents), [5_000], 'the plan keeps its own');
    const shown = (await ok<{ subscription: SubscriptionJson }>('GET', '/subscriptions/own')).subscription;
    assert.deepEqual(shown.applicable_usage_thresholds, created.applicable_usage_thresholds);

    const cleared = (await ok<{ subscription: SubscriptionJson }>('PUT', '/subscriptions/own', { subscription: { usage_thresholds: [] } })).subscription;
    assert.deepEqual(cleared.applicable_usage_thresholds, [{ threshold_display_name: null, amount_cents: 5_000, recurring: false }]);

    const disabled = (await ok<{ subscription: SubscriptionJson }>('PUT', '/subscriptions/own', { subscription: { progressive_billing_disabled: true } })).subscription;
    assert.equal(disabled.progressive_billing_disabled, true);
    assert.deepEqual(disabled.applicable_usage_thresholds, []);
    const listed = await ok<{ subscriptions: { external_id: string; progressive_billing_disabled: boolean }[] }>('GET', '/subscriptions?external_customer_id=acme');
    assert.equal(listed.subscriptions.find((s) => s.external_id === 'own')?.progressive_billing_disabled, true);
  });

  test('plan_overrides.usage_thresholds on update make the subscription an override plan with them', async () => {
    const sub = await subscribe('overridden', {}, 'plain');
    assert.deepEqual(sub.applicable_usage_thresholds, []);
    const updated = (await ok<{ subscription: SubscriptionJson }>('PUT', '/subscriptions/overridden', { subscription: { plan_overrides: { usage_thresholds: [{ amount_cents: 700 }] } } }))
      .subscription;
    assert.notEqual(updated.plan.lago_id, sub.plan.lago_id);
    assert.deepEqual(updated.plan.usage_thresholds.map((x) => x.amount_cents), [700]);
    assert.deepEqual(updated.applicable_usage_thresholds, [{ threshold_display_name: null, amount_cents: 700, recurring: false }]);
    // Again: the override plan's thresholds are replaced.
    const again = (await ok<{ subscription: SubscriptionJson }>('PUT', '/subscriptions/overridden', { subscription: { plan_overrides: { usage_thresholds: [{ amount_cents: 900 }] } } }))
      .subscription;
    assert.equal(again.plan.lago_id, updated.plan.lago_id);
    assert.deepEqual(again.applicable_usage_thresholds.map((x) => x.amount_cents), [900]);
    // Thresholds set on the subscription then delete the override plan's, as Lago does.
    const own = (await ok<{ subscription: SubscriptionJson }>('PUT', '/subscriptions/overridden', { subscription: { usage_thresholds: [{ amount_cents: 1_100 }] } })).subscription;
    assert.deepEqual(own.plan.usage_thresholds, []);
    assert.deepEqual(own.applicable_usage_thresholds.map((x) => x.amount_cents), [1_100]);
  });

  test('bad thresholds are refused with Lago\'s errors, on create and update', async () => {
    const both = { usage_thresholds: [{ amount_cents: 100 }], plan_overrides: { usage_thresholds: [{ amount_cents: 200 }] } };
    const incompatible = { 'plan_overrides.usage_thresholds': ['incompatible_params'], usage_thresholds: ['incompatible_params'] };
    let res = await call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'plain', external_id: 'bad', ...both } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.error_details, incompatible);
    await subscribe('fine', {}, 'plain');
    res = await call('PUT', '/subscriptions/fine', { subscription: both });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.error_details, incompatible);
    for (const [list, details] of [
      [[{ amount_cents: 10 }, { amount_cents: 10 }], { usage_thresholds: ['duplicated_values'] }],
      [[{ threshold_display_name: 'x' }], { usage_thresholds: ['missing_amount_cents'] }],
      [[{ amount_cents: 10, recurring: true }, { amount_cents: 20, recurring: true }], { usage_thresholds: ['multiple_recurring_thresholds'] }],
      [[{ amount_cents: 0 }], { amount_cents: ['value_is_out_of_range'] }],
    ] as const) {
      res = await call('PUT', '/subscriptions/fine', { subscription: { usage_thresholds: list } });
      assert.equal(res.status, 422, JSON.stringify(list));
      assert.deepEqual(res.body.error_details, details);
      res = await call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'plain', external_id: 'bad2', usage_thresholds: list } });
      assert.equal(res.status, 422);
      assert.deepEqual(res.body.error_details, details);
    }
    // Nothing of the refused creations was kept.
    assert.equal((await call('GET', '/subscriptions/bad2')).status, 404);
  });

  test('GET and PUT lifetime_usage through the Lago client; errors as Lago answers them', async () => {
    await subscribe('lifetime');
    const client = t.client(key);
    const read = (await client.subscriptions.getSubscriptionLifetimeUsage('lifetime')).data.lifetime_usage;
    assert.equal(read.external_subscription_id, 'lifetime');
    assert.equal(read.external_historical_usage_amount_cents, 0);
    assert.equal(read.invoiced_usage_amount_cents, 0);
    assert.equal(read.current_usage_amount_cents, 0);
    assert.equal(read.from_datetime, NOW);
    assert.equal(read.to_datetime, NOW);
    assert.deepEqual(read.usage_thresholds, [{ amount_cents: 5_000, completion_ratio: 0, reached_at: null }]);
    assert.deepEqual(Object.keys(read), [
      'lago_id',
      'lago_subscription_id',
      'external_subscription_id',
      'external_historical_usage_amount_cents',
      'invoiced_usage_amount_cents',
      'current_usage_amount_cents',
      'from_datetime',
      'to_datetime',
      'usage_thresholds',
    ]);

    assert.equal((await event('lifetime', 1_200, 'lt-1')).status, 200);
    const updated = (await client.subscriptions.updateSubscriptionLifetimeUsage('lifetime', { lifetime_usage: { external_historical_usage_amount_cents: 2_500 } })).data
      .lifetime_usage;
    assert.equal(updated.lago_id, read.lago_id);
    assert.equal(updated.external_historical_usage_amount_cents, 2_500);
    assert.equal(updated.current_usage_amount_cents, 1_200);
    // (2,500 + 1,200) / 5,000
    assert.deepEqual(updated.usage_thresholds, [{ amount_cents: 5_000, completion_ratio: 0.74, reached_at: null }]);

    const missing = await client.subscriptions.getSubscriptionLifetimeUsage('nobody').catch(lagoError);
    assert.deepEqual(missing, { status: 404, body: { status: 404, error: 'Not Found', code: 'subscription_not_found' } });
    const other = await t.newOrganization({ testClock: NOW });
    assert.equal((await call('GET', '/subscriptions/lifetime/lifetime_usage', undefined, other.key)).status, 404);
    let res = await call('PUT', '/subscriptions/lifetime/lifetime_usage', { lifetime_usage: { external_historical_usage_amount_cents: -1 } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.error_details, { external_historical_usage_amount_cents: ['value_is_out_of_range'] });
    res = await call('PUT', '/subscriptions/lifetime/lifetime_usage', { lifetime_usage: { external_historical_usage_amount_cents: 'many' } });
    assert.equal(res.status, 422);
    res = await call('PUT', '/subscriptions/lifetime/lifetime_usage', { nothing: {} });
    assert.equal(res.status, 400);
    assert.equal((await ok('GET', '/subscriptions/lifetime/lifetime_usage')).lifetime_usage.external_historical_usage_amount_cents, 2_500, 'refusals changed nothing');
    // A subscription without thresholds has no usage_thresholds key.
    await subscribe('unwatched', {}, 'plain');
    assert.equal('usage_thresholds' in (await ok('GET', '/subscriptions/unwatched/lifetime_usage')).lifetime_usage, false);
  });

  test('a progressive invoice: JSON through the Lago client, in lists, and the subscription.usage_threshold_reached webhook', async () => {
    await ok('POST', '/webhook_endpoints', { webhook_endpoint: { webhook_url: 'http://127.0.0.1:9/hook', signature_algo: 'hmac' } });
    await subscribe('hooked', { usage_thresholds: [{ amount_cents: 500, threshold_display_name: 'Five' }] });
    assert.equal((await event('hooked', 800, 'hook-1')).status, 200);
    const client = t.client(key);
    const listed = (await client.invoices.findAllInvoices({ invoice_type: 'progressive_billing', per_page: 100 })).data.invoices;
    const mine = listed.filter((i) => i.applied_usage_thresholds?.some((a) => a.usage_threshold.threshold_display_name === 'Five'));
    assert.equal(mine.length, 1);
    const invoice = (await client.invoices.findInvoice(mine[0]!.lago_id)).data.invoice;
    assert.equal(invoice.invoice_type, 'progressive_billing');
    assert.equal(invoice.status, 'finalized');
    assert.equal(invoice.fees_amount_cents, 800);
    assert.equal(invoice.total_amount_cents, 800);
    const applied = invoice.applied_usage_thresholds!;
    assert.equal(applied.length, 1);
    assert.equal(applied[0]!.lifetime_usage_amount_cents, 800);
    assert.equal(applied[0]!.created_at, NOW);
    assert.deepEqual(Object.keys(applied[0]!.usage_threshold), ['lago_id', 'threshold_display_name', 'amount_cents', 'recurring', 'created_at', 'updated_at']);
    assert.equal(applied[0]!.usage_threshold.amount_cents, 500);

    const rows = await queryRows<{ webhook_type: string; payload: string }>(
      t.database.db,
      sql`SELECT webhook_type, payload FROM webhooks WHERE organization_id = ${organizationId} ORDER BY id`,
    );
    const reached = rows.filter((r) => r.webhook_type === 'subscription.usage_threshold_reached').map((r) => JSON.parse(r.payload));
    assert.equal(reached.length, 1);
    const body = reached[0]!;
    assert.equal(body.object_type, 'subscription');
    assert.equal(body.subscription.external_id, 'hooked');
    assert.equal(body.subscription.customer.external_id, 'acme');
    assert.equal(body.subscription.plan.code, 'metered');
    assert.deepEqual(body.subscription.usage_threshold, { ...applied[0]!.usage_threshold });
    assert.deepEqual(body.subscription.applicable_usage_thresholds, [{ threshold_display_name: 'Five', amount_cents: 500, recurring: false }]);
    const created = rows.filter((r) => r.webhook_type === 'invoice.created').map((r) => JSON.parse(r.payload));
    const progressive = created.find((c) => c.invoice.lago_id === invoice.lago_id);
    assert.equal(progressive.invoice.applied_usage_thresholds.length, 1);
    const order = rows.map((r) => r.webhook_type);
    assert.ok(order.lastIndexOf('invoice.created') < order.indexOf('subscription.usage_threshold_reached'), 'the invoice first, then the threshold');
  });

  test('checks that race on one crossing bill it once (the lifetime usage row is locked)', async () => {
    const sub = await subscribe('raced', { usage_thresholds: [{ amount_cents: 1_000 }] });
    // Both events cross 1,000 alone: two requests at once, each checking after its commit.
    const answers = await Promise.all([event('raced', 1_500, 'race-1'), event('raced', 1_500, 'race-2')]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    // And two checks run side by side without the ingestion's coalescing.
    const at = Temporal.Instant.from(NOW);
    const checks = await Promise.all([1, 2, 3].map(() => t.app.services.progressiveBilling.checkSubscription(organizationId, sub.lago_id, at, at)));
    assert.equal(checks.filter((c) => c !== null).length, 0, 'nothing new to bill');
    const [row] = await queryRows<{ count: number; total: string }>(
      t.database.db,
      sql`SELECT count(*)::int AS count, sum(i.fees_amount_cents)::text AS total FROM invoices i JOIN invoice_subscriptions s ON s.organization_id = i.organization_id AND s.invoice_id = i.id
        WHERE i.organization_id = ${organizationId} AND s.subscription_id = ${sub.lago_id} AND i.invoice_type = 'progressive_billing'`,
    );
    assert.equal(row!.count, 1);
    assert.ok(['1500', '3000'].includes(row!.total), `one invoice of what was used when it was checked, got ${row!.total}`);
  });

  test('ingestion of an organization without thresholds returns without a query once its watch is loaded', async () => {
    const plain = await t.newOrganization({ testClock: NOW });
    let statements = 0;
    const db = t.database.db;
    const counting = new Proxy(db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'execute' && typeof value === 'function') {
          return (...args: unknown[]) => {
            statements++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value;
      },
    }) as Db;
    const listener = createProgressiveIngestListener(counting, t.app.services.progressiveBilling);
    const ctx = { organizationId: plain.id, clock: frozenClock(Temporal.Instant.from(NOW)) };
    const events = [{ external_subscription_id: 'anything' } as EventRow];
    invalidateWatch(plain.id);
    await listener(ctx, events);
    assert.ok(statements > 0, 'the first batch loads the watch');
    assert.equal(peekWatch(plain.id)?.byExternalId.size, 0);
    statements = 0;
    for (let i = 0; i < 100; i++) await listener(ctx, events);
    assert.equal(statements, 0);
    // Events of a subscription thresholds do not apply to, in an organization that has some: no query either.
    await listener({ organizationId, clock: ctx.clock }, [{ external_subscription_id: 'unwatched' } as EventRow]);
    statements = 0;
    await listener({ organizationId, clock: ctx.clock }, [{ external_subscription_id: 'unwatched' } as EventRow]);
    assert.equal(statements, 0);
  });
});
