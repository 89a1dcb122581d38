import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { feeAmounts, story } from './story.ts';

// Free trials and grace periods (drafts, refresh with late events, finalization when the grace period ends).
describe('scenarios: trials, drafts and grace periods', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('a 3-day trial on a full March in arrears bills 28/31 (lago-reference 5.2)', async () => {
    const s = await story(t, { clock: '2022-03-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 10_000, trial_period: 3 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2022-04-01T00:00:00Z');
    assert.equal((await s.invoices('acme'))[0]!.fees_amount_cents, 9_032);
    const sub = (await s.call<{ subscription: { trial_ended_at: string } }>('GET', '/subscriptions/sub')).subscription;
    assert.equal(sub.trial_ended_at, '2022-03-04T00:00:00Z');
  });

  test('a trial paid in advance: nothing at the start, the rest of the month when it ends (free_trial_billing_spec)', async () => {
    const s = await story(t, { clock: '2024-03-05T12:12:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'adv',
      amount_cents: 5_000_000,
      pay_in_advance: true,
      trial_period: 10,
      charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '10' } }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    assert.equal((await s.invoices('acme')).length, 0);
    await s.event('sub', 'calls', '2024-03-10T00:00:00Z');
    await s.advance('2024-03-15T12:02:00Z');
    assert.equal((await s.invoices('acme')).length, 0, 'still in the trial');
    await s.advance('2024-03-15T13:02:00Z');
    const [trialEnd] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(trialEnd!), { 'subscription:adv': 2_741_935 });
    assert.equal(trialEnd!.billing_periods[0]!.invoicing_reason, 'subscription_starting');
    await s.advance('2024-04-01T00:00:00Z');
    const [, april] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(april!), { 'subscription:adv': 5_000_000, 'charge:calls': 1_000 }, 'charges are billed during a trial');
  });

  test('a 45-day trial paid in advance: the first billing day bills only the charges, the trial end 12/30 of April (free_trial_billing_spec)', async () => {
    const s = await story(t, { clock: '2024-03-05T12:12:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'adv',
      amount_cents: 5_000_000,
      pay_in_advance: true,
      trial_period: 45,
      charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '10' } }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    await s.event('sub', 'calls', '2024-03-10T00:00:00Z');
    await s.advance('2024-04-01T00:00:00Z');
    const [april] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(april!), { 'charge:calls': 1_000 });
    await s.advance('2024-04-19T13:01:00Z');
    const [, trialEnd] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(trialEnd!), { 'subscription:adv': 2_000_000 });
  });

  test('a trial ending on a billing day: that day bills the whole period, and the trial end nothing more (free_trial_billing_spec)', async () => {
    const s = await story(t, { clock: '2024-03-22T01:12:00Z' });
    await s.plan({ code: 'adv', amount_cents: 5_000_000, pay_in_advance: true, trial_period: 10 });
    await s.customer({ external_id: 'acme', timezone: 'Europe/Paris' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    await s.advance('2024-04-02T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.deepEqual(invoices.map((i) => feeAmounts(i)), [{ 'subscription:adv': 5_000_000 }]);
  });

  test('grace period of 3 days: the start is a draft (invoices_spec: 548 + 20% tax), numbered at finalization when the grace ends', async () => {
    const s = await story(t, { clock: '2022-12-15T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 1_000, pay_in_advance: true });
    await s.customer({ external_id: 'acme', billing_configuration: { invoice_grace_period: 3 } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    const [draft] = await s.invoices('acme');
    assert.equal(draft!.status, 'draft');
    assert.equal(draft!.total_amount_cents, 658);
    assert.match(draft!.number, /-DRAFT$/);
    await s.advance('2022-12-17T23:00:00Z');
    assert.equal((await s.invoices('acme'))[0]!.status, 'draft');
    await s.advance('2022-12-18T00:00:00Z');
    const [final] = await s.invoices('acme');
    assert.equal(final!.status, 'finalized');
    assert.match(final!.number, /-001-001$/);
    assert.equal(final!.total_amount_cents, 658);
  });

  test('a late event in the grace period: refresh counts it, finalize numbers the invoice', async () => {
    const s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 3_100, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.customer({ external_id: 'acme', billing_configuration: { invoice_grace_period: 2 } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.event('sub', 'calls', '2024-03-10T00:00:00Z');
    await s.advance('2024-04-01T10:00:00Z');
    const [draft] = await s.invoices('acme');
    assert.equal(draft!.status, 'draft');
    assert.equal(draft!.issuing_date, '2024-04-03', 'dated at the end of the grace period (Lago aligns it with finalization)');
    assert.deepEqual(feeAmounts(draft!), { 'subscription:pro': 3_100, 'charge:calls': 100 });

    await s.event('sub', 'calls', '2024-03-31T23:30:00Z'); // late, but March's
    const refreshed = (await s.call<{ invoice: { fees_amount_cents: number; status: string } }>('PUT', `/invoices/${draft!.lago_id}/refresh`)).invoice;
    assert.equal(refreshed.status, 'draft');
    assert.equal(refreshed.fees_amount_cents, 3_300);

    const finalized = (await s.call<{ invoice: { status: string; number: string; issuing_date: string } }>('PUT', `/invoices/${draft!.lago_id}/finalize`)).invoice;
    assert.equal(finalized.status, 'finalized');
    assert.match(finalized.number, /-001-001$/);
    await s.advance('2024-04-05T00:00:00Z');
    const [after] = await s.invoices('acme');
    assert.equal(after!.total_amount_cents, 3_300, 'the grace period ending changes nothing on a finalized invoice');
  });

  test('a late event in the grace period is counted when the grace period ends by itself', async () => {
    const s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 3_100, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.customer({ external_id: 'acme', billing_configuration: { invoice_grace_period: 2 } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-04-01T10:00:00Z');
    await s.event('sub', 'calls', '2024-03-31T23:30:00Z');
    await s.advance('2024-04-02T23:59:00Z');
    assert.equal((await s.invoices('acme'))[0]!.status, 'draft');
    await s.advance('2024-04-03T00:00:00Z');
    const [final] = await s.invoices('acme');
    assert.equal(final!.status, 'finalized');
    assert.equal(final!.fees_amount_cents, 3_200);
    assert.equal(final!.issuing_date, '2024-04-03');
  });

  test('net payment term: the due date is the issuing date plus the term', async () => {
    const s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 3_100 });
    await s.customer({ external_id: 'acme', net_payment_term: 30 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-04-01T00:00:00Z');
    const [march] = await s.invoices('acme');
    assert.equal(march!.issuing_date, '2024-04-01');
    assert.equal(march!.payment_due_date, '2024-05-01');
  });

  test('invoice numbers follow the customer: first, second, third', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 1_000 });
    await s.subscribe({ external_customer_id: 'one', plan_code: 'pro', external_id: 'a' });
    await s.subscribe({ external_customer_id: 'two', plan_code: 'pro', external_id: 'b' });
    await s.advance('2024-04-01T00:00:00Z');
    const one = await s.invoices('one');
    const two = await s.invoices('two');
    assert.deepEqual(one.map((i) => i.number.slice(-7)), ['001-001', '001-002', '001-003']);
    assert.deepEqual(two.map((i) => i.number.slice(-7)), ['002-001', '002-002', '002-003']);
  });

  test('two subscriptions of one customer billed the same day share one invoice', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'a', amount_cents: 1_000 });
    await s.plan({ code: 'b', amount_cents: 2_000 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'a', external_id: 'sa' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'b', external_id: 'sb' });
    await s.advance('2024-02-01T00:00:00Z');
    const [january, ...rest] = await s.invoices('acme');
    assert.equal(rest.length, 0);
    assert.deepEqual(feeAmounts(january!), { 'subscription:a': 1_000, 'subscription:b': 2_000 });
    assert.deepEqual(january!.billing_periods.map((p) => p.external_subscription_id).sort(), ['sa', 'sb']);
  });

  test('two subscriptions of one customer on the same plan with usage: one invoice, each its own fees', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 1_000, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' }, min_amount_cents: 500 }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'one' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'two' });
    await s.event('one', 'calls', '2024-01-10T00:00:00Z');
    for (let i = 0; i < 3; i++) await s.event('two', 'calls', '2024-01-11T00:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');
    const [january, ...rest] = await s.invoices('acme');
    assert.equal(rest.length, 0);
    assert.equal(january!.status, 'finalized');
    const bySubscription = (sub: string) =>
      january!.fees.filter((f) => f.external_subscription_id === sub).map((f) => [f.item.type, f.amount_cents]).sort();
    assert.deepEqual(bySubscription('one'), [['charge', 100], ['charge', 400], ['subscription', 1_000]]);
    assert.deepEqual(bySubscription('two'), [['charge', 200], ['charge', 300], ['subscription', 1_000]]);
    assert.equal(january!.fees_amount_cents, 3_000);
  });

  test('advancing the clock twice over the same days bills nothing twice', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 1_000 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-01T00:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');
    await s.advance('2024-02-15T00:00:00Z');
    assert.equal((await s.invoices('acme')).length, 1);
  });
});
