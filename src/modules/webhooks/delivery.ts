import { sql } from 'drizzle-orm';
import { repeatEvery } from '../../lib/repeat.ts';
import type { KeyObject } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { retryDelayMs } from './backoff.ts';
import { postBody } from './http-post.ts';
import { hmacSignature, jwtSignature, type SignatureAlgo } from './signing.ts';

export interface DeliverySettings {
  /** Attempts in all before a webhook is marked failed (Lago: 3; Billow: 8, about 80 minutes). */
  attempts: number;
  /** How long a receiver has to answer one attempt. */
  timeoutMs: number;
  /** A second of the retry schedule (tests shrink it). */
  backoffUnitMs: number;
  /** The `iss` of JWT signatures: the API's public URL (known once the server listens). */
  issuer: () => string;
  /** Deliveries claimed and sent at once by one worker. */
  batchSize: number;
}

/** The RSA key of an organization's JWT signatures, made the first time it is needed. */
export type SigningKeyLoader = (db: Db, organizationId: string, now: Date) => Promise<{ privateKeyPem: string }>;

interface Claimed {
  organization_id: string;
  id: string;
  /** The claim's lease: an outcome is written only while the claim still holds it. */
  locked_until: Date;
  payload: string;
  attempts: number;
  webhook_url: string;
  signature_algo: SignatureAlgo;
  hmac_key: string;
}

export interface AttemptOutcome {
  ok: boolean;
  httpStatus: number | null;
  response: string | null;
}

const RESPONSE_KEPT = 2_000;
/** PostgreSQL text cannot hold NUL; a receiver's answer is kept without it. */
const storable = (text: string): string => text.replaceAll('\u0000', '').slice(0, RESPONSE_KEPT);

/** The answers Lago counts as delivered (its HTTP client's success codes); any other is a failure. */
const DELIVERED = new Set([200, 201, 202, 204]);

/**
 * Sends the outbox's webhooks. A worker claims due deliveries for a lease (long enough for one attempt), posts them,
 * and writes each outcome; a worker that dies mid-attempt loses its lease and another sends the webhook again (the
 * receiver deduplicates on X-Lago-Unique-Key). A webhook waits while an earlier one about the same object to the same
 * endpoint is not done (sent, or failed for good), so one object's changes arrive in order.
 */
export const createWebhookDelivery = (deps: {
  db: Db;
  settings: DeliverySettings;
  signingKeys: SigningKeyLoader;
  now?: () => Date;
  random?: () => number;
}) => {
  const { db, settings, signingKeys } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const privateKeys = new Map<string, KeyObject>();

  const claim = async (limit: number): Promise<Claimed[]> => {
    const at = now();
    const lease = new Date(at.getTime() + 2 * settings.timeoutMs + 1_000);
    return queryRows<Claimed>(
      db,
      sql`WITH due AS (
          SELECT w.organization_id, w.id FROM webhooks w
          WHERE w.status IN ('pending', 'retrying') AND w.next_attempt_at <= ${at.toISOString()}::timestamptz
            AND (w.locked_until IS NULL OR w.locked_until <= ${at.toISOString()}::timestamptz)
            AND NOT EXISTS (SELECT 1 FROM webhooks e WHERE e.organization_id = w.organization_id AND e.endpoint_id = w.endpoint_id
              AND e.object_id = w.object_id AND e.status IN ('pending', 'retrying') AND e.id < w.id)
          ORDER BY w.next_attempt_at, w.id LIMIT ${limit} FOR UPDATE OF w SKIP LOCKED)
        UPDATE webhooks w SET locked_until = ${lease.toISOString()}::timestamptz
        FROM due, webhook_endpoints ep, organizations o
        WHERE w.organization_id = due.organization_id AND w.id = due.id
          AND ep.organization_id = w.organization_id AND ep.id = w.endpoint_id AND o.id = w.organization_id
        RETURNING w.organization_id, w.id, w.locked_until, w.payload, w.attempts, ep.webhook_url, ep.signature_algo, o.hmac_key`,
    );
  };

  const signature = async (webhook: Claimed): Promise<string> => {
    if (webhook.signature_algo === 'hmac') return hmacSignature(webhook.hmac_key, webhook.payload);
    let key = privateKeys.get(webhook.organization_id);
    if (!key) {
      key = createPrivateKey((await signingKeys(db, webhook.organization_id, now())).privateKeyPem);
      privateKeys.set(webhook.organization_id, key);
    }
    return jwtSignature(key, webhook.payload, settings.issuer());
  };

  /** One POST of a webhook; any other answer than 200, 201, 202 or 204, a network error or a timeout is a failure. */
  const post = async (webhook: Claimed): Promise<AttemptOutcome> => {
    try {
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'Billow-Webhooks',
        'X-Lago-Signature': await signature(webhook),
        'X-Lago-Signature-Algorithm': webhook.signature_algo,
        'X-Lago-Unique-Key': webhook.id,
      };
      const answer = await postBody(webhook.webhook_url, headers, webhook.payload, settings.timeoutMs, RESPONSE_KEPT);
      return { ok: DELIVERED.has(answer.status), httpStatus: answer.status, response: storable(answer.body) };
    } catch (error) {
      return { ok: false, httpStatus: null, response: storable(error instanceof Error ? error.message : String(error)) };
    }
  };

  /**
   * Writes an attempt's outcome: sent, another attempt scheduled, or failed for good. Only while the claim still holds
   * its lease: a claim that ran out (the attempt outlived it) leaves the webhook to whoever claimed it since.
   */
  const record = async (webhook: Claimed, outcome: AttemptOutcome): Promise<void> => {
    const at = now();
    const attempts = webhook.attempts + 1;
    const status = outcome.ok ? 'succeeded' : attempts >= settings.attempts ? 'failed' : 'retrying';
    const next = status === 'retrying' ? new Date(at.getTime() + retryDelayMs(attempts, random(), settings.backoffUnitMs)) : at;
    await db.execute(
      sql`UPDATE webhooks SET status = ${status}, attempts = ${attempts}, next_attempt_at = ${next.toISOString()}::timestamptz,
          locked_until = NULL, last_attempt_at = ${at.toISOString()}::timestamptz, http_status = ${outcome.httpStatus},
          response = ${outcome.response}, updated_at = ${at.toISOString()}::timestamptz
        WHERE organization_id = ${webhook.organization_id} AND id = ${webhook.id}
          AND locked_until = ${new Date(webhook.locked_until).toISOString()}::timestamptz`,
    );
  };

  /** One claimed webhook, start to end; a failure to sign or to write is the worker's to log, not the batch's. */
  const deliver = async (webhook: Claimed, onError: (error: unknown) => void): Promise<void> => {
    try {
      await record(webhook, await post(webhook));
    } catch (error) {
      onError(error);
    }
  };

  /**
   * Sends every webhook due now, batch after batch (a delivered webhook lets the next one about its object go);
   * returns how many attempts were made.
   */
  const deliverDue = async (onError: (error: unknown) => void = () => {}): Promise<number> => {
    let sent = 0;
    for (;;) {
      const batch = await claim(settings.batchSize);
      if (batch.length === 0) return sent;
      await Promise.all(batch.map((webhook) => deliver(webhook, onError)));
      sent += batch.length;
    }
  };

  /**
   * A re-send asked for by the user (Lago's retry): the webhook is due again at once and the worker sends it. A failed
   * one gets one more attempt; one still retrying just skips its wait. Returns false for a webhook already delivered.
   */
  const resend = async (organizationId: string, id: string): Promise<boolean> => {
    const at = now().toISOString();
    const rows = await queryRows<{ id: string }>(
      db,
      sql`UPDATE webhooks SET status = CASE WHEN status = 'failed' THEN 'retrying' ELSE status END,
          next_attempt_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
        WHERE organization_id = ${organizationId} AND id = ${id} AND status <> 'succeeded' RETURNING id`,
    );
    return rows.length > 0;
  };

  /** Lago keeps webhooks for 90 days: delivered and failed ones older than that are deleted. */
  const cleanUp = async (): Promise<void> => {
    const horizon = new Date(now().getTime() - 90 * 86_400_000).toISOString();
    await db.execute(sql`DELETE FROM webhooks WHERE status IN ('succeeded', 'failed') AND updated_at < ${horizon}::timestamptz`);
  };

  /**
   * Runs delivery in the background: at once, then `intervalMs` after each pass (a pass sends all that is due). Returns
   * a stop function that waits for the attempts in flight.
   */
  const start = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => {
    let cleanedAt = 0;
    return repeatEvery(
      intervalMs,
      async () => {
        await deliverDue(onError);
        if (now().getTime() - cleanedAt > 3_600_000) {
          cleanedAt = now().getTime();
          await cleanUp();
        }
      },
      onError,
    );
  };

  return { deliverDue, resend, cleanUp, start };
};

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
