import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows, queryRowsPrepared } from '../../db/query.ts';

/** An exact timestamptz from epoch milliseconds (to_timestamp goes through a float and can miss by a microsecond). */
export const msToTimestamp = (ms: string | number) => sql`(timestamptz 'epoch' + ${String(ms)}::bigint * interval '1 millisecond')`;

// One advisory-lock space per organization for metering settings; the constant keeps it apart from other uses.
const lockKey = (organizationId: string) => sql`hashtextextended(${organizationId}, 7216000003)`;

/** Takes the metering lock shared and then reads the settings version, fresh (see migration 0025). */
const ingestionGate = (organizationId: string) => sql`billow_ingestion_gate(${organizationId}::uuid, ${lockKey(organizationId)})`;

/**
 * Ingestion side of the metering lock: many ingestions share it; a change of metering settings takes it alone, so no
 * event is aggregated with settings older than the ones committed before it. Returns the settings' version.
 */
export const shareMeteringLock = async (db: Db, organizationId: string): Promise<bigint> => {
  const rows = await queryRows<{ version: string }>(db, sql`SELECT ${ingestionGate(organizationId)}::text AS version`);
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

/**
 * One event as ingestion hands it to the database: its row, and what it adds to the aggregates. Sent as JSON, where a
 * key left out reads as NULL: the fields most events leave empty are left out rather than sent as null (a batch of
 * 100 events is about a fifth shorter to write, send and parse).
 */
export interface IngestRow {
  tx: string;
  sub: string;
  id: string;
  code: string;
  ms: number;
  props: Record<string, unknown>;
  /** precise_total_amount_cents, as decimal text. */
  amount?: string;
  dims: string;
  /** The event's numeric value as decimal text, when it has one. */
  v?: string;
  /** Unique counts: the value, and whether the event adds it. */
  uv?: string;
  uadd?: boolean;
  /** Position inside the request (to match resent events with their answers). */
  ord: number;
  /**
   * The event's arrival key, its uuidv7 id as a decimal integer: of events at the same instant, the one with the
   * greater key arrived later and is the latest (inside a request too: ids are made in order). Left out for events of
   * metrics where no tie matters (their aggregates' latest value is never read).
   */
  k?: string;
  /**
   * Present, false, when the client left the timestamp out: a resend without one matches whatever the first reception
   * stored.
   */
  given?: false;
}

const INPUT_COLUMNS = sql`tx text, sub text, id uuid, code text, ms bigint, props jsonb, amount numeric, dims text, v numeric,
  uv text, uadd boolean, ord int, k numeric, given boolean`;

// Whether the newcomer's latest value is later than the stored one: the later instant, then the later arrival. Rows
// written before arrival keys existed have none and count as the earliest arrival.
const NEWER_LATEST = sql`excluded.latest_at IS NOT NULL AND (event_aggregates.latest_at IS NULL
    OR (excluded.latest_at, coalesce(excluded.latest_key, 0)) > (event_aggregates.latest_at, coalesce(event_aggregates.latest_key, 0)))`;

/** How a stored aggregate row takes in more of the same bucket (latest: the later instant, then the later arrival). */
const AGGREGATE_MERGE = sql`
  events_count = event_aggregates.events_count + excluded.events_count,
  valued_count = event_aggregates.valued_count + excluded.valued_count,
  value_sum = event_aggregates.value_sum + excluded.value_sum,
  value_max = GREATEST(event_aggregates.value_max, excluded.value_max),
  latest_value = CASE WHEN ${NEWER_LATEST} THEN excluded.latest_value ELSE event_aggregates.latest_value END,
  latest_key = CASE WHEN ${NEWER_LATEST} THEN excluded.latest_key ELSE event_aggregates.latest_key END,
  latest_at = GREATEST(event_aggregates.latest_at, excluded.latest_at),
  time_weighted = event_aggregates.time_weighted + excluded.time_weighted,
  amount_cents_sum = event_aggregates.amount_cents_sum + excluded.amount_cents_sum`;

const NEWER_UNIQUE = sql`(excluded.last_at, coalesce(excluded.last_key, 0)) > (event_unique_values.last_at, coalesce(event_unique_values.last_key, 0))`;

const UNIQUE_MERGE = sql`
  last_is_add = CASE WHEN ${NEWER_UNIQUE} THEN excluded.last_is_add ELSE event_unique_values.last_is_add END,
  last_key = CASE WHEN ${NEWER_UNIQUE} THEN excluded.last_key ELSE event_unique_values.last_key END,
  last_at = GREATEST(event_unique_values.last_at, excluded.last_at)`;

// The latest value of a group of events (the later instant, then the later arrival) is the last element of the
// greatest [instant, arrival key, value] array: a plain aggregate, where `array_agg(v ORDER BY ...)` sorts every group.
// The same identical aggregate also answers the arrival key (PostgreSQL computes it once).
const LATEST_OF_EVENTS = sql`max(ARRAY[extract(epoch FROM ts), k, v]) FILTER (WHERE v IS NOT NULL)`;
/** The same over aggregate or delta rows (`a`), whose latest value comes with its instant and arrival key. */
const LATEST_OF_ROWS = sql`max(CASE WHEN a.latest_at IS NOT NULL THEN ARRAY[extract(epoch FROM a.latest_at), coalesce(a.latest_key, 0), a.latest_value] END)`;

/** The head of an insert into event_aggregates, and what it does with a row already there. */
const INSERT_AGGREGATES = sql`INSERT INTO event_aggregates (organization_id, external_subscription_id, code, grain, bucket, dims, events_count,
  valued_count, value_sum, value_max, latest_at, latest_value, latest_key, time_weighted, amount_cents_sum)`;
const MERGE_AGGREGATES = sql`ON CONFLICT (organization_id, external_subscription_id, code, grain, bucket, dims) DO UPDATE SET ${AGGREGATE_MERGE}`;

/** The grains of the aggregates: hourly, daily and monthly buckets, each with its date_trunc unit and length. */
const GRAINS = sql`(VALUES ('h', 'hour', interval '1 hour'), ('d', 'day', interval '1 day'), ('m', 'month', interval '1 month')) AS g(grain, unit, step)`;

/**
 * The statements that fold a set of events (a CTE named `fresh`, with the IngestRow columns and `ts`) into the hourly,
 * daily and monthly aggregates and the unique-value states. Rows are grouped and ordered by key, so one statement
 * touches each aggregate row once and concurrent ingestions lock rows in the same order (no deadlock).
 */
const foldIntoAggregates = (organizationId: string) => sql`
  grains AS (
    SELECT f.*, g.grain, date_trunc(g.unit, f.ts, 'UTC') AS bucket, date_trunc(g.unit, f.ts, 'UTC') + g.step AS bucket_end
    FROM fresh f
    CROSS JOIN ${GRAINS}
  ),
  aggregated AS (
    ${INSERT_AGGREGATES}
    SELECT ${organizationId}::uuid, sub, code, grain, bucket, dims, count(*), count(v), coalesce(sum(v), 0), max(v),
      max(ts) FILTER (WHERE v IS NOT NULL), (${LATEST_OF_EVENTS})[3], (${LATEST_OF_EVENTS})[2],
      coalesce(sum(v * extract(epoch FROM bucket_end - ts)), 0),
      coalesce(sum(amount), 0)
    FROM grains
    GROUP BY sub, code, grain, bucket, dims
    ORDER BY sub, code, grain, bucket, dims
    ${MERGE_AGGREGATES}
    RETURNING 1
  ),
  uniques AS (
    INSERT INTO event_unique_values (organization_id, external_subscription_id, code, grain, bucket, dims, value, last_at, last_is_add, last_key)
    SELECT DISTINCT ON (sub, code, grain, bucket, dims, uv) ${organizationId}::uuid, sub, code, grain, bucket, dims, uv, ts, uadd, k
    FROM grains
    WHERE uv IS NOT NULL
    ORDER BY sub, code, grain, bucket, dims, uv, ts DESC, k DESC
    ON CONFLICT (organization_id, external_subscription_id, code, grain, bucket, dims, value) DO UPDATE SET ${UNIQUE_MERGE}
    RETURNING 1
  )`;

/**
 * The CTEs that store the new events of `input` (in key order, so that concurrent batches wait on each other instead
 * of deadlocking) as `inserted`, and append what exactly those add, per hour, to the aggregate deltas (and, when the
 * batch holds unique-count values, to their deltas).
 */
const storeInput = (organizationId: string, createdAtMs: number, withUniques: boolean) => sql`
  inserted AS (
    INSERT INTO events (organization_id, transaction_id, external_subscription_id, id, code, timestamp, properties,
      precise_total_amount_cents, created_at)
    SELECT ${organizationId}::uuid, tx, sub, id, code, timestamptz 'epoch' + ms * interval '1 millisecond', props, amount,
      ${msToTimestamp(createdAtMs)}
    FROM input
    ORDER BY tx, sub
    ON CONFLICT DO NOTHING
    RETURNING transaction_id, external_subscription_id
  ),
  fresh AS (
    SELECT i.*, timestamptz 'epoch' + i.ms * interval '1 millisecond' AS ts,
      date_trunc('hour', timestamptz 'epoch' + i.ms * interval '1 millisecond', 'UTC') AS hour
    FROM input i JOIN inserted n ON n.transaction_id = i.tx AND n.external_subscription_id = i.sub
  ),
  deltas AS (
    INSERT INTO event_aggregate_deltas (organization_id, external_subscription_id, code, bucket, dims, events_count, valued_count,
      value_sum, value_max, latest_at, latest_value, latest_key, time_weighted, amount_cents_sum)
    SELECT ${organizationId}::uuid, sub, code, hour, dims, count(*), count(v), coalesce(sum(v), 0), max(v),
      max(ts) FILTER (WHERE v IS NOT NULL), (${LATEST_OF_EVENTS})[3], (${LATEST_OF_EVENTS})[2],
      coalesce(sum(v * extract(epoch FROM hour + interval '1 hour' - ts)), 0),
      coalesce(sum(amount), 0)
    FROM fresh
    GROUP BY sub, code, hour, dims
    RETURNING 1
  ),
  ${withUniques ? sql`unique_deltas AS (
    INSERT INTO event_unique_value_deltas (organization_id, external_subscription_id, code, bucket, dims, value, last_at, last_is_add, last_key)
    SELECT DISTINCT ON (sub, code, hour, dims, uv) ${organizationId}::uuid, sub, code, hour, dims, uv, ts, uadd, k
    FROM fresh
    WHERE uv IS NOT NULL
    ORDER BY sub, code, hour, dims, uv, ts DESC, k DESC
    RETURNING 1
  )` : sql`unique_deltas AS (SELECT 1)`}`;

/**
 * Ingestion inside the caller's transaction (which holds the metering lock): stores the new events and their deltas,
 * and answers the keys it stored; a key already stored is skipped and its payload judged by the caller.
 */
export const insertEventsAndAggregate = async (
  db: Db,
  organizationId: string,
  rows: readonly IngestRow[],
  createdAtMs: number,
): Promise<{ transaction_id: string; external_subscription_id: string }[]> =>
  queryRows(
    db,
    sql`WITH input AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(${INPUT_COLUMNS})),
      ${storeInput(organizationId, createdAtMs, rows.some((r) => r.uv !== undefined))}
    SELECT transaction_id, external_subscription_id FROM inserted`,
  );

/** What the one-statement ingestion answers. */
export interface FastIngestAnswer {
  /** The metering version the statement saw; when it is not the one the rows were valued at, nothing was stored. */
  version: string;
  /** Events sent again whose stored twin has the same payload: as stored. */
  resent: { ord: number; id: string; timestamp_ms: string; properties: Record<string, unknown>; precise_total_amount_cents: string | null; created_at_ms: string }[];
}

/**
 * The ingestion of a request in one statement, as its own transaction: takes the metering lock shared, checks the
 * settings version, stores the new events with their deltas, and compares each resent event with its stored twin.
 * When a resent event differs, or was stored by a concurrent request this statement cannot see yet, the statement
 * refuses as a whole (SQLSTATE BW001, see billow_refuse) and nothing is stored: the caller then takes the careful path.
 * One round trip for the usual request.
 */
export const ingestInOneStatement = async (
  db: Db,
  organizationId: string,
  rows: readonly IngestRow[],
  createdAtMs: number,
  expectedVersion: bigint,
): Promise<FastIngestAnswer> => {
  const [answer] = await queryRowsPrepared<FastIngestAnswer>(
    db,
    sql`WITH gate AS MATERIALIZED (SELECT ${ingestionGate(organizationId)} AS version),
      input AS (
        SELECT e.* FROM gate, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(${INPUT_COLUMNS})
        WHERE gate.version = ${String(expectedVersion)}::bigint
      ),
      ${storeInput(organizationId, createdAtMs, rows.some((r) => r.uv !== undefined))},
      skipped AS (
        SELECT i.ord, e.id, (extract(epoch FROM e.timestamp) * 1000)::bigint::text AS timestamp_ms, e.properties,
          e.precise_total_amount_cents::text AS precise_total_amount_cents,
          (extract(epoch FROM e.created_at) * 1000)::bigint::text AS created_at_ms,
          e.id IS NOT NULL AND e.code = i.code AND e.properties = i.props
            AND e.precise_total_amount_cents IS NOT DISTINCT FROM i.amount
            AND (i.given IS FALSE OR e.timestamp = timestamptz 'epoch' + i.ms * interval '1 millisecond') AS same
        FROM input i
        -- The subscription is compared through an expression so that only the idempotency key can find the twin: with
        -- stale statistics the planner otherwise walks the usage index over all of the subscription's events.
        LEFT JOIN events e ON e.organization_id = ${organizationId} AND e.transaction_id = i.tx AND e.external_subscription_id || '' = i.sub
        WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.transaction_id = i.tx AND n.external_subscription_id = i.sub)
      )
    SELECT (SELECT version FROM gate)::text AS version,
      coalesce((SELECT json_agg(json_build_object('ord', ord, 'id', id, 'timestamp_ms', timestamp_ms, 'properties', properties,
        'precise_total_amount_cents', precise_total_amount_cents, 'created_at_ms', created_at_ms)) FROM skipped), '[]') AS resent,
      CASE WHEN EXISTS (SELECT 1 FROM skipped WHERE NOT same) THEN billow_refuse('resent event to compare') END AS refused`,
  );
  return answer!;
};

/** True for the refusal of the one-statement ingestion. */
export const isIngestionRefusal = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'BW001') return true;
  }
  return false;
};

/** Folds already stored events straight into the aggregates (a rebuild, under the exclusive metering lock). */
export const aggregateStoredEvents = async (db: Db, organizationId: string, rows: readonly IngestRow[]): Promise<void> => {
  if (rows.length === 0) return;
  await db.execute(
    sql`WITH input AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(${INPUT_COLUMNS})),
      fresh AS (SELECT i.*, timestamptz 'epoch' + i.ms * interval '1 millisecond' AS ts FROM input i),
      ${foldIntoAggregates(organizationId)}
    SELECT 1`,
  );
};

// One compactor at a time per database and table, under a transaction-scoped advisory lock: with no other compactor,
// the deltas to move need no row locks (FOR UPDATE writes a WAL record for every row it locks). A delta that a rebuild
// deletes meanwhile is skipped by the DELETE once the rebuild commits.
const COMPACTION_LOCKS = { aggregates: 7216000101, uniques: 7216000102 } as const;

const takeCompactionLock = async (tx: Db, table: keyof typeof COMPACTION_LOCKS): Promise<boolean> => {
  const [row] = await queryRows<{ taken: boolean }>(tx, sql`SELECT pg_try_advisory_xact_lock(${COMPACTION_LOCKS[table]}::bigint) AS taken`);
  return row!.taken;
};

/**
 * Moves up to `limit` aggregate deltas (of any organization) into the hourly, daily and monthly aggregates, in one
 * statement: the moved deltas disappear and their sums appear in the same commit, so a reader (which reads both tables
 * in one statement) never sees them twice or not at all. Answers how many deltas it moved, 0 when another compactor
 * (of this process or another) holds the compaction lock.
 */
export const compactAggregateDeltas = async (db: Db, limit: number): Promise<number> =>
  db.transaction(async (raw) => {
    const tx = raw as unknown as Db;
    if (!(await takeCompactionLock(tx, 'aggregates'))) return 0;
    // A batch is sorted and grouped in memory rather than in temporary files.
    await tx.execute(sql`SET LOCAL work_mem = '64MB'`);
    const [row] = await queryRows<{ moved: string }>(
      tx,
      sql`WITH moved AS (
          DELETE FROM event_aggregate_deltas
          WHERE ctid = ANY(ARRAY(SELECT ctid FROM event_aggregate_deltas LIMIT ${limit}))
          RETURNING *
        ),
        -- Deltas of the same hour first become one row (many requests write the same subscription's hour), so the
        -- daily and monthly rows are built from a few hourly ones. The latest value rides with its instant in an array,
        -- whose maximum is the latest (a plain aggregate, where an ordered one would sort every group).
        hourly AS (
          SELECT organization_id, external_subscription_id, code, bucket, dims, sum(events_count) AS events_count,
            sum(valued_count) AS valued_count, sum(value_sum) AS value_sum, max(value_max) AS value_max,
            max(latest_at) AS latest_at,
            ${LATEST_OF_ROWS} AS latest,
            sum(time_weighted) AS time_weighted, sum(amount_cents_sum) AS amount_cents_sum
          FROM moved a
          GROUP BY organization_id, external_subscription_id, code, bucket, dims
        ),
        grains AS (
          SELECT h.*, g.grain, date_trunc(g.unit, h.bucket, 'UTC') AS gbucket, date_trunc(g.unit, h.bucket, 'UTC') + g.step AS gend
          FROM hourly h
          CROSS JOIN ${GRAINS}
        ),
        folded AS (
          ${INSERT_AGGREGATES}
          SELECT organization_id, external_subscription_id, code, grain, gbucket, dims, sum(events_count), sum(valued_count), sum(value_sum),
            max(value_max), max(latest_at), (max(latest))[3], (max(latest))[2],
            -- A delta's weight runs to the end of its hour; in a longer bucket it runs on to that bucket's end.
            sum(time_weighted + value_sum * extract(epoch FROM gend - (bucket + interval '1 hour'))),
            sum(amount_cents_sum)
          FROM grains
          GROUP BY organization_id, external_subscription_id, code, grain, gbucket, dims
          ORDER BY organization_id, external_subscription_id, code, grain, gbucket, dims
          ${MERGE_AGGREGATES}
          RETURNING 1
        )
      SELECT count(*)::text AS moved FROM moved`,
    );
    return Number(row!.moved);
  });

/** The same for unique-count value states. */
export const compactUniqueValueDeltas = async (db: Db, limit: number): Promise<number> =>
  db.transaction(async (raw) => {
    const tx = raw as unknown as Db;
    if (!(await takeCompactionLock(tx, 'uniques'))) return 0;
    const [row] = await queryRows<{ moved: string }>(
      tx,
      sql`WITH moved AS (
          DELETE FROM event_unique_value_deltas WHERE ctid = ANY(ARRAY(SELECT ctid FROM event_unique_value_deltas LIMIT ${limit}))
          RETURNING *
        ),
        folded AS (
          INSERT INTO event_unique_values (organization_id, external_subscription_id, code, grain, bucket, dims, value, last_at, last_is_add, last_key)
          SELECT DISTINCT ON (organization_id, external_subscription_id, code, g.grain, date_trunc(g.unit, m.bucket, 'UTC'), dims, value)
            organization_id, external_subscription_id, code, g.grain, date_trunc(g.unit, m.bucket, 'UTC'), dims, value, last_at, last_is_add, last_key
          FROM moved m CROSS JOIN (VALUES ('h', 'hour'), ('d', 'day'), ('m', 'month')) AS g(grain, unit)
          ORDER BY organization_id, external_subscription_id, code, g.grain, date_trunc(g.unit, m.bucket, 'UTC'), dims, value, last_at DESC,
            last_key DESC NULLS LAST
          ON CONFLICT (organization_id, external_subscription_id, code, grain, bucket, dims, value) DO UPDATE SET ${UNIQUE_MERGE}
          RETURNING 1
        )
      SELECT count(*)::text AS moved FROM moved`,
    );
    return Number(row!.moved);
  });

/**
 * Forgets everything aggregated for these codes. Deltas go first: a compactor moving some of them holds them until it
 * commits, so the aggregates deleted next include whatever it folded in.
 */
export const deleteAggregates = async (db: Db, organizationId: string, codes: readonly string[]): Promise<void> => {
  for (const table of ['event_aggregate_deltas', 'event_unique_value_deltas', 'event_aggregates', 'event_unique_values']) {
    await db.execute(
      sql`DELETE FROM ${sql.identifier(table)} WHERE organization_id = ${organizationId} AND code = ANY(${arrayParam([...codes])}::text[])`,
    );
  }
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

/**
 * Runs fn with the planner steered to index scans in the caller's transaction, then back to the session's settings.
 * The planner cannot estimate the rebuild's row-comparison cursor and, misjudging it as selecting almost nothing,
 * would scan (or scan in parallel) and sort the whole table for every page (at 10^6 events: 260 ms a page against 38 ms;
 * at 10^7, 4 s).
 */
export const preferringIndexOrder = async <T>(db: Db, fn: () => Promise<T>): Promise<T> => {
  const steer = ['enable_seqscan', 'enable_bitmapscan', 'max_parallel_workers_per_gather'];
  await db.execute(sql`SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
    set_config('max_parallel_workers_per_gather', '0', true)`);
  const result = await fn();
  for (const setting of steer) await db.execute(sql.raw(`SET LOCAL ${setting} TO DEFAULT`));
  return result;
};

/** Where a rebuild stopped: after every event of this subscription up to this instant (in microseconds). */
export interface RebuildCursor {
  externalSubscriptionId: string;
  timestampUs: string;
}

const EVENT_FOR_REBUILD = sql`id, transaction_id, external_subscription_id, code,
  (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms, (extract(epoch FROM timestamp) * 1000000)::bigint::text AS timestamp_us,
  properties, precise_total_amount_cents::text`;

const usToTimestamp = (us: string) => sql`(timestamptz 'epoch' + ${us}::bigint * interval '1 microsecond')`;

/**
 * A page of an organization's events of one code after a cursor: subscription by subscription, in the order they
 * happened, then by id (as ingestion breaks ties). Aggregates are per subscription and code, so that order folds them
 * exactly as time order would. The page is read in the usage index's own order, (subscription, code, time), so that
 * each page is an index range: any other order makes PostgreSQL sort every remaining event for every page. A page
 * never splits the events of one subscription at one instant (the last instant's are completed), so the cursor needs
 * no id.
 */
export const eventsForRebuild = async (
  db: Db,
  organizationId: string,
  code: string,
  after: RebuildCursor | null,
  limit: number,
): Promise<{ rows: (StoredEventRow & { timestamp_us: string })[]; next: RebuildCursor | null }> => {
  type Row = StoredEventRow & { timestamp_us: string };
  const page = await queryRows<Row>(db, sql`
    SELECT ${EVENT_FOR_REBUILD}
    FROM events
    WHERE organization_id = ${organizationId} AND code = ${code}
      ${after ? sql`AND (external_subscription_id, code, timestamp) > (${after.externalSubscriptionId}, ${code}, ${usToTimestamp(after.timestampUs)})` : sql``}
    ORDER BY external_subscription_id, code, timestamp
    LIMIT ${limit}`);
  if (page.length === 0) return { rows: [], next: null };
  const last = page[page.length - 1]!;
  const next = { externalSubscriptionId: last.external_subscription_id, timestampUs: last.timestamp_us };
  let rows = page;
  if (page.length === limit) {
    // The last instant may hold more events than the page took: all of them, so the next page starts after it.
    const boundary = await queryRows<Row>(db, sql`
      SELECT ${EVENT_FOR_REBUILD}
      FROM events
      WHERE organization_id = ${organizationId} AND external_subscription_id = ${last.external_subscription_id} AND code = ${code}
        AND timestamp = ${usToTimestamp(last.timestamp_us)}`);
    rows = [...page.filter((r) => !(r.external_subscription_id === last.external_subscription_id && r.timestamp_us === last.timestamp_us)), ...boundary];
  }
  const byTimeThenId = (a: Row, b: Row) =>
    a.external_subscription_id < b.external_subscription_id ? -1 : a.external_subscription_id > b.external_subscription_id ? 1
      : BigInt(a.timestamp_us) < BigInt(b.timestamp_us) ? -1 : BigInt(a.timestamp_us) > BigInt(b.timestamp_us) ? 1
        : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return { rows: rows.sort(byTimeThenId), next: page.length === limit ? next : null };
};

export interface AggregateStateRow {
  /** Which of the reads asked for in one statement the row answers. */
  read: number;
  dims: string;
  events_count: string;
  valued_count: string;
  value_sum: string;
  value_max: string | null;
  latest_at_ms: string | null;
  latest_value: string | null;
  latest_key: string | null;
  /** Σ value × seconds from each event to the window's end. */
  weighted_to_end: string;
  amount_cents_sum: string;
}

/** One window of one code, as whole-bucket ranges, and the instant its time weighting runs to. */
export interface BucketRead {
  code: string;
  ranges: readonly { grain: string; from: number; to: number }[];
  windowEndMs: number;
}

/**
 * The reads' ranges as parallel arrays, one entry per range, for `unnest`: one statement text whatever the number of
 * reads and ranges, so planning it stays cheap (a UNION per range took longer to plan than to run).
 */
const rangeArrays = (reads: readonly BucketRead[]) => {
  const columns = { read: [] as number[], code: [] as string[], grain: [] as string[], from: [] as string[], to: [] as string[], end: [] as string[] };
  reads.forEach((read, index) => {
    for (const range of read.ranges) {
      columns.read.push(index);
      columns.code.push(read.code);
      columns.grain.push(range.grain);
      columns.from.push(String(range.from));
      columns.to.push(String(range.to));
      columns.end.push(String(read.windowEndMs));
    }
  });
  return columns;
};

const rangesTable = (columns: ReturnType<typeof rangeArrays>) =>
  sql`(SELECT read, code, grain,
      timestamptz 'epoch' + from_ms * interval '1 millisecond' AS from_at,
      timestamptz 'epoch' + to_ms * interval '1 millisecond' AS to_at,
      timestamptz 'epoch' + end_ms * interval '1 millisecond' AS window_end
    FROM unnest(${arrayParam(columns.read)}::int[], ${arrayParam(columns.code)}::text[], ${arrayParam(columns.grain)}::char(1)[],
      ${arrayParam(columns.from)}::bigint[], ${arrayParam(columns.to)}::bigint[], ${arrayParam(columns.end)}::bigint[])
      AS r(read, code, grain, from_ms, to_ms, end_ms))`;

/**
 * The aggregates of one subscription's codes over whole buckets, consolidated and not yet compacted alike, summed per
 * dimensions, for several reads in one statement (one round trip, one snapshot). A bucket's stored weight runs to the
 * bucket's end; the rest of the way to the read's window end is its net change times that distance.
 */
export const readAggregateStates = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  reads: readonly BucketRead[],
): Promise<AggregateStateRow[]> => {
  const columns = rangeArrays(reads);
  if (columns.read.length === 0) return [];
  return queryRowsPrepared<AggregateStateRow>(
    db,
    sql`SELECT r.read, a.dims, sum(a.events_count)::text AS events_count, sum(a.valued_count)::text AS valued_count,
        sum(a.value_sum)::text AS value_sum, max(a.value_max)::text AS value_max,
        (extract(epoch FROM max(a.latest_at)) * 1000)::bigint::text AS latest_at_ms,
        ((${LATEST_OF_ROWS})[3])::text AS latest_value, ((${LATEST_OF_ROWS})[2])::text AS latest_key,
        sum(a.time_weighted + a.value_sum * extract(epoch FROM r.window_end - a.bucket_end))::text AS weighted_to_end,
        sum(a.amount_cents_sum)::text AS amount_cents_sum
      FROM ${rangesTable(columns)} AS r
      CROSS JOIN LATERAL (
        SELECT dims, events_count, valued_count, value_sum, value_max, latest_at, latest_value, latest_key, time_weighted, amount_cents_sum,
          bucket + CASE grain WHEN 'h' THEN interval '1 hour' WHEN 'd' THEN interval '1 day' ELSE interval '1 month' END AS bucket_end
        FROM event_aggregates
        WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = r.code
          AND grain = r.grain AND bucket >= r.from_at AND bucket < r.to_at
        UNION ALL
        SELECT dims, events_count, valued_count, value_sum, value_max, latest_at, latest_value, latest_key, time_weighted, amount_cents_sum,
          bucket + interval '1 hour'
        FROM event_aggregate_deltas
        WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = r.code
          AND bucket >= r.from_at AND bucket < r.to_at
      ) AS a
      GROUP BY r.read, a.dims`,
  );
};

export interface UniqueStateRow {
  read: number;
  dims: string;
  value: string;
  last_at_ms: string;
  last_is_add: boolean;
  last_key: string | null;
}

/** Each value's last operation per read and dimensions, over the reads' whole buckets (consolidated and deltas alike). */
const lastUniqueOperations = (organizationId: string, externalSubscriptionId: string, columns: ReturnType<typeof rangeArrays>) =>
  sql`SELECT DISTINCT ON (r.read, u.dims, u.value) r.read, u.dims, u.value, u.last_at, u.last_is_add, u.last_key
      FROM ${rangesTable(columns)} AS r
      CROSS JOIN LATERAL (
        SELECT dims, value, last_at, last_is_add, last_key FROM event_unique_values
        WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = r.code
          AND grain = r.grain AND bucket >= r.from_at AND bucket < r.to_at
        UNION ALL
        SELECT dims, value, last_at, last_is_add, last_key FROM event_unique_value_deltas
        WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = r.code
          AND bucket >= r.from_at AND bucket < r.to_at
      ) AS u
      ORDER BY r.read, u.dims, u.value, u.last_at DESC, u.last_key DESC NULLS LAST`;

/** Each unique-count value's last operation over whole buckets, per dimensions (consolidated and deltas alike). */
export const readUniqueStates = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  reads: readonly BucketRead[],
): Promise<UniqueStateRow[]> => {
  const columns = rangeArrays(reads);
  if (columns.read.length === 0) return [];
  return queryRowsPrepared<UniqueStateRow>(
    db,
    sql`SELECT read, dims, value, (extract(epoch FROM last_at) * 1000)::bigint::text AS last_at_ms, last_is_add, last_key::text AS last_key
      FROM (${lastUniqueOperations(organizationId, externalSubscriptionId, columns)}) AS last`,
  );
};

/**
 * How many unique-count values are held at the end of the reads' whole buckets, per dimensions: readUniqueStates
 * counted in the database, for reads that need no value by name (a subscription with thousands of distinct values
 * would otherwise send them all at every read).
 */
export const readUniqueAddCounts = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  reads: readonly BucketRead[],
): Promise<{ read: number; dims: string; adds: number }[]> => {
  const columns = rangeArrays(reads);
  if (columns.read.length === 0) return [];
  return queryRowsPrepared<{ read: number; dims: string; adds: number }>(
    db,
    sql`SELECT read, dims, (count(*) FILTER (WHERE last_is_add))::int AS adds
      FROM (${lastUniqueOperations(organizationId, externalSubscriptionId, columns)}) AS last
      GROUP BY read, dims`,
  );
};

/** The raw events of one subscription's code in time ranges (the edges no bucket covers), oldest first. */
export const rawEventsIn = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  code: string,
  ranges: readonly { from: number; to: number }[],
): Promise<StoredEventRow[]> => rawEventsForReads(db, organizationId, externalSubscriptionId, [{ code, ranges }]);

/**
 * The raw events of several reads (a code and its time ranges) in one statement, each row tagged with the index of its
 * read; an event in two reads comes twice. Oldest first within a read.
 */
export const rawEventsForReads = async (
  db: Db,
  organizationId: string,
  externalSubscriptionId: string,
  reads: readonly { code: string; ranges: readonly { from: number; to: number }[] }[],
): Promise<(StoredEventRow & { read: number })[]> => {
  const parts = reads.flatMap((read, index) =>
    read.ranges.length === 0
      ? []
      : [
          sql`(SELECT ${index}::int AS read, id, transaction_id, external_subscription_id, code,
              (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms, properties, precise_total_amount_cents::text
            FROM events
            WHERE organization_id = ${organizationId} AND external_subscription_id = ${externalSubscriptionId} AND code = ${read.code}
              AND (${sql.join(
                read.ranges.map((r) => sql`(timestamp >= ${msToTimestamp(r.from)} AND timestamp < ${msToTimestamp(r.to)})`),
                sql` OR `,
              )}))`,
        ],
  );
  if (parts.length === 0) return [];
  return queryRowsPrepared<StoredEventRow & { read: number }>(
    db,
    sql`SELECT read, id, transaction_id, external_subscription_id, code, timestamp_ms, properties, precise_total_amount_cents
      FROM (${sql.join(parts, sql` UNION ALL `)}) AS raw
      ORDER BY read, timestamp_ms::bigint, id`,
  );
};
