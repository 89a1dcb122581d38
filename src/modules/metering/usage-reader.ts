import { planRange, type MsRange } from '../../billing/aggregation/buckets.ts';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { addToWindowState, emptyWindowState, mergeWindowStates, type WindowState } from '../../billing/aggregation/window-state.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import * as repo from './repository.ts';
import type { MeteringService } from './service.ts';

/** A window of one metric code to read. */
export interface WindowRead {
  config: MeteringConfig;
  window: MsRange;
}

/**
 * Reads one subscription's usage of metric codes over windows [from, to), per combination of grouping properties
 * (canonical JSON, see dimensionsOf): whole months, days and hours from the pre-aggregated buckets, the edges from the
 * raw events. All the windows' buckets are read in one statement. The number of rows read depends on the windows'
 * shapes and the number of combinations, not on the number of events. With `countUniques`, a unique count's values are
 * counted in the database, not listed, where nothing can merge with them (see WindowState.uniqueAdds).
 */
export const readManyWindowStates = async (
  db: Db,
  metering: MeteringService,
  organizationId: string,
  externalSubscriptionId: string,
  reads: readonly WindowRead[],
  options: { countUniques?: boolean } = {},
): Promise<Map<string, WindowState>[]> => {
  const plans = reads.map((r) => planRange(r.window));
  const bucketReads = reads.map((r, i) => ({
    code: r.config.code,
    ranges: plans[i]!.buckets.map((b) => ({ grain: b.grain, from: b.range.from, to: b.range.to })),
    windowEndMs: r.window.to,
  }));
  const results = reads.map(() => new Map<string, WindowState>());
  const stateOf = (read: number, dims: string) => {
    const states = results[read]!;
    let state = states.get(dims);
    if (!state) states.set(dims, (state = emptyWindowState()));
    return state;
  };

  for (const row of await repo.readAggregateStates(db, organizationId, externalSubscriptionId, bucketReads)) {
    results[row.read]!.set(
      row.dims,
      mergeWindowStates(stateOf(row.read, row.dims), {
        ...emptyWindowState(),
        eventsCount: Number(row.events_count),
        valuedCount: Number(row.valued_count),
        valueSum: new Decimal(row.value_sum),
        valueMax: row.value_max === null ? null : new Decimal(row.value_max),
        latestAt: row.latest_at_ms === null ? null : Number(row.latest_at_ms),
        latestValue: row.latest_value === null ? null : new Decimal(row.latest_value),
        latestKey: row.latest_key === null ? null : BigInt(row.latest_key),
        weightedToEnd: new Decimal(row.weighted_to_end),
        amountCentsSum: new Decimal(row.amount_cents_sum),
      }),
    );
  }
  // A unique count's values can be counted in the database when nothing is merged with them: no raw edges to read,
  // and one combination of grouping properties (with several, a charge filter may merge combinations holding the
  // same value).
  const uniqueHow = reads.map((read, i) =>
    read.config.metric?.aggregationType !== 'unique_count_agg'
      ? 'none'
      : options.countUniques && read.config.dimensionKeys.length === 0 && plans[i]!.raw.length === 0
        ? 'count'
        : 'each',
  );
  const onlyWhere = (how: string) => bucketReads.map((read, i) => (uniqueHow[i] === how ? read : { ...read, ranges: [] }));
  for (const row of await repo.readUniqueStates(db, organizationId, externalSubscriptionId, onlyWhere('each'))) {
    stateOf(row.read, row.dims).uniques.set(row.value, {
      lastAt: Number(row.last_at_ms),
      isAdd: row.last_is_add,
      lastKey: row.last_key === null ? null : BigInt(row.last_key),
    });
  }
  for (const row of await repo.readUniqueAddCounts(db, organizationId, externalSubscriptionId, onlyWhere('count'))) {
    stateOf(row.read, row.dims).uniqueAdds = row.adds;
  }
  const rawReads = reads.map((read, i) => ({ code: read.config.code, ranges: plans[i]!.raw }));
  for (const row of await repo.rawEventsForReads(db, organizationId, externalSubscriptionId, rawReads)) {
    const read = reads[row.read]!;
    const event = {
      id: row.id,
      externalSubscriptionId,
      code: row.code,
      timestampMs: Number(row.timestamp_ms),
      properties: row.properties,
      preciseTotalAmountCents: row.precise_total_amount_cents === null ? null : new Decimal(row.precise_total_amount_cents),
    };
    const contribution = metering.contributionOf(read.config, event);
    if (!contribution.ok) continue;
    addToWindowState(stateOf(row.read, contribution.value.dims), contribution.value, read.window.to);
  }
  return results;
};

/** One window of one code (see readManyWindowStates). */
export const readWindowStates = async (
  db: Db,
  metering: MeteringService,
  organizationId: string,
  externalSubscriptionId: string,
  config: MeteringConfig,
  window: MsRange,
): Promise<Map<string, WindowState>> =>
  (await readManyWindowStates(db, metering, organizationId, externalSubscriptionId, [{ config, window }]))[0]!;

/**
 * A reader for one request: the windows asked for in the same turn of the event loop are read together in one batch
 * of statements, and a window asked for twice is read once. Charges of one plan ask for their windows side by side,
 * so a whole current-usage request reads its aggregates in a few statements instead of a few per charge. It counts
 * unique values where it can: charges merge each state it returns into cells of their own and need no value by name
 * (those that do, prorated ones, read the events).
 */
export const createBatchedWindowReader = (db: Db, metering: MeteringService, organizationId: string, externalSubscriptionId: string) => {
  const cache = new Map<string, Promise<Map<string, WindowState>>>();
  let queue: { read: WindowRead; resolve: (states: Map<string, WindowState>) => void; reject: (error: unknown) => void }[] = [];

  const flush = () => {
    const batch = queue;
    queue = [];
    readManyWindowStates(
      db,
      metering,
      organizationId,
      externalSubscriptionId,
      batch.map((b) => b.read),
      { countUniques: true },
    ).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
  };

  return (config: MeteringConfig, window: MsRange): Promise<Map<string, WindowState>> => {
    const key = `${config.code}\u0000${window.from}\u0000${window.to}`;
    let states = cache.get(key);
    if (!states) {
      states = new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ read: { config, window }, resolve, reject });
      });
      cache.set(key, states);
    }
    return states;
  };
};
