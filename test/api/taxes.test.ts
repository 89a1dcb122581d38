import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TaxObject } from 'lago-javascript-client';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';

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
});
