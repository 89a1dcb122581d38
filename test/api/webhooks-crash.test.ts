import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const BIN = join(process.cwd(), 'bin', 'billow.js');
const KEY = 'webhook-crash-key-0123456789';
const CUSTOMERS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills a Billow process (SIGKILL) while its webhooks are in flight to a receiver that does not answer, restarts it,
 * and checks that a receiver deduplicating on X-Lago-Unique-Key ends up with every webhook exactly once.
 */
describe('a crash with webhooks pending', () => {
  let dataDir = '';
  let databaseUrl = '';
  let server: ChildProcess | null = null;
  let url = '';
  let receiver: Receiver;
  let answering = false;

  const start = async () => {
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        ...process.env,
        PORT: '0',
        LOG_LEVEL: 'silent',
        BILLOW_API_KEY: KEY,
        BILLOW_DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        // A receiver that hangs is given up on after a second; a claim dies with its process after three.
        BILLOW_WEBHOOK_TIMEOUT_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const first = await new Promise<string>((resolve) => createInterface({ input: server!.stdout! }).once('line', resolve));
    url = first.match(/listening on (\S+)/)![1]!;
  };
  const kill = async () => {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server!.kill('SIGKILL');
    await exited;
  };
  const api = async (path: string, body?: object) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  before(async () => {
    receiver = await startReceiver(() => (answering ? 200 : 'hang'));
    dataDir = await mkdtemp(join(tmpdir(), 'billow-webhook-crash-'));
    if (process.env.TEST_DATABASE_URL) {
      const name = `billow_whcrash_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(process.env.TEST_DATABASE_URL);
      u.pathname = `/${name}`;
      databaseUrl = u.toString();
    }
    await start();
  });
  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) await kill();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
    if (databaseUrl) {
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
      await admin.end();
    }
  });

  test('every webhook reaches a deduplicating receiver exactly once after the restart', async () => {
    assert.equal((await api('/webhook_endpoints', { webhook_endpoint: { webhook_url: receiver.url, signature_algo: 'hmac' } })).status, 200);
    for (let i = 0; i < CUSTOMERS; i++) {
      assert.equal((await api('/customers', { customer: { external_id: `crash-${i}`, name: `Customer ${i}` } })).status, 200);
    }
    // The worker has posted webhooks that the receiver holds unanswered: the process dies with them in flight.
    for (let i = 0; i < 3_000 && receiver.requests.length < 5; i++) await sleep(10);
    assert.ok(receiver.requests.length >= 5, 'the worker sent webhooks before the crash');
    await kill();
    const beforeRestart = receiver.requests.length;

    answering = true;
    await start();
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
