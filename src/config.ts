import { resolve } from 'node:path';

/** Everything Billow reads from its environment, checked once at start. */
export interface Config {
  host: string;
  port: number;
  /** PostgreSQL server mode when set; the embedded PGlite database otherwise. */
  databaseUrl: string | null;
  dataDir: string;
  /** Bootstraps the first organization with this key instead of a generated one. */
  apiKey: string | null;
  /** Enables the admin API (/admin/v1) when set. */
  adminKey: string | null;
  logLevel: string;
  bodyLimitBytes: number;
  /** How often usage aggregates appended by ingestion are compacted; 0 turns the background compactor off. */
  compactionIntervalMs: number;
  /**
   * How often the live billing clock looks for due work (it also runs at start); absent or 0: off (tests drive billing
   * with test clocks).
   */
  billingClockIntervalMs?: number;
  /** How often the hours of events that ended are checked for events.errors (absent or 0: never). */
  eventValidationIntervalMs?: number;
  /** How often PDFs of newly finalized invoices are rendered (absent or 0: only on download). */
  documentIntervalMs?: number;
  /** The API's public URL: the `iss` of JWT webhook signatures and the base of document links. */
  publicUrl?: string;
  /** Webhook delivery: how often the outbox is polled (absent or 0: no delivery worker), attempts, timeout, backoff. */
  webhooks?: Partial<WebhookSettings>;
}

export interface WebhookSettings {
  deliveryIntervalMs: number;
  /** Attempts in all before a webhook is failed (Lago: 3; Billow 8, about 80 minutes). */
  attempts: number;
  timeoutMs: number;
  /** One second of the retry schedule; tests shrink it. */
  backoffUnitMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { deliveryIntervalMs: 0, attempts: 8, timeoutMs: 30_000, backoffUnitMs: 1_000 };

export class ConfigError extends Error {}

const port = (value: string | undefined): number => {
  if (value === undefined || value === '') return 3000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${value}"`);
  return n;
};

// Large enough for a 100-event batch with generous properties; Lago's is Rails', unbounded in practice.
const bodyLimit = (value: string | undefined): number => {
  if (value === undefined || value.trim() === '') return 1_048_576;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024) throw new ConfigError(`BILLOW_BODY_LIMIT_BYTES must be an integer of at least 1024, got "${value}"`);
  return n;
};

const positiveInteger = (name: string, value: string | undefined, fallback: number, max: number): number => {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`${name} must be an integer from 1 to ${max}, got "${value}"`);
  return n;
};

const nonEmpty = (value: string | undefined): string | null => (value && value.trim() !== '' ? value.trim() : null);

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const apiKey = nonEmpty(env.BILLOW_API_KEY);
  if (apiKey !== null && apiKey.length < 16) throw new ConfigError('BILLOW_API_KEY must be at least 16 characters long');
  const adminKey = nonEmpty(env.BILLOW_ADMIN_KEY);
  if (adminKey !== null && adminKey.length < 16) throw new ConfigError('BILLOW_ADMIN_KEY must be at least 16 characters long');
  return {
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    port: port(env.PORT),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    dataDir: resolve(nonEmpty(env.BILLOW_DATA_DIR) ?? './.billow'),
    apiKey,
    adminKey,
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    bodyLimitBytes: bodyLimit(env.BILLOW_BODY_LIMIT_BYTES),
    compactionIntervalMs: 5_000,
    billingClockIntervalMs: 60_000,
    documentIntervalMs: 2_000,
    eventValidationIntervalMs: 60_000,
    publicUrl: nonEmpty(env.BILLOW_API_URL) ?? undefined,
    webhooks: {
      deliveryIntervalMs: 500,
      attempts: positiveInteger('BILLOW_WEBHOOK_ATTEMPTS', env.BILLOW_WEBHOOK_ATTEMPTS, DEFAULT_WEBHOOK_SETTINGS.attempts, 25),
      timeoutMs: positiveInteger('BILLOW_WEBHOOK_TIMEOUT_SECONDS', env.BILLOW_WEBHOOK_TIMEOUT_SECONDS, 30, 600) * 1000,
    },
  };
};
