import assert from 'node:assert/strict';
import { createPublicKey, sign, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { WebhookEndpointObject } from 'lago-javascript-client';
import { loadSigningKeys } from '../../src/modules/webhook-endpoints/signing-keys.ts';
import { WEBHOOK_TYPES } from '../../src/modules/webhook-endpoints/types.ts';
import { lagoError, startTestApp, type TestApp } from '../support/app.ts';
import { snapshotDatabase } from '../support/snapshot.ts';

const LIMIT_MESSAGE = 'Maximum number of webhook endpoints was reached';

describe('webhook endpoints', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ listen: true });
    ({ key } = await t.newOrganization());
  });
  after(() => t.close());

  const post = (apiKey: string, payload: unknown) =>
    t.request(apiKey, { method: 'POST', url: '/api/v1/webhook_endpoints', payload: payload as object });
  const put = (apiKey: string, id: string, payload: unknown) =>
    t.request(apiKey, { method: 'PUT', url: `/api/v1/webhook_endpoints/${id}`, payload: payload as object });
  const created = async (apiKey: string, fields: Record<string, unknown>): Promise<WebhookEndpointObject> => {
    const res = await post(apiKey, { webhook_endpoint: fields });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().webhook_endpoint;
  };
  const invalid = (details: unknown) => ({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });

  test('create, read, update, list and delete through the Lago client', async () => {
    const { key, id: organizationId } = await t.newOrganization();
    const client = t.client(key);
    const made = (
      await client.webhookEndpoints.createWebhookEndpoint({
        webhook_endpoint: {
          webhook_url: 'https://example.com/lago',
          signature_algo: 'hmac',
          name: 'Production',
          event_types: ['customer.created', 'invoice.created'],
        },
      })
    ).data.webhook_endpoint;
    assert.match(made.lago_id, /^[0-9a-f-]{36}$/);
    assert.match(made.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(made, {
      lago_id: made.lago_id,
      lago_organization_id: organizationId,
      webhook_url: 'https://example.com/lago',
      signature_algo: 'hmac',
      name: 'Production',
      event_types: ['customer.created', 'invoice.created'],
      created_at: made.created_at,
    });

    assert.deepEqual((await client.webhookEndpoints.findWebhookEndpoint(made.lago_id)).data.webhook_endpoint, made);

    const updated = (
      await client.webhookEndpoints.updateWebhookEndpoint(made.lago_id, {
        webhook_endpoint: { webhook_url: 'http://foo.bar', signature_algo: 'jwt', name: 'Renamed', event_types: ['invoice.voided'] },
      })
    ).data.webhook_endpoint;
    assert.deepEqual(updated, { ...made, webhook_url: 'http://foo.bar', signature_algo: 'jwt', name: 'Renamed', event_types: ['invoice.voided'] });

    const other = (await client.webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://a.example.com' } })).data
      .webhook_endpoint;
    const list = (await client.webhookEndpoints.findAllWebhookEndpoints({ page: 1, per_page: 10 })).data;
    assert.deepEqual(
      list.webhook_endpoints.map((e) => e.webhook_url),
      ['http://foo.bar', 'https://a.example.com'],
    );
    assert.deepEqual(list.meta, { current_page: 1, next_page: null, prev_page: null, total_pages: 1, total_count: 2 });

    const deleted = (await client.webhookEndpoints.destroyWebhookEndpoint(made.lago_id)).data.webhook_endpoint;
    assert.deepEqual(deleted, updated);
    await assert.rejects(client.webhookEndpoints.findWebhookEndpoint(made.lago_id), (e) => {
      const { status, body } = lagoError(e);
      assert.equal(status, 404);
      assert.deepEqual(body, { status: 404, error: 'Not Found', code: 'webhook_endpoint_not_found' });
      return true;
    });
    assert.deepEqual(
      (await client.webhookEndpoints.findAllWebhookEndpoints()).data.webhook_endpoints.map((e) => e.lago_id),
      [other.lago_id],
    );
  });

  test("Lago's defaults: jwt, no name, every event type; an update changes only the fields it is given", async () => {
    const endpoint = await created(key, { webhook_url: 'https://defaults.example.com' });
    assert.equal(endpoint.signature_algo, 'jwt');
    assert.equal(endpoint.name, null);
    assert.equal(endpoint.event_types, null);
    const nullAlgo = await created(key, { webhook_url: 'https://null-algo.example.com', signature_algo: null, event_types: null, name: null });
    assert.equal(nullAlgo.signature_algo, 'jwt');

    const hmac = await put(key, endpoint.lago_id, { webhook_endpoint: { signature_algo: 'hmac', name: 'n', event_types: ['plan.created'] } });
    assert.equal(hmac.statusCode, 200);
    const urlOnly = await put(key, endpoint.lago_id, { webhook_endpoint: { webhook_url: 'https://defaults2.example.com' } });
    assert.deepEqual(urlOnly.json().webhook_endpoint, {
      ...endpoint,
      webhook_url: 'https://defaults2.example.com',
      signature_algo: 'hmac',
      name: 'n',
      event_types: ['plan.created'],
    });
    const cleared = await put(key, endpoint.lago_id, { webhook_endpoint: { name: null, event_types: null } });
    assert.equal(cleared.json().webhook_endpoint.name, null);
    assert.equal(cleared.json().webhook_endpoint.event_types, null);
    const none = await put(key, endpoint.lago_id, { webhook_endpoint: { event_types: [] } });
    assert.deepEqual(none.json().webhook_endpoint.event_types, []);
    // A URL may be given again unchanged: it is its own, not a duplicate.
    const same = await put(key, endpoint.lago_id, { webhook_endpoint: { webhook_url: 'https://defaults2.example.com' } });
    assert.equal(same.statusCode, 200);
    // PATCH is routed beside PUT, as Rails resources do.
    const patched = await t.request(key, {
      method: 'PATCH',
      url: `/api/v1/webhook_endpoints/${endpoint.lago_id}`,
      payload: { webhook_endpoint: { name: 'patched' } },
    });
    assert.equal(patched.json().webhook_endpoint.name, 'patched');
  });

  test('event types are trimmed, lower-cased and deduplicated; ["*"] means every type', async () => {
    const normalized = await created(key, {
      webhook_url: 'https://types.example.com',
      event_types: [' Customer.Created ', 'invoice.drafted ', ' Invoice.DRAFTED', null, '  ', ''],
    });
    assert.deepEqual(normalized.event_types, ['customer.created', 'invoice.drafted']);
    const star = await created(key, { webhook_url: 'https://star.example.com', event_types: ['*'] });
    assert.equal(star.event_types, null);
    const everyType = await created(key, { webhook_url: 'https://all-types.example.com', event_types: [...WEBHOOK_TYPES] });
    assert.deepEqual(everyType.event_types, [...WEBHOOK_TYPES]);
    const starAgain = await put(key, normalized.lago_id, { webhook_endpoint: { event_types: [' * '] } });
    assert.equal(starAgain.json().webhook_endpoint.event_types, null);
  });

  test('the list of webhook types is the 75 names of Lago\'s webhook_event_types.yml', () => {
    assert.equal(WEBHOOK_TYPES.length, 75);
    assert.equal(new Set(WEBHOOK_TYPES).size, 75);
    for (const type of ['invoice.created', 'event.error', 'credit_note.provider_refund_failure', 'subscription.usage_threshold_reached']) {
      assert.ok((WEBHOOK_TYPES as readonly string[]).includes(type), type);
    }
    assert.ok(!(WEBHOOK_TYPES as readonly string[]).includes('invoice.add_on_added'));
  });

  const missingWrapper = { status: 400, error: 'BadRequest: param is missing or the value is empty or invalid: webhook_endpoint' };
  const refusedOnCreate: Array<[string, unknown, number, unknown]> = [
    ['missing wrapper', { webhook_url: 'https://x.example.com' }, 400, missingWrapper],
    ['empty wrapper', { webhook_endpoint: {} }, 400, missingWrapper],
    ['wrapper not an object', { webhook_endpoint: 'https://x.example.com' }, 400, missingWrapper],
    ['wrapper a list', { webhook_endpoint: [] }, 400, missingWrapper],
    ['no URL', { webhook_endpoint: { name: 'x' } }, 422, invalid({ webhook_url: ['value_is_mandatory', 'url_is_invalid'] })],
    ['null URL', { webhook_endpoint: { webhook_url: null } }, 422, invalid({ webhook_url: ['value_is_mandatory', 'url_is_invalid'] })],
    ['empty URL', { webhook_endpoint: { webhook_url: '' } }, 422, invalid({ webhook_url: ['value_is_mandatory', 'url_is_invalid'] })],
    ['blank URL', { webhook_endpoint: { webhook_url: '   ' } }, 422, invalid({ webhook_url: ['value_is_mandatory', 'url_is_invalid'] })],
    ['not a URL', { webhook_endpoint: { webhook_url: 'foobar' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['ftp URL', { webhook_endpoint: { webhook_url: 'ftp://foo.bar' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['no host', { webhook_endpoint: { webhook_url: 'http://' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['no slashes', { webhook_endpoint: { webhook_url: 'http:foo.bar' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['space in host', { webhook_endpoint: { webhook_url: 'http://foo bar.com' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['space in path', { webhook_endpoint: { webhook_url: 'http://foo.bar/a b' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['bad port', { webhook_endpoint: { webhook_url: 'http://foo.bar:port' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['non-ASCII', { webhook_endpoint: { webhook_url: 'https://bücher.example/' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['bad IPv6', { webhook_endpoint: { webhook_url: 'http://[::g]/' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['line break', { webhook_endpoint: { webhook_url: 'https://x.example.com/\nx' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
    ['URL a number', { webhook_endpoint: { webhook_url: 42 } }, 422, invalid({ webhook_url: ['value_is_invalid'] })],
    ['URL too long', { webhook_endpoint: { webhook_url: `https://x.example.com/${'a'.repeat(2100)}` } }, 422, invalid({ webhook_url: ['value_is_too_long'] })],
    ['unknown algorithm', { webhook_endpoint: { webhook_url: 'https://x.example.com', signature_algo: 'rsa' } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
    ['algorithm in capitals', { webhook_endpoint: { webhook_url: 'https://x.example.com', signature_algo: 'JWT' } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
    ['empty algorithm', { webhook_endpoint: { webhook_url: 'https://x.example.com', signature_algo: '' } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
    ['algorithm a number', { webhook_endpoint: { webhook_url: 'https://x.example.com', signature_algo: 1 } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
    ['name a number', { webhook_endpoint: { webhook_url: 'https://x.example.com', name: 5 } }, 422, invalid({ name: ['value_is_invalid'] })],
    ['event types a string', { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: 'wrong' } }, 422, invalid({ event_types: ['must_be_array'] })],
    ['event types an object', { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: { a: 1 } } }, 422, invalid({ event_types: ['must_be_array'] })],
    ['event types empty text', { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: '' } }, 422, invalid({ event_types: ['must_be_array'] })],
    [
      'unknown event type',
      { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: ['wrong.type'] } },
      422,
      invalid({ event_types: ['contains invalid types: ["wrong.type"]'] }),
    ],
    [
      'several unknown event types, named after normalisation',
      { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: ['invoice.created', ' Foo ', 'bar', 'foo', 7] } },
      422,
      invalid({ event_types: ['contains invalid types: ["foo", "bar", "7"]'] }),
    ],
    [
      '* beside other types',
      { webhook_endpoint: { webhook_url: 'https://x.example.com', event_types: ['*', 'customer.created'] } },
      422,
      invalid({ event_types: ['contains invalid types: ["*"]'] }),
    ],
    [
      'everything wrong at once',
      { webhook_endpoint: { webhook_url: 'nope', signature_algo: 'md5', event_types: ['nope'] } },
      422,
      invalid({ webhook_url: ['url_is_invalid'], signature_algo: ['value_is_invalid'], event_types: ['contains invalid types: ["nope"]'] }),
    ],
  ];
  for (const [name, payload, status, expected] of refusedOnCreate) {
    test(`refused on create: ${name}`, async () => {
      const before = await snapshotDatabase(t.database);
      const res = await post(key, payload);
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), expected);
      assert.equal(await snapshotDatabase(t.database), before);
    });
  }

  test('URLs Lago accepts: http and https in any case, ports, IP literals, user info, queries and fragments', async () => {
    const { key } = await t.newOrganization();
    for (const url of [
      'http://foo.bar',
      'HTTPS://Foo.Bar:8443/a/b?x=1&y=[2]#frag',
      'http://user:pass@10.0.0.1:80/',
      'http://[::1]:3000/hook',
      'https://exa_mple.com/%20path/;p=1',
      'http://localhost',
    ]) {
      const res = await post(key, { webhook_endpoint: { webhook_url: url } });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.equal(res.json().webhook_endpoint.webhook_url, url);
    }
  });

  test('malformed JSON is a 400 and writes nothing', async () => {
    const before = await snapshotDatabase(t.database);
    const res = await t.request(key, {
      method: 'POST',
      url: '/api/v1/webhook_endpoints',
      headers: { 'content-type': 'application/json' },
      payload: '{"webhook_endpoint": {"webhook_url": ',
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { status: 400, error: 'Bad Request' });
    assert.equal(await snapshotDatabase(t.database), before);
  });

  test('an update is checked like a creation and, refused, changes nothing', async () => {
    const { key } = await t.newOrganization();
    const endpoint = await created(key, { webhook_url: 'https://keep.example.com', event_types: ['plan.created'] });
    const cases: Array<[unknown, number, unknown]> = [
      [{ webhook_url: 'https://x.example.com' }, 400, missingWrapper],
      [{ webhook_endpoint: {} }, 400, missingWrapper],
      [{ webhook_endpoint: { webhook_url: null } }, 422, invalid({ webhook_url: ['value_is_mandatory', 'url_is_invalid'] })],
      [{ webhook_endpoint: { webhook_url: 'not a url' } }, 422, invalid({ webhook_url: ['url_is_invalid'] })],
      [{ webhook_endpoint: { signature_algo: null } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
      [{ webhook_endpoint: { signature_algo: 'none' } }, 422, invalid({ signature_algo: ['value_is_invalid'] })],
      [{ webhook_endpoint: { event_types: 'wrong' } }, 422, invalid({ event_types: ['must_be_array'] })],
      [{ webhook_endpoint: { event_types: ['wrong.type'] } }, 422, invalid({ event_types: ['contains invalid types: ["wrong.type"]'] })],
      [{ webhook_endpoint: { name: ['x'] } }, 422, invalid({ name: ['value_is_invalid'] })],
    ];
    for (const [payload, status, expected] of cases) {
      const before = await snapshotDatabase(t.database);
      const res = await put(key, endpoint.lago_id, payload);
      assert.equal(res.statusCode, status, JSON.stringify(payload));
      assert.deepEqual(res.json(), expected, JSON.stringify(payload));
      assert.equal(await snapshotDatabase(t.database), before);
    }
    const after = await t.request(key, { method: 'GET', url: `/api/v1/webhook_endpoints/${endpoint.lago_id}` });
    assert.deepEqual(after.json().webhook_endpoint, endpoint);
  });

  test('a URL is unique within an organization, on create and on update, but two organizations may share one', async () => {
    const { key } = await t.newOrganization();
    const first = await created(key, { webhook_url: 'https://dup.example.com' });
    const second = await created(key, { webhook_url: 'https://dup2.example.com' });
    const again = await post(key, { webhook_endpoint: { webhook_url: 'https://dup.example.com' } });
    assert.deepEqual(again.json(), invalid({ webhook_url: ['value_already_exist'] }));
    const moved = await put(key, second.lago_id, { webhook_endpoint: { webhook_url: 'https://dup.example.com' } });
    assert.deepEqual(moved.json(), invalid({ webhook_url: ['value_already_exist'] }));
    // Case matters, as in PostgreSQL's unique index.
    const otherCase = await post(key, { webhook_endpoint: { webhook_url: 'https://DUP.example.com' } });
    assert.equal(otherCase.statusCode, 200);
    const { key: otherOrg } = await t.newOrganization();
    const shared = await created(otherOrg, { webhook_url: 'https://dup.example.com' });
    assert.notEqual(shared.lago_id, first.lago_id);
  });

  test('concurrent creations of one URL: one succeeds, the others get value_already_exist', async () => {
    const { key } = await t.newOrganization();
    const results = await Promise.all(Array.from({ length: 5 }, () => post(key, { webhook_endpoint: { webhook_url: 'https://race.example.com' } })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 422, 422, 422, 422]);
    for (const r of results.filter((r) => r.statusCode === 422)) assert.deepEqual(r.json(), invalid({ webhook_url: ['value_already_exist'] }));
  });

  test('at most 10 endpoints per organization; deleting one frees a place', async () => {
    const { key } = await t.newOrganization();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await created(key, { webhook_url: `https://limit${i}.example.com` })).lago_id);
    const before = await snapshotDatabase(t.database);
    const eleventh = await post(key, { webhook_endpoint: { webhook_url: 'https://limit10.example.com' } });
    assert.equal(eleventh.statusCode, 422);
    assert.deepEqual(eleventh.json(), invalid({ base: [LIMIT_MESSAGE] }));
    // The limit is one check among the others.
    const both = await post(key, { webhook_endpoint: { webhook_url: 'bad' } });
    assert.deepEqual(both.json(), invalid({ webhook_url: ['url_is_invalid'], base: [LIMIT_MESSAGE] }));
    assert.equal(await snapshotDatabase(t.database), before);
    // Updating an endpoint is not creating one.
    assert.equal((await put(key, ids[0]!, { webhook_endpoint: { name: 'still fine' } })).statusCode, 200);

    const deleted = await t.request(key, { method: 'DELETE', url: `/api/v1/webhook_endpoints/${ids[0]}` });
    assert.equal(deleted.statusCode, 200);
    assert.equal((await post(key, { webhook_endpoint: { webhook_url: 'https://limit10.example.com' } })).statusCode, 200);
    const list = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints' });
    assert.equal(list.json().meta.total_count, 10);
  });

  test('concurrent creations never pass the limit', async () => {
    const { key } = await t.newOrganization();
    for (let i = 0; i < 7; i++) await created(key, { webhook_url: `https://pre${i}.example.com` });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(key, { webhook_endpoint: { webhook_url: `https://burst${i}.example.com` } })),
    );
    assert.equal(results.filter((r) => r.statusCode === 200).length, 3);
    for (const r of results.filter((r) => r.statusCode !== 200)) assert.deepEqual(r.json(), invalid({ base: [LIMIT_MESSAGE] }));
    const list = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints' });
    assert.equal(list.json().meta.total_count, 10);
  });

  test("the list follows Lago's order (URL, then newest first) and paginates", async () => {
    const { key } = await t.newOrganization();
    for (const url of ['https://c.example.com', 'https://a.example.com', 'https://d.example.com', 'https://b.example.com']) {
      await created(key, { webhook_url: url });
    }
    const page1 = (await t.client(key).webhookEndpoints.findAllWebhookEndpoints({ page: 1, per_page: 3 })).data;
    assert.deepEqual(
      page1.webhook_endpoints.map((e) => e.webhook_url),
      ['https://a.example.com', 'https://b.example.com', 'https://c.example.com'],
    );
    assert.deepEqual(page1.meta, { current_page: 1, next_page: 2, prev_page: null, total_pages: 2, total_count: 4 });
    const page2 = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints?page=2&per_page=3' });
    assert.deepEqual(page2.json().webhook_endpoints.map((e: WebhookEndpointObject) => e.webhook_url), ['https://d.example.com']);
    const past = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints?page=9&per_page=3' });
    assert.deepEqual(past.json().webhook_endpoints, []);
    // Lenient paging, as Lago's: nonsense falls back to the defaults.
    const lenient = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints?page=abc&per_page=-1' });
    assert.equal(lenient.statusCode, 200);
    assert.equal(lenient.json().webhook_endpoints.length, 4);
    const { key: empty } = await t.newOrganization();
    const none = await t.request(empty, { method: 'GET', url: '/api/v1/webhook_endpoints' });
    assert.deepEqual(none.json(), { webhook_endpoints: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
  });

  test('an unknown or malformed lago_id is a 404 on GET, PUT, PATCH and DELETE', async () => {
    const notFound = { status: 404, error: 'Not Found', code: 'webhook_endpoint_not_found' };
    for (const id of ['0190a4f2-0000-7000-8000-000000000000', 'abc', '1', 'null', "1'%20OR%201=1", '%E2%9C%93']) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const res = await t.request(key, {
          method,
          url: `/api/v1/webhook_endpoints/${id}`,
          payload: method === 'PUT' || method === 'PATCH' ? { webhook_endpoint: { name: 'x' } } : undefined,
        });
        assert.equal(res.statusCode, 404, `${method} ${id}: ${res.body}`);
        assert.deepEqual(res.json(), notFound);
      }
    }
  });

  test("another organization's key cannot see, list, change or delete an endpoint", async () => {
    const { key: owner } = await t.newOrganization({ name: 'Owner' });
    const { key: intruder } = await t.newOrganization({ name: 'Intruder' });
    const endpoint = await created(owner, { webhook_url: 'https://owner.example.com', signature_algo: 'hmac' });
    const before = await snapshotDatabase(t.database);
    const intruderClient = t.client(intruder);
    await assert.rejects(intruderClient.webhookEndpoints.findWebhookEndpoint(endpoint.lago_id), (e) => lagoError(e).status === 404);
    await assert.rejects(
      intruderClient.webhookEndpoints.updateWebhookEndpoint(endpoint.lago_id, { webhook_endpoint: { webhook_url: 'https://evil.example.com' } }),
      (e) => lagoError(e).body.code === 'webhook_endpoint_not_found',
    );
    await assert.rejects(intruderClient.webhookEndpoints.destroyWebhookEndpoint(endpoint.lago_id), (e) => lagoError(e).status === 404);
    assert.deepEqual((await intruderClient.webhookEndpoints.findAllWebhookEndpoints()).data.webhook_endpoints, []);
    // The intruder's organization update touches its own endpoints, never the owner's.
    assert.equal(await snapshotDatabase(t.database), before);
    await intruderClient.organizations.updateOrganization({ organization: { webhook_url: 'https://intruder.example.com' } });
    const mine = await t.request(owner, { method: 'GET', url: `/api/v1/webhook_endpoints/${endpoint.lago_id}` });
    assert.deepEqual(mine.json().webhook_endpoint, endpoint);
    const ownerList = await t.request(owner, { method: 'GET', url: '/api/v1/webhook_endpoints' });
    assert.deepEqual(ownerList.json().webhook_endpoints.map((e: WebhookEndpointObject) => e.lago_id), [endpoint.lago_id]);
  });

  test('a missing or wrong key is a 401 on every route', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/webhook_endpoints'],
      ['POST', '/api/v1/webhook_endpoints'],
      ['GET', '/api/v1/webhooks/public_key'],
      ['GET', '/api/v1/webhooks/json_public_key'],
    ] as const) {
      for (const apiKey of [null, 'billow_wrong']) {
        const res = await t.request(apiKey, { method, url, payload: method === 'POST' ? { webhook_endpoint: { webhook_url: 'https://x.example.com' } } : undefined });
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), { status: 401, error: 'Unauthorized' });
      }
    }
  });
});

describe('webhook signing keys and the public key routes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  /** Ruby's Base64.encode64 layout: lines of 60 characters, each ending in a newline. */
  const assertMimeBase64 = (text: string) => {
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    for (const line of lines.slice(0, -1)) assert.equal(line.length, 60);
    assert.ok(lines.at(-1)!.length > 0 && lines.at(-1)!.length <= 60);
    assert.match(text, /^[A-Za-z0-9+/=\n]+$/);
  };

  test('GET /webhooks/public_key: base64 of the PEM as text/plain, a 2048-bit RSA key that verifies the stored private key', async () => {
    const { key, id } = await t.newOrganization();
    const res = await t.request(key, { method: 'GET', url: '/api/v1/webhooks/public_key' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assertMimeBase64(res.body);
    const pem = Buffer.from(res.body, 'base64').toString('utf8');
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const publicKey = createPublicKey(pem);
    assert.equal(publicKey.asymmetricKeyType, 'rsa');
    assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 2048);

    const stored = await loadSigningKeys(t.app.database.db, id, new Date());
    assert.equal(stored.publicKeyPem, pem);
    const message = Buffer.from('{"webhook_type":"invoice.created"}');
    const signature = sign('sha256', message, stored.privateKeyPem);
    assert.ok(verify('sha256', message, publicKey, signature));
    assert.ok(!verify('sha256', Buffer.from('{"webhook_type":"invoice.voided"}'), publicKey, signature));

    // Through the official client (it reads the body as text), the same key again.
    const viaClient = await t.client(key).webhooks.fetchPublicKey();
    assert.equal(viaClient.data, res.body);
  });

  test('GET /webhooks/json_public_key: the same text under webhook.public_key', async () => {
    const { key } = await t.newOrganization();
    const json = (await t.client(key).webhooks.fetchJsonPublicKey()).data;
    assert.deepEqual(Object.keys(json), ['webhook']);
    assert.deepEqual(Object.keys(json.webhook), ['public_key']);
    assertMimeBase64(json.webhook.public_key);
    const plain = await t.request(key, { method: 'GET', url: '/api/v1/webhooks/public_key' });
    assert.equal(json.webhook.public_key, plain.body);
    assert.doesNotThrow(() => createPublicKey(Buffer.from(json.webhook.public_key, 'base64').toString('utf8')));
  });

  test('each organization has its own key pair, made once and kept', async () => {
    const a = await t.newOrganization();
    const b = await t.newOrganization();
    const keyOf = async (apiKey: string) => (await t.request(apiKey, { method: 'GET', url: '/api/v1/webhooks/public_key' })).body;
    const first = await keyOf(a.key);
    assert.equal(await keyOf(a.key), first);
    assert.notEqual(await keyOf(b.key), first);
    const rows = await t.database.withSession((s) =>
      s.query<{ n: number }>('SELECT count(*)::int AS n FROM organization_signing_keys WHERE organization_id IN ($1, $2)', [a.id, b.id]),
    );
    assert.equal(rows[0]!.n, 2);
  });

  test('concurrent first loads agree on one key pair', async () => {
    const { id } = await t.newOrganization();
    const now = new Date('2025-01-01T00:00:00Z');
    const loads = await Promise.all(Array.from({ length: 4 }, () => loadSigningKeys(t.app.database.db, id, now)));
    for (const keys of loads) assert.deepEqual(keys, loads[0]);
    const rows = await t.database.withSession((s) =>
      s.query<{ n: number; created_at: Date }>(
        'SELECT count(*) OVER ()::int AS n, created_at FROM organization_signing_keys WHERE organization_id = $1',
        [id],
      ),
    );
    assert.equal(rows.length, 1);
    assert.equal(new Date(rows[0]!.created_at).toISOString(), now.toISOString());
    const message = Buffer.from('x');
    assert.ok(verify('sha256', message, loads[0]!.publicKeyPem, sign('sha256', message, loads[0]!.privateKeyPem)));
  });
});

describe('the organization shows its HMAC key and webhook URLs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ listen: true });
  });
  after(() => t.close());

  const show = async (key: string) => (await t.request(key, { method: 'GET', url: '/api/v1/organizations' })).json().organization;
  const putOrganization = (key: string, organization: unknown) =>
    t.request(key, { method: 'PUT', url: '/api/v1/organizations', payload: { organization } as object });

  test('hmac_key is shown, differs between organizations; webhook_url is "" and webhook_urls [] without endpoints', async () => {
    const a = await t.newOrganization();
    const b = await t.newOrganization();
    const shownA = await show(a.key);
    const [stored] = await t.database.withSession((s) => s.query<{ hmac_key: string }>('SELECT hmac_key FROM organizations WHERE id = $1', [a.id]));
    assert.equal(shownA.hmac_key, stored!.hmac_key);
    assert.ok(shownA.hmac_key.length >= 32);
    assert.notEqual((await show(b.key)).hmac_key, shownA.hmac_key);
    assert.equal(shownA.webhook_url, '');
    assert.deepEqual(shownA.webhook_urls, []);
    // Every other field is still there.
    for (const field of ['lago_id', 'name', 'default_currency', 'created_at', 'timezone', 'billing_configuration', 'events_store']) {
      assert.ok(field in shownA, field);
    }
  });

  test('webhook_url is the first endpoint (by creation) and webhook_urls lists them all', async () => {
    const { key } = await t.newOrganization();
    const client = t.client(key);
    await client.webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://z-first.example.com' } });
    await client.webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://a-second.example.com' } });
    const shown = (await client.organizations.findOrganization()).data.organization;
    assert.equal(shown.webhook_url, 'https://z-first.example.com');
    assert.deepEqual(shown.webhook_urls, ['https://z-first.example.com', 'https://a-second.example.com']);
  });

  test('PUT /organizations with webhook_url makes a jwt endpoint when there is none, and then moves the first one', async () => {
    const { key } = await t.newOrganization();
    const client = t.client(key);
    const updated = (await client.organizations.updateOrganization({ organization: { webhook_url: 'https://hooks.example.com/v1' } })).data
      .organization;
    assert.equal(updated.webhook_url, 'https://hooks.example.com/v1');
    assert.deepEqual(updated.webhook_urls, ['https://hooks.example.com/v1']);
    const [endpoint] = (await client.webhookEndpoints.findAllWebhookEndpoints()).data.webhook_endpoints;
    assert.equal(endpoint!.webhook_url, 'https://hooks.example.com/v1');
    assert.equal(endpoint!.signature_algo, 'jwt');
    assert.equal(endpoint!.event_types, null);

    await client.webhookEndpoints.updateWebhookEndpoint(endpoint!.lago_id, { webhook_endpoint: { signature_algo: 'hmac', name: 'kept' } as never });
    await client.webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://second.example.com' } });
    const moved = (await client.organizations.updateOrganization({ organization: { webhook_url: 'https://hooks.example.com/v2' } })).data.organization;
    assert.deepEqual(moved.webhook_urls, ['https://hooks.example.com/v2', 'https://second.example.com']);
    const first = (await client.webhookEndpoints.findWebhookEndpoint(endpoint!.lago_id)).data.webhook_endpoint;
    assert.deepEqual(first, { ...endpoint!, webhook_url: 'https://hooks.example.com/v2', signature_algo: 'hmac', name: 'kept' });
  });

  test("a bad webhook_url on PUT /organizations gets the endpoint's codes and changes nothing, organization fields included", async () => {
    const { key } = await t.newOrganization();
    await t.client(key).webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://one.example.com' } });
    await t.client(key).webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: 'https://two.example.com' } });
    const cases: Array<[unknown, unknown]> = [
      [{ webhook_url: 'not a url', legal_name: 'Changed' }, { webhook_url: ['url_is_invalid'] }],
      [{ webhook_url: null }, { webhook_url: ['value_is_mandatory', 'url_is_invalid'] }],
      [{ webhook_url: '' }, { webhook_url: ['value_is_mandatory', 'url_is_invalid'] }],
      [{ webhook_url: 'https://two.example.com' }, { webhook_url: ['value_already_exist'] }],
      [{ webhook_url: 12 }, { webhook_url: ['value_is_invalid'] }],
      // Lago reports the endpoint's errors alone: they stop the update before the organization is checked.
      [{ webhook_url: 'ftp://x', timezone: 'Mars/Olympus' }, { webhook_url: ['url_is_invalid'] }],
    ];
    for (const [organization, details] of cases) {
      const before = await snapshotDatabase(t.database);
      const res = await putOrganization(key, organization);
      assert.equal(res.statusCode, 422, JSON.stringify(organization));
      assert.deepEqual(res.json(), { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: details });
      assert.equal(await snapshotDatabase(t.database), before);
    }
    // A valid URL with a bad organization field: the organization's error, and the endpoint is left as it was.
    const before = await snapshotDatabase(t.database);
    const res = await putOrganization(key, { webhook_url: 'https://three.example.com', timezone: 'Mars/Olympus' });
    assert.deepEqual(res.json().error_details, { timezone: ['invalid_timezone'] });
    assert.equal(await snapshotDatabase(t.database), before);
    assert.deepEqual((await show(key)).webhook_urls, ['https://one.example.com', 'https://two.example.com']);
  });

  test('concurrent PUT /organizations with a webhook_url on an organization without endpoints make one endpoint', async () => {
    const { key } = await t.newOrganization();
    // Connections opened beforehand, so that the updates really overlap on PostgreSQL.
    await Promise.all(Array.from({ length: 8 }, () => show(key)));
    const urls = Array.from({ length: 6 }, (_, i) => `https://p${i}.example.com`);
    const results = await Promise.all(urls.map((url) => putOrganization(key, { webhook_url: url })));
    for (const r of results) assert.equal(r.statusCode, 200, r.body);
    const list = await t.request(key, { method: 'GET', url: '/api/v1/webhook_endpoints' });
    assert.equal(list.json().meta.total_count, 1);
  });
});
