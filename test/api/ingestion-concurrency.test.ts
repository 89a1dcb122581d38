import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/** Retries of the same batch racing each other from several connections: every event stored and counted exactly once. */
describe('concurrent ingestion of the same events', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key, id: orgId } = await t.newOrganization());
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/billable_metrics',
      payload: { billable_metric: { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' } },
    });
    assert.equal(res.statusCode, 200);
  });
  after(() => t.close());

  const post = (events: object[]) =>
    fetch(`${t.url}/api/v1/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });

  test('eight copies of three overlapping batches, sent at once, count each event once', async () => {
    const batch = (from: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        transaction_id: `tx_${from + i}`,
        external_subscription_id: 'sub_race',
        code: 'gb',
        timestamp: 1_709_251_200 + from + i,
        properties: { gb: 1 },
      }));
    // Batches [0,100), [50,150), [100,200): overlapping keys in different batches, each sent eight times at once.
    const requests = [0, 50, 100].flatMap((from) => Array.from({ length: 8 }, () => post(batch(from))));
    const answers = await Promise.all(requests);
    for (const res of answers) assert.equal(res.status, 200, await res.text());

    const [events] = await queryRows<{ n: string }>(
      t.database.db,
      sql`SELECT count(*)::text AS n FROM events WHERE organization_id = ${orgId} AND external_subscription_id = 'sub_race'`,
    );
    assert.equal(events!.n, '200');
    await t.app.services.metering.compact();
    const [aggregated] = await queryRows<{ n: string; total: string }>(
      t.database.db,
      sql`SELECT sum(events_count)::text AS n, sum(value_sum)::text AS total FROM event_aggregates
        WHERE organization_id = ${orgId} AND external_subscription_id = 'sub_race' AND grain = 'm'`,
    );
    assert.deepEqual(aggregated, { n: '200', total: '200' });
  });

  test('a conflicting copy among identical ones is refused alone', async () => {
    const event = { transaction_id: 'c_1', external_subscription_id: 'sub_c', code: 'gb', timestamp: 1_709_251_200, properties: { gb: 5 } };
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => post([event])),
      post([{ ...event, properties: { gb: 6 } }]),
    ]);
    const statuses = answers.map((r) => r.status);
    await t.app.services.metering.compact();
    // Whichever of the two payloads lands first wins; the other payload is refused, the copies of the winner accepted.
    assert.ok(statuses.filter((s) => s === 200).length >= 1);
    const [stored] = await queryRows<{ n: string; total: string }>(
      t.database.db,
      sql`SELECT sum(events_count)::text AS n, sum(value_sum)::text AS total FROM event_aggregates
        WHERE organization_id = ${orgId} AND external_subscription_id = 'sub_c' AND grain = 'm'`,
    );
    assert.equal(stored!.n, '1');
    const won = stored!.total === '5' ? 200 : 422;
    assert.deepEqual(statuses.slice(0, 5), Array(5).fill(won));
    assert.equal(statuses[5], won === 200 ? 422 : 200);
  });
});
