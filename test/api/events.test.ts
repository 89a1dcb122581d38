import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventObject } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const NOW = '2024-03-10T12:00:00Z';

describe('events: ingestion, idempotency, listing', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization({ testClock: NOW }));
    await t.client(key).billableMetrics.createBillableMetric({
      billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb' },
    });
  });
  after(() => t.close());

  test('one event through the Lago client, with the timestamp forms Lago takes', async () => {
    const client = t.client(key);
    const res = await client.events.createEvent({
      event: { transaction_id: 'tx_1', external_subscription_id: 'sub_1', code: 'storage', timestamp: 1710072000.123, properties: { gb: '12.5' } },
    });
    const event: EventObject = res.data.event;
    assert.equal(event.transaction_id, 'tx_1');
    assert.equal(event.timestamp, '2024-03-10T12:00:00.123Z');
    assert.deepEqual(event.properties, { gb: '12.5' });
    assert.equal(event.lago_subscription_id, null);
    assert.equal(event.external_subscription_id, 'sub_1');

    const asString = await client.events.createEvent({
      event: { transaction_id: 'tx_2', external_subscription_id: 'sub_1', code: 'storage', timestamp: '1710072001', properties: { gb: 1 } },
    });
    assert.equal(asString.data.event.timestamp, '2024-03-10T12:00:01.000Z');
    const defaulted = await client.events.createEvent({
      event: { transaction_id: 'tx_3', external_subscription_id: 'sub_1', code: 'storage', properties: { gb: 2 } },
    });
    assert.equal(defaulted.data.event.timestamp, '2024-03-10T12:00:00.000Z', 'no timestamp means the test clock\'s now');

    const found = await client.events.findEvent('tx_1');
    assert.equal(found.data.event.lago_id, event.lago_id);
    await assert.rejects(client.events.findEvent('nope'), (e) => lagoError(e).body.code === 'event_not_found');
  });

  test('the same event sent again is acknowledged once; the same key with another payload is refused', async () => {
    const client = t.client(key);
    const event = { transaction_id: 'dup_1', external_subscription_id: 'sub_dup', code: 'storage', timestamp: 1710000000, properties: { gb: 3, region: 'eu' } };
    const first = await client.events.createEvent({ event });
    // Same payload, keys in another order: the same event.
    const again = await client.events.createEvent({
      event: { properties: { region: 'eu', gb: 3 }, timestamp: 1710000000, code: 'storage', external_subscription_id: 'sub_dup', transaction_id: 'dup_1' },
    });
    assert.equal(again.data.event.lago_id, first.data.event.lago_id);
    // A resend that leaves the timestamp out is the same event (the first reception's time stands); in a batch too.
    const { timestamp: _sent, ...untimed } = event;
    const resentUntimed = await client.events.createEvent({ event: untimed });
    assert.equal(resentUntimed.data.event.lago_id, first.data.event.lago_id);
    assert.equal(resentUntimed.data.event.timestamp, first.data.event.timestamp);
    const batchUntimed = await client.events.createBatchEvents({ events: [untimed] });
    assert.equal(batchUntimed.data.events?.[0]?.lago_id, first.data.event.lago_id);
    const before = await snapshotDatabase(t.database);
    // One that sends another timestamp is not.
    await assert.rejects(client.events.createEvent({ event: { ...event, timestamp: 1710000001 } }), (e) => {
      assert.deepEqual(lagoError(e).body.error_details, { transaction_id: ['value_already_exist'] });
      return true;
    });
    await assert.rejects(client.events.createEvent({ event: { ...event, properties: { gb: 4, region: 'eu' } } }), (e) => {
      assert.deepEqual(lagoError(e), {
        status: 422,
        body: { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { transaction_id: ['value_already_exist'] } },
      });
      return true;
    });
    assert.equal(await snapshotDatabase(t.database), before);
    // The same transaction_id on another subscription is another event.
    const other = await client.events.createEvent({ event: { ...event, external_subscription_id: 'sub_dup_2' } });
    assert.notEqual(other.data.event.lago_id, first.data.event.lago_id);
    const listed = await client.events.findAllEvents({ external_subscription_id: 'sub_dup' });
    assert.equal(listed.data.events.length, 1);
  });

  test('a batch is stored whole, answers in order, and counts an in-batch twin once', async () => {
    const client = t.client(key);
    const events = [
      { transaction_id: 'b_1', external_subscription_id: 'sub_b', code: 'storage', timestamp: 1710000001, properties: { gb: 1 } },
      { transaction_id: 'b_2', external_subscription_id: 'sub_b', code: 'storage', timestamp: 1710000002, properties: { gb: 2 } },
      { transaction_id: 'b_1', external_subscription_id: 'sub_b', code: 'storage', timestamp: 1710000001, properties: { gb: 1 } },
      { transaction_id: 'b_3', external_subscription_id: 'sub_b', code: 'not_a_metric_yet', timestamp: 1710000003, properties: { x: 'y' } },
    ];
    const res = await client.events.createBatchEvents({ events });
    assert.deepEqual(res.data.events.map((e) => e.transaction_id), ['b_1', 'b_2', 'b_1', 'b_3']);
    assert.equal(res.data.events[0]!.lago_id, res.data.events[2]!.lago_id);
    const listed = await client.events.findAllEvents({ external_subscription_id: 'sub_b' });
    assert.deepEqual(listed.data.events.map((e) => e.transaction_id), ['b_3', 'b_2', 'b_1']);
    assert.equal(listed.data.meta.total_count, 3);
  });

  test('a batch with one bad event stores none of it, and names each bad index', async () => {
    const before = await snapshotDatabase(t.database);
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/events/batch',
      payload: {
        events: [
          { transaction_id: 'ok_1', external_subscription_id: 's', code: 'storage', properties: { gb: 1 } },
          { external_subscription_id: 's', code: 'storage' },
          { transaction_id: 'bad_ts', code: 'storage', timestamp: 'yesterday' },
          { transaction_id: 'bad_num', external_subscription_id: 's', code: 'storage', properties: { gb: 'lots' } },
          { transaction_id: 'ok_1', external_subscription_id: 's', code: 'storage', properties: { gb: 2 } },
        ],
      },
    });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(res.json().error_details, {
      '1': { transaction_id: ['value_is_mandatory'] },
      '2': { timestamp: ['invalid_format'] },
      '4': { transaction_id: ['value_already_exist'] },
    });
    assert.equal(await snapshotDatabase(t.database), before);
    // Once the shape errors are gone, a non-numeric value of a sum metric is refused at its index.
    const numeric = await t.request(key, {
      method: 'POST',
      url: '/api/v1/events/batch',
      payload: { events: [{ transaction_id: 'n_1', code: 'storage', properties: { gb: 1 } }, { transaction_id: 'n_2', code: 'storage', properties: { gb: '1e3' } }] },
    });
    assert.deepEqual(numeric.json().error_details, { '1': { properties: ['value_is_not_valid_number'] } });
    assert.equal(await snapshotDatabase(t.database), before);
  });

  const unprocessable = (error_details: object) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details });
  const bad: Array<[string, string, unknown, number, object]> = [
    ['no wrapper', '/api/v1/events', { transaction_id: 'x' }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: event' }],
    ['no transaction_id', '/api/v1/events', { event: { code: 'storage' } }, 422, unprocessable({ transaction_id: ['value_is_mandatory'] })],
    ['no code', '/api/v1/events', { event: { transaction_id: 'x' } }, 422, unprocessable({ code: ['value_is_mandatory'] })],
    ['a blank code', '/api/v1/events', { event: { transaction_id: 'x', code: ' ' } }, 422, unprocessable({ code: ['value_is_mandatory'] })],
    ['a timestamp that is text', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', timestamp: 'now' } }, 422, unprocessable({ timestamp: ['invalid_format'] })],
    ['an ISO timestamp', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', timestamp: '2024-03-01T00:00:00Z' } }, 422, unprocessable({ timestamp: ['invalid_format'] })],
    ['a negative timestamp', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', timestamp: -5 } }, 422, unprocessable({ timestamp: ['invalid_format'] })],
    ['a timestamp past year 9999', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', timestamp: 1e15 } }, 422, unprocessable({ timestamp: ['invalid_format'] })],
    ['properties that are a list', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', properties: [1, 2] } }, 422, unprocessable({ properties: ['invalid_format'] })],
    ['properties that are text', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', properties: 'gb=1' } }, 422, unprocessable({ properties: ['invalid_format'] })],
    ['a non-numeric sum value', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', properties: { gb: 'twelve' } } }, 422, unprocessable({ properties: ['value_is_not_valid_number'] })],
    ['a transaction_id that is an object', '/api/v1/events', { event: { transaction_id: { id: 1 }, code: 'storage' } }, 422, unprocessable({ transaction_id: ['invalid_format'] })],
    ['a transaction_id too long', '/api/v1/events', { event: { transaction_id: 'x'.repeat(501), code: 'storage' } }, 422, unprocessable({ transaction_id: ['value_is_too_long'] })],
    ['a bad precise amount', '/api/v1/events', { event: { transaction_id: 'x', code: 'storage', precise_total_amount_cents: 'ten' } }, 422, unprocessable({ precise_total_amount_cents: ['value_is_not_valid_number'] })],
    ['a batch of 101', '/api/v1/events/batch', { events: Array.from({ length: 101 }, (_, i) => ({ transaction_id: `m${i}`, code: 'storage' })) }, 422, unprocessable({ events: ['too_many_events'] })],
    ['an empty batch', '/api/v1/events/batch', { events: [] }, 422, unprocessable({ events: ['no_events'] })],
    ['a batch without events', '/api/v1/events/batch', {}, 422, unprocessable({ events: ['no_events'] })],
    ['a batch that is not a list', '/api/v1/events/batch', { events: { transaction_id: 'x' } }, 422, unprocessable({ events: ['value_is_invalid'] })],
    ['a batch item that is not an object', '/api/v1/events/batch', { events: ['tx'] }, 422, unprocessable({ '0': { event: ['invalid_format'] } })],
  ];
  for (const [name, url, payload, status, body] of bad) {
    test(`refused: ${name}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, { method: 'POST', url, payload: payload as object });
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), body);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('listing filters by subscription, code and time, newest first, and refuses bad dates', async () => {
    const { key: own } = await t.newOrganization({ testClock: NOW });
    const client = t.client(own);
    const at = (iso: string) => Date.parse(iso) / 1000;
    await client.events.createBatchEvents({
      events: [
        { transaction_id: 'a', external_subscription_id: 's1', code: 'c1', timestamp: at('2024-03-01T00:00:00Z') },
        { transaction_id: 'b', external_subscription_id: 's1', code: 'c2', timestamp: at('2024-03-02T00:00:00Z') },
        { transaction_id: 'c', external_subscription_id: 's2', code: 'c1', timestamp: at('2024-03-03T00:00:00Z') },
        { transaction_id: 'd', external_subscription_id: 's1', code: 'c1', timestamp: at('2024-03-03T00:00:00Z') },
      ],
    });
    const ids = async (query: Parameters<typeof client.events.findAllEvents>[0]) =>
      (await client.events.findAllEvents(query)).data.events.map((e) => e.transaction_id);
    assert.deepEqual(await ids({}), ['c', 'd', 'b', 'a']);
    assert.deepEqual(await ids({ external_subscription_id: 's1' }), ['d', 'b', 'a']);
    assert.deepEqual(await ids({ code: 'c1' }), ['c', 'd', 'a']);
    assert.deepEqual(await ids({ timestamp_from: '2024-03-02T00:00:00Z', timestamp_to: '2024-03-03T00:00:00Z' }), ['c', 'd', 'b']);
    const page = await client.events.findAllEvents({ per_page: 3, page: 2 });
    assert.deepEqual(page.data.meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 4 });
    const refused = await t.request(own, { method: 'GET', url: '/api/v1/events?timestamp_from=yesterday' });
    assert.equal(refused.statusCode, 422);
    assert.deepEqual(refused.json().error_details, { timestamp_from: ['invalid_date'] });
  });

  test("another organization's key never sees these events", async () => {
    const { key: other } = await t.newOrganization({ name: 'Other' });
    const get = await t.request(other, { method: 'GET', url: '/api/v1/events/tx_1' });
    assert.equal(get.statusCode, 404);
    assert.deepEqual(get.json(), { status: 404, error: 'Not Found', code: 'event_not_found' });
    const list = await t.request(other, { method: 'GET', url: '/api/v1/events' });
    assert.deepEqual(list.json().events, []);
    // The same key in another organization is its own event.
    const mine = await t.request(other, {
      method: 'POST',
      url: '/api/v1/events',
      payload: { event: { transaction_id: 'tx_1', external_subscription_id: 'sub_1', code: 'storage', properties: { gb: 'x' } } },
    });
    assert.equal(mine.statusCode, 200, 'the other organization has no sum metric named storage');
  });
});
