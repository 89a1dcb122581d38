import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
/**
 * The query handle services use; a transaction's handle has the same type, so code runs unchanged inside one. Built
 * without Drizzle's relational query API (`db.query.*`), which Billow does not use: with a schema, Drizzle builds a
 * query builder for every table at each transaction it opens.
 */
export type Db = PgDatabase<PgQueryResultHKT>;

/** One connection for work that must not be interleaved (migrations): plain multi-statement SQL and parameterized reads. */
export interface RawSession {
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  withSession<T>(fn: (session: RawSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: the data directory as a tarball, to start other databases from (tests use it as a template). */
  dumpDataDir?(): Promise<Blob>;
}

// int8 (OID 20) as text on both drivers: PGlite would otherwise hand back a lossy JS number. Drizzle's bigint columns
// turn the text into a BigInt.
const INT8 = 20;

export interface PgliteOptions {
  dataDir?: string;
  loadDataDir?: Blob | File;
}

export const openPglite = async (options: PgliteOptions = {}): Promise<Database> => {
  const client = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: { [INT8]: (value: string) => value },
  });
  const db = drizzlePglite({ client }) as unknown as Db;
  const session: RawSession = {
    exec: async (sql) => {
      await client.exec(sql);
    },
    query: async <T,>(sql: string, params: unknown[] = []) => (await client.query<T>(sql, params)).rows,
  };
  return {
    kind: 'pglite',
    db,
    withSession: (fn) => fn(session),
    close: () => client.close(),
    dumpDataDir: async () => client.dumpDataDir('gzip'),
  };
};

export const openPostgres = async (url: string, poolSize = 10): Promise<Database> => {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8 ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzlePg({ client: pool }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    withSession: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (sql) => {
            await client.query(sql);
          },
          query: async <T,>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
        });
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
};
