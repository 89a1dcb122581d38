import type { Db } from '../../db/database.ts';
import type { DomainEvent } from '../domain-events/record.ts';
import { findCreditNote } from './repository.ts';
import { serializeCreditNote } from './serialize.ts';
import { loadCreditNoteViews } from './views.ts';

/**
 * A credit note as its webhooks show it (Lago's `Webhooks::CreditNotes::*Service`): `credit_note.created` with the
 * customer, items and taxes; `credit_note.generated` (its PDF is ready) with the customer only.
 */
export const creditNoteWebhookJson = async (tx: Db, event: DomainEvent): Promise<Record<string, unknown>> => {
  const row = await findCreditNote(tx, event.organizationId, event.objectId!);
  if (!row) throw new Error(`credit note ${event.objectId} not found for ${event.type}`);
  const [view] = await loadCreditNoteViews(tx, event.organizationId, [row]);
  return serializeCreditNote(view!, event.type === 'credit_note.generated' ? ['customer'] : ['customer', 'items', 'applied_taxes']);
};
