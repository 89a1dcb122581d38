import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { createEventService } from '../../src/modules/events/service.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { sql } from 'drizzle-orm';

type Json = Record<string, any>;

describe('pay-in-advance charges through the API', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  /** An organization on the real clock with `acme` subscribed to a plan whose `calls` charge is paid in advance. */
  const organization = async (charge: Json = {}) => {
    const { key, id } = await t.newOrganization();
    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json) => {
      const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json() as Json;
    };
    const calls = (await call('POST', '/billable_metrics', { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } })).billable_metric;
    const bytes = (await call('POST', '/billable_metrics', { billable_metric: { name: 'Bytes', code: 'bytes', aggregation_type: 'sum_agg', field_name: 'size' } })).billable_metric;
    await call('POST', '/plans', {
      plan: {
        name: 'Pro',
        code: 'pro',
        interval: 'monthly',
        amount_cents: 1000,
        amount_currency: 'EUR',
        pay_in_advance: false,
        charges: [
          { billable_metric_id: calls.lago_id, charge_model: 'standard', pay_in_advance: true, properties: { amount: '2' }, ...charge },
          { billable_metric_id: bytes.lago_id, charge_model: 'standard', properties: { amount: '1' } },
        ],
      },
    });
    await call('POST', '/customers', { customer: { external_id: 'acme', currency: 'EUR' } });
    await call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'pro', external_id: 'sub' } });
    return { key, id, call, client: t.client(key) };
  };

  test('the Lago client: an event makes its fee and invoice at once, found by event_transaction_id', async () => {
    const { client } = await organization();
    await client.events.createEvent({ event: { transaction_id: 'e1', external_subscription_id: 'sub', code: 'calls', properties: {} } });
    await client.events.createBatchEvents({
      events: [
        { transaction_id: 'e2', external_subscription_id: 'sub', code: 'calls', properties: {} },
        { transaction_id: 'e3', external_subscription_id: 'sub', code: 'bytes', properties: { size: 10 } },
      ],
    });
    const found = (await client.fees.findAllFees({ event_transaction_id: 'e1' })).data.fees;
    assert.equal(found.length, 1);
    const fee = found[0]!;
    assert.equal(fee.amount_cents, 200);
    assert.equal(fee.pay_in_advance, true);
    assert.equal((fee as Json).event_transaction_id, 'e1');
    assert.ok(fee.lago_invoice_id);
    const invoice = (await client.invoices.findInvoice(fee.lago_invoice_id!)).data.invoice as Json;
    assert.deepEqual([invoice.invoice_type, invoice.status, invoice.fees_amount_cents, invoice.billing_periods[0].invoicing_reason], ['subscription', 'finalized', 200, 'in_advance_charge']);
    assert.deepEqual(invoice.fees.map((f: Json) => f.lago_id), [fee.lago_id]);
    // The batch's pay-in-advance event is billed too; the metric billed in arrears is not.
    const all = (await client.fees.findAllFees({ fee_type: 'charge' })).data.fees;
    assert.deepEqual(all.map((f) => (f as Json).event_transaction_id).sort(), ['e1', 'e2']);
    // Resending an event bills nothing more.
    await client.events.createEvent({ event: { transaction_id: 'e1', external_subscription_id: 'sub', code: 'calls', properties: {} } });
    assert.equal((await client.fees.findAllFees({ fee_type: 'charge' })).data.fees.length, 2);
  });

  test('the Lago client: a fee on no invoice takes its payment status; estimate_fees answers without storing', async () => {
    const { client } = await organization({ invoiceable: false });
    await client.events.createEvent({ event: { transaction_id: 'e1', external_subscription_id: 'sub', code: 'calls', properties: {} } });
    const [fee] = (await client.fees.findAllFees({ event_transaction_id: 'e1' })).data.fees;
    assert.equal(fee!.lago_invoice_id, null);
    assert.equal(fee!.invoiceable, false);
    const paid = (await client.fees.updateFee(fee!.lago_id!, { fee: { payment_status: 'succeeded' } })).data.fee;
    assert.equal(paid.payment_status, 'succeeded');
    assert.ok(paid.succeeded_at);

    const estimate = (await client.events.eventEstimateFees({ event: { code: 'calls', external_subscription_id: 'sub' } })).data as Json;
    assert.equal(estimate.fees.length, 1);
    assert.deepEqual([estimate.fees[0].lago_id, estimate.fees[0].amount_cents, estimate.fees[0].units], [null, 200, '1.0']);
    assert.equal((await client.fees.findAllFees({ fee_type: 'charge' })).data.fees.length, 1);
  });

  test('estimate_fees refuses as Lago does, and never sees another organization', async () => {
    const { key, client } = await organization();
    const other = await organization();
    const estimate = (event: Json) => t.request(key, { method: 'POST', url: '/api/v1/events/estimate_fees', payload: { event } });
    const cases: [Json, number, Json][] = [
      [{ code: 'calls', external_subscription_id: 'nope' }, 404, { status: 404, error: 'Not Found', code: 'subscription_not_found' }],
      [{ code: 'calls' }, 404, { status: 404, error: 'Not Found', code: 'subscription_not_found' }],
      [{ code: 'nope', external_subscription_id: 'sub' }, 404, { status: 404, error: 'Not Found', code: 'billable_metric_not_found' }],
      [
        { code: 'bytes', external_subscription_id: 'sub', properties: { size: 3 } },
        422,
        { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { code: ['does_not_match_an_instant_charge'] } },
      ],
      [
        { code: 'bytes', external_subscription_id: 'sub', properties: { size: 'ten' } },
        422,
        { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { properties: ['value_is_not_valid_number'] } },
      ],
      [
        { code: 'calls', external_subscription_id: 'sub', timestamp: 'yesterday' },
        422,
        { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { timestamp: ['invalid_format'] } },
      ],
    ];
    for (const [event, status, body] of cases) {
      const res = await estimate(event);
      assert.deepEqual([res.statusCode, res.json()], [status, body], JSON.stringify(event));
    }
    const bad = await t.request(key, { method: 'POST', url: '/api/v1/events/estimate_fees', payload: { nope: 1 } });
    assert.equal(bad.statusCode, 400);
    // The other organization's fees stay its own.
    await other.client.events.createEvent({ event: { transaction_id: 'theirs', external_subscription_id: 'sub', code: 'calls', properties: {} } });
    assert.equal((await client.fees.findAllFees({ event_transaction_id: 'theirs' })).data.fees.length, 0);
    const [theirs] = (await other.client.fees.findAllFees({ event_transaction_id: 'theirs' })).data.fees;
    await assert.rejects(client.fees.updateFee(theirs!.lago_id!, { fee: { payment_status: 'succeeded' } }), (e) => {
      assert.equal(lagoError(e).status, 404);
      return true;
    });
  });

  test('estimate_fees refuses a value whose fee no amount can hold (422, not 500)', async () => {
    const { key, call } = await organization();
    const bytes = (await call('GET', '/billable_metrics/bytes')).billable_metric;
    await call('POST', '/plans', {
      plan: {
        name: 'Storage', code: 'storage', interval: 'monthly', amount_cents: 0, amount_currency: 'EUR', pay_in_advance: false,
        charges: [{ billable_metric_id: bytes.lago_id, charge_model: 'standard', pay_in_advance: true, properties: { amount: '1' } }],
      },
    });
    await call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'storage', external_id: 'sub2' } });
    const estimate = (size: string) =>
      t.request(key, { method: 'POST', url: '/api/v1/events/estimate_fees', payload: { event: { code: 'bytes', external_subscription_id: 'sub2', properties: { size } } } });
    const huge = await estimate('99999999999999999999999999999999999');
    assert.deepEqual([huge.statusCode, huge.json()], [
      422,
      { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { properties: ['value_is_out_of_range'] } },
    ]);
    const fine = await estimate('3');
    assert.deepEqual([fine.statusCode, fine.json().fees.map((f: Json) => f.amount_cents)], [200, [300]]);
  });

  test('a plan made after events were sent: the codes cached for ingestion are dropped by the plan write', async () => {
    const { key, call } = await organization();
    const bytes = (await call('GET', '/billable_metrics/bytes')).billable_metric;
    // Ingestion now knows that only `calls` is paid in advance here.
    await call('POST', '/events', { event: { transaction_id: 'b1', external_subscription_id: 'sub', code: 'bytes', properties: { size: 5 } } });
    await call('POST', '/plans', {
      plan: {
        name: 'Storage',
        code: 'storage',
        interval: 'monthly',
        amount_cents: 0,
        amount_currency: 'EUR',
        pay_in_advance: false,
        charges: [{ billable_metric_id: bytes.lago_id, charge_model: 'standard', pay_in_advance: true, properties: { amount: '1' } }],
      },
    });
    await call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: 'storage', external_id: 'sub2' } });
    await call('POST', '/events', { event: { transaction_id: 'b2', external_subscription_id: 'sub2', code: 'bytes', properties: { size: 7 } } });
    const fees = (await t.request(key, { method: 'GET', url: '/api/v1/fees?fee_type=charge&event_transaction_id=b2' })).json().fees as Json[];
    assert.deepEqual(fees.map((f) => [f.amount_cents, f.units]), [[700, '7.0']]);
  });

  test('events stored without their fees (a stop right after their commit) are billed by the sweep, once', async () => {
    const { id, key } = await organization();
    // The same storage as the API's, without the listener: what a process that stopped after the commit leaves.
    const bare = createEventService({ db: t.database.db, metering: t.app.services.metering });
    const stored = await bare.ingest({ organizationId: id, clock: systemClock }, [
      { transaction_id: 'lost1', external_subscription_id: 'sub', code: 'calls', properties: {} },
      { transaction_id: 'lost2', external_subscription_id: 'sub', code: 'calls', properties: {} },
    ], true);
    assert.ok(stored.ok);
    const charged = async () => (await t.request(key, { method: 'GET', url: '/api/v1/fees?fee_type=charge' })).json().fees as Json[];
    assert.equal((await charged()).length, 0);
    const now = systemClock.now();
    await t.app.services.inAdvanceCharges.sweep(id, now, now);
    assert.deepEqual((await charged()).map((f) => [f.event_transaction_id, f.amount_cents]).sort(), [
      ['lost1', 200],
      ['lost2', 200],
    ]);
    await t.app.services.inAdvanceCharges.sweep(id, now, now);
    await t.app.services.inAdvanceCharges.billEvents(id, stored.ok ? stored.value : [], now);
    assert.equal((await charged()).length, 2);
  });

  /**
   * A second plan whose `calls` carry two pay-in-advance charges (2 and 5 EUR, standalone fees), `acme` subscribed to
   * it as `code`, and events stored without their fees (as a process that stopped after their commit leaves them).
   */
  const twoChargePlan = async (code: string, transactionIds: string[]) => {
    const org = await organization();
    const calls = (await org.call('GET', '/billable_metrics/calls')).billable_metric;
    const charge = (amount: string) => ({ billable_metric_id: calls.lago_id, charge_model: 'standard', pay_in_advance: true, invoiceable: false, properties: { amount } });
    await org.call('POST', '/plans', {
      plan: { name: code, code, interval: 'monthly', amount_cents: 0, amount_currency: 'EUR', pay_in_advance: false, charges: [charge('2'), charge('5')] },
    });
    await org.call('POST', '/subscriptions', { subscription: { external_customer_id: 'acme', plan_code: code, external_id: code } });
    const bare = createEventService({ db: t.database.db, metering: t.app.services.metering });
    const events = transactionIds.map((id) => ({ transaction_id: id, external_subscription_id: code, code: 'calls', properties: {} }));
    const stored = await bare.ingest({ organizationId: org.id, clock: systemClock }, events, true);
    assert.ok(stored.ok);
    return { ...org, stored: stored.value };
  };

  test('an event billed on one of its two pay-in-advance charges (a stop between them) gets the other fee from the sweep, once', async () => {
    const { id, key, stored } = await twoChargePlan('dual', ['d1', 'd2']);
    const now = systemClock.now();
    await t.app.services.inAdvanceCharges.billEvents(id, stored, now);
    const fees = async () =>
      ((await t.request(key, { method: 'GET', url: '/api/v1/fees?fee_type=charge&external_subscription_id=dual' })).json().fees as Json[])
        .map((f) => `${f.event_transaction_id} ${f.amount_cents}`)
        .sort();
    assert.deepEqual(await fees(), ['d1 200', 'd1 500', 'd2 200', 'd2 500']);
    // What a stop after d1's first fee leaves: d1 with one fee of two.
    await t.database.db.execute(
      sql`DELETE FROM fees WHERE organization_id = ${id} AND amount_cents = 500
        AND pay_in_advance_event_id = (SELECT id FROM events WHERE organization_id = ${id} AND transaction_id = 'd1')`,
    );
    assert.deepEqual(await fees(), ['d1 200', 'd2 200', 'd2 500']);
    await t.app.services.inAdvanceCharges.sweep(id, now, now);
    assert.deepEqual(await fees(), ['d1 200', 'd1 500', 'd2 200', 'd2 500']);
    // A sweep over the same window again (its mark forgotten) finds every fee there: nothing is billed twice.
    await t.database.db.execute(sql`DELETE FROM in_advance_sweeps WHERE organization_id = ${id}`);
    await t.app.services.inAdvanceCharges.sweep(id, now, now);
    assert.deepEqual(await fees(), ['d1 200', 'd1 500', 'd2 200', 'd2 500']);
  });

  test('the sweep bills an event on the charges of a plan deleted since, as billing it at once would have', async () => {
    const { id, key, call } = await twoChargePlan('gone', ['g1']);
    await call('DELETE', '/plans/gone');
    const now = systemClock.now();
    await t.app.services.inAdvanceCharges.sweep(id, now, now);
    const fees = ((await t.request(key, { method: 'GET', url: '/api/v1/fees?fee_type=charge&event_transaction_id=g1' })).json().fees as Json[])
      .map((f) => f.amount_cents)
      .sort();
    assert.deepEqual(fees, [200, 500]);
  });
});
