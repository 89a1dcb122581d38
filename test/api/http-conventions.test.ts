import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routeTable } from '../../src/http/server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

describe('HTTP conventions shared by every route', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp();
    ({ key } = await t.newOrganization());
  });
  after(() => t.close());

  test('malformed JSON is a 400 in Lago shape and writes nothing', async () => {
    const before = await snapshotDatabase(t.database);
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/taxes',
      headers: { 'content-type': 'application/json' },
      payload: '{"tax": {"name": "VAT", ',
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { status: 400, error: 'Bad Request' });
    assert.equal(await snapshotDatabase(t.database), before);
  });

  test('a body over the size limit is a 413', async () => {
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/taxes',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ tax: { name: 'x'.repeat(2_000_000), code: 'big', rate: '1' } }),
    });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json(), { status: 413, error: 'Payload Too Large' });
  });

  test('a body that is not JSON lacks the wrapper: 400, as in Lago', async () => {
    const res = await t.request(key, { method: 'POST', url: '/api/v1/taxes', headers: { 'content-type': 'text/plain' }, payload: 'tax' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: tax' });
    const xml = await t.request(key, { method: 'POST', url: '/api/v1/taxes', headers: { 'content-type': 'application/xml' }, payload: '<tax/>' });
    assert.equal(xml.statusCode, 415);
    assert.deepEqual(xml.json(), { status: 415, error: 'Unsupported Media Type' });
  });

  test('a JSON body that is not an object is a 400 naming the wrapper', async () => {
    for (const payload of ['[]', '"tax"', '42', 'null', '{"tax": null}', '{"tax": "VAT"}', '{"tax": []}']) {
      const res = await t.request(key, { method: 'POST', url: '/api/v1/taxes', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(res.statusCode, 400, payload);
      assert.deepEqual(res.json(), { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: tax' }, payload);
    }
  });

  test('NUL characters, which PostgreSQL cannot store, are dropped from bodies and name nothing in URLs', async () => {
    const { key } = await t.newOrganization();
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/taxes',
      headers: { 'content-type': 'application/json' },
      payload: '{"tax": {"name": "V\\u0000AT", "code": "nul\\u0000code", "rate": "5"}}',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().tax.name, 'VAT');
    assert.equal(res.json().tax.code, 'nulcode');
    for (const url of ['/api/v1/taxes/nul%00code', '/api/v1/customers?search_term=a%00b']) {
      const r = await t.request(key, { method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.deepEqual(r.json(), { status: 404, error: 'Not Found', code: 'resource_not_found' });
    }
  });

  test('an unknown route is Lago\'s resource_not_found, with or without a key', async () => {
    for (const k of [key, null]) {
      const res = await t.request(k, { method: 'GET', url: '/api/v1/nothing_here' });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { status: 404, error: 'Not Found', code: 'resource_not_found' });
    }
  });

  test('pagination reads page and per_page leniently and reports meta as Lago does', async () => {
    for (const code of ['a', 'b', 'c']) {
      await t.request(key, { method: 'POST', url: '/api/v1/taxes', payload: { tax: { name: code, code, rate: 1 } } });
    }
    const page2 = await t.request(key, { method: 'GET', url: '/api/v1/taxes?page=2&per_page=2' });
    assert.deepEqual(page2.json().meta, { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 });
    assert.deepEqual(page2.json().taxes.map((x: { code: string }) => x.code), ['c']);
    const lenient = await t.request(key, { method: 'GET', url: '/api/v1/taxes?page=abc&per_page=-4' });
    assert.equal(lenient.statusCode, 200);
    assert.equal(lenient.json().meta.current_page, 1);
    assert.equal(lenient.json().taxes.length, 3);
    const beyond = await t.request(key, { method: 'GET', url: '/api/v1/taxes?page=9&per_page=2' });
    assert.deepEqual(beyond.json().meta, { current_page: 9, next_page: null, prev_page: 8, total_pages: 2, total_count: 3 });
    const { key: empty } = await t.newOrganization();
    const none = await t.request(empty, { method: 'GET', url: '/api/v1/taxes' });
    assert.deepEqual(none.json(), { taxes: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
  });

  test('the OpenAPI document is generated from the route schemas and documents every route', async () => {
    const res = await t.request(null, { method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = routeTable(t.app.http)
      .filter((r) => !r.hidden && !r.url.includes('*'))
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    assert.ok(served.length > 40, `only ${served.length} routes`);
    for (const route of served) assert.ok(documented.has(route), `${route} is not in the OpenAPI document`);
    const taxCreate = doc.paths['/api/v1/taxes'].post;
    assert.ok(taxCreate.requestBody.content['application/json'].schema.properties.tax);
    assert.ok(taxCreate.responses['200'].content['application/json'].schema);
    assert.ok(taxCreate.responses['422']);
  });

});
