import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AddOnObject } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

describe('add-ons', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization());
    await t.client(key).taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20' } });
    await t.client(key).taxes.createTax({ tax: { name: 'GST', code: 'gst', rate: '5' } });
  });
  after(() => t.close());

  test('create, read, update, list and delete through the Lago client', async () => {
    const client = t.client(key);
    const created = await client.addOns.createAddOn({
      add_on: { name: 'Setup', code: 'setup', amount_cents: 50_000, amount_currency: 'EUR', description: 'Onboarding', tax_codes: ['vat'] },
    });
    const addOn: AddOnObject = created.data.add_on;
    assert.equal(addOn.amount_cents, 50_000);
    assert.equal(addOn.amount_currency, 'EUR');
    assert.deepEqual(addOn.taxes?.map((x) => x.code), ['vat']);

    const updated = await client.addOns.updateAddOn('setup', { add_on: { amount_cents: 60_000, tax_codes: ['gst', 'vat'] } });
    assert.equal(updated.data.add_on.amount_cents, 60_000);
    assert.deepEqual(updated.data.add_on.taxes?.map((x) => x.code), ['gst', 'vat']);

    await client.addOns.createAddOn({ add_on: { name: 'Training', code: 'training', amount_cents: 1000, amount_currency: 'EUR' } });
    const list = await client.addOns.findAllAddOns({ page: 1, per_page: 10 });
    assert.deepEqual(list.data.add_ons.map((a) => a.code).sort(), ['setup', 'training']);
    assert.equal(list.data.meta.total_count, 2);

    const deleted = await client.addOns.destroyAddOn('setup');
    assert.equal(deleted.data.add_on.code, 'setup');
    await assert.rejects(client.addOns.findAddOn('setup'), (e) => lagoError(e).body.code === 'add_on_not_found');

    // A deleted add-on frees its code.
    const again = await client.addOns.createAddOn({ add_on: { name: 'Setup v2', code: 'setup', amount_cents: 1, amount_currency: 'USD' } });
    assert.notEqual(again.data.add_on.lago_id, addOn.lago_id);
  });

  const bad: Array<[string, unknown, number, unknown]> = [
    ['missing wrapper', { name: 'x' }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: add_on' }],
    ['empty wrapper', { add_on: {} }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: add_on' }],
    ['nothing required', { add_on: { description: 'd' } }, 422, { name: ['value_is_mandatory'], code: ['value_is_mandatory'], amount_cents: ['value_is_mandatory'], amount_currency: ['value_is_invalid'] }],
    ['zero amount', { add_on: { name: 'a', code: 'a', amount_cents: 0, amount_currency: 'EUR' } }, 422, { amount_cents: ['value_is_out_of_range'] }],
    ['negative amount', { add_on: { name: 'a', code: 'a', amount_cents: -5, amount_currency: 'EUR' } }, 422, { amount_cents: ['value_is_out_of_range'] }],
    ['amount as string', { add_on: { name: 'a', code: 'a', amount_cents: '100', amount_currency: 'EUR' } }, 422, { amount_cents: ['value_is_invalid'] }],
    ['fractional amount', { add_on: { name: 'a', code: 'a', amount_cents: 10.5, amount_currency: 'EUR' } }, 422, { amount_cents: ['value_is_invalid'] }],
    ['lower-case currency', { add_on: { name: 'a', code: 'a', amount_cents: 1, amount_currency: 'eur' } }, 422, { amount_currency: ['value_is_invalid'] }],
    ['unknown currency', { add_on: { name: 'a', code: 'a', amount_cents: 1, amount_currency: 'ABC' } }, 422, { amount_currency: ['value_is_invalid'] }],
    ['unknown tax', { add_on: { name: 'a', code: 'a', amount_cents: 1, amount_currency: 'EUR', tax_codes: ['nope'] } }, 404, { status: 404, error: 'Not Found', code: 'tax_not_found' }],
    ['tax_codes not a list', { add_on: { name: 'a', code: 'a', amount_cents: 1, amount_currency: 'EUR', tax_codes: 'vat' } }, 422, { tax_codes: ['value_is_invalid'] }],
  ];
  for (const [name, payload, status, expected] of bad) {
    test(`refused: ${name}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await t.request(key, { method: 'POST', url: '/api/v1/add_ons', payload: payload as object });
      assert.equal(res.statusCode, status);
      const body = res.json();
      if (status === 422) assert.deepEqual(body, { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: expected });
      else assert.deepEqual(body, expected);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('a duplicate code is refused on create and on update', async () => {
    const client = t.client(key);
    await client.addOns.createAddOn({ add_on: { name: 'A', code: 'dup-a', amount_cents: 1, amount_currency: 'EUR' } });
    await client.addOns.createAddOn({ add_on: { name: 'B', code: 'dup-b', amount_cents: 1, amount_currency: 'EUR' } });
    const created = await t.request(key, { method: 'POST', url: '/api/v1/add_ons', payload: { add_on: { name: 'A', code: 'dup-a', amount_cents: 1, amount_currency: 'EUR' } } });
    assert.deepEqual(created.json().error_details, { code: ['value_already_exist'] });
    const updated = await t.request(key, { method: 'PUT', url: '/api/v1/add_ons/dup-b', payload: { add_on: { code: 'dup-a' } } });
    assert.equal(updated.statusCode, 422);
    assert.deepEqual(updated.json().error_details, { code: ['value_already_exist'] });
  });

  test("another organization's key sees none of these add-ons", async () => {
    await t.client(key).addOns.createAddOn({ add_on: { name: 'Mine', code: 'mine', amount_cents: 1, amount_currency: 'EUR' } });
    const { key: other } = await t.newOrganization({ name: 'Other' });
    for (const [method, payload] of [['GET', undefined], ['PUT', { add_on: { name: 'stolen' } }], ['DELETE', undefined]] as const) {
      const res = await t.request(other, { method, url: '/api/v1/add_ons/mine', payload });
      assert.equal(res.statusCode, 404, method);
      assert.equal(res.json().code, 'add_on_not_found');
    }
    const list = await t.request(other, { method: 'GET', url: '/api/v1/add_ons' });
    assert.deepEqual(list.json().add_ons, []);
    // Nor can it use this organization's taxes.
    const res = await t.request(other, { method: 'POST', url: '/api/v1/add_ons', payload: { add_on: { name: 'x', code: 'x', amount_cents: 1, amount_currency: 'EUR', tax_codes: ['vat'] } } });
    assert.equal(res.statusCode, 404);
    assert.equal((await t.client(key).addOns.findAddOn('mine')).data.add_on.name, 'Mine');
  });
});
