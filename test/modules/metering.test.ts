import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Decimal } from '../../src/lib/money.ts';
import { dimensionsOf, eventValue } from '../../src/billing/aggregation/event-value.ts';
import { addToWindowState, emptyWindowState, mergeWindowStates, type WindowState } from '../../src/billing/aggregation/window-state.ts';
import { unitsOf } from '../../src/billing/aggregation/units.ts';
import { readManyWindowStates, readWindowStates } from '../../src/modules/metering/usage-reader.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 28); // late January: windows cross month, day and hour boundaries

interface Sent {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp: number;
  properties: Record<string, unknown>;
}

/** The window state computed the slow way: from every event, one by one. */
const bruteForce = (events: Sent[], code: string, keys: string[], type: 'sum_agg' | 'unique_count_agg', from: number, to: number) => {
  const states = new Map<string, WindowState>();
  const config = { code, metric: { aggregationType: type, fieldName: 'v', expression: null }, dimensionKeys: keys } as const;
  for (const e of [...events].sort((a, b) => a.timestamp - b.timestamp)) {
    const ms = Math.round(e.timestamp * 1000);
    if (e.code !== code || ms < from || ms >= to) continue;
    const value = eventValue(config, { code, timestamp: Math.floor(e.timestamp), properties: e.properties });
    if (!value.ok) continue;
    const dims = dimensionsOf(keys, e.properties);
    const state = states.get(dims) ?? emptyWindowState();
    addToWindowState(
      state,
      {
        externalSubscriptionId: e.external_subscription_id,
        code,
        dims,
        timestampMs: ms,
        value: value.value.kind === 'number' ? new Decimal(value.value.text) : null,
        unique: value.value.kind === 'text' ? { value: value.value.value, isAdd: e.properties.operation_type !== 'remove' } : null,
        preciseTotalAmountCents: null,
      },
      to,
    );
    states.set(dims, state);
  }
  return states;
};

const comparable = (states: Map<string, WindowState>) =>
  Object.fromEntries(
    [...states.entries()]
      .filter(([, s]) => s.eventsCount > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([dims, s]) => [
        dims,
        {
          eventsCount: s.eventsCount,
          valuedCount: s.valuedCount,
          valueSum: s.valueSum.toFixed(),
          valueMax: s.valueMax?.toFixed() ?? null,
          latestAt: s.latestAt,
          latestValue: s.latestValue?.toFixed() ?? null,
          weightedToEnd: s.weightedToEnd.toFixed(),
          uniques: [...s.uniques.entries()].filter(([, u]) => u.isAdd).map(([v]) => v).sort(),
        },
      ]),
  );

describe('metering: pre-aggregated windows equal the raw events', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const sent: Sent[] = [];

  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    // Events that arrive before their metric exists are stored, and count once it does.
    let n = 0;
    const random = fc.sample(
      fc.record({
        offset: fc.integer({ min: 0, max: 40 * DAY }),
        v: fc.oneof(fc.integer({ min: -50, max: 500 }), fc.constantFrom('1.5', '-2.25', '10')),
        region: fc.constantFrom('eu', 'us', undefined),
        user: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
        remove: fc.boolean(),
      }),
      { numRuns: 400, seed: 7 },
    );
    const send = async (slice: typeof random) => {
      for (let i = 0; i < slice.length; i += 50) {
        const events = slice.slice(i, i + 50).flatMap((r) => {
          const timestamp = (START + r.offset) / 1000;
          const region = r.region === undefined ? {} : { region: r.region };
          return [
            { transaction_id: `s${n++}`, external_subscription_id: 'sub', code: 'gb', timestamp, properties: { v: r.v, ...region } },
            {
              transaction_id: `u${n++}`,
              external_subscription_id: 'sub',
              code: 'users',
              timestamp,
              properties: { v: r.user, ...region, ...(r.remove ? { operation_type: 'remove' } : {}) },
            },
          ];
        });
        const res = await t.request(key, { method: 'POST', url: '/api/v1/events/batch', payload: { events } });
        assert.equal(res.statusCode, 200, res.body);
        sent.push(...events);
      }
    };
    // Half the events arrive before their metrics exist (they are folded in when the metrics are created), half after
    // (they are added to the stored aggregates one batch at a time).
    await send(random.slice(0, 200));
    for (const metric of [
      { name: 'GB', code: 'gb', aggregation_type: 'sum_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us'] }] },
      { name: 'Users', code: 'users', aggregation_type: 'unique_count_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us'] }] },
    ]) {
      const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics', payload: { billable_metric: metric } });
      assert.equal(res.statusCode, 200, res.body);
    }
    await send(random.slice(200));
  });
  after(() => t.close());

  test('any window, any edges: the buckets and raw edges give exactly what the events give', async () => {
    const { metering } = t.app.services;
    const configs = await metering.settingsFor(t.app.database.db, orgId, ['gb', 'users']);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -DAY, max: 41 * DAY }), fc.integer({ min: 0, max: 41 * DAY }), async (a, length) => {
        const from = START + a;
        const to = from + length;
        for (const [code, type] of [['gb', 'sum_agg'], ['users', 'unique_count_agg']] as const) {
          const read = await readWindowStates(t.app.database.db, metering, orgId, 'sub', configs.get(code)!, { from, to });
          assert.deepEqual(comparable(read), comparable(bruteForce(sent, code, ['region'], type, from, to)), `${code} [${from}, ${to})`);
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  test('after compaction, the same windows still give exactly what the events give', async () => {
    const { metering } = t.app.services;
    assert.ok((await metering.compact()) > 0, "the events left deltas to compact");
    const configs = await metering.settingsFor(t.app.database.db, orgId, ['gb', 'users']);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -DAY, max: 41 * DAY }), fc.integer({ min: 0, max: 41 * DAY }), async (a, length) => {
        const from = START + a;
        const to = from + length;
        for (const [code, type] of [['gb', 'sum_agg'], ['users', 'unique_count_agg']] as const) {
          const read = await readWindowStates(t.app.database.db, metering, orgId, 'sub', configs.get(code)!, { from, to });
          assert.deepEqual(comparable(read), comparable(bruteForce(sent, code, ['region'], type, from, to)), `${code} [${from}, ${to})`);
        }
      }),
      { numRuns: 40, seed: 13 },
    );
  });

  test('a whole calendar month, read from its monthly buckets, equals its events', async () => {
    const { metering } = t.app.services;
    const configs = await metering.settingsFor(t.app.database.db, orgId, ['gb']);
    const from = Date.UTC(2024, 1, 1);
    const to = Date.UTC(2024, 2, 1);
    const read = await readWindowStates(t.app.database.db, metering, orgId, 'sub', configs.get('gb')!, { from, to });
    assert.deepEqual(comparable(read), comparable(bruteForce(sent, 'gb', ['region'], 'sum_agg', from, to)));
  });
});

describe('metering: unique values counted in the database give what the events give', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const sent: Sent[] = [];

  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    const random = fc.sample(
      fc.record({ offset: fc.integer({ min: 0, max: 40 * DAY }), v: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), remove: fc.boolean() }),
      { numRuns: 300, seed: 17 },
    );
    let n = 0;
    const send = async (slice: typeof random) => {
      for (let i = 0; i < slice.length; i += 50) {
        const events = slice.slice(i, i + 50).map((r) => ({
          transaction_id: `v${n++}`,
          external_subscription_id: 'sub',
          code: 'visitors',
          timestamp: (START + r.offset) / 1000,
          properties: { v: r.v, ...(r.remove ? { operation_type: 'remove' } : {}) },
        }));
        const res = await t.request(key, { method: 'POST', url: '/api/v1/events/batch', payload: { events } });
        assert.equal(res.statusCode, 200, res.body);
        sent.push(...events);
      }
    };
    // Half before the metric exists (folded in when it is created), half after (added batch by batch).
    await send(random.slice(0, 150));
    const metric = { name: 'Visitors', code: 'visitors', aggregation_type: 'unique_count_agg', field_name: 'v' };
    const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics', payload: { billable_metric: metric } });
    assert.equal(res.statusCode, 200, res.body);
    await send(random.slice(150));
  });
  after(() => t.close());

  const counted = async (from: number, to: number) => {
    const { metering } = t.app.services;
    const config = (await metering.settingsFor(t.app.database.db, orgId, ['visitors'])).get('visitors')!;
    const [states] = await readManyWindowStates(t.app.database.db, metering, orgId, 'sub', [{ config, window: { from, to } }], { countUniques: true });
    return states!.get('{}');
  };
  const expected = (from: number, to: number) => {
    const state = bruteForce(sent, 'visitors', [], 'unique_count_agg', from, to).get('{}');
    return state ? [...state.uniques.values()].filter((u) => u.isAdd).length : 0;
  };
  const units = (state: WindowState | undefined, from: number, to: number) =>
    state ? unitsOf('unique_count_agg', state, { fromMs: from, toMs: to, periodDays: 30 }).units.toNumber() : 0;

  for (const stage of ['before compaction', 'after compaction'] as const) {
    test(`a whole month is counted without listing its values, ${stage}`, async () => {
      if (stage === 'after compaction') assert.ok((await t.app.services.metering.compact()) > 0, 'deltas were left to compact');
      const [from, to] = [Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)];
      const state = await counted(from, to);
      assert.ok(state, 'the month has events');
      assert.equal(state.uniques.size, 0, 'no value is listed');
      assert.ok(expected(from, to) > 0, 'the month holds values');
      assert.equal(state.uniqueAdds, expected(from, to));
    });

    test(`any window, counted or listed (raw edges), gives the count of the events, ${stage}`, async () => {
      if (stage === 'after compaction') await t.app.services.metering.compact();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: -DAY, max: 41 * DAY }), fc.integer({ min: 0, max: 41 * DAY }), fc.boolean(), async (a, length, aligned) => {
          // Half the windows on whole hours, read from buckets alone and counted; the others have raw edges.
          const from = aligned ? Math.floor((START + a) / 3_600_000) * 3_600_000 : START + a;
          const to = aligned ? from + Math.ceil(length / 3_600_000) * 3_600_000 : from + length;
          assert.equal(units(await counted(from, to), from, to), expected(from, to), `[${from}, ${to})`);
        }),
        { numRuns: 40, seed: stage === 'before compaction' ? 19 : 23 },
      );
    });
  }
});

// Lago breaks ties between events at one instant by their creation: the one that arrived last is the latest, and a
// unique-count value's last operation. Each request below is a separate arrival.
describe('metering: events at one instant from separate requests, the later arrival wins', () => {
  let t: TestApp;
  let key: string;
  let orgId: string;
  const HOUR = Date.UTC(2024, 1, 10, 9); // 2024-02-10 09:00 UTC
  const at = (minute: number) => (HOUR + minute * 60_000) / 1000;

  before(async () => {
    t = await startTestApp();
    ({ key, id: orgId } = await t.newOrganization({ testClock: '2024-03-01T00:00:00Z' }));
    for (const metric of [
      { name: 'Balance', code: 'bal', aggregation_type: 'latest_agg', field_name: 'v' },
      { name: 'Seats', code: 'seats', aggregation_type: 'unique_count_agg', field_name: 'v' },
      // The same with a filter: each region's events aggregate apart, and a charge without filters merges the regions.
      { name: 'Regional balance', code: 'rbal', aggregation_type: 'latest_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us', 'zz'] }] },
      { name: 'Regional seats', code: 'rseats', aggregation_type: 'unique_count_agg', field_name: 'v', filters: [{ key: 'region', values: ['eu', 'us', 'zz'] }] },
    ]) {
      const res = await t.request(key, { method: 'POST', url: '/api/v1/billable_metrics', payload: { billable_metric: metric } });
      assert.equal(res.statusCode, 200, res.body);
    }
    let n = 0;
    const send = async (code: string, minute: number, properties: Record<string, unknown>) => {
      const event = { transaction_id: `t${n++}`, external_subscription_id: 'sub', code, timestamp: at(minute), properties };
      const res = await t.request(key, { method: 'POST', url: '/api/v1/events', payload: { event } });
      assert.equal(res.statusCode, 200, res.body);
    };
    // Two instants per metric, each reached by three requests; the last to arrive is neither the greatest nor the least.
    for (const [minute, values] of [[10, [5, 9, 3]], [40, [7, 2, 4]]] as const) {
      for (const v of values) await send('bal', minute, { v });
    }
    // Seat a: added, removed, added again at one instant (held); seat b: added then removed (not held).
    for (const op of ['add', 'remove', 'add']) await send('seats', 20, { v: 'a', operation_type: op });
    for (const op of ['add', 'remove']) await send('seats', 20, { v: 'b', operation_type: op });
    for (const [region, v] of [['us', 5], ['zz', 9], ['eu', 3]] as const) await send('rbal', 50, { v, region });
    await send('rseats', 50, { v: 'c', region: 'eu' });
    await send('rseats', 50, { v: 'c', region: 'us', operation_type: 'remove' });
  });
  after(() => t.close());

  const read = async (code: string, from: number, to: number) => {
    const { metering } = t.app.services;
    const config = (await metering.settingsFor(t.app.database.db, orgId, [code])).get(code)!;
    const state = (await readWindowStates(t.app.database.db, metering, orgId, 'sub', config, { from, to })).get('{}')!;
    return { latest: state.latestValue?.toFixed() ?? null, held: [...state.uniques].filter(([, u]) => u.isAdd).map(([v]) => v).sort() };
  };
  // A window of whole days reads the buckets (the hour's, day's or month's); one that ends inside the hour reads the raw
  // events of the hour's first minutes and the deltas of nothing.
  const windows = {
    'whole days (buckets)': [Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)],
    'inside the hour (raw events)': [HOUR, HOUR + 30 * 60_000],
  } as const;

  /** Every region's state merged into one, in both orders: the result must not depend on the order. */
  const mergedRegions = async (code: string, from: number, to: number) => {
    const { metering } = t.app.services;
    const config = (await metering.settingsFor(t.app.database.db, orgId, [code])).get(code)!;
    const states = [...(await readWindowStates(t.app.database.db, metering, orgId, 'sub', config, { from, to })).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, state]) => state);
    assert.equal(states.length, 3 - (code === 'rseats' ? 1 : 0));
    return [states, [...states].reverse()].map((ordered) => {
      const merged = ordered.reduce(mergeWindowStates, emptyWindowState());
      return { latest: merged.latestValue?.toFixed() ?? null, held: [...merged.uniques].filter(([, u]) => u.isAdd).map(([v]) => v) };
    });
  };

  for (const stage of ['before compaction', 'after compaction'] as const) {
    test(`regions merged: the later arrival at one instant wins whatever the merge order, ${stage}`, async () => {
      if (stage === 'after compaction') assert.ok((await t.app.services.metering.compact()) > 0, 'deltas were left to compact');
      for (const [from, to] of [windows['whole days (buckets)'], [HOUR + 45 * 60_000, HOUR + 55 * 60_000]] as const) {
        assert.deepEqual(await mergedRegions('rbal', from, to), [{ latest: '3', held: [] }, { latest: '3', held: [] }]);
        assert.deepEqual((await mergedRegions('rseats', from, to)).map((m) => m.held), [[], []]);
      }
    });

    test(`latest value and unique seats, ${stage}`, async () => {
      if (stage === 'after compaction') await t.app.services.metering.compact();
      const [dayFrom, dayTo] = windows['whole days (buckets)'];
      assert.deepEqual(await read('bal', dayFrom, dayTo), { latest: '4', held: [] });
      assert.deepEqual((await read('seats', dayFrom, dayTo)).held, ['a']);
      const [rawFrom, rawTo] = windows['inside the hour (raw events)'];
      assert.deepEqual(await read('bal', rawFrom, rawTo), { latest: '3', held: [] });
      assert.deepEqual((await read('seats', rawFrom, rawTo)).held, ['a']);
    });
  }
});
