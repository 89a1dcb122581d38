import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { newId } from '../../lib/ids.ts';
import { instantToDate } from '../../lib/time.ts';

/** The changes Billow records for webhooks, named as Lago names their webhooks. */
export type DomainEventType =
  | 'subscription.started'
  | 'subscription.terminated'
  | 'subscription.updated'
  | 'subscription.trial_ended'
  | 'invoice.created'
  | 'invoice.drafted'
  | 'invoice.one_off_created'
  | 'invoice.voided'
  | 'invoice.payment_status_updated';

/**
 * Records that something a webhook reports happened, in the caller's transaction (the change and its record commit
 * together). The webhooks outbox turns records into deliveries.
 */
export const recordDomainEvent = async (
  tx: Db,
  event: { organizationId: string; type: DomainEventType; objectType: 'subscription' | 'invoice'; objectId: string; at: Temporal.Instant },
): Promise<void> => {
  await tx.execute(
    sql`INSERT INTO domain_events (organization_id, id, event_type, object_type, object_id, occurred_at)
      VALUES (${event.organizationId}, ${newId()}, ${event.type}, ${event.objectType}, ${event.objectId}, ${instantToDate(event.at).toISOString()}::timestamptz)`,
  );
};
