import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { listingPage } from '../../src/modules/events/listing.ts';
import { listingRange, locatePage, splitWalked, walkPlan, type Segment } from '../../src/modules/events/page-locator.ts';
import type { Db } from '../../src/db/database.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Events gather around the end of January: the listing's edges cross hour, day and month buckets.
const START = Date.UTC(2024, 0, 31, 22);
const SUBSCRIPTIONS = ['s01', 's02', 's03', 's04', ''];
const CODES = ['gb', 'calls', 'misc'];
// Same length, lowercase and digits: JavaScript and any database collation order them alike.
const txId = (n: number) => `t${String(n).padStart(4, '0')}`;

interface Stored {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  ms: number;
}

/** The brute-force listing: every stored event, filtered, sorted newest first, sliced. */
const expected = (
  stored: readonly Stored[],
  q: { sub?: string | undefined; code?: string | undefined; fromMs?: number | undefined; toMs?: number | undefined; page: number; perPage: number },
) => {
  const matching = stored
    .filter(
      (e) =>
        (q.sub === undefined || e.external_subscription_id === q.sub) &&
        (q.code === undefined || e.code === q.code) &&
        (q.fromMs === undefined || e.ms >= q.fromMs) &&
        (q.toMs === undefined || e.ms <= q.toMs),
    )
    .sort(
      (a, b) =>
        b.ms - a.ms ||
        (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0) ||
        (a.external_subscription_id < b.external_subscription_id ? -1 : a.external_subscription_id > b.external_subscription_id ? 1 : 0),
    );
  const total = matching.length;
  const totalPages = Math.ceil(total / q.perPage);
  return {
    events: matching.slice((q.page - 1) * q.perPage, q.page * q.perPage).map((e) => `${e.transaction_id}/${e.external_subscription_id}`),
    meta:
      total === 0
        ? { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 }
        : {
            current_page: q.page,
            next_page: q.page < totalPages ? q.page + 1 : null,
            prev_page: q.page > 1 ? q.page - 1 : null,
            total_pages: totalPages,
            total_count: total,
          },
  };
};

test('locatePage: the segments holding a page, and what comes before it in the first', () => {
  const seg = (count: number): Segment => ({ grain: 'h', from: 0, to: 0, count });
  assert.deepEqual(locatePage([seg(5), seg(10), seg(7)], 8, 4), { first: 1, last: 1, skip: 3 });
  assert.deepEqual(locatePage([seg(5), seg(10), seg(7)], 0, 5), { first: 0, last: 0, skip: 0 });
  assert.deepEqual(locatePage([seg(5), seg(10), seg(7)], 4, 13), { first: 0, last: 2, skip: 4 });
  assert.deepEqual(locatePage([seg(5), seg(10), seg(7)], 21, 100), { first: 2, last: 2, skip: 6 });
  assert.equal(locatePage([seg(5), seg(10), seg(7)], 22, 1), null);
  assert.equal(locatePage([], 0, 1), null);
});

test('listingRange: timestamp_to is inclusive, and a range with from after to is empty', () => {
  assert.deepEqual(listingRange({ fromMs: 1000, toMs: 2000 }), { from: 1000, to: 2001 });
  assert.deepEqual(listingRange({}), { from: 0, to: Date.UTC(10000, 0, 1) });
  assert.deepEqual(listingRange({ fromMs: -5000 }), { from: 0, to: Date.UTC(10000, 0, 1) });
  assert.deepEqual(listingRange({ fromMs: 3000, toMs: 2000 }), { from: 3000, to: 3000 });
});

test('walkPlan and splitWalked: a bucket is walked from the end nearer to the page, the rest kept whole', () => {
  assert.deepEqual(walkPlan(1000, 10, 109), { newestFirst: true, events: 110 });
  assert.deepEqual(walkPlan(1000, 900, 999), { newestFirst: false, events: 100 });
  const month: Segment = { grain: 'm', from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 2, 1), count: 50 };
  const day = (d: number) => Date.UTC(2024, 1, d);
  assert.deepEqual(splitWalked(month, 'd', [{ from: day(29), count: 5 }, { from: day(27), count: 10 }], true), [
    { grain: 'd', from: day(29), to: Date.UTC(2024, 2, 1), count: 5 },
    { grain: 'd', from: day(27), to: day(28), count: 10 },
    { grain: 'rest', from: month.from, to: day(27), count: 35 },
  ]);
  assert.deepEqual(splitWalked(month, 'd', [{ from: day(1), count: 20 }, { from: day(3), count: 30 }], false), [
    { grain: 'd', from: day(3), to: day(4), count: 30 },
    { grain: 'd', from: day(1), to: day(2), count: 20 },
  ]);
  assert.throws(() => splitWalked(month, 'd', [{ from: day(1), count: 51 }], false), /counts disagree/);
});

describe('events listing: pages located from the aggregates equal the brute-force listing', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const stored: Stored[] = [];

  const get = async (q: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
    const res = await t.request(key, { method: 'GET', url: `/api/v1/events?${params}` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { events: { transaction_id: string; external_subscription_id: string | null }[]; meta: object };
    return { events: body.events.map((e) => `${e.transaction_id}/${e.external_subscription_id ?? ''}`), meta: body.meta };
  };
  /**
   * The same page from the listing with every month and day at its ends narrowed down to hours, however few events
   * they hold (the API reads small ones whole, and these events are few): the paths a large organization takes.
   */
  const narrowed = async (q: Parameters<typeof expected>[1], organizationId = orgId) => {
    const { rows, total } = await t.app.database.db.transaction(
      (tx) =>
        listingPage(
          tx as unknown as Db,
          organizationId,
          { externalSubscriptionId: q.sub, code: q.code },
          listingRange({ fromMs: q.fromMs, toMs: q.toMs }),
          (q.page - 1) * q.perPage,
          q.perPage,
          0,
        ),
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    return { events: rows.map((r) => `${r.transaction_id}/${r.external_subscription_id}`), total };
  };

  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-04-01T00:00:00Z' }));
    // Instants that land on and beside bucket boundaries, and ties, besides instants anywhere in ten weeks.
    const boundaries = [Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 2), Date.UTC(2024, 2, 1), START + 2 * HOUR, START + 26 * HOUR];
    const instant = fc.oneof(
      fc.integer({ min: 0, max: 70 * DAY }).map((o) => START + o),
      fc.tuple(fc.constantFrom(...boundaries), fc.constantFrom(-1, 0, 1, -HOUR, 999)).map(([b, d]) => b + d),
    );
    const drawn = fc.sample(
      fc.record({ ms: instant, sub: fc.constantFrom(...SUBSCRIPTIONS), code: fc.constantFrom(...CODES), reuseTx: fc.boolean(), v: fc.nat(100) }),
      { numRuns: 360, seed: 20240131 },
    );
    // Some events share the transaction_id and the instant of the previous one, on another subscription: another
    // event, ordered by its subscription.
    let n = 0;
    const events = drawn.map((d, i) => {
      const previous = i > 0 ? drawn[i - 1]! : null;
      const shared = d.reuseTx && previous !== null && previous.sub !== d.sub && i % 3 === 0;
      if (shared) d.ms = previous.ms;
      return {
        transaction_id: shared ? txId(n - 1) : txId(n++),
        external_subscription_id: d.sub,
        code: d.code,
        timestamp: `${Math.floor(d.ms / 1000)}.${String(d.ms % 1000).padStart(3, '0')}`,
        properties: { v: d.v, region: d.v % 2 === 0 ? 'eu' : 'us' },
        ms: d.ms,
      };
    });
    const send = async (slice: typeof events, resend: typeof events) => {
      for (let i = 0; i < slice.length; i += 40) {
        const fresh = slice.slice(i, i + 40);
        // Resends of events already stored and twins inside the batch: acknowledged, stored and counted once.
        const batch = [...fresh, ...resend.slice(i / 4, i / 4 + 5), ...fresh.slice(0, 3)].map(({ ms: _, ...e }) => e);
        const res = await t.request(key, { method: 'POST', url: '/api/v1/events/batch', payload: { events: batch } });
        assert.equal(res.statusCode, 200, res.body);
        for (const e of fresh) stored.push({ transaction_id: e.transaction_id, external_subscription_id: e.external_subscription_id, code: e.code, ms: e.ms });
      }
    };
    const { metering } = t.app.services;
    // Consolidated aggregates, pending deltas and aggregates rebuilt for a new metric, side by side.
    await send(events.slice(0, 120), []);
    await metering.compact();
    await send(events.slice(120, 240), events.slice(0, 120));
    const metric = await t.request(key, {
      method: 'POST',
      url: '/api/v1/billable_metrics',
      payload: { billable_metric: { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us'] }] } },
    });
    assert.equal(metric.statusCode, 200, metric.body);
    await send(events.slice(240), events.slice(100, 240));
    // A metric created then deleted: its code's aggregates are rebuilt twice, its events counted all along.
    const calls = await t.request(key, {
      method: 'POST',
      url: '/api/v1/billable_metrics',
      payload: { billable_metric: { name: 'Calls', code: 'calls', aggregation_type: 'count_agg' } },
    });
    assert.equal(calls.statusCode, 200, calls.body);
    const deleted = await t.request(key, { method: 'DELETE', url: '/api/v1/billable_metrics/calls' });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(new Set(stored.map((e) => `${e.transaction_id}/${e.external_subscription_id}`)).size, stored.length);
  });
  after(() => t.close());

  const iso = (ms: number) => new Date(ms).toISOString();

  test('any filters, any page: the same events in the same order, and the same meta', async () => {
    const instants = stored.map((e) => e.ms);
    const bound = fc.option(
      fc.oneof(fc.constantFrom(...instants), fc.constantFrom(...instants).map((ms) => ms + 1), fc.constantFrom(Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 1, 5))),
      { nil: undefined, freq: 2 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          sub: fc.option(fc.constantFrom('s01', 's02', 's04', 'nope'), { nil: undefined }),
          code: fc.option(fc.constantFrom(...CODES, 'never'), { nil: undefined }),
          fromMs: bound,
          toMs: bound,
          perPage: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.constantFrom(25, 100, 1000)),
          pageDraw: fc.double({ min: 0, max: 1.1, noNaN: true }),
        }),
        async ({ pageDraw, ...q }) => {
          const all = expected(stored, { ...q, page: 1, perPage: q.perPage });
          // Pages anywhere from the first to just past the last, deep ones included.
          const page = Math.max(1, Math.ceil(pageDraw * all.meta.total_pages));
          const want = expected(stored, { ...q, page });
          const got = await get({
            external_subscription_id: q.sub,
            code: q.code,
            timestamp_from: q.fromMs === undefined ? undefined : iso(q.fromMs),
            timestamp_to: q.toMs === undefined ? undefined : iso(q.toMs),
            per_page: q.perPage,
            page,
          });
          assert.deepEqual(got, want, JSON.stringify({ ...q, page }));
          assert.deepEqual(await narrowed({ ...q, page }), { events: want.events, total: want.meta.total_count }, `narrowed ${JSON.stringify({ ...q, page })}`);
        },
      ),
      { numRuns: 150, seed: 42 },
    );
  });

  test('walking every page of a listing gives every matching event once, in order', async () => {
    const walks: { sub?: string; code?: string; fromMs?: number; toMs?: number }[] = [
      {},
      { code: 'calls' },
      { sub: 's02' },
      { fromMs: Date.UTC(2024, 1, 1, 0, 0, 0, 1), toMs: Date.UTC(2024, 2, 1) },
    ];
    for (const q of walks) {
      const want = expected(stored, { ...q, page: 1, perPage: 100_000 }).events;
      const walked: string[] = [];
      for (let page = 1; ; page++) {
        const got = await get({
          external_subscription_id: q.sub,
          code: q.code,
          timestamp_from: q.fromMs === undefined ? undefined : iso(q.fromMs),
          timestamp_to: q.toMs === undefined ? undefined : iso(q.toMs),
          per_page: 13,
          page,
        });
        if (got.events.length === 0) break;
        assert.deepEqual((await narrowed({ ...q, page, perPage: 13 })).events, got.events);
        walked.push(...got.events);
      }
      assert.deepEqual(walked, want, JSON.stringify(q));
      assert.ok(want.length > 13, 'the walk spans several pages');
    }
  });

  test('where events crowd one end of a month or day and thin out at the other, every page still matches', async () => {
    // One event a day in April then a burst in its last hour; a burst in the first hour of May, then one event a day
    // and one an hour on May 15: walking the buckets from a sparse end reads several rounds of buckets.
    const { key: own, id: ownId } = await t.newOrganization({ testClock: '2024-06-01T00:00:00Z' });
    const may = Date.UTC(2024, 4, 1);
    const april = Date.UTC(2024, 3, 1);
    const skewed: Stored[] = [
      ...Array.from({ length: 29 }, (_, i) => ({ ms: april + i * DAY + 12 * HOUR, sub: 's04' })),
      ...Array.from({ length: 150 }, (_, i) => ({ ms: may - HOUR + i * 20_000, sub: 's02' })),
      ...Array.from({ length: 150 }, (_, i) => ({ ms: may + i * 20_000, sub: 's01' })),
      ...Array.from({ length: 30 }, (_, i) => ({ ms: may + (i + 1) * DAY + 12 * HOUR, sub: 's02' })),
      ...Array.from({ length: 24 }, (_, i) => ({ ms: Date.UTC(2024, 4, 15) + i * HOUR + 1, sub: 's03' })),
    ].map((e, i) => ({ transaction_id: txId(i), external_subscription_id: e.sub, code: 'calls', ms: e.ms }));
    for (let i = 0; i < skewed.length; i += 100) {
      const events = skewed.slice(i, i + 100).map((e) => ({ ...e, timestamp: `${e.ms / 1000}`, ms: undefined }));
      const res = await t.request(own, { method: 'POST', url: '/api/v1/events/batch', payload: { events } });
      assert.equal(res.statusCode, 200, res.body);
    }
    await t.app.services.metering.compact();
    const listed = async (perPage: number, page: number) => {
      const res = await t.request(own, { method: 'GET', url: `/api/v1/events?per_page=${perPage}&page=${page}` });
      const body = res.json() as { events: { transaction_id: string; external_subscription_id: string }[]; meta: object };
      return { events: body.events.map((e) => `${e.transaction_id}/${e.external_subscription_id}`), meta: body.meta };
    };
    for (const perPage of [1, 6, 40]) {
      const pages = Math.ceil(skewed.length / perPage);
      for (const page of perPage === 1 ? [1, 2, 30, 54, 55, 56, 100, 200, 250, 300, 350, pages] : Array.from({ length: pages }, (_, i) => i + 1)) {
        const want = expected(skewed, { page, perPage });
        assert.deepEqual(await listed(perPage, page), want, `per_page ${perPage}, page ${page}`);
        assert.deepEqual(await narrowed({ page, perPage }, ownId), { events: want.events, total: want.meta.total_count }, `narrowed, per_page ${perPage}, page ${page}`);
      }
    }
  });

  test('after compaction, and when from is after to, the listing still matches', async () => {
    await t.app.services.metering.compact();
    assert.deepEqual(await get({ per_page: 50, page: 3 }), expected(stored, { page: 3, perPage: 50 }));
    assert.deepEqual(await get({ code: 'misc', per_page: 9, page: 2 }), expected(stored, { code: 'misc', page: 2, perPage: 9 }));
    const empty = await get({ timestamp_from: iso(Date.UTC(2024, 2, 1)), timestamp_to: iso(Date.UTC(2024, 1, 1)) });
    assert.deepEqual(empty, { events: [], meta: { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 } });
  });
});
