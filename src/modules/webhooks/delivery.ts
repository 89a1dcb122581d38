import { sql } from 'drizzle-orm';
import type { KeyObject } from 'node:crypto';
import { createPrivateKey } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { retryDelayMs } from './backoff.ts';
import { hmacSignature, jwtSignature, type SignatureAlgo } from './signing.ts';

export interface DeliverySettings {
  /** Attempts in all before a webhook is marked failed (Lago: 3; Billow: 8, about 80 minutes). */
  attempts: number;
  /** How long a receiver has to answer one attempt. */
  timeoutMs: number;
  /** A second of the retry schedule (tests shrink it). */
  backoffUnitMs: number;
  /** The `iss` of JWT signatures: the API's public URL. */
  issuer: string;
  /** Deliveries claimed and sent at once by one worker. */
  batchSize: number;
}

/** The RSA key of an organization's JWT signatures, made the first time it is needed. */
export type SigningKeyLoader = (db: Db, organizationId: string, now: Date) => Promise<{ privateKeyPem: string }>;

interface Claimed {
  organization_id: string;
  id: string;
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
        RETURNING w.organization_id, w.id, w.payload, w.attempts, ep.webhook_url, ep.signature_algo, o.hmac_key`,
    );
  };

  const signature = async (webhook: Claimed): Promise<string> => {
    if (webhook.signature_algo === 'hmac') return hmacSignature(webhook.hmac_key, webhook.payload);
    let key = privateKeys.get(webhook.organization_id);
    if (!key) {
      key = createPrivateKey((await signingKeys(db, webhook.organization_id, now())).privateKeyPem);
      privateKeys.set(webhook.organization_id, key);
    }
    return jwtSignature(key, webhook.payload, settings.issuer);
  };

  /** One POST of a webhook; any other answer than 200, 201, 202 or 204, a network error or a timeout is a failure. */
  const post = async (webhook: Claimed): Promise<AttemptOutcome> => {
    try {
      const response = await fetch(webhook.webhook_url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Billow-Webhooks',
          'X-Lago-Signature': await signature(webhook),
          'X-Lago-Signature-Algorithm': webhook.signature_algo,
          'X-Lago-Unique-Key': webhook.id,
        },
        body: webhook.payload,
        signal: AbortSignal.timeout(settings.timeoutMs),
        redirect: 'manual',
      });
      const text = (await response.text()).slice(0, RESPONSE_KEPT);
      return { ok: DELIVERED.has(response.status), httpStatus: response.status, response: text };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const message = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${settings.timeoutMs} ms` : (cause?.code ?? cause?.message ?? String(error));
      return { ok: false, httpStatus: null, response: message.slice(0, RESPONSE_KEPT) };
    }
  };

  /** Writes an attempt's outcome: sent, another attempt scheduled, or failed for good (`final` ends it at once). */
  const record = async (webhook: Claimed, outcome: AttemptOutcome, final: boolean): Promise<void> => {
    const at = now();
    const attempts = webhook.attempts + 1;
    const status = outcome.ok ? 'succeeded' : final || attempts >= settings.attempts ? 'failed' : 'retrying';
    const next = status === 'retrying' ? new Date(at.getTime() + retryDelayMs(attempts, random(), settings.backoffUnitMs)) : at;
    await db.execute(
      sql`UPDATE webhooks SET status = ${status}, attempts = ${attempts}, next_attempt_at = ${next.toISOString()}::timestamptz,
          locked_until = NULL, last_attempt_at = ${at.toISOString()}::timestamptz, http_status = ${outcome.httpStatus},
          response = ${outcome.response}, updated_at = ${at.toISOString()}::timestamptz
        WHERE organization_id = ${webhook.organization_id} AND id = ${webhook.id}`,
    );
  };

  /**
   * Sends every webhook due now, batch after batch (a delivered webhook lets the next one about its object go);
   * returns how many attempts were made.
   */
  const deliverDue = async (): Promise<number> => {
    let sent = 0;
    for (;;) {
      const batch = await claim(settings.batchSize);
      if (batch.length === 0) return sent;
      await Promise.all(batch.map(async (webhook) => record(webhook, await post(webhook), false)));
      sent += batch.length;
    }
  };

  /**
   * Sends one webhook now, whatever its state (a re-send asked for by the user): one attempt, after which it is
   * succeeded or failed. Returns null when there is no such webhook.
   */
  const resend = async (organizationId: string, id: string): Promise<AttemptOutcome | null> => {
    const [webhook] = await queryRows<Claimed>(
      db,
      sql`SELECT w.organization_id, w.id, w.payload, w.attempts, ep.webhook_url, ep.signature_algo, o.hmac_key
        FROM webhooks w JOIN webhook_endpoints ep ON ep.organization_id = w.organization_id AND ep.id = w.endpoint_id
        JOIN organizations o ON o.id = w.organization_id
        WHERE w.organization_id = ${organizationId} AND w.id = ${id}`,
    );
    if (!webhook) return null;
    const outcome = await post(webhook);
    await record(webhook, outcome, true);
    return outcome;
  };

  /**
   * Runs delivery in the background: at once, then every `intervalMs` (sooner while batches come back full). Returns
   * a stop function that waits for the attempts in flight.
   */
  const start = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => {
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let running: Promise<void> = Promise.resolve();
    const tick = () => {
      running = deliverDue()
        .catch(onError)
        .then(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
    return async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    };
  };

  return { deliverDue, resend, start };
};

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
