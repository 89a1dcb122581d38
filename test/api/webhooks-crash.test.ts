import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { billowProcess, type BillowProcess } from '../support/billow-process.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const KEY = 'webhook-crash-key-0123456789';
const CUSTOMERS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills a Billow process (SIGKILL) while its webhooks are in flight to a receiver that does not answer, restarts it,
 * and checks that a receiver deduplicating on X-Lago-Unique-Key ends up with every webhook exactly once.
 */
describe('a crash with webhooks pending', () => {
  let billow: BillowProcess;
  let receiver: Receiver;
  let answering = false;
  const api = async (path: string, body?: object) => {
    const response = await billow.api(path, body);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  before(async () => {
    receiver = await startReceiver(() => (answering ? 200 : 'hang'));
    // A receiver that hangs is given up on after a second; a claim dies with its process after three.
    billow = await billowProcess({ key: KEY, env: { BILLOW_WEBHOOK_TIMEOUT_SECONDS: '1' } });
    await billow.start();
  });
  after(async () => {
    await billow.dispose();
    await receiver.close();
  });

  test('every webhook reaches a deduplicating receiver exactly once after the restart', async () => {
    assert.equal((await api('/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac' } })).status, 200);
    for (let i = 0; i < CUSTOMERS; i++) {
      assert.equal((await api('/customers', { customer: { external_id: `crash-${i}`, name: `Customer ${i}` } })).status, 200);
    }
    // The worker has posted webhooks that the receiver holds unanswered: the process dies with them in flight.
    for (let i = 0; i < 3_000 && receiver.requests.length < 5; i++) await sleep(10);
    assert.ok(receiver.requests.length >= 5, 'the worker sent webhooks before the crash');
    await billow.kill();
    const beforeRestart = receiver.requests.length;

    answering = true;
    await billow.start();
    let succeeded = 0;
    for (let i = 0; i < 1_200 && succeeded < CUSTOMERS; i++) {
      await sleep(100);
      succeeded = (await api('/webhooks?status=succeeded')).body.meta.total_count;
    }
    assert.equal(succeeded, CUSTOMERS, 'every webhook is delivered after the restart');

    const stored = (await api('/webhooks?per_page=100')).body.webhooks as { lago_id: string; payload: string }[];
    const delivered = receiver.delivered();
    assert.equal(delivered.length, CUSTOMERS);
    assert.deepEqual(new Set(delivered.map((r) => r.uniqueKey)), new Set(stored.map((w) => w.lago_id)));
    for (const webhook of stored) assert.equal(delivered.find((r) => r.uniqueKey === webhook.lago_id)!.body, webhook.payload);
    assert.deepEqual(
      delivered.map((r) => (r.json.customer as { external_id: string }).external_id).sort(),
      Array.from({ length: CUSTOMERS }, (_, i) => `crash-${i}`).sort(),
    );
    console.log(`webhook crash test: ${beforeRestart} requests before the kill, ${receiver.requests.length} in all for ${CUSTOMERS} webhooks`);
  });
});
