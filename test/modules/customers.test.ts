import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { transact } from '../../src/db/transaction.ts';
import { frozenClock } from '../../src/lib/clock.ts';
import type { Ctx } from '../../src/lib/context.ts';
import { serializeCustomer } from '../../src/modules/customers/serialize.ts';
import {
  assignCustomerCurrency,
  findCustomerByExternalId,
  findOrCreateCustomer,
  loadCustomerView,
} from '../../src/modules/customers/service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { insertPlan, insertSubscription } from '../api/coupons-factory.ts';

describe('what the customers module offers other modules', () => {
  let t: TestApp;
  let ctx: Ctx;
  before(async () => {
    t = await startTestApp();
    const { id } = await t.newOrganization({ name: 'Modules Inc', timezone: 'Asia/Tokyo' });
    ctx = { organizationId: id, clock: frozenClock(Temporal.Instant.from('2024-05-01T00:00:00Z')) };
  });
  after(() => t.close());

  test('findOrCreateCustomer creates a bare numbered customer once, then finds it', async () => {
    const db = t.database.db;
    const first = await transact(db, (tx) => findOrCreateCustomer(tx, ctx, ' auto_1 '));
    assert.ok(first.ok);
    assert.equal(first.value.externalId, 'auto_1');
    assert.equal(first.value.sequentialId, 1);
    assert.match(first.value.slug, /^MOD-[0-9A-F]{4}-001$/);
    assert.equal(first.value.createdAt.toISOString(), '2024-05-01T00:00:00.000Z');
    const again = await transact(db, (tx) => findOrCreateCustomer(tx, ctx, 'auto_1'));
    assert.ok(again.ok);
    assert.equal(again.value.id, first.value.id);
    const blank = await transact(db, (tx) => findOrCreateCustomer(tx, ctx, '   '));
    assert.deepEqual(blank, { ok: false, error: { kind: 'validation', details: { external_customer_id: ['value_is_mandatory'] } } });

    const view = await loadCustomerView(db, first.value);
    const json = serializeCustomer(view);
    assert.equal(json.applicable_timezone, 'Asia/Tokyo');
    assert.equal(json.billing_entity_code, 'modules_inc');
    assert.equal(json.currency, null);
  });

  test('assignCustomerCurrency sets a missing currency and refuses another one', async () => {
    const db = t.database.db;
    const created = await transact(db, (tx) => findOrCreateCustomer(tx, ctx, 'cur_1'));
    assert.ok(created.ok);
    const set = await transact(db, (tx) => assignCustomerCurrency(tx, ctx, created.value, 'EUR'));
    assert.ok(set.ok);
    assert.equal(set.value.currency, 'EUR');
    const same = await transact(db, (tx) => assignCustomerCurrency(tx, ctx, set.value, 'EUR'));
    assert.ok(same.ok);
    const other = await transact(db, (tx) => assignCustomerCurrency(tx, ctx, set.value, 'USD'));
    assert.deepEqual(other, { ok: false, error: { kind: 'validation', details: { currency: ['currencies_does_not_match'] } } });
    const bad = await transact(db, (tx) => assignCustomerCurrency(tx, ctx, set.value, 'usd'));
    assert.deepEqual(bad, { ok: false, error: { kind: 'validation', details: { currency: ['value_is_invalid'] } } });
  });

  test('a customer with a live subscription and no currency cannot take one from elsewhere', async () => {
    const db = t.database.db;
    const created = await transact(db, (tx) => findOrCreateCustomer(tx, ctx, 'cur_2'));
    assert.ok(created.ok);
    const planId = await insertPlan(t.database, ctx.organizationId, 'plan_mod');
    await insertSubscription(t.database, ctx.organizationId, created.value.id, planId, 'pending');
    const refused = await transact(db, (tx) => assignCustomerCurrency(tx, ctx, created.value, 'EUR'));
    assert.equal(refused.ok, false);
    const found = await findCustomerByExternalId(db, ctx.organizationId, 'cur_2');
    assert.equal(found?.currency, null);
  });
});
