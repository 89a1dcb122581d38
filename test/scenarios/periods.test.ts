import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { feeAmounts, story } from './story.ts';

// Billing periods and first-period proration, through the API on test clocks. Amounts are Lago's worked examples
// (spec file names in the test names) or follow from lago-reference.md sections 5.1 and 5.2.
describe('scenarios: periods and proration', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('calendar monthly in arrears from the 15th: 17/31 of the plan and the charges since the start, then whole months', async () => {
    const s = await story(t, { clock: '2022-03-15T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'pro', amount_cents: 10_000, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '0.5' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    for (const day of ['2022-03-15T10:00:00Z', '2022-03-20T00:00:00Z', '2022-03-31T23:59:59Z']) await s.event('sub', 'calls', day);
    await s.event('sub', 'calls', '2022-04-01T00:00:00Z'); // April's
    assert.equal((await s.invoices('acme')).length, 0, 'nothing is billed before the period ends');

    await s.advance('2022-05-01T00:00:00Z');
    const [march, april, ...rest] = await s.invoices('acme');
    assert.equal(rest.length, 0);
    assert.deepEqual(feeAmounts(march!), { 'subscription:pro': 5484, 'charge:calls': 150 });
    assert.equal(march!.issuing_date, '2022-04-01');
    assert.equal(march!.status, 'finalized');
    assert.equal(march!.total_amount_cents, 5634);
    assert.deepEqual(
      {
        reason: march!.billing_periods[0]!.invoicing_reason,
        from: march!.billing_periods[0]!.subscription_from_datetime,
        to: march!.billing_periods[0]!.subscription_to_datetime,
        charges_from: march!.billing_periods[0]!.charges_from_datetime,
      },
      { reason: 'subscription_periodic', from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59Z', charges_from: '2022-03-15T00:00:00Z' },
    );
    assert.deepEqual(feeAmounts(april!), { 'subscription:pro': 10_000, 'charge:calls': 50 });
    assert.equal(april!.issuing_date, '2022-05-01');
  });

  test('pay in advance, calendar, 20% tax: 21/28 of February at creation (terminate_pay_in_advance_spec), then March whole', async () => {
    const s = await story(t, { clock: '2023-02-08T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 5_000, pay_in_advance: true });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    const [start] = await s.invoices('acme');
    assert.equal(start!.fees_amount_cents, 3_750);
    assert.equal(start!.taxes_amount_cents, 750);
    assert.equal(start!.total_amount_cents, 4_500);
    assert.equal(start!.billing_periods[0]!.invoicing_reason, 'subscription_starting');
    assert.equal(start!.billing_periods[0]!.subscription_to_datetime, '2023-02-28T23:59:59Z');
    await s.advance('2023-03-01T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.equal(invoices.length, 2);
    assert.equal(invoices[1]!.total_amount_cents, 6_000);
    assert.equal(invoices[1]!.billing_periods[0]!.subscription_from_datetime, '2023-03-01T00:00:00Z');
  });

  test('pay in advance, anniversary: the whole amount at creation (terminate_pay_in_advance_spec)', async () => {
    const s = await story(t, { clock: '2023-02-08T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 5_000, pay_in_advance: true });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub', billing_time: 'anniversary' });
    const [start] = await s.invoices('acme');
    assert.equal(start!.total_amount_cents, 6_000);
    assert.equal(start!.billing_periods[0]!.subscription_to_datetime, '2023-03-07T23:59:59Z');
    await s.advance('2023-03-08T00:00:00Z');
    assert.equal((await s.invoices('acme')).length, 2);
  });

  test('a customer west of UTC: created on Feb 8 UTC, still Feb 7 in Los Angeles, pays 22/28 (terminate_pay_in_advance_spec)', async () => {
    const s = await story(t, { clock: '2023-02-08T00:00:00Z' });
    await s.tax('vat', '20', { applied_to_organization: true });
    await s.plan({ code: 'adv', amount_cents: 5_000, pay_in_advance: true });
    await s.customer({ external_id: 'acme', timezone: 'America/Los_Angeles' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    const [start] = await s.invoices('acme');
    assert.equal(start!.total_amount_cents, 4_715);
    assert.equal(start!.issuing_date, '2023-02-07');
    assert.equal(start!.billing_periods[0]!.subscription_from_datetime, '2023-02-07T08:00:00Z');
  });

  for (const [created, zone, amount] of [
    ['2023-06-16T05:00:00Z', 'America/Denver', 400],
    ['2023-06-16T05:00:00Z', 'America/Halifax', 300],
    ['2023-06-16T20:00:00Z', 'Europe/Paris', 300],
    ['2023-06-16T20:00:00Z', 'Asia/Karachi', 200],
  ] as const) {
    test(`weekly calendar in advance, 700 a week, created ${created} in ${zone}: ${amount} for the days left to Sunday (invoices_spec)`, async () => {
      const s = await story(t, { clock: created });
      await s.plan({ code: 'weekly', interval: 'weekly', amount_cents: 700, pay_in_advance: true });
      await s.customer({ external_id: 'acme', timezone: zone });
      await s.subscribe({ external_customer_id: 'acme', plan_code: 'weekly', external_id: 'sub' });
      const [start] = await s.invoices('acme');
      assert.equal(start!.fees_amount_cents, amount);
    });
  }

  test('New York calendar monthly: billed at local midnight (05:00 UTC), for the local month', async () => {
    const s = await story(t, { clock: '2022-01-01T05:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 3_100 });
    await s.customer({ external_id: 'acme', timezone: 'America/New_York' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2022-02-01T04:59:59Z');
    assert.equal((await s.invoices('acme')).length, 0, 'still January in New York');
    await s.advance('2022-02-01T05:00:00Z');
    const [january] = await s.invoices('acme');
    assert.equal(january!.fees_amount_cents, 3_100);
    assert.equal(january!.issuing_date, '2022-02-01');
    assert.equal(january!.billing_periods[0]!.subscription_from_datetime, '2022-01-01T05:00:00Z');
    assert.equal(january!.billing_periods[0]!.subscription_to_datetime, '2022-02-01T04:59:59Z');
  });

  test('Tokyo calendar monthly: a period ends at 15:00 UTC the day before', async () => {
    const s = await story(t, { clock: '2024-01-31T15:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 2_900 });
    await s.customer({ external_id: 'acme', timezone: 'Asia/Tokyo' });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' });
    await s.advance('2024-02-29T15:00:00Z');
    const [february] = await s.invoices('acme');
    assert.equal(february!.fees_amount_cents, 2_900);
    assert.equal(february!.issuing_date, '2024-03-01');
    assert.equal(february!.billing_periods[0]!.subscription_from_datetime, '2024-01-31T15:00:00Z');
  });

  test('anniversary monthly from Jan 31: billed Feb 28, Mar 31 and Apr 30, each for a whole period (monthly_service_spec)', async () => {
    const s = await story(t, { clock: '2022-01-31T00:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 3_000 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub', billing_time: 'anniversary' });
    await s.advance('2022-05-01T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.deepEqual(
      invoices.map((i) => [i.issuing_date, i.fees_amount_cents, i.billing_periods[0]!.subscription_from_datetime, i.billing_periods[0]!.subscription_to_datetime]),
      [
        ['2022-02-28', 3_000, '2022-01-31T00:00:00Z', '2022-02-27T23:59:59Z'],
        ['2022-03-31', 3_000, '2022-02-28T00:00:00Z', '2022-03-30T23:59:59Z'],
        ['2022-04-30', 3_000, '2022-03-31T00:00:00Z', '2022-04-29T23:59:59Z'],
      ],
    );
  });

  test('quarterly anniversary from Jan 31: the quarter ends Apr 29 and is billed Apr 30 (anniversary_period_boundaries_spec)', async () => {
    const s = await story(t, { clock: '2022-01-31T00:00:00Z' });
    await s.plan({ code: 'q', interval: 'quarterly', amount_cents: 9_000 });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'q', external_id: 'sub', billing_time: 'anniversary' });
    await s.advance('2022-04-29T23:00:00Z');
    assert.equal((await s.invoices('acme')).length, 0);
    await s.advance('2022-07-31T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.deepEqual(
      invoices.map((i) => [i.issuing_date, i.billing_periods[0]!.subscription_to_datetime]),
      [
        ['2022-04-30', '2022-04-29T23:59:59Z'],
        ['2022-07-31', '2022-07-30T23:59:59Z'],
      ],
    );
  });

  test('leap year: a calendar month in advance billed on Feb 1 2024 covers Feb 1–29, its charges January (invoices_spec)', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({ code: 'adv', amount_cents: 700, pay_in_advance: true, charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }] });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub' });
    await s.event('sub', 'calls', '2024-01-10T00:00:00Z');
    await s.advance('2024-02-01T00:00:00Z');
    const [, february] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(february!), { 'subscription:adv': 700, 'charge:calls': 100 });
    const period = february!.billing_periods[0]!;
    assert.deepEqual(
      [period.subscription_from_datetime, period.subscription_to_datetime, period.charges_from_datetime, period.charges_to_datetime],
      ['2024-02-01T00:00:00Z', '2024-02-29T23:59:59Z', '2024-01-01T00:00:00Z', '2024-01-31T23:59:59Z'],
    );
  });

  test('yearly plan with charges billed monthly: charges every month, the subscription fee once a year', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const calls = await s.metric({ code: 'calls', aggregation_type: 'count_agg' });
    await s.plan({
      code: 'year',
      interval: 'yearly',
      amount_cents: 120_000,
      bill_charges_monthly: true,
      charges: [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }],
    });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'year', external_id: 'sub' });
    await s.event('sub', 'calls', '2024-01-10T00:00:00Z');
    await s.event('sub', 'calls', '2024-02-10T00:00:00Z');
    await s.event('sub', 'calls', '2024-02-11T00:00:00Z');
    await s.advance('2024-03-01T00:00:00Z');
    const [january, february] = await s.invoices('acme');
    assert.deepEqual(feeAmounts(january!), { 'charge:calls': 100 });
    assert.deepEqual(feeAmounts(february!), { 'charge:calls': 200 });
    await s.event('sub', 'calls', '2024-12-31T23:00:00Z');
    await s.advance('2025-01-01T00:00:00Z');
    const invoices = await s.invoices('acme');
    assert.equal(invoices.length, 12);
    assert.deepEqual(feeAmounts(invoices[11]!), { 'subscription:year': 120_000, 'charge:calls': 100 });
  });

  test('a backdated subscription is not billed at creation; its first invoice bills from its start', async () => {
    const s = await story(t, { clock: '2024-03-20T12:00:00Z' });
    await s.plan({ code: 'pro', amount_cents: 3_100 });
    await s.plan({ code: 'adv', amount_cents: 3_100, pay_in_advance: true });
    await s.subscribe({ external_customer_id: 'arrears', plan_code: 'pro', external_id: 'a', subscription_at: '2024-03-10T00:00:00Z' });
    await s.subscribe({ external_customer_id: 'advance', plan_code: 'adv', external_id: 'b', subscription_at: '2024-03-10T00:00:00Z' });
    assert.equal((await s.invoices('advance')).length, 0);
    await s.advance('2024-04-01T00:00:00Z');
    assert.equal((await s.invoices('arrears'))[0]!.fees_amount_cents, 2_200, '22 days of March');
    assert.equal((await s.invoices('advance'))[0]!.fees_amount_cents, 3_100, 'April, whole');
  });

  test('a pending subscription starts on its day and, paid in advance, is invoiced then', async () => {
    const s = await story(t, { clock: '2024-03-01T00:00:00Z' });
    await s.plan({ code: 'adv', amount_cents: 3_100, pay_in_advance: true });
    const pending = await s.subscribe({ external_customer_id: 'acme', plan_code: 'adv', external_id: 'sub', subscription_at: '2024-03-10T00:00:00Z' });
    assert.equal(pending.status, 'pending');
    await s.advance('2024-03-09T23:00:00Z');
    assert.equal((await s.invoices('acme')).length, 0);
    await s.advance('2024-03-10T01:00:00Z');
    const [start] = await s.invoices('acme');
    assert.equal(start!.fees_amount_cents, 2_200);
    assert.equal(start!.issuing_date, '2024-03-10');
    assert.equal((await s.call<{ subscription: { status: string } }>('GET', '/subscriptions/sub')).subscription.status, 'active');
  });
});
