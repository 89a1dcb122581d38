import { createHash } from 'node:crypto';
import { param, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Db } from './database.ts';

/**
 * Runs a hand-written SQL query and returns its rows. Both drivers answer `{ rows }`; the generic handle types the
 * answer as unknown, so the row type is the caller's statement of what the query selects.
 */
export const queryRows = async <T>(db: Db, query: SQL): Promise<T[]> => ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/**
 * A JS array passed as one array parameter (`= ANY($1::text[])`, `unnest($1::numeric[])`). Drizzle would otherwise
 * expand an array into a list of parameters.
 */
export const arrayParam = (values: readonly unknown[]): SQL => sql`${param([...values])}`;

const dialect = new PgDialect();
const statementNames = new Map<string, string>();

/**
 * queryRows for a hot statement whose text does not vary with its data (arrays as one parameter, never a list of
 * them): on PostgreSQL it runs as a named prepared statement, parsed and planned once per connection (more than the
 * work of the statement itself for a small read). On PGlite it runs as queryRows does.
 */
export const queryRowsPrepared = async <T>(db: Db, query: SQL): Promise<T[]> => {
  // The pool at the root; inside a transaction, its own connection (prepared statements live per connection, and
  // node-postgres remembers which ones each connection has).
  const client = (db as { session?: { client?: unknown } }).session?.client ?? (db as { $client?: unknown }).$client;
  if (!(client instanceof pg.Pool) && !(client instanceof pg.Client)) return queryRows<T>(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  let name = statementNames.get(text);
  if (!name) {
    // The name follows the text, so two texts never share one (pg refuses a name reused for another text).
    name = `billow_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return (await client.query({ name, text, values: params })).rows as T[];
};
