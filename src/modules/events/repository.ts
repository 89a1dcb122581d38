import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { msToTimestamp } from '../metering/repository.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';

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
            AND (transaction_id, external_subscription_id) IN (
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
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

const filterSql = (organizationId: string, f: EventFilters): SQL => {
  const parts = [sql`organization_id = ${organizationId}`];
  if (f.externalSubscriptionId !== undefined) parts.push(sql`external_subscription_id = ${f.externalSubscriptionId}`);
  if (f.code !== undefined) parts.push(sql`code = ${f.code}`);
  if (f.fromMs !== undefined) parts.push(sql`timestamp >= ${msToTimestamp(f.fromMs)}`);
  if (f.toMs !== undefined) parts.push(sql`timestamp <= ${msToTimestamp(f.toMs)}`);
  return sql.join(parts, sql` AND `);
};

/** Events newest first, as Lago lists them (timestamp descending, then transaction_id). */
export const listEvents = async (db: Db, organizationId: string, filters: EventFilters, page: PageRequest): Promise<{ rows: EventRow[]; total: number }> => {
  const where = filterSql(organizationId, filters);
  const rows = await queryRows<EventRow>(
    db,
    sql`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ORDER BY timestamp DESC, transaction_id ASC
      LIMIT ${page.perPage} OFFSET ${pageOffset(page)}`,
  );
  const [count] = await queryRows<{ total: string }>(db, sql`SELECT count(*)::text AS total FROM events WHERE ${where}`);
  return { rows, total: Number(count!.total) };
};
