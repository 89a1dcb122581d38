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
 * A timestamp column of a hand-written query as a Date: node-postgres parses them into Dates, Drizzle's PGlite
 * session hands them back as text.
 */
export const driverDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/**
 * A JS array passed as one array parameter (`= ANY($1::text[])`, `unnest($1::numeric[])`). Drizzle would otherwise
 * expand an array into a list of parameters.
 */
export const arrayParam = (values: readonly unknown[]): SQL => sql`${param([...values])}`;

const dialect = new PgDialect();
const statementNames = new Map<string, string>();
/**
 * Distinct texts run as named statements, per process (each connection keeps the ones it ran): past this, texts run
 * unnamed, so a statement whose text varies with its data cannot fill the server's memory with plans.
 */
const MAX_NAMED_STATEMENTS = 1_000;
/**
 * Of those, at most this many for generated inserts and updates, whose texts vary with the row count and the columns
 * left to their default: they never crowd out the hand-written statements.
 */
const MAX_NAMED_WRITES = 400;
let namedWrites = 0;

type Queryable = { query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> };

/** The node-postgres client a handle runs on (a transaction's own connection inside one), or null on PGlite. */
export const pgClientOf = (db: Db): Queryable | null => {
  // The pool at the root; inside a transaction, its own connection (prepared statements live per connection, and
  // node-postgres remembers which ones each connection has).
  const client = (db as { session?: { client?: unknown } }).session?.client ?? (db as { $client?: unknown }).$client;
  return client instanceof pg.Pool || client instanceof pg.Client ? (client as unknown as Queryable) : null;
};

/**
 * Runs a statement on a node-postgres client as a named prepared statement: parsed and planned once per connection
 * instead of at every call (for the small statements of the billing run, planning costs more than running them).
 */
export const runNamed = async (client: Queryable, text: string, values: unknown[], generated = false): Promise<unknown[]> => {
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_NAMED_STATEMENTS && (!generated || namedWrites < MAX_NAMED_WRITES)) {
    // The name follows the text, so two texts never share one (pg refuses a name reused for another text).
    name = `billow_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
    if (generated) namedWrites++;
  }
  return (await client.query(name ? { name, text, values } : { text, values })).rows;
};

/**
 * queryRows for a hot statement whose text does not vary with its data (arrays as one parameter, never a list of
 * them): on PostgreSQL it runs as a named prepared statement (see `runNamed`). On PGlite it runs as queryRows does.
 */
export const queryRowsPrepared = async <T>(db: Db, query: SQL): Promise<T[]> => {
  const client = pgClientOf(db);
  if (!client) return queryRows<T>(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await runNamed(client, text, params)) as T[];
};
