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
}

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
    compactionIntervalMs: 1_000,
    billingClockIntervalMs: 60_000,
  };
};
