import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/query.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { story } from './story.ts';

// Every change a webhook reports is recorded with it, for the webhooks outbox to deliver.
describe('scenarios: the changes webhooks report are recorded as they happen', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('a subscription life: started, trial ended, drafted, created, updated, terminated', async () => {
    const s = await story(t, { clock: '2024-01-01T00:00:00Z' });
    await s.plan({ code: 'big', amount_cents: 3_100, trial_period: 5 });
    await s.plan({ code: 'small', amount_cents: 1_000 });
    await s.customer({ external_id: 'acme', billing_configuration: { invoice_grace_period: 1 } });
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'big', external_id: 'sub' });
    await s.advance('2024-02-01T12:00:00Z');
    await s.subscribe({ external_customer_id: 'acme', plan_code: 'small', external_id: 'sub' });
    await s.advance('2024-02-03T00:00:00Z');
    await s.terminate('sub');
    const rows = await queryRows<{ event_type: string; object_type: string; occurred_at: Date }>(
      t.database.db,
      sql`SELECT e.event_type, e.object_type, e.occurred_at FROM domain_events e
        WHERE e.organization_id = (SELECT organization_id FROM customers WHERE external_id = 'acme' ORDER BY created_at DESC LIMIT 1)
        ORDER BY e.occurred_at, e.event_type`,
    );
    assert.deepEqual(
      rows.map((r) => `${new Date(r.occurred_at).toISOString().slice(0, 16)} ${r.event_type}`),
      [
        '2024-01-01T00:00 customer.created',
        '2024-01-01T00:00 plan.created',
        '2024-01-01T00:00 plan.created',
        '2024-01-01T00:00 subscription.started',
        '2024-01-06T00:00 subscription.trial_ended',
        '2024-02-01T00:00 invoice.drafted',
        '2024-02-01T12:00 subscription.updated',
        '2024-02-02T00:00 invoice.created',
        '2024-02-03T00:00 invoice.drafted',
        // The invoice finalized on the 2nd was due that day (net_payment_term 0) and is still unpaid.
        '2024-02-03T00:00 invoice.payment_overdue',
        '2024-02-03T00:00 subscription.terminated',
      ],
    );
  });
});
