import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createEventService } from '../../src/modules/events/service.ts';
import { systemClock } from '../../src/lib/clock.ts';
import type { EventRow } from '../../src/modules/events/repository.ts';

type Json = Record<string, any>;

const POSTGRES = process.env.TEST_DATABASE_URL ?? null;
const skip = POSTGRES ? false : 'needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions need a server';

describe('pay-in-advance charges under concurrent ingestion', { skip }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t?.close());

  test('a request that waited for a lock chains its fee after the ones billed meanwhile: nothing billed twice or never', async () => {
    const { key, id } = await t.newOrganization();
    const call = async (method: 'GET' | 'POST', url: string, payload?: Json) => {
      const res = await t.request(key, { method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json() as Json;
    };
    const bytes = (await call('POST', '/billable_metrics', { billable_metric: { name: 'Bytes', code: 'bytes', aggregation_type: 'sum_agg', field_name: 'size' } })).billable_metric;
    await call('POST', '/plans', {
      plan: {
        name: 'Storage', code: 'storage', interval: 'monthly', amount_cents: 0, amount_currency: 'EUR', pay_in_advance: false,
        charges: [{ billable_metric_id: bytes.lago_id, charge_model: 'standard', pay_in_advance: true, invoiceable: false, properties: { amount: '1' } }],
      },
    });
    for (const who of ['acme', 'other']) {
      await call('POST', '/customers', { customer: { external_id: who, currency: 'EUR' } });
      await call('POST', '/subscriptions', { subscription: { external_customer_id: who, plan_code: 'storage', external_id: `sub-${who}` } });
    }
    const [other] = await t.database.db.execute(sql`SELECT id FROM customers WHERE organization_id = ${id} AND external_id = 'other'`).then((r: any) => r.rows ?? r);
    // Events stored as ingestion stores them; the listener is called by hand, as requests call it.
    const bare = createEventService({ db: t.database.db, metering: t.app.services.metering });
    const store = async (transactionId: string, sub: string, size: number): Promise<EventRow> => {
      const stored = await bare.ingest({ organizationId: id, clock: systemClock }, [{ transaction_id: transactionId, external_subscription_id: sub, code: 'bytes', properties: { size } }], true);
      assert.ok(stored.ok);
      return stored.value[0]!;
    };
    const listen = (events: EventRow[]) => t.app.services.inAdvanceCharges.listener({ organizationId: id, clock: systemClock }, events);
    const e1 = await store('e1', 'sub-acme', 10);
    await listen([e1]);
    const e2 = await store('e2', 'sub-acme', -4);
    const x = await store('x', 'sub-other', 1);
    const e3 = await store('e3', 'sub-acme', 4);

    // Request A (events x, e3) starts, then waits: another transaction holds the lock of x's customer.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM customers WHERE organization_id = ${id} AND id = ${other.id} FOR UPDATE`);
      locked();
      await held;
    });
    await lockTaken;
    const requestA = listen([x, e3]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Request B (event e2) starts later and is billed first.
    await listen([e2]);
    release();
    await holder;
    await requestA;
    // A later request: the running total is 10 − 4 + 4 = 10 before it, at the mark (10), so 4 more units are billed.
    const e4 = await store('e4', 'sub-acme', 4);
    await listen([e4]);

    const fees = (await call('GET', '/fees?fee_type=charge&external_subscription_id=sub-acme')).fees as Json[];
    const byEvent = Object.fromEntries(fees.map((f) => [f.event_transaction_id, f.amount_cents]));
    assert.deepEqual(byEvent, { e1: 1000, e2: 0, e3: 0, e4: 400 });
  });
});
