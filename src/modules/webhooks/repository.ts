import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';

/** A webhook as the API lists it: the delivery row with its endpoint's current URL. */
export interface WebhookRow {
  organization_id: string;
  id: string;
  endpoint_id: string;
  webhook_url: string;
  webhook_type: string;
  object_type: string;
  object_id: string | null;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  http_status: number | null;
  response: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookFilters {
  statuses: string[] | null;
  webhookTypes: string[] | null;
  endpointId: string | null;
}

const SELECTED = sql`w.organization_id, w.id, w.endpoint_id, ep.webhook_url, w.webhook_type, w.object_type, w.object_id, w.payload,
  w.status, w.attempts, w.next_attempt_at, w.last_attempt_at, w.http_status, w.response, w.created_at, w.updated_at
  FROM webhooks w JOIN webhook_endpoints ep ON ep.organization_id = w.organization_id AND ep.id = w.endpoint_id`;

const where = (organizationId: string, f: WebhookFilters): SQL => {
  const parts = [sql`w.organization_id = ${organizationId}`];
  if (f.statuses) parts.push(sql`w.status = ANY(${arrayParam(f.statuses)}::text[])`);
  if (f.webhookTypes) parts.push(sql`w.webhook_type = ANY(${arrayParam(f.webhookTypes)}::text[])`);
  if (f.endpointId) parts.push(sql`w.endpoint_id = ${f.endpointId}`);
  return sql.join(parts, sql` AND `);
};

const typed = (row: WebhookRow): WebhookRow => ({
  ...row,
  attempts: Number(row.attempts),
  next_attempt_at: new Date(row.next_attempt_at),
  last_attempt_at: row.last_attempt_at === null ? null : new Date(row.last_attempt_at),
  created_at: new Date(row.created_at),
  updated_at: new Date(row.updated_at),
});

export const findWebhook = async (db: Db, organizationId: string, id: string): Promise<WebhookRow | null> => {
  const [row] = await queryRows<WebhookRow>(db, sql`SELECT ${SELECTED} WHERE w.organization_id = ${organizationId} AND w.id = ${id}`);
  return row ? typed(row) : null;
};

/** Newest activity first, as Lago's webhook log lists them. */
export const listWebhooks = async (db: Db, organizationId: string, filters: WebhookFilters, offset: number, limit: number) => {
  const condition = where(organizationId, filters);
  const [{ total }] = await queryRows<{ total: string }>(db, sql`SELECT count(*)::text AS total FROM webhooks w WHERE ${condition}`) as [{ total: string }];
  const rows = await queryRows<WebhookRow>(
    db,
    sql`SELECT ${SELECTED} WHERE ${condition} ORDER BY w.updated_at DESC, w.created_at DESC, w.id LIMIT ${limit} OFFSET ${offset}`,
  );
  return { rows: rows.map(typed), total: Number(total) };
};
