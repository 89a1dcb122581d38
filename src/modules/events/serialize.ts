import { Type, type Static } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import type { EventRow } from './repository.ts';

export const EventObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    transaction_id: Type.String(),
    lago_customer_id: Nullable(Type.String({ format: 'uuid' })),
    code: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
    precise_total_amount_cents: Nullable(Type.String()),
    properties: AnyObject,
    lago_subscription_id: Nullable(Type.String({ format: 'uuid' })),
    external_subscription_id: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Event' },
);
export type EventJson = Static<typeof EventObject>;


const isoMs = (ms: string) => new Date(Number(ms)).toISOString();

// The events of a request share their creation instant: formatted once, not once per event.
let lastCreated = { ms: '', text: '' };
const createdAt = (ms: string) => {
  if (lastCreated.ms !== ms) lastCreated = { ms, text: isoMs(ms).replace(/\.\d{3}Z$/, 'Z') };
  return lastCreated.text;
};

/**
 * Lago prints event timestamps with milliseconds (2022-04-29T08:59:51.123Z) and its creation with seconds. Like Lago,
 * Billow does not tie an event to a subscription row (usage matches events by external id), so the two lago ids of
 * the subscription and customer are null.
 */
export const serializeEvent = (row: EventRow): EventJson => ({
  lago_id: row.id,
  transaction_id: row.transaction_id,
  lago_customer_id: null,
  code: row.code,
  timestamp: isoMs(row.timestamp_ms),
  precise_total_amount_cents: row.precise_total_amount_cents,
  properties: row.properties,
  lago_subscription_id: null,
  external_subscription_id: row.external_subscription_id === '' ? null : row.external_subscription_id,
  created_at: createdAt(row.created_at_ms),
});
