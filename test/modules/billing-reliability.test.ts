// Exactly one invoice per subscription, reason and billing day, whatever happens to the processes that bill: two runs
// at once, a run killed part way through, a subscription that cannot be billed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Temporal } from 'temporal-polyfill';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { createBillingService, type BillingService } from '../../src/modules/billing/service.ts';
import { createMeteringService } from '../../src/modules/metering/service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const POSTGRES = process.env.TEST_DATABASE_URL ?? null;

type Call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) => Promise<Record<string, any>>;

const apiOf =
  (t: TestApp, key: string): Call =>
  async (method, path, payload) => {
    const res = await t.request(key, { method, url: `/api/v1${path}`, ...(payload ? { payload } : {}) });
    assert.equal(res.statusCode, 200, `${method} ${path}: ${res.body}`);
    return res.json();
  };

const unix = (iso: string) => Temporal.Instant.from(iso).epochMilliseconds / 1000;

interface EventInput {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp: number;
  properties: Record<string, string>;
}

const sendEvents = async (api: Call, events: EventInput[]) => {
  for (let i = 0; i < events.length; i += 100) await api('POST', '/events/batch', { events: events.slice(i, i + 100) });
};

/** A metric summing `gb` and a monthly calendar plan billing it at 0.25 EUR per GB, with this fee and timing. */
const createGbPlan = async (api: Call, code: string, amountCents: number, payInAdvance: boolean, metricId?: string) => {
  const id = metricId ?? (await api('POST', '/billable_metrics', { billable_metric: { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'gb' } })).billable_metric.lago_id;
  await api('POST', '/plans', {
    plan: {
      name: code,
      code,
      interval: 'monthly',
      amount_cents: amountCents,
      amount_currency: 'EUR',
      pay_in_advance: payInAdvance,
      charges: [{ billable_metric_id: id, charge_model: 'standard', properties: { amount: '0.25' } }],
    },
  });
  return id as string;
};

const query = <T = Record<string, unknown>>(database: Database, text: string, params: unknown[] = []) =>
  database.withSession((s) => s.query<T>(text, params));

/** One row per invoice_subscriptions row of the organization: what was billed, why, on which day, on which invoice. */
interface LedgerRow {
  external_id: string;
  reason: string;
  billing_date: string;
  invoice_id: string;
  status: string;
  number: string;
  sequential_id: number | null;
  total: string;
  fees_amount: string;
  fee_count: number;
  fee_sum: string;
}

const ledgerOf = (database: Database, organizationId: string) =>
  query<LedgerRow>(
    database,
    `SELECT s.external_id, x.invoicing_reason AS reason, x.billing_date::text AS billing_date, i.id::text AS invoice_id, i.status,
        i.number, i.sequential_id, i.total_amount_cents::text AS total, i.fees_amount_cents::text AS fees_amount,
        (SELECT count(*) FROM fees f WHERE f.organization_id = i.organization_id AND f.invoice_id = i.id)::int AS fee_count,
        (SELECT coalesce(sum(f.amount_cents), 0) FROM fees f WHERE f.organization_id = i.organization_id AND f.invoice_id = i.id)::text AS fee_sum
      FROM invoice_subscriptions x
      JOIN invoices i ON i.organization_id = x.organization_id AND i.id = x.invoice_id
      JOIN subscriptions s ON s.organization_id = x.organization_id AND s.id = x.subscription_id
      WHERE x.organization_id = $1
      ORDER BY s.external_id, x.billing_date, x.invoicing_reason`,
    [organizationId],
  );

/** Every invoice of the organization with how many subscription parts it bills (an invoice with none is an orphan). */
const invoicesOf = (database: Database, organizationId: string) =>
  query<{ id: string; status: string; customer: string; parts: number }>(
    database,
    `SELECT i.id::text, i.status, c.external_id AS customer,
        (SELECT count(*) FROM invoice_subscriptions x WHERE x.organization_id = i.organization_id AND x.invoice_id = i.id)::int AS parts
      FROM invoices i JOIN customers c ON c.organization_id = i.organization_id AND c.id = i.customer_id
      WHERE i.organization_id = $1 ORDER BY i.created_at, i.id`,
    [organizationId],
  );

const keyOf = (r: { external_id: string; reason: string; billing_date: string }) => `${r.external_id} ${r.reason} ${r.billing_date}`;

/** The database URL of a PostgreSQL test database (its name on the TEST_DATABASE_URL server). */
const urlOf = async (database: Database): Promise<string> => {
  const [row] = await query<{ name: string }>(database, 'SELECT current_database() AS name');
  const url = new URL(POSTGRES!);
  url.pathname = `/${row!.name}`;
  return url.toString();
};

const CONFIG: Config = {
  host: '127.0.0.1',
  port: 0,
  databaseUrl: null,
  dataDir: '',
  apiKey: null,
  adminKey: null,
  logLevel: 'silent',
  bodyLimitBytes: 1_048_576,
  compactionIntervalMs: 0,
};

/**
 * A second billing service over the test database: on PostgreSQL a whole second app with its own connection pool (a
 * second process, as far as the database can tell); on PGlite, whose single connection serializes everything, a second
 * service over the same database.
 */
const secondBilling = async (t: TestApp): Promise<{ billing: BillingService; close(): Promise<void> }> => {
  if (t.database.kind === 'postgres') {
    const app = await createApp(CONFIG, await openPostgres(await urlOf(t.database), 5));
    return { billing: app.services.billing, close: () => app.close() };
  }
  const { db } = t.database;
  return { billing: createBillingService({ db, metering: createMeteringService({ db }) }), close: async () => {} };
};

/** Half away from zero, to whole cents, of `tenths` tenths of a cent (positive amounts only). */
const roundTenths = (tenths: bigint) => (tenths + 5n) / 10n;

describe('two billing runs at once', () => {
  const SUBSCRIPTIONS = 30;
  const UP_TO = Temporal.Instant.from('2024-05-01T00:00:00Z');
  let t: TestApp;
  let orgId: string;

  // Subscription k sends 1.5·k GB in March and 2.5·k GB in April: 37.5·k and 62.5·k cents at 0.25 EUR per GB.
  const expectedTotal = (k: number, billingDate: string): bigint =>
    1000n + roundTenths((billingDate === '2024-04-01' ? 375n : 625n) * BigInt(k));

  before(async () => {
    t = await startTestApp();
    let key: string;
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    const api = apiOf(t, key);
    await createGbPlan(api, 'std', 1000, false);
    const events: EventInput[] = [];
    for (let k = 1; k <= SUBSCRIPTIONS; k++) {
      await api('POST', '/subscriptions', { subscription: { external_customer_id: `cus_${k}`, plan_code: 'std', external_id: `sub_${k}` } });
      const sub = `sub_${k}`;
      events.push(
        { transaction_id: `${sub}_m1`, external_subscription_id: sub, code: 'gb', timestamp: unix('2024-03-05T10:00:00Z'), properties: { gb: String(k) } },
        { transaction_id: `${sub}_m2`, external_subscription_id: sub, code: 'gb', timestamp: unix('2024-03-31T23:59:59Z'), properties: { gb: String(k / 2) } },
        { transaction_id: `${sub}_a1`, external_subscription_id: sub, code: 'gb', timestamp: unix('2024-04-01T00:00:00Z'), properties: { gb: String(2.5 * k) } },
      );
    }
    await sendEvents(api, events);
  });
  after(() => t?.close());

  test('two billing services bill every subscription once per period, to the cent', async () => {
    const second = await secondBilling(t);
    try {
      const runs = await Promise.allSettled([t.app.services.billing.runDue(orgId, UP_TO), second.billing.runDue(orgId, UP_TO)]);
      for (const run of runs) assert.equal(run.status, 'fulfilled', run.status === 'rejected' ? String(run.reason?.stack ?? run.reason) : '');
    } finally {
      await second.close();
    }

    const ledger = await ledgerOf(t.database, orgId);
    const expected = Array.from({ length: SUBSCRIPTIONS }, (_, i) =>
      ['2024-04-01', '2024-05-01'].map((d) => `sub_${i + 1} subscription_periodic ${d}`),
    ).flat();
    assert.deepEqual(ledger.map(keyOf).sort(), expected.sort());

    const invoices = await invoicesOf(t.database, orgId);
    assert.equal(invoices.length, SUBSCRIPTIONS * 2, 'one invoice per subscription and period, no orphan or duplicate');
    assert.deepEqual(
      invoices.filter((i) => i.parts !== 1 || i.status !== 'finalized'),
      [],
      'every invoice finalized, billing exactly one subscription period',
    );
    for (const row of ledger) {
      const k = Number(row.external_id.slice('sub_'.length));
      assert.equal(row.fee_count, 2, `${keyOf(row)}: a subscription fee and a charge fee`);
      assert.equal(row.fee_sum, row.fees_amount, `${keyOf(row)}: the fees add up to the invoice`);
      assert.equal(row.total, String(expectedTotal(k, row.billing_date)), `${keyOf(row)}: total`);
      assert.equal(row.sequential_id, row.billing_date === '2024-04-01' ? 1 : 2, `${keyOf(row)}: the customer's sequence`);
    }
    assert.equal(new Set(ledger.map((r) => r.number)).size, ledger.length, 'invoice numbers are unique');
  });
});

describe('a billing process killed mid-run', () => {
  // Ten subscriptions of each kind, billed from January to July 2024.
  const PER_KIND = 10;
  const UP_TO = '2024-07-01T00:00:00Z';
  const CHILD = join(process.cwd(), 'test', 'support', 'billing-run-child.ts');
  const months = ['2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01', '2024-06-01', '2024-07-01'];
  const kinds = [
    // In arrears from January 1st: a periodic invoice on every first of the month.
    { prefix: 'arrears', plan: 'arrears', expected: months.map((d) => `subscription_periodic ${d}`) },
    // Paid in advance from January 1st: the start is invoiced when the subscription is created, then every month.
    { prefix: 'advance', plan: 'advance', expected: ['subscription_starting 2024-01-01', ...months.map((d) => `subscription_periodic ${d}`)] },
    // In arrears, ending on April 15th: three periodic invoices, then the termination's.
    {
      prefix: 'ending',
      plan: 'arrears',
      endingAt: '2024-04-15T12:00:00Z',
      expected: [...months.slice(0, 3).map((d) => `subscription_periodic ${d}`), 'subscription_terminating 2024-04-15'],
    },
    // Paid in advance, starting on February 15th: its start, then every month from March.
    {
      prefix: 'pending',
      plan: 'advance',
      subscriptionAt: '2024-02-15T00:00:00Z',
      expected: ['subscription_starting 2024-02-15', ...months.slice(1).map((d) => `subscription_periodic ${d}`)],
    },
  ];

  /** The same customers, subscriptions and events in a new organization; returns its id. */
  const setUp = async (t: TestApp, name: string): Promise<string> => {
    const { key, id } = await t.newOrganization({ name, testClock: '2024-01-01T00:00:00Z' });
    const api = apiOf(t, key);
    const metric = await createGbPlan(api, 'arrears', 1000, false);
    await createGbPlan(api, 'advance', 3000, true, metric);
    const events: EventInput[] = [];
    for (const kind of kinds) {
      for (let n = 1; n <= PER_KIND; n++) {
        const sub = `${kind.prefix}_${n}`;
        await api('POST', '/subscriptions', {
          subscription: {
            external_customer_id: `cus_${sub}`,
            plan_code: kind.plan,
            external_id: sub,
            ...(kind.subscriptionAt ? { subscription_at: kind.subscriptionAt } : {}),
            ...(kind.endingAt ? { ending_at: kind.endingAt } : {}),
          },
        });
        for (let month = 1; month <= 6; month++) {
          events.push({
            transaction_id: `${sub}_${month}`,
            external_subscription_id: sub,
            code: 'gb',
            timestamp: unix(`2024-0${month}-20T08:00:00Z`),
            properties: { gb: `${n}.${month}` },
          });
        }
      }
    }
    await sendEvents(api, events);
    return id;
  };

  const expectedKeys = () => kinds.flatMap((k) => Array.from({ length: PER_KIND }, (_, i) => k.expected.map((e) => `${k.prefix}_${i + 1} ${e}`)).flat()).sort();

  test(
    'a run killed twice with SIGKILL and run again bills every subscription, reason and period exactly once',
    { skip: POSTGRES ? false : 'needs PostgreSQL (TEST_DATABASE_URL): the killed process and the test share a database server' },
    async () => {
      const t = await startTestApp();
      try {
        const orgId = await setUp(t, 'Crashed');
        const url = await urlOf(t.database);
        const total = expectedKeys().length;
        const billed = async () => Number((await query<{ n: string }>(t.database, 'SELECT count(*)::text AS n FROM invoice_subscriptions WHERE organization_id = $1', [orgId]))[0]!.n);
        const atStart = await billed();
        const kills: number[] = [];

        // Two processes, each killed once it has billed a share of the work (a quarter, then half of it).
        for (const share of [0.25, 0.5]) {
          const threshold = atStart + Math.ceil((total - atStart) * share);
          const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, orgId, UP_TO], { stdio: ['ignore', 'pipe', 'inherit'] });
          const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
          let running = false;
          let done = false;
          let gone = false;
          void exited.then(() => (gone = true));
          createInterface({ input: child.stdout! }).on('line', (line) => {
            if (line === 'running') running = true;
            if (line === 'done') done = true;
          });
          try {
            while (!gone && (!running || (await billed()) < threshold)) await sleep(5);
          } finally {
            child.kill('SIGKILL');
          }
          const signal = await exited;
          const at = await billed();
          assert.ok(running && !done && signal === 'SIGKILL', `the billing process was to be killed part way through (running ${running}, done ${done}, signal ${signal})`);
          assert.ok(at < total, `killed after ${at} of ${total} pieces: too late to test anything`);
          kills.push(at);
        }
        console.log(`billing crash test: processes killed with ${kills.join(', then ')} of ${total} subscription periods billed`);

        await t.app.services.billing.runDue(orgId, Temporal.Instant.from(UP_TO));
        const ledger = await ledgerOf(t.database, orgId);
        assert.deepEqual(ledger.map(keyOf).sort(), expectedKeys(), 'every expected invoice, once');
        const invoices = await invoicesOf(t.database, orgId);
        assert.deepEqual(invoices.filter((i) => i.parts !== 1 || i.status !== 'finalized'), [], 'no orphan, duplicate or unfinished invoice');
        for (const row of ledger) assert.equal(row.fee_sum, row.fees_amount, `${keyOf(row)}: the fees add up to the invoice`);

        // The same story billed in one uninterrupted run bills the same amounts.
        const referenceId = await setUp(t, 'Uninterrupted');
        await t.app.services.billing.runDue(referenceId, Temporal.Instant.from(UP_TO));
        const amounts = (rows: LedgerRow[]) => rows.map((r) => `${keyOf(r)}: ${r.total} (${r.fee_count} fees)`).sort();
        assert.deepEqual(amounts(ledger), amounts(await ledgerOf(t.database, referenceId)));
      } finally {
        await t.close();
      }
    },
  );
});

/**
 * Faults are injected in the database: a trigger refuses to store the fees of the subscriptions listed in
 * `billing_faults`, as a bug or bad data would make one subscription's billing fail.
 */
const installFaults = (database: Database) =>
  database.withSession((s) =>
    s.exec(`
      CREATE TABLE billing_faults (subscription_id uuid PRIMARY KEY);
      CREATE FUNCTION billing_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM billing_faults WHERE subscription_id = NEW.subscription_id) THEN
          RAISE EXCEPTION 'injected fault: the fees of subscription % cannot be stored', NEW.subscription_id;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER billing_fault BEFORE INSERT ON fees FOR EACH ROW EXECUTE FUNCTION billing_fault();`),
  );

describe('a failure billing one subscription', () => {
  const UP_TO = Temporal.Instant.from('2024-05-01T00:00:00Z');
  const SUBSCRIPTIONS = 5;
  const FAILING = 'sub_3';
  let t: TestApp;
  let orgId: string;
  let api: Call;

  // Subscription k sends k GB in March and 2·k GB in April, at 0.25 EUR per GB.
  const expectedTotal = (k: number, billingDate: string) => 1000n + BigInt(k) * (billingDate === '2024-04-01' ? 25n : 50n);
  const checkBilled = (ledger: LedgerRow[], subscription: string) => {
    const rows = ledger.filter((r) => r.external_id === subscription);
    assert.deepEqual(rows.map((r) => `${r.billing_date} ${r.reason} ${r.status}`), [
      '2024-04-01 subscription_periodic finalized',
      '2024-05-01 subscription_periodic finalized',
    ], `${subscription}: one finalized invoice per period`);
    const k = Number(subscription.slice('sub_'.length));
    for (const row of rows) assert.equal(row.total, String(expectedTotal(k, row.billing_date)), `${keyOf(row)}: total`);
  };

  before(async () => {
    t = await startTestApp();
    let key: string;
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    api = apiOf(t, key);
    await createGbPlan(api, 'std', 1000, false);
    const events: EventInput[] = [];
    for (let k = 1; k <= SUBSCRIPTIONS; k++) {
      const sub = `sub_${k}`;
      await api('POST', '/subscriptions', { subscription: { external_customer_id: `cus_${k}`, plan_code: 'std', external_id: sub } });
      events.push(
        { transaction_id: `${sub}_m`, external_subscription_id: sub, code: 'gb', timestamp: unix('2024-03-10T00:00:00Z'), properties: { gb: String(k) } },
        { transaction_id: `${sub}_a`, external_subscription_id: sub, code: 'gb', timestamp: unix('2024-04-10T00:00:00Z'), properties: { gb: String(2 * k) } },
      );
    }
    await sendEvents(api, events);
    await installFaults(t.database);
    await query(t.database, `INSERT INTO billing_faults SELECT id FROM subscriptions WHERE organization_id = $1 AND external_id = $2`, [orgId, FAILING]);
  });
  after(() => t?.close());

  test('the other subscriptions are billed, every period', async () => {
    // Whether the run reports the failure or not, it must not stop at it.
    await t.app.services.billing.runDue(orgId, UP_TO).catch(() => {});
    const ledger = await ledgerOf(t.database, orgId);
    for (let k = 1; k <= SUBSCRIPTIONS; k++) if (`sub_${k}` !== FAILING) checkBilled(ledger, `sub_${k}`);
  });

  test('the failure is visible: a failed invoice per period holds the failing subscription, listed by the API', async () => {
    const ledger = await ledgerOf(t.database, orgId);
    assert.deepEqual(
      ledger.filter((r) => r.external_id === FAILING).map((r) => `${r.billing_date} ${r.reason} ${r.status}`),
      ['2024-04-01 subscription_periodic failed', '2024-05-01 subscription_periodic failed'],
    );
    const listed = await api('GET', '/invoices?external_customer_id=cus_3&status=failed');
    assert.deepEqual(
      listed.invoices.map((i: { lago_id: string }) => i.lago_id).sort(),
      ledger.filter((r) => r.external_id === FAILING).map((r) => r.invoice_id).sort(),
    );
  });

  test('once the fault is gone, a later run does not bill the failed periods a second time', async () => {
    const before = await invoicesOf(t.database, orgId);
    await query(t.database, 'DELETE FROM billing_faults');
    await t.app.services.billing.runDue(orgId, UP_TO);
    assert.deepEqual(await invoicesOf(t.database, orgId), before);
  });

  test('POST /invoices/{id}/retry then bills each failed period once, to the cent', async () => {
    const failed = (await ledgerOf(t.database, orgId)).filter((r) => r.status === 'failed');
    assert.equal(failed.length, 2);
    for (const row of failed) await api('POST', `/invoices/${row.invoice_id}/retry`);
    const ledger = await ledgerOf(t.database, orgId);
    for (let k = 1; k <= SUBSCRIPTIONS; k++) checkBilled(ledger, `sub_${k}`);
    assert.deepEqual(
      ledger.filter((r) => r.external_id === FAILING).map((r) => r.invoice_id).sort(),
      failed.map((r) => r.invoice_id).sort(),
      'the failed invoices themselves are billed, no new ones',
    );
    const invoices = await invoicesOf(t.database, orgId);
    assert.deepEqual(invoices.filter((i) => i.parts !== 1 || i.status !== 'finalized'), [], 'no invoice left failed, orphaned or unfinished');
    assert.equal(new Set(ledger.map((r) => r.number)).size, ledger.length, 'invoice numbers are unique');
  });
});

describe('an event too large for any fee', () => {
  // No injected fault: a value of 10^30 GB makes the fee 2.5·10^31 cents, beyond what an invoice can store.
  const UP_TO = Temporal.Instant.from('2024-05-01T00:00:00Z');
  let t: TestApp;
  let orgId: string;

  before(async () => {
    t = await startTestApp();
    let key: string;
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    const api = apiOf(t, key);
    await createGbPlan(api, 'std', 1000, false);
    for (const sub of ['sub_a', 'sub_b', 'sub_c']) {
      await api('POST', '/subscriptions', { subscription: { external_customer_id: `cus_${sub}`, plan_code: 'std', external_id: sub } });
    }
    await sendEvents(api, [
      { transaction_id: 'a', external_subscription_id: 'sub_a', code: 'gb', timestamp: unix('2024-03-10T00:00:00Z'), properties: { gb: '4' } },
      { transaction_id: 'b', external_subscription_id: 'sub_b', code: 'gb', timestamp: unix('2024-03-10T00:00:00Z'), properties: { gb: '1' + '0'.repeat(30) } },
      { transaction_id: 'c', external_subscription_id: 'sub_c', code: 'gb', timestamp: unix('2024-03-10T00:00:00Z'), properties: { gb: '8' } },
    ]);
  });
  after(() => t?.close());

  test('does not keep the other subscriptions from being billed, and leaves a failed invoice', async () => {
    await t.app.services.billing.runDue(orgId, UP_TO).catch(() => {});
    const ledger = await ledgerOf(t.database, orgId);
    const billed = (sub: string) => ledger.filter((r) => r.external_id === sub).map((r) => `${r.billing_date} ${r.status} ${r.total}`);
    assert.deepEqual(billed('sub_a'), ['2024-04-01 finalized 1100', '2024-05-01 finalized 1000']);
    assert.deepEqual(billed('sub_c'), ['2024-04-01 finalized 1200', '2024-05-01 finalized 1000']);
    const invoices = await invoicesOf(t.database, orgId);
    assert.ok(invoices.some((i) => i.customer === 'cus_sub_b' && i.status === 'failed'), `invoices of cus_sub_b: ${JSON.stringify(invoices.filter((i) => i.customer === 'cus_sub_b'))}`);
  });
});
