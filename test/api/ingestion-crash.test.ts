import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openPglite, openPostgres } from '../../src/db/database.ts';
import { queryRows } from '../../src/db/query.ts';
import { billowProcess, type BillowProcess } from '../support/billow-process.ts';

const KEY = 'crash-test-key-0123456789';

/**
 * Kills a Billow process (SIGKILL) while it ingests batches, restarts it on the same database, and checks that every
 * batch is there whole or not at all, and that the aggregates count exactly the stored events.
 */
describe('a crash in the middle of ingestion', () => {
  let billow: BillowProcess;
  const api = (path: string, body?: object) => billow.api(path, body);

  before(async () => {
    billow = await billowProcess({ key: KEY });
    await billow.start();
    const metric = await api('/billable_metrics', { billable_metric: { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' } });
    assert.equal(metric.status, 200);
  });
  after(async () => {
    await billow.dispose();
  });

  test('every batch is there whole or not at all, and counted exactly', async () => {
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      // A few batches in flight, then the process dies at a moment that varies from round to round.
      const inFlight = Array.from({ length: 4 }, (_, b) =>
        api('/events/batch', {
          events: Array.from({ length: 100 }, (_, i) => ({
            transaction_id: `r${round}_b${b}_${i}`,
            external_subscription_id: `sub_${b}`,
            code: 'gb',
            timestamp: 1_709_251_200 + i,
            properties: { gb: 1 },
          })),
        }).catch(() => null),
      );
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 60));
      await billow.kill();
      await Promise.all(inFlight);
      await billow.start();
    }
    let stored = 0;
    for (let round = 0; round < rounds; round++) {
      for (let b = 0; b < 4; b++) {
        const res = await api(`/events?external_subscription_id=sub_${b}&per_page=1000`);
        const events = ((await res.json()) as { events: { transaction_id: string }[] }).events.filter((e) =>
          e.transaction_id.startsWith(`r${round}_b${b}_`),
        );
        assert.ok(events.length === 0 || events.length === 100, `round ${round} batch ${b}: ${events.length} of 100 events`);
        stored += events.length;
      }
    }
    // One more batch after all this is stored and counted as usual.
    const last = await api('/events/batch', {
      events: [{ transaction_id: 'after', external_subscription_id: 'sub_0', code: 'gb', timestamp: 1_709_251_200, properties: { gb: 1 } }],
    });
    assert.equal(last.status, 200);
    stored += 1;
    // The aggregates (what usage reads) count exactly the events that survived, straight from the database.
    await billow.kill();
    const database = billow.databaseUrl ? await openPostgres(billow.databaseUrl, 1) : await openPglite({ dataDir: billow.dataDir });
    try {
      const [row] = await queryRows<{ events: string; counted: string; summed: string }>(
        database.db,
        // Compacted or not yet: what usage reads is the consolidated monthly rows plus the pending hourly deltas.
        sql`SELECT (SELECT count(*) FROM events)::text AS events,
          ((SELECT coalesce(sum(events_count), 0) FROM event_aggregates WHERE grain = 'm')
            + (SELECT coalesce(sum(events_count), 0) FROM event_aggregate_deltas))::text AS counted,
          ((SELECT coalesce(sum(value_sum), 0) FROM event_aggregates WHERE grain = 'd')
            + (SELECT coalesce(sum(value_sum), 0) FROM event_aggregate_deltas))::text AS summed`,
      );
      assert.deepEqual(row, { events: String(stored), counted: String(stored), summed: String(stored) });
    } finally {
      await database.close();
    }
    console.log(`crash test: ${stored} of ${rounds * 400} events survived the kills`);
  });
});
