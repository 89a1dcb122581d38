import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: PGlite by default; PostgreSQL when TEST_DATABASE_URL is set (a new
 * database on that server, copied from a migrated template, dropped at close).
 */
export const testDatabase = async (): Promise<Database> => {
  const url = process.env.TEST_DATABASE_URL;
  return url ? postgresTestDatabase(url) : pgliteTestDatabase();
};

const migrationsHash = async (): Promise<string> => {
  const hash = createHash('sha256');
  for (const m of await loadMigrations()) hash.update(m.version).update(m.sql);
  return hash.digest('hex').slice(0, 16);
};

const CACHE_DIR = join(process.cwd(), '.test-cache');

/** Migrating PGlite takes seconds; the migrated data directory is kept as a tarball and loaded by every test. */
const pgliteTestDatabase = async (): Promise<Database> => {
  const file = join(CACHE_DIR, `pglite-${await migrationsHash()}.tar.gz`);
  let template: Buffer | null = null;
  try {
    template = await readFile(file);
  } catch {
    const fresh = await openPglite();
    await migrate(fresh);
    const dump = await fresh.dumpDataDir!();
    template = Buffer.from(await dump.arrayBuffer());
    await fresh.close();
    await mkdir(CACHE_DIR, { recursive: true });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(temp, template);
    await rename(temp, file);
  }
  return openPglite({ loadDataDir: new Blob([new Uint8Array(template)]) });
};

const adminUrl = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

const postgresTestDatabase = async (url: string): Promise<Database> => {
  const templateName = `billow_tpl_${await migrationsHash()}`;
  const name = `billow_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // One process builds the template; the others wait on the lock and find it built.
    await admin.query('SELECT pg_advisory_lock(7216000002)');
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
      if (exists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${templateName}`);
        const template = await openPostgres(adminUrl(url, templateName), 1);
        await migrate(template);
        await template.close();
      }
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(7216000002)');
    }
  } finally {
    await admin.end();
  }
  const database = await openPostgres(adminUrl(url, name), 5);
  return {
    ...database,
    close: async () => {
      await database.close();
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
};
