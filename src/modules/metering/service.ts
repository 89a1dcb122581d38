import { AggregateAccumulator, type EventContribution } from '../../billing/aggregation/accumulator.ts';
import { dimensionsOf, eventValue, isRemoval, type EventValueError } from '../../billing/aggregation/event-value.ts';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import { ok, type Result } from '../../lib/result.ts';
import * as repo from './repository.ts';
import { toMeteringConfig } from './settings.ts';

/** An event as metering reads it. */
export interface MeteredEvent {
  externalSubscriptionId: string;
  code: string;
  timestampMs: number;
  properties: Readonly<Record<string, unknown>>;
  preciseTotalAmountCents: Decimal | null;
}

const REBUILD_PAGE = 5_000;

/**
 * Keeps usage aggregates in step with events: folds new events in as they are stored, and rebuilds a code's aggregates
 * from the raw events when what decides them changes (a metric created, changed or deleted; charges grouping usage by
 * new keys). Settings are cached per organization and version; the version moves under the metering lock.
 */
export const createMeteringService = ({ db: _db }: { db: Db }) => {
  const cache = new Map<string, { version: bigint; configs: Map<string, MeteringConfig> }>();

  /** The settings of these codes at the version the caller holds the lock for. */
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
  const beginIngestion = async (tx: Db, organizationId: string, codes: readonly string[]) => {
    const version = await repo.shareMeteringLock(tx, organizationId);
    return settings(tx, organizationId, version, codes);
  };

  /** The settings of these codes for reading usage (no lock: a change lands atomically with its rebuilt aggregates). */
  const settingsFor = async (tx: Db, organizationId: string, codes: readonly string[]): Promise<Map<string, MeteringConfig>> =>
    settings(tx, organizationId, await repo.meteringVersion(tx, organizationId), codes);

  /** The contribution of one event, or why its value is refused (a non-number where the metric sums numbers). */
  const contributionOf = (config: MeteringConfig, event: MeteredEvent): Result<EventContribution, EventValueError> => {
    const value = eventValue(config, { code: event.code, timestamp: Math.floor(event.timestampMs / 1000), properties: event.properties });
    if (!value.ok) return value;
    return ok({
      externalSubscriptionId: event.externalSubscriptionId,
      code: event.code,
      dims: dimensionsOf(config.dimensionKeys, event.properties),
      timestampMs: event.timestampMs,
      value: value.value.kind === 'number' ? value.value.value : null,
      unique: value.value.kind === 'text' ? { value: value.value.value, isAdd: !isRemoval(event.properties) } : null,
      preciseTotalAmountCents: event.preciseTotalAmountCents,
    });
  };

  /** Adds stored events to the aggregates, in the caller's (ingestion) transaction. */
  const aggregate = async (tx: Db, organizationId: string, contributions: readonly EventContribution[]): Promise<void> => {
    const accumulator = new AggregateAccumulator();
    for (const c of contributions) accumulator.add(c);
    await repo.upsertAggregates(tx, organizationId, accumulator.rows());
    await repo.upsertUniqueValues(tx, organizationId, accumulator.uniqueRows());
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
  const settingsChanged = async (
    tx: Db,
    organizationId: string,
    codes: readonly string[],
    before?: Map<string, MeteringConfig>,
  ): Promise<void> => {
    const now = await snapshot(tx, organizationId, [...new Set(codes)]);
    const changed = [...now.keys()].filter((code) => !before || !sameSettings(before.get(code), now.get(code)!));
    if (changed.length === 0) return;
    await repo.takeMeteringLock(tx, organizationId);
    cache.delete(organizationId);
    await rebuild(tx, organizationId, changed, now);
  };

  const rebuild = async (tx: Db, organizationId: string, codes: readonly string[], configs: Map<string, MeteringConfig>): Promise<void> => {
    await repo.deleteAggregates(tx, organizationId, codes);
    let after: { timestampMs: string; id: string } | null = null;
    for (;;) {
      const page = await repo.eventsForRebuild(tx, organizationId, codes, after, REBUILD_PAGE);
      if (page.length === 0) break;
      const accumulator = new AggregateAccumulator();
      for (const row of page) {
        const config = configs.get(row.code)!;
        const event: MeteredEvent = {
          externalSubscriptionId: row.external_subscription_id,
          code: row.code,
          timestampMs: Number(row.timestamp_ms),
          properties: row.properties,
          preciseTotalAmountCents: row.precise_total_amount_cents === null ? null : new Decimal(row.precise_total_amount_cents),
        };
        const contribution = contributionOf(config, event);
        // An event stored before its metric asked for a number keeps counting, without a value.
        accumulator.add(contribution.ok ? contribution.value : { ...countOnly(config, event) });
      }
      await repo.upsertAggregates(tx, organizationId, accumulator.rows());
      await repo.upsertUniqueValues(tx, organizationId, accumulator.uniqueRows());
      const last = page[page.length - 1]!;
      after = { timestampMs: last.timestamp_ms, id: last.id };
      if (page.length < REBUILD_PAGE) break;
    }
  };

  return { beginIngestion, settingsFor, contributionOf, aggregate, snapshot, settingsChanged };
};

export type MeteringService = ReturnType<typeof createMeteringService>;

const countOnly = (config: MeteringConfig, event: MeteredEvent): EventContribution => ({
  externalSubscriptionId: event.externalSubscriptionId,
  code: event.code,
  dims: dimensionsOf(config.dimensionKeys, event.properties),
  timestampMs: event.timestampMs,
  value: null,
  unique: null,
  preciseTotalAmountCents: event.preciseTotalAmountCents,
});

/** Two settings aggregate events the same way. */
const sameSettings = (a: MeteringConfig | undefined, b: MeteringConfig): boolean =>
  a !== undefined &&
  a.metric?.aggregationType === b.metric?.aggregationType &&
  a.metric?.fieldName === b.metric?.fieldName &&
  a.metric?.expression?.source === b.metric?.expression?.source &&
  a.dimensionKeys.join('\u0000') === b.dimensionKeys.join('\u0000');
