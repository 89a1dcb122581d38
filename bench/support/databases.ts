import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL server benchmarks run against: BENCH_DATABASE_URL, or the machine's local server. */
export const benchServerUrl = (): string => process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh database on the benchmark server, and a way to drop it. */
export const freshPostgresDatabase = async (): Promise<{ url: string; drop(): Promise<void> }> => {
  const server = benchServerUrl();
  const name = `billow_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(server, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
};
