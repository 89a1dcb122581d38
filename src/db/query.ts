import { param, sql, type SQL } from 'drizzle-orm';
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
