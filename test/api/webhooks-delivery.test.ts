import assert from 'node:assert/strict';
import { createHmac, createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

// Retries wait n^4 + 2 "seconds" of 5 ms here: a receiver down for a few attempts is back within a second.
const SETTINGS = { backoffUnitMs: 5, attempts: 5, timeoutMs: 2_000 };

let t: TestApp;
before(async () => {
  t = await startTestApp({ webhooks: SETTINGS });
});
after(async () => {
  await t.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const json = async (key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
  const response = await t.request(key, { method, url: `/api/v1${url}`, ...(payload !== undefined && { payload: payload as object }) });
  const isJson = String(response.headers['content-type'] ?? '').startsWith('application/json');
  return { status: response.statusCode, body: isJson ? JSON.parse(response.body) : null, raw: response.body, headers: response.headers };
};

const endpoint = async (key: string, webhookUrl: string, signatureAlgo: 'jwt' | 'hmac', eventTypes?: string[]) => {
  const created = await json(key, 'POST', '/webhook_endpoints', {
    webhook_endpoint: { webhook_url: webhookUrl, signature_algo: signatureAlgo, ...(eventTypes && { event_types: eventTypes }) },
  });
  assert.equal(created.status, 200, created.raw);
  return created.body.webhook_endpoint.lago_id as string;
};

const customer = (key: string, externalId: string, name = 'Ann') => json(key, 'POST', '/customers', { customer: { external_id: externalId, name } });

/** Runs the delivery worker's passes until `done` holds (the retry schedule needs a few passes), at most ~5 s. */
const deliverUntil = async (done: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500; i++) {
    await t.app.services.webhookDelivery.deliverDue();
    if (await done()) return;
    await sleep(10);
  }
  assert.fail('webhooks were not delivered in time');
};

const webhooks = async (key: string, query = '') => (await json(key, 'GET', `/webhooks${query}`)).body.webhooks as Record<string, any>[];

describe('webhooks: signed, delivered, retried and listed', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  it('signs each webhook for its endpoint: RS256 JWT verified with the public key, HMAC-SHA256 with the hmac_key', async () => {
    const { key, id: orgId } = await t.newOrganization({ name: 'Signed' });
    const jwtUrl = `${receiver.url}/jwt`;
    const hmacUrl = `${receiver.url}/hmac`;
    await endpoint(key, jwtUrl, 'jwt');
    await endpoint(key, hmacUrl, 'hmac');
    assert.equal((await customer(key, 'signed-1')).status, 200);
    const mine = () => receiver.requests.filter((r) => (r.json.organization_id as string) === orgId);
    await deliverUntil(() => mine().length === 2);

    const pem = Buffer.from((await json(key, 'GET', '/webhooks/public_key')).raw, 'base64').toString('utf8');
    const publicKey = createPublicKey(pem);
    const { hmac_key: hmacKey } = (await json(key, 'GET', '/organizations')).body.organization;
    const list = await webhooks(key);
    for (const request of mine()) {
      assert.deepEqual(Object.keys(request.json), ['webhook_type', 'object_type', 'organization_id', 'customer']);
      assert.equal(request.json.webhook_type, 'customer.created');
      assert.equal((request.json.customer as Record<string, unknown>).external_id, 'signed-1');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.ok(list.some((w) => w.lago_id === request.uniqueKey && w.status === 'succeeded' && w.payload === request.body));
      const signature = String(request.headers['x-lago-signature']);
      if (request.headers['x-lago-signature-algorithm'] === 'jwt') {
        const [header, claims, sig] = signature.split('.') as [string, string, string];
        assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'RS256' });
        assert.ok(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(sig, 'base64url')), 'the JWT verifies');
        const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString());
        assert.equal(decoded.data, request.body, 'the JWT carries the exact body');
        assert.equal(typeof decoded.iss, 'string');
      } else {
        assert.equal(request.headers['x-lago-signature-algorithm'], 'hmac');
        assert.equal(signature, createHmac('sha256', hmacKey).update(request.body).digest('base64'));
        // A tampered body does not verify.
        assert.notEqual(signature, createHmac('sha256', hmacKey).update(request.body.replace('signed-1', 'signed-2')).digest('base64'));
      }
    }
  });

  it('sends only the types an endpoint listens to, and nothing for a request that was refused', async () => {
    const { key, id: orgId } = await t.newOrganization({ name: 'Typed' });
    await endpoint(key, `${receiver.url}/typed`, 'hmac', ['customer.updated']);
    await customer(key, 'typed-1');
    await customer(key, 'typed-1', 'Ann Updated');
    const refused = await json(key, 'POST', '/customers', { customer: { external_id: 'typed-2', currency: 'XXX' } });
    assert.equal(refused.status, 422);
    await t.app.services.webhookDelivery.deliverDue();
    const mine = receiver.requests.filter((r) => r.json.organization_id === orgId);
    assert.deepEqual(mine.map((r) => r.json.webhook_type), ['customer.updated']);
    assert.equal((mine[0]!.json.customer as Record<string, unknown>).name, 'Ann Updated');
    assert.equal((await webhooks(key)).length, 1);
  });

  it('retries a receiver that is down for several attempts until it is back, each webhook delivered once, in order per object', async () => {
    const down = await startReceiver((n) => (n <= 6 ? 503 : 200));
    try {
      const { key } = await t.newOrganization({ name: 'Flaky' });
      await endpoint(key, down.url, 'hmac');
      await customer(key, 'flaky-1', 'v1');
      await customer(key, 'flaky-1', 'v2');
      await customer(key, 'flaky-1', 'v3');
      await customer(key, 'flaky-2', 'other');
      await deliverUntil(async () => (await webhooks(key, '?status=succeeded')).length === 4);
      const delivered = down.delivered();
      assert.equal(delivered.length, 4);
      // One object's changes arrive in the order they were made, whatever the failures before them.
      const flaky1 = delivered.filter((r) => (r.json.customer as Record<string, unknown>).external_id === 'flaky-1');
      assert.deepEqual(flaky1.map((r) => (r.json.customer as Record<string, unknown>).name), ['v1', 'v2', 'v3']);
      assert.deepEqual(flaky1.map((r) => r.json.webhook_type), ['customer.created', 'customer.updated', 'customer.updated']);
      // Every failed attempt is counted on the webhook that got it.
      const failures = down.requests.filter((r) => r.answered === 503).length;
      const listed = await webhooks(key);
      assert.equal(listed.reduce((sum, w) => sum + w.retries, 0), failures);
      assert.ok(listed.every((w) => w.status === 'succeeded' && w.http_status === 200 && w.next_attempt_at === null));
    } finally {
      await down.close();
    }
  });

  it('marks a webhook failed after its last attempt, lists it by status, and sends it again on retry', async () => {
    let up = false;
    const flaky = await startReceiver(() => (up ? 200 : 500));
    try {
      const { key } = await t.newOrganization({ name: 'Exhausted' });
      await endpoint(key, flaky.url, 'jwt');
      await customer(key, 'exhausted-1');
      await deliverUntil(async () => (await webhooks(key, '?status=failed')).length === 1);
      assert.equal(flaky.requests.length, SETTINGS.attempts);
      const [failed] = await webhooks(key, '?status=failed');
      assert.equal(failed!.retries, SETTINGS.attempts);
      assert.equal(failed!.http_status, 500);
      assert.equal((await webhooks(key, '?statuses[]=succeeded&statuses[]=pending')).length, 0);
      // Nothing more is tried on its own.
      await t.app.services.webhookDelivery.deliverDue();
      assert.equal(flaky.requests.length, SETTINGS.attempts);

      up = true;
      const retried = await json(key, 'POST', `/webhooks/${failed!.lago_id}/retry`);
      assert.equal(retried.status, 200, retried.raw);
      assert.equal(retried.body.webhook.status, 'retrying');
      await t.app.services.webhookDelivery.deliverDue();
      assert.equal((await json(key, 'GET', `/webhooks/${failed!.lago_id}`)).body.webhook.status, 'succeeded');
      assert.equal(flaky.delivered().length, 1);
      assert.equal(flaky.delivered()[0]!.uniqueKey, failed!.lago_id);
      assert.equal(flaky.delivered()[0]!.body, failed!.payload);

      const again = await json(key, 'POST', `/webhooks/${failed!.lago_id}/retry`);
      assert.equal(again.status, 405);
      assert.deepEqual(again.body, { status: 405, error: 'Method Not Allowed', code: 'is_succeeded' });
    } finally {
      await flaky.close();
    }
  });

  it('gives a failed re-send one attempt only, and keeps answers without NUL and at most 2,000 characters', async () => {
    const odd = await startReceiver((n) => (n === 1 ? { status: 500, body: 'x'.repeat(100_000) } : { status: 200, body: 'ok\u0000done' }));
    try {
      const { key } = await t.newOrganization({ name: 'Odd' });
      await endpoint(key, odd.url, 'hmac');
      await customer(key, 'odd-1');
      // The first answer is a 500 (retried), the second a 200 whose body holds a NUL.
      await deliverUntil(async () => (await webhooks(key, '?status=succeeded')).length === 1);
      assert.equal(odd.requests.length, 2);
      const [sent] = await webhooks(key);
      assert.equal(sent!.response, 'okdone');
      assert.equal(sent!.retries, 1);

      // A failed webhook sent again gets one attempt; failing again, it is failed again, not retried on its own.
      const down = await startReceiver(() => 503);
      try {
        const other = await t.newOrganization({ name: 'Odd again' });
        await endpoint(other.key, down.url, 'hmac');
        await customer(other.key, 'odd-2');
        await deliverUntil(async () => (await webhooks(other.key, '?status=failed')).length === 1);
        const [failed] = await webhooks(other.key);
        assert.equal(failed!.response.length, '{"error":"down"}'.length);
        assert.equal((await json(other.key, 'POST', `/webhooks/${failed!.lago_id}/retry`)).status, 200);
        await t.app.services.webhookDelivery.deliverDue();
        await sleep(50);
        await t.app.services.webhookDelivery.deliverDue();
        assert.equal(down.requests.length, SETTINGS.attempts + 1);
        assert.equal((await webhooks(other.key))[0]!.status, 'failed');
      } finally {
        await down.close();
      }
    } finally {
      await odd.close();
    }
  });

  it('delivers to an endpoint on a port web browsers refuse (6666): a webhook endpoint may listen anywhere', async () => {
    let irc: Receiver;
    try {
      irc = await startReceiver(() => 200, 6666);
    } catch {
      return; // the port is taken on this machine: nothing to prove here
    }
    try {
      const { key } = await t.newOrganization({ name: 'Odd port' });
      await endpoint(key, irc.url, 'hmac');
      await customer(key, 'odd-port-1');
      await t.app.services.webhookDelivery.deliverDue();
      assert.equal(irc.delivered().length, 1);
      assert.equal((await webhooks(key))[0]!.status, 'succeeded');
    } finally {
      await irc.close();
    }
  });

  it('sends each attempt on a new connection: a receiver that dropped an idle kept-alive connection costs no attempt', async () => {
    // A receiver as one whose idle timeout just ran out: it answers one request per connection (and says keep-alive),
    // then drops the connection if another request arrives on it.
    const bodies: string[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      let served = false;
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        if (served) {
          socket.resetAndDestroy();
          return;
        }
        data = Buffer.concat([data, chunk]);
        const end = data.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(data.toString('latin1'))?.[1] ?? NaN);
        if (end < 0 || data.length < end + 4 + length) return;
        served = true;
        bodies.push(data.subarray(end + 4, end + 4 + length).toString('utf8'));
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n{}');
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { key } = await t.newOrganization({ name: 'Idle receiver' });
      await endpoint(key, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, 'hmac');
      for (const id of ['idle-1', 'idle-2', 'idle-3']) {
        await customer(key, id);
        await t.app.services.webhookDelivery.deliverDue();
      }
      assert.deepEqual(bodies.map((b) => JSON.parse(b).customer.external_id), ['idle-1', 'idle-2', 'idle-3']);
      assert.deepEqual((await webhooks(key)).map((w) => [w.status, w.retries]), [['succeeded', 0], ['succeeded', 0], ['succeeded', 0]]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers bad webhook requests with Lago 4xx bodies and hides other organizations\' webhooks', async () => {
    const a = await t.newOrganization({ name: 'Mine' });
    const b = await t.newOrganization({ name: 'Theirs' });
    await endpoint(a.key, `${receiver.url}/mine`, 'hmac');
    await customer(a.key, 'mine-1');
    const [mine] = await webhooks(a.key);
    assert.ok(mine);
    assert.deepEqual((await json(b.key, 'GET', `/webhooks/${mine.lago_id}`)).body, { status: 404, error: 'Not Found', code: 'webhook_not_found' });
    assert.equal((await json(b.key, 'POST', `/webhooks/${mine.lago_id}/retry`)).status, 404);
    assert.equal((await webhooks(b.key)).length, 0);
    assert.equal((await json(a.key, 'GET', '/webhooks/not-a-uuid')).status, 404);
    const badStatus = await json(a.key, 'GET', '/webhooks?status=lost');
    assert.equal(badStatus.status, 422);
    assert.deepEqual(badStatus.body.error_details, { status: ['value_is_invalid'] });
    assert.equal((await json(a.key, 'GET', '/webhooks?webhook_endpoint_id=nope')).status, 422);
  });

  it('stops sending to a deleted endpoint: its webhooks go with it', async () => {
    const { key } = await t.newOrganization({ name: 'Removed' });
    const dead = await startReceiver(() => 500);
    try {
      const id = await endpoint(key, dead.url, 'hmac');
      await customer(key, 'removed-1');
      await t.app.services.webhookDelivery.deliverDue();
      assert.equal((await json(key, 'DELETE', `/webhook_endpoints/${id}`)).status, 200);
      assert.equal((await webhooks(key)).length, 0);
      const before = dead.requests.length;
      await sleep(50);
      await t.app.services.webhookDelivery.deliverDue();
      assert.equal(dead.requests.length, before);
    } finally {
      await dead.close();
    }
  });
});
