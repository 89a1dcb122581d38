// GET /events latency on one organization with 10^7 events: the first page, deep pages and filtered pages, next to the
// query the listing used before (ORDER BY timestamp DESC … LIMIT/OFFSET and count(*) over the filter). Events are
// generated in SQL, 10^5 at a time, each chunk in one statement that also appends its hourly aggregate deltas as
// ingestion does, then folded into the aggregates by Billow's own compaction; the newest events' deltas stay pending, as
// between two runs of the compactor. The old query's answer is checked against the new one's (same rows, same count).
// Prints figures; asserts nothing.
//   BENCH_EVENTS (default 1e7), BENCH_SUBSCRIPTIONS (default 1000), BENCH_DAYS (default 180), BENCH_REQUESTS (default 100),
//   BENCH_OLD_RUNS (default 3; 0 skips the old query), BENCH_TARGET=postgresql|pglite (default postgresql; PGlite wants
//   fewer events), BENCH_KEEP=1 keeps the PostgreSQL database and prints its URL.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { createApp } from '../src/app.ts';
import { openPglite, openPostgres } from '../src/db/database.ts';
import { queryRows } from '../src/db/query.ts';
import { freshPostgresDatabase } from './support/databases.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1e7);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000);
const DAYS = Number(process.env.BENCH_DAYS ?? 180);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const OLD_RUNS = Number(process.env.BENCH_OLD_RUNS ?? 3);
const TARGET = process.env.BENCH_TARGET ?? 'postgresql';
const KEEP = process.env.BENCH_KEEP === '1';
const NOW = Date.UTC(2026, 6, 1);
const START = NOW - DAYS * 86_400_000;
const STEP_MS = (NOW - START) / EVENTS;
const CHUNK = 100_000;
// The newest events arrive after the last compaction: their deltas stay pending, as between two compactor runs.
const PENDING = Math.min(50_000, Math.floor(EVENTS / 20));
// 'storage' has a sum metric; the others have none (they are stored and counted all the same).
const CODES = ['storage', 'calls', 'misc', 'unmetered'];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Events [from, to): every third shares its instant with the next two, spread over the subscriptions and codes; one
 * statement stores them and appends what they add to each hour, as ingestion's does.
 */
const loadChunk = (organizationId: string, from: number, to: number): SQL => sql`
  WITH inserted AS (
    INSERT INTO events (organization_id, transaction_id, external_subscription_id, id, code, timestamp, properties, created_at)
    SELECT ${organizationId}::uuid, 'tx_' || i, 'sub_' || (i % ${SUBSCRIPTIONS}), gen_random_uuid(),
      (${sql.raw(`ARRAY[${CODES.map((c) => `'${c}'`).join(',')}]`)})[(1 + (i / 7) % ${CODES.length})::int],
      timestamptz 'epoch' + (${START}::bigint + ((i / 3) * 3 * ${STEP_MS}::float8)::bigint) * interval '1 millisecond',
      jsonb_build_object('v', i % 97, 'region', (ARRAY['eu', 'us', 'asia'])[(1 + i % 3)::int]),
      now()
    FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS i
    RETURNING external_subscription_id, code, timestamp, properties, precise_total_amount_cents
  ),
  fresh AS (
    SELECT *, date_trunc('hour', timestamp, 'UTC') AS hour, CASE WHEN code = 'storage' THEN (properties ->> 'v')::numeric END AS v
    FROM inserted
  )
  INSERT INTO event_aggregate_deltas (organization_id, external_subscription_id, code, bucket, dims, events_count, valued_count,
    value_sum, value_max, latest_at, latest_value, time_weighted, amount_cents_sum)
  SELECT ${organizationId}::uuid, external_subscription_id, code, hour, '{}', count(*), count(v), coalesce(sum(v), 0), max(v),
    max(timestamp) FILTER (WHERE v IS NOT NULL), (array_agg(v ORDER BY timestamp DESC) FILTER (WHERE v IS NOT NULL))[1],
    coalesce(sum(v * extract(epoch FROM hour + interval '1 hour' - timestamp)), 0), coalesce(sum(precise_total_amount_cents), 0)
  FROM fresh
  GROUP BY external_subscription_id, code, hour`;

/** The listing as it was: sort the filtered events, skip the offset, and count them all. */
const oldListing = (organizationId: string, q: Query, limit: number, offset: number) => {
  const parts = [sql`organization_id = ${organizationId}`];
  if (q.external_subscription_id !== undefined) parts.push(sql`external_subscription_id = ${q.external_subscription_id}`);
  if (q.code !== undefined) parts.push(sql`code = ${q.code}`);
  if (q.timestamp_from !== undefined) parts.push(sql`timestamp >= ${q.timestamp_from}::timestamptz`);
  if (q.timestamp_to !== undefined) parts.push(sql`timestamp <= ${q.timestamp_to}::timestamptz`);
  const where = sql.join(parts, sql` AND `);
  return [
    sql`SELECT id, transaction_id, external_subscription_id, code, timestamp, properties, precise_total_amount_cents, created_at
      FROM events WHERE ${where} ORDER BY timestamp DESC, transaction_id ASC LIMIT ${limit} OFFSET ${offset}`,
    sql`SELECT count(*)::text AS total FROM events WHERE ${where}`,
  ];
};

interface Query {
  external_subscription_id?: string;
  code?: string;
  timestamp_from?: string;
  timestamp_to?: string;
}

const database = TARGET === 'postgresql' ? await freshPostgresDatabase() : null;
const dir = database ? null : await mkdtemp(join(tmpdir(), 'billow-events-list-bench-'));
const handle = database ? await openPostgres(database.url, 4) : await openPglite({ dataDir: dir! });
const app = await createApp(
  { host: '127.0.0.1', port: 0, databaseUrl: null, dataDir: '', apiKey: null, adminKey: null, logLevel: 'silent', bodyLimitBytes: 1 << 20, compactionIntervalMs: 0 },
  handle,
);
const { db } = handle;
try {
  const created = await app.services.organizations.create({ name: 'Bench' });
  if (!created.ok) throw new Error('organization');
  const key = created.value.apiKey;
  const organizationId = created.value.organization.id;
  const call = async (url: string) => {
    const res = await app.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.body}`);
    return res.json() as { events: { transaction_id: string }[]; meta: { total_count: number; total_pages: number } };
  };
  const metric = await app.http.inject({
    method: 'POST',
    url: '/api/v1/billable_metrics',
    headers: { authorization: `Bearer ${key}` },
    payload: { billable_metric: { name: 'Storage', code: 'storage', aggregation_type: 'sum_agg', field_name: 'v' } },
  });
  if (metric.statusCode !== 200) throw new Error(metric.body);

  console.log(
    `Event listing, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${TARGET === 'postgresql' ? 'PostgreSQL 15 (server on loopback)' : 'PGlite'}: ` +
      `${EVENTS.toLocaleString('en-US')} events over ${DAYS} days, ${SUBSCRIPTIONS} subscriptions, ${CODES.length} codes (one with a metric), per_page 100`,
  );
  // Chunk by chunk, as a running compactor keeps the deltas table small (and autovacuum lets it reuse its pages).
  let loaded = 0;
  let compacted = 0;
  let deltas = 0;
  const bulk = EVENTS - PENDING;
  for (let from = 0; from < bulk; from += CHUNK) {
    let started = performance.now();
    await db.execute(loadChunk(organizationId, from, Math.min(bulk, from + CHUNK)));
    loaded += (performance.now() - started) / 1000;
    started = performance.now();
    deltas += await app.services.metering.compact();
    compacted += (performance.now() - started) / 1000;
    if (database) await db.execute(sql`VACUUM event_aggregate_deltas`);
  }
  await db.execute(loadChunk(organizationId, bulk, EVENTS));
  if (database) await db.execute(sql`VACUUM ANALYZE`);
  const [sizes] = await queryRows<{ h: string; d: string; m: string; pending: string }>(
    db,
    sql`SELECT count(*) FILTER (WHERE grain = 'h')::text AS h, count(*) FILTER (WHERE grain = 'd')::text AS d,
      count(*) FILTER (WHERE grain = 'm')::text AS m, (SELECT count(*) FROM event_aggregate_deltas)::text AS pending
      FROM event_aggregates`,
  );
  console.log(
    `  loaded in ${loaded.toFixed(0)} s; ${deltas.toLocaleString('en-US')} hourly deltas compacted in ${compacted.toFixed(0)} s ` +
      `(${Math.round(deltas / compacted).toLocaleString('en-US')} deltas/s); aggregates: ${sizes!.h} hourly, ${sizes!.d} daily, ` +
      `${sizes!.m} monthly rows, ${sizes!.pending} deltas pending (the newest ${PENDING.toLocaleString('en-US')} events)`,
  );

  const window: Query = { timestamp_from: iso(START + DAYS * 0.23 * 86_400_000 + 1234), timestamp_to: iso(START + DAYS * 0.56 * 86_400_000 + 4321) };
  const scenarios: { name: string; query: Query; page: (totalPages: number) => number }[] = [
    { name: 'first page', query: {}, page: () => 1 },
    { name: 'page 2', query: {}, page: () => 2 },
    { name: 'middle page (offset ~N/2)', query: {}, page: (n) => Math.ceil(n / 2) },
    { name: 'last page', query: {}, page: (n) => n },
    { name: 'subscription, first page', query: { external_subscription_id: 'sub_7' }, page: () => 1 },
    { name: 'subscription, last page', query: { external_subscription_id: 'sub_7' }, page: (n) => n },
    { name: 'code, first page', query: { code: 'calls' }, page: () => 1 },
    { name: 'code, middle page', query: { code: 'calls' }, page: (n) => Math.ceil(n / 2) },
    { name: 'subscription and code, middle page', query: { external_subscription_id: 'sub_7', code: 'storage' }, page: (n) => Math.ceil(n / 2) },
    { name: 'time window, first page', query: window, page: () => 1 },
    { name: 'time window, middle page', query: window, page: (n) => Math.ceil(n / 2) },
    { name: 'time window and code, last page', query: { ...window, code: 'misc' }, page: (n) => n },
  ];
  console.log(`  ${'GET /events'.padEnd(36)} ${'total_count'.padStart(11)} ${'page'.padStart(7)}   new p50    new p99   old query (median of ${OLD_RUNS})`);
  for (const s of scenarios) {
    const params = (page: number) => new URLSearchParams({ ...s.query, per_page: '100', page: String(page) }).toString();
    const probe = await call(`/api/v1/events?${params(1)}`);
    const page = Math.max(1, s.page(probe.meta.total_pages));
    const url = `/api/v1/events?${params(page)}`;
    const answer = await call(url);
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await call(url);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    let old = 'skipped';
    if (OLD_RUNS > 0) {
      const oldTimes: number[] = [];
      let same = true;
      for (let i = 0; i < OLD_RUNS; i++) {
        const t = performance.now();
        const [rowsQuery, countQuery] = oldListing(organizationId, s.query, 100, (page - 1) * 100);
        const rows = await queryRows<{ transaction_id: string }>(db, rowsQuery!);
        const [count] = await queryRows<{ total: string }>(db, countQuery!);
        oldTimes.push(performance.now() - t);
        same &&= Number(count!.total) === answer.meta.total_count && rows.map((r) => r.transaction_id).join() === answer.events.map((e) => e.transaction_id).join();
      }
      oldTimes.sort((a, b) => a - b);
      old = `${percentile(oldTimes, 50).toFixed(0).padStart(7)} ms${same ? '' : '   (DIFFERENT ROWS OR COUNT)'}`;
    }
    console.log(
      `  ${s.name.padEnd(36)} ${String(answer.meta.total_count).padStart(11)} ${String(page).padStart(7)} ` +
        `${percentile(times, 50).toFixed(1).padStart(7)} ms ${percentile(times, 99).toFixed(1).padStart(7)} ms ${old}`,
    );
  }
  if (KEEP && database) console.log(`  kept ${database.url}`);
} finally {
  await app.close();
  if (!KEEP) await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
