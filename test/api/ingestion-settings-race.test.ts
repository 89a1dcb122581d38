import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const POSTGRES = process.env.TEST_DATABASE_URL ?? null;
const skip = POSTGRES ? false : 'needs PostgreSQL (TEST_DATABASE_URL): a second connection holds the metering lock';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An ingestion that waits for a change of metering settings to commit values its events with the new settings: the
 * version it checks is read after the wait, not from the snapshot its statement took before it.
 */
describe('ingestion behind a change of metering settings', { skip }, () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization());
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/billable_metrics',
      payload: { billable_metric: { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' } },
    });
    assert.equal(res.statusCode, 200, res.body);
  });
  after(() => t.close());

  const post = (transactionId: string, properties: Record<string, number>) =>
    t.request(key, {
      method: 'POST',
      url: '/api/v1/events',
      payload: { event: { transaction_id: transactionId, external_subscription_id: 'sub', code: 'gb', timestamp: 1_709_251_200, properties } },
    });

  test('an event whose ingestion waited behind a metric change counts with the changed metric', async () => {
    // The first event also makes the process cache the settings as they are now.
    assert.equal((await post('first', { gb: 1, other: 10 })).statusCode, 200);
    await t.database.withSession(async (session) => {
      // A transaction holding the organization's metering lock makes the change and the ingestion queue, in that order.
      await session.exec(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('${orgId}', 7216000003))`);
      const change = t.request(key, { method: 'PUT', url: '/api/v1/billable_metrics/gb', payload: { billable_metric: { field_name: 'other' } } });
      await pause(300);
      const ingestion = post('second', { gb: 5, other: 7 });
      await pause(300);
      await session.exec('COMMIT');
      const [changed, ingested] = await Promise.all([change, ingestion]);
      assert.equal(changed.statusCode, 200, changed.body);
      assert.equal(ingested.statusCode, 200, ingested.body);
    });
    await t.app.services.metering.compact();
    const [row] = await queryRows<{ total: string }>(
      t.database.db,
      sql`SELECT sum(value_sum)::text AS total FROM event_aggregates WHERE organization_id = ${orgId} AND grain = 'm' AND code = 'gb'`,
    );
    // Both events valued by `other` (10 + 7); the second valued by the old field would give 15.
    assert.equal(row!.total, '17');
  });
});
