import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TaxObject } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

describe('taxes through the Lago client', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization());
  });
  after(() => t.close());

  test('create, read, update, list and delete', async () => {
    const client = t.client(key);
    const created = await client.taxes.createTax({ tax: { name: 'VAT', code: 'vat', rate: '20.5', description: 'French VAT' } });
    const tax: TaxObject = created.data.tax;
    assert.equal(tax.code, 'vat');
    assert.equal(tax.rate, 20.5);
    assert.equal(tax.applied_to_organization, false);

    const found = await client.taxes.findTax('vat');
    assert.equal(found.data.tax.lago_id, tax.lago_id);

    const updated = await client.taxes.updateTax('vat', { tax: { name: 'TVA', rate: '19.6' } });
    assert.equal(updated.data.tax.name, 'TVA');
    assert.equal(updated.data.tax.rate, 19.6);

    await client.taxes.createTax({ tax: { name: 'Alpha', code: 'alpha', rate: '5' } });
    const page1 = await client.taxes.findAllTaxes({ per_page: 1 });
    assert.deepEqual(page1.data.taxes.map((x) => x.code), ['alpha']);
    assert.deepEqual(page1.data.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 2 });

    const deleted = await client.taxes.destroyTax('vat');
    assert.equal(deleted.data.tax.code, 'vat');
    await assert.rejects(client.taxes.findTax('vat'), (e) => {
      assert.deepEqual(lagoError(e), { status: 404, body: { status: 404, error: 'Not Found', code: 'tax_not_found' } });
      return true;
    });
  });

  test('a duplicate code is refused with value_already_exist', async () => {
    const client = t.client(key);
    await client.taxes.createTax({ tax: { name: 'GST', code: 'gst', rate: '10' } });
    await assert.rejects(client.taxes.createTax({ tax: { name: 'GST 2', code: 'gst', rate: '12' } }), (e) => {
      const { status, body } = lagoError(e);
      assert.equal(status, 422);
      assert.deepEqual(body.error_details, { code: ['value_already_exist'] });
      return true;
    });
  });

  const unprocessable = (error_details: object) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details });
  const bad: Array<[string, 'POST' | 'PUT', string, unknown, number, object]> = [
    ['no wrapper', 'POST', '/api/v1/taxes', { name: 'x' }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: tax' }],
    ['an empty wrapper', 'PUT', '/api/v1/taxes/base', { tax: {} }, 400, { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: tax' }],
    ['nothing required', 'POST', '/api/v1/taxes', { tax: { description: 'd' } }, 422, unprocessable({ name: ['value_is_mandatory'], rate: ['value_is_mandatory'], code: ['value_is_mandatory'] })],
    ['a blank name', 'POST', '/api/v1/taxes', { tax: { name: ' ', code: 'c', rate: '1' } }, 422, unprocessable({ name: ['value_is_mandatory'] })],
    ['a rate that is text', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: 'twenty' } }, 422, unprocessable({ rate: ['value_is_invalid'] })],
    ['a rate that is a list', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: [20] } }, 422, unprocessable({ rate: ['value_is_invalid'] })],
    ['a negative rate', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: '-0.5' } }, 422, unprocessable({ rate: ['value_is_out_of_range'] })],
    ['an absurd rate', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: 1e308 } }, 422, unprocessable({ rate: ['value_is_out_of_range'] })],
    ['a rate finer than 10 decimals', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: `0.${'0'.repeat(20_000)}1` } }, 422, unprocessable({ rate: ['value_is_invalid'] })],
    ['a code too long', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'x'.repeat(600), rate: '1' } }, 422, unprocessable({ code: ['value_is_too_long'] })],
    ['a name of the wrong type', 'POST', '/api/v1/taxes', { tax: { name: { en: 'VAT' }, code: 'c', rate: '1' } }, 422, unprocessable({ name: ['value_is_invalid'] })],
    ['applied_to_organization as text', 'POST', '/api/v1/taxes', { tax: { name: 'n', code: 'c', rate: '1', applied_to_organization: 'yes' } }, 422, unprocessable({ applied_to_organization: ['value_is_invalid'] })],
    ['renaming to a taken code', 'PUT', '/api/v1/taxes/base', { tax: { code: 'other' } }, 422, unprocessable({ code: ['value_already_exist'] })],
    ['a negative rate on update', 'PUT', '/api/v1/taxes/base', { tax: { rate: -1 } }, 422, unprocessable({ rate: ['value_is_out_of_range'] })],
    ['updating an unknown tax', 'PUT', '/api/v1/taxes/nope', { tax: { rate: 1 } }, 404, { status: 404, error: 'Not Found', code: 'tax_not_found' }],
  ];
  for (const [name, method, url, payload, status, body] of bad) {
    test(`refused: ${name}`, async () => {
      const { key: own } = await t.newOrganization();
      for (const code of ['base', 'other']) await t.client(own).taxes.createTax({ tax: { name: code, code, rate: '10' } });
      const before = await snapshotDatabase(t.database);
      const res = await t.request(own, { method, url, payload: payload as object });
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), body);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('a tax in use can be deleted: it stops applying to the plan, add-on and customer it was on', async () => {
    const client = t.client(key);
    await client.taxes.createTax({ tax: { name: 'Sales tax', code: 'sales', rate: '8.5' } });
    await client.addOns.createAddOn({ add_on: { name: 'Setup', code: 'setup_taxed', amount_cents: 100, amount_currency: 'USD', tax_codes: ['sales'] } });
    await client.plans.createPlan({
      plan: { name: 'P', code: 'taxed_plan', interval: 'monthly', amount_cents: 100, amount_currency: 'USD', pay_in_advance: false, tax_codes: ['sales'] },
    });
    await client.customers.createCustomer({ customer: { external_id: 'taxed_customer', tax_codes: ['sales'] } });
    await client.taxes.destroyTax('sales');
    assert.deepEqual((await client.addOns.findAddOn('setup_taxed')).data.add_on.taxes, []);
    assert.deepEqual((await client.plans.findPlan('taxed_plan')).data.plan.taxes, []);
    assert.deepEqual((await client.customers.findCustomer('taxed_customer')).data.customer.taxes, []);
    // Its code is free again.
    const again = await client.taxes.createTax({ tax: { name: 'Sales tax', code: 'sales', rate: '9' } });
    assert.equal(again.data.tax.rate, 9);
  });

  test("another organization's key gets 404 on every tax route and an empty list", async () => {
    await t.client(key).taxes.createTax({ tax: { name: 'Private', code: 'private', rate: '3' } });
    const { key: other } = await t.newOrganization({ name: 'Other' });
    for (const [method, payload] of [['GET', undefined], ['PUT', { tax: { rate: '99' } }], ['DELETE', undefined]] as const) {
      const res = await t.request(other, { method, url: '/api/v1/taxes/private', ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, 404, method);
      assert.deepEqual(res.json(), { status: 404, error: 'Not Found', code: 'tax_not_found' });
    }
    const list = await t.client(other).taxes.findAllTaxes();
    assert.deepEqual(list.data.taxes, []);
    const mine: TaxObject = (await t.client(key).taxes.findTax('private')).data.tax;
    assert.equal(mine.rate, 3);
  });
});
