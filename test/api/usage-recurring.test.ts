import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { advanceClock, at, chargeOf, createMetric, createPlan, currentUsage, sendEvents, subscribe } from './usage-fixtures.ts';

describe('current usage over time: recurring metrics, proration, early events', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  test('a recurring sum and unique count carry their units into the next period', async () => {
    const { key } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    const client = t.client(key);
    const seats = await createMetric(client, { code: 'seats', name: 'Seats', aggregation_type: 'sum_agg', field_name: 'n', recurring: true });
    const members = await createMetric(client, { code: 'members', name: 'Members', aggregation_type: 'unique_count_agg', field_name: 'member', recurring: true });
    await createPlan(t, key, 'team', [
      { billable_metric_id: seats, charge_model: 'standard', properties: { amount: '10' } },
      { billable_metric_id: members, charge_model: 'standard', properties: { amount: '1' } },
    ]);
    await subscribe(client, { customer: 'c', plan: 'team', subscription: 's', at: '2025-06-01T00:00:00Z' });
    const e = (code: string, iso: string, properties: Record<string, unknown>) => ({ external_subscription_id: 's', code, timestamp: at(iso), properties });
    await sendEvents(client, [
      // Lago reads a recurring sum from every event of the external id up to the period's end, even before the start.
      e('seats', '2025-05-20T00:00:00Z', { n: 1 }),
      e('seats', '2025-06-05T00:00:00Z', { n: 3 }),
      e('seats', '2025-07-03T00:00:00Z', { n: 2 }),
      e('members', '2025-06-10T00:00:00Z', { member: 'm1' }),
      e('members', '2025-07-02T00:00:00Z', { member: 'm2' }),
      e('members', '2025-07-05T00:00:00Z', { member: 'm1', operation_type: 'remove' }),
      // After the period: not yet.
      e('seats', '2025-08-09T00:00:00Z', { n: 1 }),
    ]);
    const july = await currentUsage(client, 'c', 's');
    assert.deepEqual([july.from_datetime, july.to_datetime], ['2025-07-01T00:00:00Z', '2025-07-31T23:59:59Z']);
    assert.deepEqual([chargeOf(july, 'seats').units, chargeOf(july, 'seats').events_count, chargeOf(july, 'seats').amount_cents], ['6.0', 3, 6000]);
    assert.deepEqual([chargeOf(july, 'members').units, chargeOf(july, 'members').events_count, chargeOf(july, 'members').amount_cents], ['1.0', 1, 100]);

    await advanceClock(t, key, '2025-08-10T00:00:00Z');
    const august = await currentUsage(client, 'c', 's');
    assert.deepEqual([august.from_datetime, august.to_datetime, august.issuing_date], ['2025-08-01T00:00:00Z', '2025-08-31T23:59:59Z', '2025-08-31']);
    assert.deepEqual([chargeOf(august, 'seats').units, chargeOf(august, 'seats').amount_cents], ['7.0', 7000]);
    assert.deepEqual([chargeOf(august, 'members').units, chargeOf(august, 'members').amount_cents], ['1.0', 100]);
  });

  test("a recurring weighted sum carries its level (Lago's spec: 2500 from March 5, then -2000 and -200 in April)", async () => {
    const { key } = await t.newOrganization({ testClock: '2023-03-10T00:00:00Z' });
    const client = t.client(key);
    const gpu = await createMetric(client, {
      code: 'gpu',
      aggregation_type: 'weighted_sum_agg',
      field_name: 'value',
      weighted_interval: 'seconds',
      recurring: true,
    });
    await createPlan(t, key, 'gpu', [{ billable_metric_id: gpu, charge_model: 'standard', properties: { amount: '1' } }]);
    await subscribe(client, { customer: 'c', plan: 'gpu', subscription: 's', at: '2023-03-05T00:00:00Z' });
    await sendEvents(client, [{ external_subscription_id: 's', code: 'gpu', timestamp: at('2023-03-05T00:00:00Z'), properties: { value: 2500 } }]);
    const march = await currentUsage(client, 'c', 's');
    assert.equal(march.from_datetime, '2023-03-05T00:00:00Z');
    const m = march.charges_usage[0]!;
    // 2500 held 27 of 31 days; the level at the end is 2500.
    assert.deepEqual([m.units, m.total_aggregated_units, m.events_count, m.amount_cents], ['2177.4193548387096774', '2500.0', 1, 217742]);

    await advanceClock(t, key, '2023-04-20T00:00:00Z');
    await sendEvents(client, [
      { external_subscription_id: 's', code: 'gpu', timestamp: at('2023-04-04T00:00:00Z'), properties: { value: -2000 } },
      { external_subscription_id: 's', code: 'gpu', timestamp: at('2023-04-06T00:00:00Z'), properties: { value: -200 } },
    ]);
    const april = (await currentUsage(client, 'c', 's')).charges_usage[0]!;
    // (2500 × 3 + 500 × 2 + 300 × 25) / 30
    assert.deepEqual([april.units, april.total_aggregated_units, april.events_count, april.amount_cents], ['533.3333333333333333', '300.0', 2, 53333]);
  });

  test('prorated charges show full units and price the share of the period each unit was held, by local days', async () => {
    const { key } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    const client = t.client(key);
    const seats = await createMetric(client, { code: 'seats', name: 'Seats', aggregation_type: 'sum_agg', field_name: 'n', recurring: true });
    const members = await createMetric(client, { code: 'members', name: 'Members', aggregation_type: 'unique_count_agg', field_name: 'member', recurring: true });
    await createPlan(t, key, 'prorated', [
      { billable_metric_id: seats, code: 'seats', charge_model: 'standard', prorated: true, properties: { amount: '10' } },
      {
        billable_metric_id: seats,
        code: 'seats_tiers',
        charge_model: 'graduated',
        prorated: true,
        properties: {
          graduated_ranges: [
            { from_value: 0, to_value: 2, per_unit_amount: '10', flat_amount: '0' },
            { from_value: 3, to_value: null, per_unit_amount: '5', flat_amount: '0' },
          ],
        },
      },
      { billable_metric_id: members, code: 'members', charge_model: 'standard', prorated: true, properties: { amount: '31' } },
    ]);
    await subscribe(client, { customer: 'ny', plan: 'prorated', subscription: 's', at: '2025-06-01T12:00:00Z', timezone: 'America/New_York' });
    const e = (code: string, iso: string, properties: Record<string, unknown>) => ({ external_subscription_id: 's', code, timestamp: at(iso), properties });
    await sendEvents(client, [
      // 2 seats from June: the whole period. 1 seat on July 10 02:00 UTC, July 9 in New York: 23 of 31 days.
      e('seats', '2025-06-05T12:00:00Z', { n: 2 }),
      e('seats', '2025-07-10T02:00:00Z', { n: 1 }),
      // m1 held since June: 31 days; m2 from July 10: 22; m3 July 20–25: 6; m4 added and removed on July 12: 1.
      e('members', '2025-06-20T12:00:00Z', { member: 'm1' }),
      e('members', '2025-07-10T12:00:00Z', { member: 'm2' }),
      e('members', '2025-07-20T12:00:00Z', { member: 'm3' }),
      e('members', '2025-07-25T12:00:00Z', { member: 'm3', operation_type: 'remove' }),
      e('members', '2025-07-12T12:00:00Z', { member: 'm4' }),
      e('members', '2025-07-12T20:00:00Z', { member: 'm4', operation_type: 'remove' }),
    ]);
    const usage = await currentUsage(client, 'ny', 's');
    assert.deepEqual([usage.from_datetime, usage.to_datetime, usage.issuing_date], ['2025-07-01T04:00:00Z', '2025-08-01T03:59:59Z', '2025-08-01']);
    const charges = new Map<string, (typeof usage.charges_usage)[number]>();
    for (const code of ['seats', 'seats_tiers', 'members']) charges.set(code, (await currentUsage(client, 'ny', 's', { charge_code: code })).charges_usage[0]!);
    const byCode = (code: string) => charges.get(code)!;
    assert.equal(usage.amount_cents, 2742 + 2371 + 6000);
    // 2 + 23/31 = 2.74194 (ceil to 5 decimals) at 10.
    assert.deepEqual([byCode('seats').units, byCode('seats').events_count, byCode('seats').amount_cents], ['3.0', 2, 2742]);
    // Tiers filled in time order: the 2 June seats fill the first tier (2 × 10), the July seat the second (23/31 × 5).
    assert.deepEqual([byCode('seats_tiers').units, byCode('seats_tiers').amount_cents], ['3.0', 2371]);
    // 1 + 29/31 = 1.93549 at 31; the units are the members held now; Lago reports the prorated count as events.
    assert.deepEqual([byCode('members').units, byCode('members').events_count, byCode('members').amount_cents], ['2.0', 1, 6000]);
  });

  test("the window follows the customer's time zone (Lago's customer_usage_spec: yearly from 2023-01-01T09:30Z)", async () => {
    const { key } = await t.newOrganization({ testClock: '2023-08-08T00:00:00Z' });
    const client = t.client(key);
    const calls = await createMetric(client, { code: 'calls', aggregation_type: 'count_agg' });
    await createPlan(t, key, 'yearly', [{ billable_metric_id: calls, charge_model: 'standard', properties: { amount: '1' } }], { interval: 'yearly' });
    const expected: [string | undefined, string, string][] = [
      [undefined, '2023-12-31T23:59:59Z', '2023-12-31'],
      ['Europe/Berlin', '2023-12-31T22:59:59Z', '2023-12-31'],
      ['America/Los_Angeles', '2024-01-01T07:59:59Z', '2024-01-01'],
    ];
    for (const [timezone, to, issuing] of expected) {
      const name = (timezone ?? 'UTC').replace('/', '_');
      await subscribe(client, { customer: name, plan: 'yearly', subscription: `s_${name}`, at: '2023-01-01T09:30:00Z', ...(timezone && { timezone }) });
      const usage = await currentUsage(client, name, `s_${name}`);
      assert.deepEqual([usage.from_datetime, usage.to_datetime, usage.issuing_date], ['2023-01-01T09:30:00Z', to, issuing], name);
    }
  });

  test('pay-in-advance charges show their usage; prorated in advance, only a short first period is prorated', async () => {
    // Billing them in advance (fees at each event) comes with invoicing; until then their usage is priced as it stands.
    const { key } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    const client = t.client(key);
    const calls = await createMetric(client, { code: 'calls', name: 'Calls', aggregation_type: 'count_agg' });
    const seats = await createMetric(client, { code: 'seats', name: 'Seats', aggregation_type: 'sum_agg', field_name: 'n', recurring: true });
    await createPlan(t, key, 'advance', [
      { billable_metric_id: calls, charge_model: 'standard', pay_in_advance: true, properties: { amount: '2' } },
      { billable_metric_id: seats, charge_model: 'standard', pay_in_advance: true, prorated: true, properties: { amount: '10' } },
    ]);
    await subscribe(client, { customer: 'c', plan: 'advance', subscription: 's', at: '2025-07-10T00:00:00Z' });
    await sendEvents(client, [
      ...Array.from({ length: 3 }, () => ({ external_subscription_id: 's', code: 'calls', timestamp: at('2025-07-11T00:00:00Z') })),
      { external_subscription_id: 's', code: 'seats', timestamp: at('2025-07-10T00:00:00Z'), properties: { n: 1 } },
    ]);
    const july = await currentUsage(client, 'c', 's');
    assert.deepEqual([chargeOf(july, 'calls').units, chargeOf(july, 'calls').amount_cents], ['3.0', 600]);
    // The first period runs 22 of July's 31 days: 1 seat × 22/31 at 10.
    assert.deepEqual([chargeOf(july, 'seats').units, chargeOf(july, 'seats').amount_cents], ['1.0', 710]);
    await advanceClock(t, key, '2025-08-05T00:00:00Z');
    const august = await currentUsage(client, 'c', 's');
    assert.deepEqual([chargeOf(august, 'calls').units, chargeOf(august, 'seats').units, chargeOf(august, 'seats').amount_cents], ['0.0', '1.0', 1000]);
  });

  test('an event sent before its metric and its subscription exist counts once they do', async () => {
    const { key } = await t.newOrganization({ testClock: '2025-07-15T12:00:00Z' });
    const client = t.client(key);
    await sendEvents(client, [
      { external_subscription_id: 'early', code: 'late', timestamp: at('2025-07-02T00:00:00Z'), properties: { n: 5 } },
      // Not a number: accepted while no metric says otherwise, then counted without a value.
      { external_subscription_id: 'early', code: 'late', timestamp: at('2025-07-02T01:00:00Z'), properties: { n: 'many' } },
    ]);
    const late = await createMetric(client, { code: 'late', name: 'Late', aggregation_type: 'sum_agg', field_name: 'n' });
    await sendEvents(client, [{ external_subscription_id: 'early', code: 'late', timestamp: at('2025-07-03T00:00:00Z'), properties: { n: 2 } }]);
    await createPlan(t, key, 'late', [{ billable_metric_id: late, charge_model: 'standard', properties: { amount: '1' } }]);
    await subscribe(client, { customer: 'c', plan: 'late', subscription: 'early', at: '2025-07-01T00:00:00Z' });
    const usage = await currentUsage(client, 'c', 'early');
    assert.deepEqual([usage.charges_usage[0]!.units, usage.charges_usage[0]!.events_count, usage.amount_cents], ['7.0', 2, 700]);
  });
});
