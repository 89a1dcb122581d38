// Current usage latency as events pile up: a subscription whose plan has 10 charges (every aggregation type, two with
// filters, one grouped) at 10^4, 10^6 and 10^7 events in the current period. Events are written straight into the
// events table with SQL, then folded into the aggregates by Billow's own rebuild; then GET current_usage is timed, and,
// on the same database, a plain SQL aggregation over the raw events of the period. Prints figures; asserts nothing.
//   BENCH_SIZES (default 1e4,1e6,1e7), BENCH_TARGET=postgresql|pglite (default both), BENCH_REQUESTS (default 1000;
//   the p99 of 200 requests would be their second slowest, a noisy figure).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createApp, type App } from '../src/app.ts';
import { openPglite, openPostgres, type Database } from '../src/db/database.ts';
import { freshPostgresDatabase } from './support/databases.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1e4,1e6,1e7').split(',').map(Number);
const TARGETS = (process.env.BENCH_TARGET ?? 'postgresql,pglite').split(',');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const NOW = '2026-03-20T12:00:00Z';
const PERIOD_START = Date.parse('2026-03-01T00:00:00Z');
const PERIOD_SPAN_MS = Date.parse(NOW) - PERIOD_START;

const METRICS = [
  { code: 'calls', aggregation_type: 'count_agg' },
  { code: 'gb', aggregation_type: 'sum_agg', field_name: 'v' },
  { code: 'peak', aggregation_type: 'max_agg', field_name: 'v' },
  { code: 'users', aggregation_type: 'unique_count_agg', field_name: 'user' },
  { code: 'level', aggregation_type: 'latest_agg', field_name: 'v' },
  { code: 'seats', aggregation_type: 'weighted_sum_agg', field_name: 'd', weighted_interval: 'seconds' },
  { code: 'egress', aggregation_type: 'sum_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us', 'asia'] }] },
  { code: 'requests', aggregation_type: 'count_agg', filters: [{ key: 'region', values: ['eu', 'us', 'asia'] }] },
  { code: 'compute', aggregation_type: 'sum_agg', field_name: 'v' },
  { code: 'storage', aggregation_type: 'sum_agg', field_name: 'v' },
];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const setUp = async (app: App) => {
  const created = await app.services.organizations.create({ name: 'Bench', testClock: (await import('temporal-polyfill')).Temporal.Instant.from(NOW) });
  if (!created.ok) throw new Error('organization');
  const key = created.value.apiKey;
  const organizationId = created.value.organization.id;
  const call = async (method: 'POST' | 'GET', url: string, payload?: object) => {
    const res = await app.http.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.body}`);
    return res.json();
  };
  const ids: Record<string, string> = {};
  for (const m of METRICS) ids[m.code] = (await call('POST', '/api/v1/billable_metrics', { billable_metric: { name: m.code, ...m } })).billable_metric.lago_id;
  const charge = (code: string, extra: object = {}) => ({ billable_metric_id: ids[code], charge_model: 'standard', properties: { amount: '0.001' }, ...extra });
  await call('POST', '/api/v1/plans', {
    plan: {
      name: 'Bench',
      code: 'bench',
      interval: 'monthly',
      amount_cents: 10_000,
      amount_currency: 'USD',
      pay_in_advance: false,
      charges: [
        charge('calls', {
          charge_model: 'graduated',
          properties: { graduated_ranges: [{ from_value: 0, to_value: 1000, per_unit_amount: '0', flat_amount: '0' }, { from_value: 1001, to_value: null, per_unit_amount: '0.001', flat_amount: '0' }] },
        }),
        charge('gb'),
        charge('peak'),
        charge('users'),
        charge('level'),
        charge('seats'),
        charge('egress', { filters: [{ values: { region: ['eu'] }, properties: { amount: '0.002' } }, { values: { region: ['us', 'asia'] }, properties: { amount: '0.003' } }] }),
        charge('requests', { charge_model: 'package', properties: { amount: '1', package_size: 1000, free_units: 0 }, filters: [{ values: { region: ['eu'] }, properties: { amount: '2', package_size: 1000, free_units: 0 } }] }),
        charge('compute', { properties: { amount: '0.001', pricing_group_keys: ['region'] } }),
        charge('storage', { charge_model: 'volume', properties: { volume_ranges: [{ from_value: 0, to_value: 1000, per_unit_amount: '0.01', flat_amount: '0' }, { from_value: 1001, to_value: null, per_unit_amount: '0.005', flat_amount: '0' }] } }),
      ],
    },
  });
  await call('POST', '/api/v1/subscriptions', { subscription: { external_customer_id: 'cus', plan_code: 'bench', external_id: 'sub', subscription_at: '2026-01-01T00:00:00Z' } });
  return { key, organizationId, call };
};

/** N events of the subscription spread over the period so far, round robin over the 10 metrics. */
const loadEvents = async (database: Database, organizationId: string, count: number) => {
  const step = PERIOD_SPAN_MS / count;
  const chunk = 500_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk);
    await database.db.execute(sql`
      INSERT INTO events (organization_id, transaction_id, external_subscription_id, id, code, timestamp, properties, created_at)
      SELECT ${organizationId}::uuid, 'tx_' || i, 'sub', gen_random_uuid(),
        (${sql.raw(`ARRAY[${METRICS.map((m) => `'${m.code}'`).join(',')}]`)})[1 + i % 10],
        to_timestamp(${PERIOD_START / 1000}::double precision + i * ${step / 1000}::double precision),
        jsonb_build_object('v', i % 97, 'd', CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END, 'user', 'u' || (i % 1000),
          'region', (ARRAY['eu','us','asia'])[1 + i % 3]),
        now()
      FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS i`);
  }
};

console.log(`Current usage, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, 10 charges, ${REQUESTS} requests per size`);
for (const target of TARGETS) {
  console.log(`\n${target === 'postgresql' ? 'PostgreSQL 15 (server on loopback)' : 'PGlite (embedded, data on disk)'}`);
  for (const size of SIZES) {
    const pg = target === 'postgresql' ? await freshPostgresDatabase() : null;
    const dir = pg ? null : await mkdtemp(join(tmpdir(), 'billow-usage-bench-'));
    const database = pg ? await openPostgres(pg.url, 4) : await openPglite({ dataDir: dir! });
    const app = await createApp(
      { host: '127.0.0.1', port: 0, databaseUrl: null, dataDir: '', apiKey: null, adminKey: null, logLevel: 'silent', bodyLimitBytes: 1 << 20, compactionIntervalMs: 0 },
      database,
    );
    try {
      const { organizationId, call } = await setUp(app);
      let started = performance.now();
      await loadEvents(database, organizationId, size);
      // As autovacuum would after a bulk load: the rebuild's plans depend on the table's statistics.
      if (pg) await database.db.execute(sql`ANALYZE events`);
      const loaded = (performance.now() - started) / 1000;
      started = performance.now();
      await database.db.transaction(async (tx) => app.services.metering.settingsChanged(tx as never, organizationId, METRICS.map((m) => m.code)));
      const folded = (performance.now() - started) / 1000;
      if (pg) await database.db.execute(sql`VACUUM ANALYZE`);

      const url = '/api/v1/customers/cus/current_usage?external_subscription_id=sub';
      const first = await call('GET', url);
      if (first.customer_usage.charges_usage.length !== 10) throw new Error('expected 10 charges');
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const t = performance.now();
        await call('GET', url);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const rawTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await database.db.execute(sql`
          SELECT code, count(*), sum((properties->>'v')::numeric), max((properties->>'v')::numeric), count(DISTINCT properties->>'user')
          FROM events WHERE organization_id = ${organizationId} AND external_subscription_id = 'sub'
            AND timestamp >= '2026-03-01T00:00:00Z' AND timestamp < '2026-04-01T00:00:00Z'
          GROUP BY code`);
        rawTimes.push(performance.now() - t);
      }
      rawTimes.sort((a, b) => a - b);
      console.log(
        `  ${size.toExponential(0).replace('e+', 'e').padStart(4)} events   current_usage p50 ${percentile(times, 50).toFixed(1)} ms  p95 ${percentile(times, 95).toFixed(1)} ms  p99 ${percentile(times, 99).toFixed(1)} ms  max ${times.at(-1)!.toFixed(1)} ms   ` +
          `plain SQL over raw events ${percentile(rawTimes, 50).toFixed(0)} ms   (loaded in ${loaded.toFixed(1)} s, aggregated in ${folded.toFixed(1)} s; total ${first.customer_usage.amount_cents} cents)`,
      );
    } finally {
      await app.close();
      await pg?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
}
