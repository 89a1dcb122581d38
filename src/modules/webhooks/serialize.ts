import { Type, type Static } from '@sinclair/typebox';
import { DateTime, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { WebhookRow } from './repository.ts';

/**
 * A webhook delivery (a Billow extension: Lago shows them only in its GraphQL API; the fields are its `Webhook`
 * type's, in snake case, plus `next_attempt_at`).
 */
export const WebhookObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    lago_webhook_endpoint_id: Type.String({ format: 'uuid' }),
    endpoint: Type.String(),
    webhook_type: Type.String(),
    object_type: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('retrying'), Type.Literal('succeeded'), Type.Literal('failed')]),
    /** Failed attempts so far. */
    retries: Type.Integer(),
    http_status: Nullable(Type.Integer()),
    response: Nullable(Type.String()),
    /** The exact body sent, as a string (what the signature covers). */
    payload: Type.String(),
    next_attempt_at: Nullable(DateTime),
    last_retried_at: Nullable(DateTime),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'Webhook' },
);
export type WebhookJson = Static<typeof WebhookObject>;

export const serializeWebhook = (w: WebhookRow): WebhookJson => {
  const retries = w.attempts - (w.status === 'succeeded' ? 1 : 0);
  return {
    lago_id: w.id,
    lago_webhook_endpoint_id: w.endpoint_id,
    endpoint: w.webhook_url,
    webhook_type: w.webhook_type,
    object_type: w.object_type,
    status: w.status as WebhookJson['status'],
    retries,
    http_status: w.http_status,
    response: w.response,
    payload: w.payload,
    next_attempt_at: w.status === 'pending' || w.status === 'retrying' ? isoSeconds(w.next_attempt_at) : null,
    last_retried_at: retries > 0 ? isoSeconds(w.last_attempt_at) : null,
    created_at: isoSeconds(w.created_at)!,
    updated_at: isoSeconds(w.updated_at)!,
  };
};
