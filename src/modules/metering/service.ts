import { dimensionsOf, eventValue, isRemoval, type EventValueError } from '../../billing/aggregation/event-value.ts';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import type { EventContribution } from '../../billing/aggregation/window-state.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import { ok, type Result } from '../../lib/result.ts';
import { uuidAsBigInt, uuidAsInteger } from '../../lib/ids.ts';
import * as repo from './repository.ts';
import { toMeteringConfig } from './settings.ts';

/** An event as metering reads it. */
export interface MeteredEvent {
  id: string;
  externalSubscriptionId: string;
  code: string;
  timestampMs: number;
  properties: Readonly<Record<string, unknown>>;
  preciseTotalAmountCents: Decimal | null;
  /** False when the client left the timestamp out (its resend may then differ in it). */
  timestampGiven?: boolean;
}

/** How a request's events went through the one-statement ingestion. */
export type FastIngestion =
  | { kind: 'stored'; resent: repo.FastIngestAnswer['resent'] }
  | { kind: 'refused'; errors: Map<number, EventValueError> }
  | { kind: 'careful' };

/** What metering reads off one event: the properties that split usage, its value, its unique-count value. */
interface Measure {
  dims: string;
  numeric: string | null;
  unique: { value: string; isAdd: boolean } | null;
  /** Whether the event's arrival order matters (latest values, unique-count operations): ties at one instant go to the later. */
  ordered: boolean;
}

const REBUILD_PAGE = 5_000;
const COMPACTION_BATCH = 100_000;

/** Two settings aggregate events the same way. */
const sameSettings = (a: MeteringConfig | undefined, b: MeteringConfig): boolean =>
  a !== undefined &&
  a.metric?.aggregationType === b.metric?.aggregationType &&
  a.metric?.fieldName === b.metric?.fieldName &&
  a.metric?.expression?.source === b.metric?.expression?.source &&
  a.dimensionKeys.join('\u0000') === b.dimensionKeys.join('\u0000');

/**
 * Keeps usage aggregates in step with events: stores new events and folds them in, in the same statement; rebuilds a
 * code's aggregates from the raw events when what decides them changes (a metric created, changed or deleted; charges
 * grouping usage by new keys). Settings are cached per organization and version; the version moves under the metering
 * lock, which ingestion holds shared.
 */
export const createMeteringService = ({ db }: { db: Db }) => {
  const cache = new Map<string, { version: bigint; configs: Map<string, MeteringConfig> }>();

  const settings = async (tx: Db, organizationId: string, version: bigint, codes: readonly string[]): Promise<Map<string, MeteringConfig>> => {
    let entry = cache.get(organizationId);
    if (!entry || entry.version !== version) {
      entry = { version, configs: new Map() };
      cache.set(organizationId, entry);
    }
    const missing = [...new Set(codes)].filter((code) => !entry.configs.has(code));
    if (missing.length > 0) {
      const rows = await repo.metricSettings(tx, organizationId, missing);
      for (const code of missing) entry.configs.set(code, toMeteringConfig(code, rows.find((r) => r.code === code)));
    }
    return entry.configs;
  };

  /**
   * Opens ingestion inside the caller's transaction: holds the metering lock shared until commit and returns the
   * settings of the given codes, so the events are valued and aggregated with settings no change can slip under.
   */
  const beginIngestion = async (tx: Db, organizationId: string, codes: readonly string[]) =>
    settings(tx, organizationId, await repo.shareMeteringLock(tx, organizationId), codes);

  /** The settings of these codes for reading usage (no lock: a change lands atomically with its rebuilt aggregates). */
  const settingsFor = async (tx: Db, organizationId: string, codes: readonly string[], version?: bigint): Promise<Map<string, MeteringConfig>> =>
    settings(tx, organizationId, version ?? (await repo.meteringVersion(tx, organizationId)), codes);

  const measure = (config: MeteringConfig, event: MeteredEvent): Result<Measure, EventValueError> => {
    const value = eventValue(config, { code: event.code, timestamp: Math.floor(event.timestampMs / 1000), properties: event.properties });
    if (!value.ok) return value;
    return ok({
      dims: dimensionsOf(config.dimensionKeys, event.properties),
      numeric: value.value.kind === 'number' ? value.value.text : null,
      unique: value.value.kind === 'text' ? { value: value.value.value, isAdd: !isRemoval(event.properties) } : null,
      ordered: value.value.kind === 'text' || config.metric?.aggregationType === 'latest_agg',
    });
  };

  /** The row of an event, with only the optional fields it has (see IngestRow). */
  const rowOf = (event: MeteredEvent, measured: Measure, ord: number, tx = ''): repo.IngestRow => {
    const row: repo.IngestRow = {
      tx,
      sub: event.externalSubscriptionId,
      id: event.id,
      code: event.code,
      ms: event.timestampMs,
      props: event.properties,
      dims: measured.dims,
      ord,
    };
    if (event.preciseTotalAmountCents) row.amount = event.preciseTotalAmountCents.toFixed();
    if (measured.numeric !== null) row.v = measured.numeric;
    if (measured.unique) {
      row.uv = measured.unique.value;
      row.uadd = measured.unique.isAdd;
    }
    // Only where it decides something: a 39-digit key on every event costs ingestion about 8%.
    if (measured.ordered) row.k = uuidAsInteger(event.id);
    if (event.timestampGiven === false) row.given = false;
    return row;
  };

  /** An event's contribution to a window's state (for events read raw at a window's edges). */
  const contributionOf = (config: MeteringConfig, event: MeteredEvent): Result<EventContribution, EventValueError> => {
    const measured = measure(config, event);
    if (!measured.ok) return measured;
    return ok({
      externalSubscriptionId: event.externalSubscriptionId,
      code: event.code,
      dims: measured.value.dims,
      timestampMs: event.timestampMs,
      value: measured.value.numeric === null ? null : new Decimal(measured.value.numeric),
      unique: measured.value.unique,
      preciseTotalAmountCents: event.preciseTotalAmountCents,
      arrival: measured.value.ordered ? uuidAsBigInt(event.id) : null,
    });
  };

  /**
   * Each event's measure by position, and the refusal of each event that does not carry what its metric needs (a
   * number for sum, max, latest and weighted sums).
   */
  const measureAll = (configs: Map<string, MeteringConfig>, events: readonly MeteredEvent[]) => {
    const measures: Measure[] = [];
    const refused = new Map<number, EventValueError>();
    events.forEach((event, index) => {
      const measured = measure(configs.get(event.code)!, event);
      if (measured.ok) measures[index] = measured.value;
      else refused.set(index, measured.error);
    });
    return { measures, refused };
  };

  /**
   * Stores the events whose key is new and folds them into the aggregates, in one statement inside the caller's
   * ingestion transaction, with the measures `measureAll` gave them (none refused). Answers the keys it stored.
   */
  const store = async (
    tx: Db,
    organizationId: string,
    events: readonly (MeteredEvent & { transactionId: string })[],
    measures: readonly Measure[],
    createdAtMs: number,
  ) =>
    repo.insertEventsAndAggregate(
      tx,
      organizationId,
      events.map((event, ord) => rowOf(event, measures[ord]!, ord, event.transactionId)),
      createdAtMs,
    );

  /**
   * The usual request in one round trip: values the events with the cached settings and stores them in a single
   * statement that checks it used the current settings version (else it stores nothing and is retried with fresh
   * settings). Answers `careful` when a resent event needs a closer look (the caller then ingests in a transaction).
   */
  const ingestInOneStatement = async (
    organizationId: string,
    events: readonly (MeteredEvent & { transactionId: string })[],
    createdAtMs: number,
  ): Promise<FastIngestion> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = cache.get(organizationId)?.version;
      const version = known ?? (await repo.meteringVersion(db, organizationId));
      const configs = await settings(db, organizationId, version, events.map((e) => e.code));
      const { measures, refused } = measureAll(configs, events);
      if (refused.size > 0) {
        // Refuse only on current settings: a stale cache is refreshed and the events valued again.
        if (known !== undefined && (await repo.meteringVersion(db, organizationId)) !== known) {
          cache.delete(organizationId);
          continue;
        }
        return { kind: 'refused', errors: refused };
      }
      const rows = events.map((event, ord) => rowOf(event, measures[ord]!, ord, event.transactionId));
      let answer: repo.FastIngestAnswer;
      try {
        answer = await repo.ingestInOneStatement(db, organizationId, rows, createdAtMs, version);
      } catch (error) {
        if (repo.isIngestionRefusal(error)) return { kind: 'careful' };
        throw error;
      }
      if (BigInt(answer.version) === version) return { kind: 'stored', resent: answer.resent };
      cache.delete(organizationId);
    }
    return { kind: 'careful' };
  };

  /** The settings of these codes as they stand in the caller's transaction, to compare before and after a change. */
  const snapshot = async (tx: Db, organizationId: string, codes: readonly string[]): Promise<Map<string, MeteringConfig>> => {
    const rows = new Map((await repo.metricSettings(tx, organizationId, codes)).map((r) => [r.code, r]));
    return new Map(codes.map((code) => [code, toMeteringConfig(code, rows.get(code))]));
  };

  /**
   * Called at the end of a transaction that may have changed how events of these codes aggregate (a metric written or
   * deleted, charges grouping usage). Codes whose settings differ from `before` (every code, without `before`) have
   * their aggregates rebuilt from every stored event, after ingestions in flight have finished.
   */
  const settingsChanged = async (tx: Db, organizationId: string, codes: readonly string[], before?: Map<string, MeteringConfig>): Promise<void> => {
    const now = await snapshot(tx, organizationId, [...new Set(codes)]);
    const changed = [...now.keys()].filter((code) => !before || !sameSettings(before.get(code), now.get(code)!));
    if (changed.length === 0) return;
    await repo.takeMeteringLock(tx, organizationId);
    cache.delete(organizationId);
    await rebuild(tx, organizationId, changed, now);
  };

  const rebuild = async (tx: Db, organizationId: string, codes: readonly string[], configs: Map<string, MeteringConfig>): Promise<void> => {
    await repo.deleteAggregates(tx, organizationId, codes);
    // One code at a time: with the code fixed, the usage index hands the events over in the order they are read.
    await repo.preferringIndexOrder(tx, async () => {
      for (const code of codes) await rebuildCode(tx, organizationId, code, configs);
    });
  };

  const rebuildCode = async (tx: Db, organizationId: string, code: string, configs: Map<string, MeteringConfig>): Promise<void> => {
    let after: repo.RebuildCursor | null = null;
    for (;;) {
      const { rows: page, next } = await repo.eventsForRebuild(tx, organizationId, code, after, REBUILD_PAGE);
      if (page.length === 0) break;
      const rows = page.map((stored, ord) => {
        const config = configs.get(stored.code)!;
        const event: MeteredEvent = {
          id: stored.id,
          externalSubscriptionId: stored.external_subscription_id,
          code: stored.code,
          timestampMs: Number(stored.timestamp_ms),
          properties: stored.properties,
          preciseTotalAmountCents: stored.precise_total_amount_cents === null ? null : new Decimal(stored.precise_total_amount_cents),
        };
        const measured = measure(config, event);
        // An event stored before its metric asked for a number keeps counting, without a value.
        return rowOf(event, measured.ok ? measured.value : { dims: dimensionsOf(config.dimensionKeys, event.properties), numeric: null, unique: null, ordered: false }, ord);
      });
      await repo.aggregateStoredEvents(tx, organizationId, rows);
      if (!next) break;
      after = next;
    }
  };

  /**
   * Moves every pending aggregate delta into the consolidated aggregates, a batch at a time; returns how many moved.
   * Safe to run from several processes at once (each takes rows the others are not moving).
   */
  const compact = async (): Promise<number> => {
    let moved = 0;
    for (;;) {
      const aggregates = await repo.compactAggregateDeltas(db, COMPACTION_BATCH);
      const uniques = await repo.compactUniqueValueDeltas(db, COMPACTION_BATCH);
      moved += aggregates + uniques;
      if (aggregates < COMPACTION_BATCH && uniques < COMPACTION_BATCH) return moved;
    }
  };

  /** Runs `compact` every `intervalMs` in the background until the returned stop is awaited. */
  const startCompactor = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(compact).catch(onError);
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  };

  return { beginIngestion, ingestInOneStatement, settingsFor, measureAll, store, contributionOf, snapshot, settingsChanged, compact, startCompactor };
};

export type MeteringService = ReturnType<typeof createMeteringService>;
