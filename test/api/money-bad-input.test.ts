// Odd values (null, wrong types, huge numbers, padded strings) sent to the endpoints issue 6 added or changed: each
// answer is a 4xx or a success, never a 500.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from '../support/app.ts';
import { story } from '../scenarios/story.ts';

test('odd values on the issue 6 endpoints (void, lifetime usage, estimate_fees, payment requests, thresholds, preview, fees) never answer 500', async () => {
  const t = await startTestApp();
  const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
  await s.plan({ code: 'pro', amount_cents: 100_00, pay_in_advance: true });
  await s.customer({ external_id: 'acme', currency: 'EUR' });
  await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
  await s.advance('2024-01-02T00:00:00Z');
  const [inv] = await s.invoices('acme');
  const weird: unknown[] = [null, 1, -1, 1.5, 'x', '', '  ', true, [], {}, [1], { a: 1 }, '1e400', 1e308, -1e308, '99999999999999999999999999999', '-5', '0'];
  const bad: string[] = [];
  const hit = async (method: string, url: string, payload?: unknown) => {
    const res = await t.request(s.key, { method: method as 'POST', url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 500) bad.push(`${method} ${url} ${JSON.stringify(payload)} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
  };
  for (const w of weird) {
    await hit('POST', `/invoices/${inv!.lago_id}/void`, { generate_credit_note: w, credit_amount: w, refund_amount: w });
    await hit('POST', `/invoices/${inv!.lago_id}/void`, { generate_credit_note: true, credit_amount: w });
    await hit('PUT', `/subscriptions/sub/lifetime_usage`, { lifetime_usage: { external_historical_usage_amount_cents: w } });
    await hit('PUT', `/subscriptions/sub/lifetime_usage`, w);
    await hit('GET', `/subscriptions/sub/lifetime_usage?status=${encodeURIComponent(String(w))}`);
    await hit('POST', `/events/estimate_fees`, { event: { code: w, external_subscription_id: w, transaction_id: w, properties: w, timestamp: w } });
    await hit('POST', `/events/estimate_fees`, w);
    await hit('POST', `/payment_requests`, { payment_request: { external_customer_id: w, email: w, lago_invoice_ids: w } });
    await hit('POST', `/payment_requests`, { payment_request: { external_customer_id: 'acme', lago_invoice_ids: [w] } });
    await hit('GET', `/payment_requests?external_customer_id=${encodeURIComponent(String(w))}&payment_status=${encodeURIComponent(String(w))}`);
    await hit('POST', `/subscriptions`, { subscription: { external_customer_id: 'acme', plan_code: 'pro', external_id: 's2', usage_thresholds: w } });
    await hit('POST', `/subscriptions`, { subscription: { external_customer_id: 'acme', plan_code: 'pro', external_id: 's3', usage_thresholds: [{ amount_cents: w, recurring: w, threshold_display_name: w }] } });
    await hit('PUT', `/subscriptions/sub`, { subscription: { progressive_billing_disabled: w, usage_thresholds: [w] } });
    await hit('POST', `/invoices/preview`, { customer: { external_id: 'acme' }, plan_code: 'pro', subscriptions: w });
    await hit('PUT', `/fees/${inv!.lago_id}`, { fee: { payment_status: w } });
    await hit('GET', `/fees?event_transaction_id=${encodeURIComponent(String(w))}`);
  }
  await t.close();
  assert.deepEqual(bad, []);
});
