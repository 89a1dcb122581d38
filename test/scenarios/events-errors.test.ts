import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { story } from './story.ts';

type Json = Record<string, any>;

// Lago's hourly events.errors: once an hour is over, the events of that hour that will not count are reported.
describe('scenarios: events.errors reports each past hour\'s events that will not count', () => {
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

  test('unknown codes, missing or non-numeric fields and unknown filter values, per hour, once', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    const { organizationId, received: reports } = await s.listen(receiver, { event_types: ['events.errors'] });
    await s.metric({ code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' });
    await s.metric({ code: 'calls', aggregation_type: 'count_agg', filters: [{ key: 'region', values: ['eu', 'us'] }] });
    await s.metric({ code: 'seats', aggregation_type: 'unique_count_agg', field_name: 'seat' });

    const send = (transaction_id: string, code: string, properties: Json) =>
      s.call('POST', '/events', { event: { transaction_id, external_subscription_id: 'sub', code, properties } });
    await send('ok-gb', 'gb', { gb: 2 });
    await send('no-field', 'gb', { other: 1 });
    await send('unknown', 'nope', {});
    await send('asia', 'calls', { region: 'asia' });
    await send('ok-eu', 'calls', { region: 'eu' });
    await send('ok-no-region', 'calls', {});
    await send('no-seat', 'seats', {});
    // Its metric is created before the hour is over: it counts.
    await send('early', 'later', {});
    await s.advance('2024-01-01T00:20:00Z');
    await s.metric({ code: 'later', aggregation_type: 'count_agg' });
    await send('unknown-2', 'nope', {});

    await s.advance('2024-01-01T00:59:00Z');
    await t.app.services.webhookDelivery.deliverDue();
    assert.equal(reports().length, 0, 'nothing before the hour is over');

    await s.advance('2024-01-01T03:30:00Z');
    await send('unknown-3', 'nope', {});
    await t.app.services.webhookDelivery.deliverDue();
    assert.equal(reports().length, 1);
    assert.deepEqual(reports()[0], {
      webhook_type: 'events.errors',
      object_type: 'events_errors',
      organization_id: organizationId,
      events_errors: {
        invalid_code: ['unknown', 'unknown-2'],
        missing_aggregation_property: ['no-field', 'no-seat'],
        missing_group_key: null,
        invalid_filter_values: ['asia'],
      },
    });

    // The next hours: the one bad event of 03:00 is reported once its hour ends, and never again.
    await s.advance('2024-01-01T04:00:00Z');
    await s.advance('2024-01-01T09:00:00Z');
    await t.app.services.webhookDelivery.deliverDue();
    assert.deepEqual(reports().map((r) => r.events_errors.invalid_code), [['unknown', 'unknown-2'], ['unknown-3']]);
  });
});
