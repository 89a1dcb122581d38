import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { bucketStart, type Grain, type MsRange } from '../../billing/aggregation/buckets.ts';
import { msToTimestamp } from '../metering/repository.ts';
import { bucketSegment, type Segment } from './page-locator.ts';

/** An event row as the API shows it. */
export interface EventRow {
  id: string;
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp_ms: string;
  properties: Record<string, unknown>;
  precise_total_amount_cents: string | null;
  created_at_ms: string;
}

const EVENT_COLUMNS = sql`id, transaction_id, external_subscription_id, code,
  (extract(epoch FROM timestamp) * 1000)::bigint::text AS timestamp_ms, properties, precise_total_amount_cents::text,
  (extract(epoch FROM created_at) * 1000)::bigint::text AS created_at_ms`;

/** The stored events with these keys. */
export const eventsByKeys = async (
  db: Db,
  organizationId: string,
  keys: readonly { transactionId: string; externalSubscriptionId: string }[],
): Promise<EventRow[]> =>
  keys.length === 0
    ? []
    : queryRows(
        db,
        sql`SELECT ${EVENT_COLUMNS} FROM events
          WHERE organization_id = ${organizationId}
            -- Through an expression, so that only the idempotency key serves the lookup (not the usage index).
            AND (transaction_id, external_subscription_id || '') IN (
              SELECT * FROM unnest(${arrayParam(keys.map((k) => k.transactionId))}::text[], ${arrayParam(keys.map((k) => k.externalSubscriptionId))}::text[]))`,
      );

/** GET /events/{transaction_id}: Lago looks the event up by transaction_id alone; the first stored one wins a tie. */
export const eventByTransactionId = async (db: Db, organizationId: string, transactionId: string): Promise<EventRow | null> => {
  const rows = await queryRows<EventRow>(
    db,
    sql`SELECT ${EVENT_COLUMNS} FROM events WHERE organization_id = ${organizationId} AND transaction_id = ${transactionId}
      ORDER BY created_at, id LIMIT 1`,
  );
  return rows[0] ?? null;
};

export interface EventFilters {
  externalSubscriptionId?: string | undefined;
  code?: string | undefined;
}

/** The filters every table keyed by subscription and code shares (events, aggregates, deltas). */
const scopeSql = (organizationId: string, f: EventFilters): SQL => {
  const parts = [sql`organization_id = ${organizationId}`];
  if (f.externalSubscriptionId !== undefined) parts.push(sql`external_subscription_id = ${f.externalSubscriptionId}`);
  if (f.code !== undefined) parts.push(sql`code = ${f.code}`);
  return sql.join(parts, sql` AND `);
};

const msOf = (column: SQL) => sql`(extract(epoch FROM ${column}) * 1000)::bigint::text`;

/**
 * The listed events in a window. Every stored event has its (subscription, code, hour) in the hourly aggregates or,
 * until compacted, in the deltas (`withPending`), so the pairs found there for the window's hours hold all its events:
 * PostgreSQL may then read each pair's range of events_usage_idx, which touches no other organization's events, or
 * scan the window with the block-range index when that costs less (the window holds few other events).
 */
const inWindowSql = (organizationId: string, f: EventFilters, window: MsRange, withPending: boolean): SQL => {
  const bounds = sql`e.timestamp >= ${msToTimestamp(window.from)} AND e.timestamp < ${msToTimestamp(window.to)}`;
  const own = [sql`e.organization_id = ${organizationId}`];
  if (f.externalSubscriptionId !== undefined) own.push(sql`e.external_subscription_id = ${f.externalSubscriptionId}`);
  if (f.code !== undefined) own.push(sql`e.code = ${f.code}`);
  if (f.externalSubscriptionId !== undefined && f.code !== undefined) return sql`${sql.join(own, sql` AND `)} AND ${bounds}`;
  const scope = scopeSql(organizationId, f);
  const hours = sql`bucket >= ${msToTimestamp(bucketStart(window.from, 'h'))} AND bucket < ${msToTimestamp(window.to)}`;
  const pairs = sql`SELECT external_subscription_id, code FROM event_aggregates WHERE ${scope} AND grain = 'h' AND ${hours}
    ${withPending ? sql`UNION ALL SELECT external_subscription_id, code FROM event_aggregate_deltas WHERE ${scope} AND ${hours}` : sql``}`;
  return sql`${sql.join(own, sql` AND `)} AND ${bounds} AND (e.external_subscription_id, e.code) IN (${pairs})`;
};

/**
 * The listed events not yet compacted into the aggregates, per hour. Read once per listing: later counts, in the same
 * snapshot, read the consolidated buckets and add these.
 */
export const pendingHours = async (db: Db, organizationId: string, filters: EventFilters): Promise<Map<number, number>> => {
  const rows = await queryRows<{ from_ms: string; n: string }>(
    db,
    sql`SELECT ${msOf(sql`bucket`)} AS from_ms, sum(events_count)::text AS n FROM event_aggregate_deltas
      WHERE ${scopeSql(organizationId, filters)} GROUP BY bucket`,
  );
  return new Map(rows.map((r) => [Number(r.from_ms), Number(r.n)]));
};

/**
 * The consolidated event count of each whole bucket of these ranges (one segment per bucket with events), and the
 * events in each raw range, in one statement.
 */
export const countEvents = async (
  db: Db,
  organizationId: string,
  filters: EventFilters,
  buckets: readonly { grain: Grain; from: number; to: number }[],
  raw: readonly (MsRange & { withPending: boolean })[],
): Promise<Segment[]> => {
  const scope = scopeSql(organizationId, filters);
  const parts = [
    ...buckets.map(
      (b) => sql`SELECT ${b.grain}::text AS kind, bucket AS start, sum(events_count) AS n FROM event_aggregates
        WHERE ${scope} AND grain = ${b.grain} AND bucket >= ${msToTimestamp(b.from)} AND bucket < ${msToTimestamp(b.to)}
        GROUP BY bucket`,
    ),
    ...raw.map(
      (r) => sql`SELECT 'raw'::text AS kind, ${msToTimestamp(r.from)} AS start, count(*) AS n FROM events e
        WHERE ${inWindowSql(organizationId, filters, r, r.withPending)}`,
    ),
  ];
  if (parts.length === 0) return [];
  const rows = await queryRows<{ kind: Grain | 'raw'; from_ms: string; n: string }>(
    db,
    sql`SELECT kind, ${msOf(sql`start`)} AS from_ms, n::text AS n FROM (${sql.join(parts, sql` UNION ALL `)}) AS counted`,
  );
  return rows.map((row) => {
    const from = Number(row.from_ms);
    const count = Number(row.n);
    return row.kind === 'raw' ? { grain: 'raw', from, to: raw.find((r) => r.from === from)!.to, count } : bucketSegment(row.kind, from, count);
  });
};

/**
 * The consolidated event counts of the first `limit` buckets of a grain with events in a range, walking from its
 * newest end or from its oldest, in that order. Reads the rows of those buckets only.
 */
export const walkBuckets = async (
  db: Db,
  organizationId: string,
  filters: EventFilters,
  grain: Grain,
  range: MsRange,
  newestFirst: boolean,
  limit: number,
): Promise<{ from: number; count: number }[]> => {
  const rows = await queryRows<{ from_ms: string; n: string }>(
    db,
    sql`SELECT ${msOf(sql`bucket`)} AS from_ms, sum(events_count)::text AS n FROM event_aggregates
      WHERE ${scopeSql(organizationId, filters)} AND grain = ${grain}
        AND bucket >= ${msToTimestamp(range.from)} AND bucket < ${msToTimestamp(range.to)}
      GROUP BY bucket
      ORDER BY bucket ${newestFirst ? sql`DESC` : sql`ASC`}
      LIMIT ${limit}`,
  );
  return rows.map((r) => ({ from: Number(r.from_ms), count: Number(r.n) }));
};

/**
 * Ranks [skip, skip + limit) of the listed events in a window, newest first: timestamp descending, then
 * transaction_id, then subscription (a transaction_id may repeat across subscriptions), so that pages never overlap.
 */
export const eventsInWindow = async (
  db: Db,
  organizationId: string,
  filters: EventFilters,
  window: MsRange,
  skip: number,
  limit: number,
  withPending: boolean,
): Promise<EventRow[]> =>
  queryRows<EventRow>(
    db,
    sql`SELECT ${EVENT_COLUMNS} FROM events e WHERE ${inWindowSql(organizationId, filters, window, withPending)}
      ORDER BY e.timestamp DESC, e.transaction_id, e.external_subscription_id
      LIMIT ${limit} OFFSET ${skip}`,
  );
