import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only keeps two Billow processes from migrating one PostgreSQL at the same time.
const MIGRATION_LOCK = 7_216_000_001;

export interface Migration {
  version: string;
  sql: string;
}

export const loadMigrations = async (): Promise<Migration[]> => {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (f) => ({ version: f.replace(/\.sql$/, ''), sql: await readFile(MIGRATIONS_DIR + f, 'utf8') })));
};

/** Applies, in order and each in its own transaction, the migrations the database has not seen. Returns their versions. */
export const migrate = async (database: Database): Promise<string[]> => {
  const migrations = await loadMigrations();
  return database.withSession(async (session) => {
    await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    if (database.kind === 'postgres') await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const done = new Set((await session.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version));
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await session.exec('BEGIN');
        try {
          await session.exec(m.sql);
          await session.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          await session.exec('COMMIT');
        } catch (error) {
          await session.exec('ROLLBACK');
          throw new Error(`migration ${m.version} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      if (database.kind === 'postgres') await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
};
