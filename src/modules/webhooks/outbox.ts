import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows, queryRowsPrepared } from '../../db/query.ts';
import type { OutboxWriter } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import { instantToDate } from '../../lib/time.ts';
import type { DomainEvent } from '../domain-events/record.ts';
import { webhookBody } from './payloads.ts';

interface EndpointRow {
  organization_id: string;
  id: string;
  event_types: string[] | null;
}

/**
 * Writes a transaction's changes as it commits (the endpoints read are held until then, so an endpoint deleted
 * meanwhile waits and takes the new webhooks with it): each one into `domain_events`, and for every endpoint of the
 * organization that listens to its type, a webhook with its body fixed now (the object as the transaction leaves it).
 * An organization without endpoints costs one statement per transaction.
 */
export const createOutboxWriter =
  (clock: () => Date): OutboxWriter<DomainEvent> =>
  async (tx: Db, events: DomainEvent[]) => {
    const ids = events.map(() => newId());
    const organizations = [...new Set(events.map((e) => e.organizationId))];
    const endpoints = await queryRowsPrepared<EndpointRow>(
      tx,
      sql`WITH recorded AS (
          INSERT INTO domain_events (organization_id, id, event_type, object_type, object_id, occurred_at)
          SELECT * FROM unnest(${arrayParam(events.map((e) => e.organizationId))}::uuid[], ${arrayParam(ids)}::uuid[],
            ${arrayParam(events.map((e) => e.type))}::text[], ${arrayParam(events.map((e) => e.objectType))}::text[],
            ${arrayParam(events.map((e) => e.objectId))}::uuid[], ${arrayParam(events.map((e) => instantToDate(e.at).toISOString()))}::timestamptz[]))
        SELECT organization_id, id, event_types FROM webhook_endpoints WHERE organization_id = ANY(${arrayParam(organizations)}::uuid[])
        ORDER BY created_at, id FOR KEY SHARE`,
    );
    if (endpoints.length === 0) return;
    const now = clock().toISOString();
    const rows: { organizationId: string; id: string; endpointId: string; type: string; objectType: string; objectId: string | null; payload: string }[] = [];
    for (const event of events) {
      const listening = endpoints.filter((e) => e.organization_id === event.organizationId && (e.event_types === null || e.event_types.includes(event.type)));
      if (listening.length === 0) continue;
      const payload = await webhookBody(tx, event);
      for (const endpoint of listening) {
        rows.push({ organizationId: event.organizationId, id: newId(), endpointId: endpoint.id, type: event.type, objectType: event.objectType, objectId: event.objectId, payload });
      }
    }
    if (rows.length === 0) return;
    await tx.execute(
      sql`INSERT INTO webhooks (organization_id, id, endpoint_id, webhook_type, object_type, object_id, payload, status, attempts,
          next_attempt_at, created_at, updated_at)
        SELECT o, i, e, t, ot, oi, p, 'pending', 0, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
        FROM unnest(${arrayParam(rows.map((r) => r.organizationId))}::uuid[], ${arrayParam(rows.map((r) => r.id))}::uuid[],
          ${arrayParam(rows.map((r) => r.endpointId))}::uuid[], ${arrayParam(rows.map((r) => r.type))}::text[],
          ${arrayParam(rows.map((r) => r.objectType))}::text[], ${arrayParam(rows.map((r) => r.objectId))}::text[],
          ${arrayParam(rows.map((r) => r.payload))}::text[]) AS w(o, i, e, t, ot, oi, p)`,
    );
  };
