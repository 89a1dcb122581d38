// The period-end billing run: 10,000 subscriptions on a monthly plan with 5 usage charges (count, sum, max, unique count,
// package), 10^7 events in the period. Subscriptions are made through the HTTP API; events are written straight into the
// events table with SQL and folded into the aggregates by Billow's own rebuild (as bench/usage.bench.ts does); then
// `runDue` up to the billing day is timed and invoices per second printed. A sample of invoices is checked against a
// plain SQL aggregation of the raw events (the benchmark stops if they differ); otherwise it asserts nothing.
//   BENCH_SUBSCRIPTIONS (default 10000), BENCH_EVENTS (default 1e7), BENCH_TARGET=postgresql|pglite (default both),
//   BENCH_RUNNERS (default 1; on PostgreSQL, that many apps with their own pools run the billing at once),
//   BENCH_CONCURRENCY (default 4: customers billed at once by each runner on PostgreSQL, as the live clock does).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { createApp, type App } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { openPglite, openPostgres, type Database } from '../src/db/database.ts';
import { queryRows } from '../src/db/query.ts';
import { Decimal, toCents } from '../src/lib/money.ts';
import { freshPostgresDatabase } from './support/databases.ts';

const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1e7);
const TARGETS = (process.env.BENCH_TARGET ?? 'postgresql,pglite').split(',');
const RUNNERS = Number(process.env.BENCH_RUNNERS ?? 1);
// Customers each runner bills at once on PostgreSQL, as the live clock does (PGlite: always one).
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const CLOCK = '2026-03-01T00:00:00Z';
const BILLING_DAY = Temporal.Instant.from('2026-04-01T00:00:00Z');
const PERIOD_START = Date.parse(CLOCK);
// Events spread over the whole of March, the last one before its final second.
const PERIOD_SPAN_MS = BILLING_DAY.epochMilliseconds - PERIOD_START - 1000;
const SAMPLE = 20;
const PLAN_AMOUNT_CENTS = 1000n;

const CONFIG: Config = {
  host: '127.0.0.1',
  port: 0,
  databaseUrl: null,
  dataDir: '',
  apiKey: null,
  adminKey: null,
  logLevel: 'silent',
  bodyLimitBytes: 1 << 20,
  compactionIntervalMs: 0,
};

/** The five charges and, for the check, the fee each makes from the raw events' figures (in USD). */
const METRICS = [
  { metric: { code: 'calls', aggregation_type: 'count_agg' }, charge: { charge_model: 'standard', properties: { amount: '0.001' } }, fee: (r: RawUsage) => new Decimal(r.n).mul('0.001') },
  { metric: { code: 'gb', aggregation_type: 'sum_agg', field_name: 'v' }, charge: { charge_model: 'standard', properties: { amount: '0.002' } }, fee: (r: RawUsage) => new Decimal(r.total).mul('0.002') },
  { metric: { code: 'peak', aggregation_type: 'max_agg', field_name: 'v' }, charge: { charge_model: 'standard', properties: { amount: '0.5' } }, fee: (r: RawUsage) => new Decimal(r.peak).mul('0.5') },
  { metric: { code: 'users', aggregation_type: 'unique_count_agg', field_name: 'user' }, charge: { charge_model: 'standard', properties: { amount: '0.01' } }, fee: (r: RawUsage) => new Decimal(r.users).mul('0.01') },
  {
    metric: { code: 'storage', aggregation_type: 'sum_agg', field_name: 'v' },
    charge: { charge_model: 'package', properties: { amount: '1', package_size: 1000, free_units: 0 } },
    fee: (r: RawUsage) => new Decimal(r.total).div(1000).ceil(),
  },
] as const;

interface RawUsage {
  sub: string;
  code: string;
  n: string;
  total: string;
  peak: string;
  users: string;
}

const setUp = async (app: App) => {
  const created = await app.services.organizations.create({ name: 'Bench', testClock: Temporal.Instant.from(CLOCK) });
  if (!created.ok) throw new Error('organization');
  const key = created.value.apiKey;
  const call = async (url: string, payload: object) => {
    const res = await app.http.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.body}`);
    return res.json();
  };
  const charges = [];
  for (const { metric, charge } of METRICS) {
    const id = (await call('/api/v1/billable_metrics', { billable_metric: { name: metric.code, ...metric } })).billable_metric.lago_id;
    charges.push({ billable_metric_id: id, ...charge });
  }
  await call('/api/v1/plans', {
    plan: { name: 'Bench', code: 'bench', interval: 'monthly', amount_cents: Number(PLAN_AMOUNT_CENTS), amount_currency: 'USD', pay_in_advance: false, charges },
  });
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    await call('/api/v1/subscriptions', { subscription: { external_customer_id: `cus_${i}`, plan_code: 'bench', external_id: `sub_${i}` } });
  }
  return created.value.organization.id;
};

/** Event i goes to subscription i mod S, each subscription's events round robin over the five metrics. */
const loadEvents = async (database: Database, organizationId: string) => {
  const step = PERIOD_SPAN_MS / EVENTS;
  const codes = sql.raw(`ARRAY[${METRICS.map((m) => `'${m.metric.code}'`).join(',')}]`);
  const chunk = 500_000;
  for (let from = 0; from < EVENTS; from += chunk) {
    const to = Math.min(EVENTS, from + chunk);
    await database.db.execute(sql`
      INSERT INTO events (organization_id, transaction_id, external_subscription_id, id, code, timestamp, properties, created_at)
      SELECT ${organizationId}::uuid, 'tx_' || i, 'sub_' || (i % ${SUBSCRIPTIONS}), gen_random_uuid(),
        (${codes})[1 + (i / ${SUBSCRIPTIONS}) % ${METRICS.length}],
        to_timestamp(${PERIOD_START / 1000}::double precision + i * ${step / 1000}::double precision),
        jsonb_build_object('v', i % 97, 'user', 'u' || (i % 1000)),
        now()
      FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS i`);
  }
};

/** Compares the fees of a sample of invoices with the raw events of their subscriptions; throws on a difference. */
const check = async (database: Database, organizationId: string) => {
  const subs = Array.from({ length: Math.min(SAMPLE, SUBSCRIPTIONS) }, (_, n) => `sub_${Math.floor((n * SUBSCRIPTIONS) / Math.min(SAMPLE, SUBSCRIPTIONS))}`);
  const list = sql.join(subs.map((s) => sql`${s}`), sql`, `);
  const raw = await queryRows<RawUsage>(
    database.db,
    sql`SELECT external_subscription_id AS sub, code, count(*)::text AS n, coalesce(sum((properties->>'v')::numeric), 0)::text AS total,
        coalesce(max((properties->>'v')::numeric), 0)::text AS peak, count(DISTINCT properties->>'user')::text AS users
      FROM events WHERE organization_id = ${organizationId} AND external_subscription_id IN (${list})
        AND timestamp >= ${CLOCK}::timestamptz AND timestamp < ${BILLING_DAY.toString()}::timestamptz
      GROUP BY 1, 2`,
  );
  const billed = await queryRows<{ sub: string; code: string | null; amount_cents: string; status: string }>(
    database.db,
    sql`SELECT s.external_id AS sub, m.code, f.amount_cents::text, i.status
      FROM fees f
      JOIN invoices i ON i.organization_id = f.organization_id AND i.id = f.invoice_id
      JOIN subscriptions s ON s.organization_id = f.organization_id AND s.id = f.subscription_id
      LEFT JOIN billable_metrics m ON m.organization_id = f.organization_id AND m.id = f.billable_metric_id
      WHERE f.organization_id = ${organizationId} AND s.external_id IN (${list})`,
  );
  for (const sub of subs) {
    const fees = billed.filter((f) => f.sub === sub);
    const expected = [`plan ${PLAN_AMOUNT_CENTS}`];
    for (const { metric, fee } of METRICS) {
      const usage = raw.find((r) => r.sub === sub && r.code === metric.code) ?? { sub, code: metric.code, n: '0', total: '0', peak: '0', users: '0' };
      expected.push(`${metric.code} ${toCents(fee(usage), 'USD')}`);
    }
    const got = fees.map((f) => `${f.code ?? 'plan'} ${f.amount_cents}`);
    if (JSON.stringify(got.sort()) !== JSON.stringify(expected.sort()) || fees.some((f) => f.status !== 'finalized')) {
      throw new Error(`${sub}: billed ${JSON.stringify(fees)}, the raw events say ${JSON.stringify(expected)}`);
    }
  }
};

const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(1);

console.log(
  `Period-end billing run, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}: ${SUBSCRIPTIONS} subscriptions × ${METRICS.length} usage charges, ` +
    `${EVENTS.toExponential(0).replace('e+', 'e')} events in the period, ${RUNNERS} runner(s)`,
);
for (const target of TARGETS) {
  console.log(`\n${target === 'postgresql' ? 'PostgreSQL (server on loopback)' : 'PGlite (embedded, data on disk)'}`);
  const pg = target === 'postgresql' ? await freshPostgresDatabase() : null;
  const dir = pg ? null : await mkdtemp(join(tmpdir(), 'billow-billing-bench-'));
  const database = pg ? await openPostgres(pg.url, 4) : await openPglite({ dataDir: dir! });
  const app = await createApp(CONFIG, database);
  const others: App[] = [];
  try {
    let started = performance.now();
    const organizationId = await setUp(app);
    const subscribed = seconds(started);
    started = performance.now();
    await loadEvents(database, organizationId);
    if (pg) await database.db.execute(sql`ANALYZE events`);
    const loaded = seconds(started);
    started = performance.now();
    await database.db.transaction(async (tx) => app.services.metering.settingsChanged(tx as never, organizationId, METRICS.map((m) => m.metric.code)));
    await app.services.metering.compact();
    const folded = seconds(started);
    if (pg) await database.db.execute(sql`VACUUM ANALYZE`);
    console.log(`  set-up: ${SUBSCRIPTIONS} subscriptions through the API in ${subscribed} s, events loaded in ${loaded} s, aggregated in ${folded} s`);

    if (pg) for (let r = 1; r < RUNNERS; r++) others.push(await createApp(CONFIG, await openPostgres(pg.url, 4)));
    started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all([app, ...others].map((a) => a.services.billing.runDue(organizationId, BILLING_DAY, undefined, CONCURRENCY)));
    const elapsed = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);

    const [row] = await queryRows<{ invoices: string; finalized: string }>(
      database.db,
      sql`SELECT count(*)::text AS invoices, count(*) FILTER (WHERE status = 'finalized')::text AS finalized FROM invoices WHERE organization_id = ${organizationId}`,
    );
    const invoices = Number(row!.invoices);
    if (invoices !== SUBSCRIPTIONS || Number(row!.finalized) !== SUBSCRIPTIONS) throw new Error(`expected ${SUBSCRIPTIONS} finalized invoices, got ${JSON.stringify(row)}`);
    await check(database, organizationId);
    console.log(
      `  period-end run: ${invoices} invoices in ${elapsed.toFixed(1)} s = ${(invoices / elapsed).toFixed(0)} invoices/s` +
        `   (${pg ? RUNNERS : 1} runner${(pg ? RUNNERS : 1) > 1 ? 's' : ''}, this process busy ${((user + system) / 1e6).toFixed(1)} s of it; ` +
        `${Math.min(SAMPLE, SUBSCRIPTIONS)} invoices match the raw events)`,
    );
  } finally {
    for (const other of others) await other.close();
    await app.close();
    await pg?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
