// Event ingestion throughput: POST /events/batch with 100 events per request from concurrent connections on loopback,
// 5% of the events resent a little later (duplicates that must be acknowledged and counted once), against a Billow in another
// process; then, on the same kind of database, the physical limits: a raw COPY of as many events into a bare table and
// into one with only the idempotency key; and on PostgreSQL the ceiling of storage alone: the same events committed 100
// at a time from as many connections into a table built like Billow's events table, with nothing else done. Prints
// figures; asserts nothing.
//   BENCH_SECONDS (default 30), BENCH_CONNECTIONS (default 16), BENCH_TARGET=postgresql|pglite (default both),
//   BENCH_CASES=spread|one (default both: batches spread over 100 subscriptions, batches from one subscription),
//   BENCH_LIMITS=off (skips the COPY limits and the storage ceiling, for quick before/after runs).
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PGlite } from '@electric-sql/pglite';
import { freshPostgresDatabase } from './support/databases.ts';
import { cpuPerEvent, sampleCpu } from './support/cpu.ts';
import { spawnServer } from './support/spawn-server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TARGETS = (process.env.BENCH_TARGET ?? 'postgresql,pglite').split(',');
const CASES = (process.env.BENCH_CASES ?? 'spread,one').split(',');
const LIMITS = process.env.BENCH_LIMITS !== 'off';
const BATCH = 100;
const DUPLICATES = 5;
const SUBSCRIPTIONS = 1000;
const START_SECONDS = 1_767_225_600; // 2026-01-01

/**
 * Events as Lago clients send them: a sum metric with a filter property, spread over 1000 subscriptions. 5 events of
 * each batch resend events of a batch sent 50 batches earlier, as a client retrying after a timeout would.
 */
const makeBatches = (subscriptionOf: (n: number) => number) => {
  let next = 0;
  const sent: string[][] = [];
  return (): string => {
    const events: string[] = [];
    const earlier = sent.length >= 50 ? sent[sent.length - 50]! : [];
    for (const resent of earlier.slice(0, DUPLICATES)) events.push(resent);
    const fresh: string[] = [];
    while (events.length + fresh.length < BATCH) {
      const n = next++;
      fresh.push(
        `{"transaction_id":"tx_${n}","external_subscription_id":"sub_${subscriptionOf(n)}","code":"storage","timestamp":${START_SECONDS + Math.floor(n / 100)},"properties":{"gb":${(n % 97) + 0.5},"region":"${n % 3 === 0 ? 'us' : 'eu'}"}}`,
      );
    }
    sent.push(fresh);
    if (sent.length > 60) sent.shift();
    return `{"events":[${[...events, ...fresh].join(',')}]}`;
  };
};

/** The same events as COPY text, in chunks of 10,000 rows (a chunk per row would measure the stream, not the database). */
const copyRows = (count: number, organizationId: string): string[] => {
  const rows: string[] = [];
  const chunks: string[] = [];
  for (let n = 0; n < count; n++) {
    const ts = new Date((START_SECONDS + Math.floor(n / 100)) * 1000).toISOString();
    rows.push(
      `${organizationId}\ttx_${n}\tsub_${n % SUBSCRIPTIONS}\t${randomUUID()}\tstorage\t${ts}\t{"gb": ${(n % 97) + 0.5}, "region": "eu"}\t${ts}\n`,
    );
    if (rows.length === 10_000) chunks.push(rows.splice(0).join(''));
  }
  if (rows.length > 0) chunks.push(rows.join(''));
  return chunks;
};

const TABLE = `(organization_id uuid NOT NULL, transaction_id text NOT NULL, external_subscription_id text NOT NULL, id uuid NOT NULL,
  code text NOT NULL, timestamp timestamptz NOT NULL, properties jsonb NOT NULL, created_at timestamptz NOT NULL)`;
const KEY = '(organization_id, transaction_id, external_subscription_id)';

/** Rows per second of a COPY into a bare table and into one with only the idempotency key, on PostgreSQL. */
const copyLimitsPostgres = async (url: string, count: number) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = copyRows(count, randomUUID());
  const rates: number[] = [];
  for (const ddl of ['', `, PRIMARY KEY ${KEY}`]) {
    await client.query(`DROP TABLE IF EXISTS copy_probe; CREATE TABLE copy_probe ${TABLE.replace(/\)$/, `${ddl})`)}`);
    const start = performance.now();
    await pipeline(Readable.from(rows), client.query(copyFrom('COPY copy_probe FROM STDIN')));
    rates.push(count / ((performance.now() - start) / 1000));
  }
  await client.query('DROP TABLE copy_probe');
  await client.end();
  return rates;
};

/** The same on a fresh in-memory PGlite (COPY from a blob). */
const copyLimitsPglite = async (count: number) => {
  const db = await PGlite.create();
  const blob = new Blob([copyRows(count, randomUUID()).join('')]);
  const rates: number[] = [];
  for (const ddl of ['', `, PRIMARY KEY ${KEY}`]) {
    await db.exec(`DROP TABLE IF EXISTS copy_probe; CREATE TABLE copy_probe ${TABLE.replace(/\)$/, `${ddl})`)}`);
    const start = performance.now();
    await db.query(`COPY copy_probe FROM '/dev/blob'`, [], { blob });
    rates.push(count / ((performance.now() - start) / 1000));
  }
  await db.close();
  return rates;
};

/**
 * What PostgreSQL alone can store as ingestion must: 100 events a commit, from CONNECTIONS connections at once, into a
 * table with the events table's columns and indexes (idempotency key, usage index, time ranges), for `seconds`. Twice:
 * by COPY (the cheapest way in, which cannot skip an event already stored), and by the INSERT ... ON CONFLICT DO NOTHING
 * of rows sent as one JSON parameter (how Billow's ingestion statement stores events, without the rest of it). Answers
 * events/s and the CPU per event of the PostgreSQL processes and of this process (the client).
 */
const storageCeilingPostgres = async (url: string, seconds: number) => {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const organizationId = randomUUID();
  const results: { way: string; rate: number; cpu: string | null }[] = [];
  let n = 0;
  const nextRows = () => {
    const rows = [];
    for (let i = 0; i < BATCH; i++, n++) {
      rows.push({ tx: `tx_${n}`, sub: `sub_${n % SUBSCRIPTIONS}`, id: randomUUID(), ms: (START_SECONDS + Math.floor(n / 100)) * 1000, props: { gb: (n % 97) + 0.5, region: 'eu' } });
    }
    return rows;
  };
  const ways = {
    copy: async (client: pg.Client) => {
      const now = new Date().toISOString();
      const text = nextRows()
        .map((r) => `${organizationId}\t${r.tx}\t${r.sub}\t${r.id}\tstorage\t${new Date(r.ms).toISOString()}\t${JSON.stringify(r.props)}\t\\N\t${now}\n`)
        .join('');
      await pipeline(Readable.from([text]), client.query(copyFrom('COPY storage_probe FROM STDIN')));
    },
    insert: async (client: pg.Client) => {
      await client.query({
        name: 'storage_probe_insert',
        text: `INSERT INTO storage_probe (organization_id, transaction_id, external_subscription_id, id, code, timestamp, properties, created_at)
          SELECT $1::uuid, tx, sub, id, 'storage', timestamptz 'epoch' + ms * interval '1 millisecond', props, now()
          FROM jsonb_to_recordset($2::jsonb) AS e(tx text, sub text, id uuid, ms bigint, props jsonb)
          ORDER BY tx, sub
          ON CONFLICT DO NOTHING`,
        values: [organizationId, JSON.stringify(nextRows())],
      });
    },
  };
  for (const [way, commit] of Object.entries(ways)) {
    await admin.query('DROP TABLE IF EXISTS storage_probe; CREATE TABLE storage_probe (LIKE events INCLUDING ALL)');
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      }),
    );
    let stored = 0;
    const before = sampleCpu(undefined);
    const start = performance.now();
    const end = start + seconds * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          await commit(client);
          stored += BATCH;
        }
      }),
    );
    const elapsedSeconds = (performance.now() - start) / 1000;
    const cpu = cpuPerEvent(before, sampleCpu(undefined), stored, { server: null, self: 'client' });
    await Promise.all(clients.map((client) => client.end()));
    results.push({ way, rate: stored / elapsedSeconds, cpu });
  }
  await admin.query('DROP TABLE storage_probe');
  await admin.end();
  return results;
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(`Event ingestion, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${SECONDS} s, ${CONNECTIONS} connections, ${BATCH} events per request, ${DUPLICATES}% resent`);
for (const target of TARGETS) {
  const database = target === 'postgresql' ? await freshPostgresDatabase() : null;
  const server = await spawnServer(database?.url);
  const headers = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
  const metric = await fetch(`${server.url}/api/v1/billable_metrics`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'gb', filters: [{ key: 'region', values: ['eu', 'us'] }] },
    }),
  });
  if (!metric.ok) throw new Error(`metric: ${await metric.text()}`);

  let sent = 0;
  const rates: number[] = [];
  for (const [name, label, subscriptionOf] of [
    ['spread', 'each batch spread over 100 subscriptions', (n: number) => n % SUBSCRIPTIONS],
    ['one', 'each batch from one subscription', (n: number) => Math.floor(n / BATCH) % SUBSCRIPTIONS],
  ] as const) {
    if (!CASES.includes(name)) continue;
    const nextBatch = makeBatches(subscriptionOf);
    const cpuBefore = sampleCpu(server.pid);
    const result = await autocannon({
      url: `${server.url}/api/v1/events/batch`,
      method: 'POST',
      headers,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [{ setupRequest: (request) => ({ ...request, body: nextBatch() }) }],
    });
    const rate = (result['2xx'] * BATCH) / SECONDS;
    sent += result['2xx'] * BATCH;
    rates.push(rate);
    if (rates.length === 1) console.log(`\n${target === 'postgresql' ? 'PostgreSQL 15 (server on loopback)' : 'PGlite (embedded, in-memory)'}`);
    console.log(
      `  /events/batch ${label.padEnd(42)} ${fmt(rate).padStart(7)} events/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   (${fmt(result['2xx'])} requests, ${result.non2xx} refused, ${result.errors} errors)`,
    );
    // On PGlite the database runs inside the Billow process, and its time counts as Billow's.
    const split = cpuPerEvent(cpuBefore, sampleCpu(server.pid), result['2xx'] * BATCH);
    if (split) console.log(`    ${split}`);
  }
  await server.stop();
  if (!LIMITS) {
    await database?.drop();
    continue;
  }

  const copyCount = Math.min(Math.max(sent / 2, 100_000), 1_000_000);
  const [bare, keyed] = target === 'postgresql' ? await copyLimitsPostgres(database!.url, copyCount) : await copyLimitsPglite(copyCount);
  const ratios = (limit: number) => rates.map((r) => `${((r / limit) * 100).toFixed(1)}%`).join(' and ');
  console.log(`  COPY into a bare table                  ${fmt(bare!).padStart(9)} rows/s   ingestion reaches ${ratios(bare!)} of it`);
  console.log(`  COPY into a table with the idempotency key ${fmt(keyed!).padStart(6)} rows/s   ingestion reaches ${ratios(keyed!)} of it`);
  if (target === 'postgresql') {
    const ceiling = await storageCeilingPostgres(database!.url, Math.min(SECONDS, 15));
    console.log(`  Storage alone, ${BATCH} events a commit from ${CONNECTIONS} connections into a table built like the events table:`);
    for (const { way, rate, cpu } of ceiling) {
      const label = way === 'copy' ? 'by COPY (cannot skip a resent event)' : 'by INSERT ... ON CONFLICT DO NOTHING';
      console.log(`    ${label.padEnd(38)} ${fmt(rate).padStart(7)} events/s   ingestion reaches ${ratios(rate)} of it`);
      if (cpu) console.log(`      ${cpu}`);
    }
  }
  await database?.drop();
}
