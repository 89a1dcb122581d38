import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import type { AggregateDelta, UniqueValueDelta } from '../../billing/aggregation/accumulator.ts';

/** An exact timestamptz from epoch milliseconds (to_timestamp goes through a float and can miss by a microsecond). */
export const msToTimestamp = (ms: string | number) => sql`(timestamptz 'epoch' + ${String(ms)}::bigint * interval '1 millisecond')`;

// One advisory-lock space per organization for metering settings; the constant keeps it apart from other uses.
const lockKey = (organizationId: string) => sql`hashtextextended(${organizationId}, 7216000003)`;

/**
 * Ingestion side of the metering lock: many ingestions share it; a change of metering settings takes it alone, so no
 * event is aggregated with settings older than the ones committed before it. Returns the settings' version.
 */
export const shareMeteringLock = async (db: Db, organizationId: string): Promise<bigint> => {
  const rows = await queryRows<{ version: string }>(
    db,
    sql`SELECT pg_advisory_xact_lock_shared(${lockKey(organizationId)}), metering_version::text AS version FROM organizations WHERE id = ${organizationId}`,
  );
  return BigInt(rows[0]!.version);
};

export const meteringVersion = async (db: Db, organizationId: string): Promise<bigint> => {
  const rows = await queryRows<{ version: string }>(db, sql`SELECT metering_version::text AS version FROM organizations WHERE id = ${organizationId}`);
  return BigInt(rows[0]!.version);
};

/** The writer side: waits for ingestions in flight, then bumps the version that ingestion caches settings under. */
export const takeMeteringLock = async (db: Db, organizationId: string): Promise<void> => {
  await db.execute(sql`SELECT pg_advisory_xact_lock(${lockKey(organizationId)})`);
  await db.execute(sql`UPDATE organizations SET metering_version = metering_version + 1 WHERE id = ${organizationId}`);
};

export interface MetricSettingsRow {
  code: string;
  aggregation_type: string;
  field_name: string | null;
  expression: string | null;
  filter_keys: string[];
  group_keys: string[];
}

/**
 * The live metrics with these codes, with their filter keys and every pricing group key a live charge (or charge
 * filter) pricing them uses.
 */
export const metricSettings = async (db: Db, organizationId: string, codes: readonly string[]): Promise<MetricSettingsRow[]> => {
  return queryRows<MetricSettingsRow>(db, sql`
    SELECT m.code, m.aggregation_type, m.field_name, m.expression,
      COALESCE((SELECT array_agg(f.key ORDER BY f.key) FROM billable_metric_filters f
        WHERE f.organization_id = m.organization_id AND f.billable_metric_id = m.id AND f.deleted_at IS NULL), '{}') AS filter_keys,
      COALESCE((SELECT array_agg(DISTINCT k.key) FROM (
          SELECT jsonb_array_elements_text(c.properties -> 'pricing_group_keys') AS key FROM charges c
          WHERE c.organization_id = m.organization_id AND c.billable_metric_id = m.id AND c.deleted_at IS NULL
            AND jsonb_typeof(c.properties -> 'pricing_group_keys') = 'array'
          UNION
          SELECT jsonb_array_elements_text(cf.properties -> 'pricing_group_keys') FROM charge_filters cf
          JOIN charges c ON c.organization_id = cf.organization_id AND c.id = cf.charge_id
          WHERE cf.organization_id = m.organization_id AND c.billable_metric_id = m.id AND c.deleted_at IS NULL
            AND cf.deleted_at IS NULL AND jsonb_typeof(cf.properties -> 'pricing_group_keys') = 'array'
        ) k), '{}') AS group_keys
    FROM billable_metrics m
    WHERE m.organization_id = ${organizationId} AND m.code = ANY(${arrayParam([...codes])}::text[]) AND m.deleted_at IS NULL`);
};

/** Adds deltas to the stored aggregates (rows must come sorted by key, see AggregateAccumulator.rows). */
export const upsertAggregates = async (db: Db, organizationId: string, deltas: readonly AggregateDelta[]): Promise<void> => {
  if (deltas.length === 0) return;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  await db.execute(sql`
    INSERT INTO event_aggregates (organization_id, external_subscription_id, code, grain, bucket, dims, events_count, valued_count, value_sum,
      value_max, latest_at, latest_value, time_weighted, amount_cents_sum)
    SELECT ${organizationId}::uuid, d.* FROM unnest(
      ${arrayParam(deltas.map((d) => d.externalSubscriptionId))}::text[],
      ${arrayParam(deltas.map((d) => d.code))}::text[],
      ${arrayParam(deltas.map((d) => d.grain))}::char(1)[],
      ${arrayParam(deltas.map((d) => iso(d.bucket)))}::timestamptz[],
      ${arrayParam(deltas.map((d) => d.dims))}::text[],
      ${arrayParam(deltas.map((d) => d.eventsCount))}::bigint[],
      ${arrayParam(deltas.map((d) => d.valuedCount))}::bigint[],
      ${arrayParam(deltas.map((d) => d.valueSum.toFixed()))}::numeric[],
      ${arrayParam(deltas.map((d) => d.valueMax?.toFixed() ?? null))}::numeric[],
      ${arrayParam(deltas.map((d) => iso(d.latestAt)))}::timestamptz[],
      ${arrayParam(deltas.map((d) => d.latestValue?.toFixed() ?? null))}::numeric[],
      ${arrayParam(deltas.map((d) => d.timeWeighted.toFixed()))}::numeric[],
      ${arrayParam(deltas.map((d) => d.amountCentsSum.toFixed()))}::numeric[]
    ) AS d
    ON CONFLICT (organization_id, external_subscription_id, code, grain, bucket, dims) DO UPDATE SET
      events_count = event_aggregates.events_count + excluded.events_count,
      valued_count = event_aggregates.valued_count + excluded.valued_count,
      value_sum = event_aggregates.value_sum + excluded.value_sum,
      value_max = GREATEST(event_aggregates.value_max, excluded.value_max),
      latest_value = CASE WHEN excluded.latest_at IS NOT NULL AND (event_aggregates.latest_at IS NULL OR excluded.latest_at >= event_aggregates.latest_at)
        THEN excluded.latest_value ELSE event_aggregates.latest_value END,
      latest_at = CASE WHEN excluded.latest_at IS NOT NULL AND (event_aggregates.latest_at IS NULL OR excluded.latest_at >= event_aggregates.latest_at)
        THEN excluded.latest_at ELSE event_aggregates.latest_at END,
      time_weighted = event_aggregates.time_weighted + excluded.time_weighted,
      amount_cents_sum = event_aggregates.amount_cents_sum + excluded.amount_cents_sum`);
};

/** Records unique-count values' last operation per bucket (rows sorted by key, see AggregateAccumulator.uniqueRows). */
export const upsertUniqueValues = async (db: Db, organizationId: string, rows: readonly UniqueValueDelta[]): Promise<void> => {
  if (rows.length === 0) return;
  await db.execute(sql`
    INSERT INTO event_unique_values (organization_id, external_subscription_id, code, grain, bucket, dims, value, last_at, last_is_add)
    SELECT ${organizationId}::uuid, u.* FROM unnest(
      ${arrayParam(rows.map((r) => r.externalSubscriptionId))}::text[],
      ${arrayParam(rows.map((r) => r.code))}::text[],
      ${arrayParam(rows.map((r) => r.grain))}::char(1)[],
      ${arrayParam(rows.map((r) => new Date(r.bucket).toISOString()))}::timestamptz[],
      ${arrayParam(rows.map((r) => r.dims))}::text[],
      ${arrayParam(rows.map((r) => r.value))}::text[],
      ${arrayParam(rows.map((r) => new Date(r.lastAt).toISOString()))}::timestamptz[],
      ${arrayParam(rows.map((r) => r.lastIsAdd))}::boolean[]
    ) AS u
    ON CONFLICT (organization_id, external_subscription_id, code, grain, bucket, dims, value) DO UPDATE SET
      last_is_add = CASE WHEN excluded.last_at >= event_unique_values.last_at THEN excluded.last_is_add ELSE event_unique_values.last_is_add END,
      last_at = GREATEST(event_unique_values.last_at, excluded.last_at)`);
};

export const deleteAggregates = async (db: Db, organizationId: string, codes: readonly string[]): Promise<void> => {
  await db.execute(sql`DELETE FROM event_aggregates WHERE organization_id = ${organizationId} AND code = ANY(${arrayParam([...codes])}::text[])`);
  await db.execute(sql`DELETE FROM event_unique_values WHERE organization_id = ${organizationId} AND code = ANY(${arrayParam([...codes])}::text[])`);
};

export interface StoredEventRow {
  id: string;
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp_ms: string;
  properties: Record<string, unknown>;
  precise_total_amount_cents: string | null;
}

/** A page of an organization's events of these codes, in the order they happened (then arrived), after a cursor. */
export const eventsForRebuild = async (
  db: Db,
  organizationId: string,
  codes: readonly string[],
  after: { timestampMs: string; id: string } | null,
  limit: number,
): Promise<StoredEventRow[]> => {
  return queryRows<StoredEventRow>(db, sql`
    SELECT id, transaction_id, external_subscription_id, code, (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms,
      properties, precise_total_amount_cents::text
    FROM events
    WHERE organization_id = ${organizationId} AND code = ANY(${arrayParam([...codes])}::text[])
      ${after ? sql`AND (timestamp, id) > (${msToTimestamp(after.timestampMs)}, ${after.id}::uuid)` : sql``}
    ORDER BY timestamp, id
    LIMIT ${limit}`);
};

/** Bucket ranges of one grain, as SQL: `(grain = 'd' AND bucket >= $a AND bucket < $b) OR …`. */
const bucketRanges = (ranges: readonly { grain: string; from: number; to: number }[]) =>
  sql.join(
    ranges.map((r) => sql`(grain = ${r.grain} AND bucket >= ${msToTimestamp(r.from)} AND bucket < ${msToTimestamp(r.to)})`),
    sql` OR `,
  );

export interface AggregateStateRow {
  dims: string;
  events_count: string;
  valued_count: string;
  value_sum: string;
  value_max: string | null;
  latest_at_ms: string | null;
  latest_value: string | null;
  /** Σ value × seconds from each event to the window's end. */
  weighted_to_end: string;
  amount_cents_sum: string;
}

/**
 * The aggregates of one subscription's code over whole buckets, summed per dimensions. `windowEndMs` is the instant the
 * time weighting runs to: a bucket's stored weight runs to the bucket's end, the rest of the way is its net change
 * times the distance from the bucket's end to the window's end.
 */
export const readAggregateStates = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  code: string,
  ranges: readonly { grain: string; from: number; to: number }[],
  windowEndMs: number,
): Promise<AggregateStateRow[]> => {
  if (ranges.length === 0) return [];
  return queryRows<AggregateStateRow>(
    db,
    sql`SELECT dims, sum(events_count)::text AS events_count, sum(valued_count)::text AS valued_count,
        sum(value_sum)::text AS value_sum, max(value_max)::text AS value_max,
        (extract(epoch FROM max(latest_at)) * 1000)::bigint::text AS latest_at_ms,
        ((array_agg(latest_value ORDER BY latest_at DESC NULLS LAST))[1])::text AS latest_value,
        sum(time_weighted + value_sum * extract(epoch FROM ${msToTimestamp(windowEndMs)}
          - (bucket + CASE grain WHEN 'h' THEN interval '1 hour' WHEN 'd' THEN interval '1 day' ELSE interval '1 month' END)))::text
          AS weighted_to_end,
        sum(amount_cents_sum)::text AS amount_cents_sum
      FROM event_aggregates
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${code}
        AND (${bucketRanges(ranges)})
      GROUP BY dims`,
  );
};

export interface UniqueStateRow {
  dims: string;
  value: string;
  last_at_ms: string;
  last_is_add: boolean;
}

/** Each unique-count value's last operation over whole buckets, per dimensions. */
export const readUniqueStates = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  code: string,
  ranges: readonly { grain: string; from: number; to: number }[],
): Promise<UniqueStateRow[]> => {
  if (ranges.length === 0) return [];
  return queryRows<UniqueStateRow>(
    db,
    sql`SELECT DISTINCT ON (dims, value) dims, value, (extract(epoch FROM last_at) * 1000)::bigint::text AS last_at_ms, last_is_add
      FROM event_unique_values
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${code}
        AND (${bucketRanges(ranges)})
      ORDER BY dims, value, last_at DESC`,
  );
};

/** The raw events of one subscription's code in time ranges (the edges no bucket covers), oldest first. */
export const rawEventsIn = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  code: string,
  ranges: readonly { from: number; to: number }[],
): Promise<StoredEventRow[]> => {
  if (ranges.length === 0) return [];
  return queryRows<StoredEventRow>(
    db,
    sql`SELECT id, transaction_id, external_subscription_id, code, (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms,
        properties, precise_total_amount_cents::text
      FROM events
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${code}
        AND (${sql.join(
          ranges.map((r) => sql`(timestamp >= ${msToTimestamp(r.from)} AND timestamp < ${msToTimestamp(r.to)})`),
          sql` OR `,
        )})
      ORDER BY timestamp, created_at, id`,
  );
};
