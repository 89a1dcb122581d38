import type { Database } from '../../src/db/database.ts';

/**
 * Every row of every table, as text: take one before and one after a request that must be refused, and compare them
 * to prove the request left the database exactly as it was.
 */
export const snapshotDatabase = async (database: Database): Promise<string> =>
  database.withSession(async (session) => {
    const tables = await session.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
       ORDER BY table_name`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const rows = await session.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t ORDER BY 1`);
      parts.push(`${table_name}: ${rows.map((r) => r.row).join('\n')}`);
    }
    return parts.join('\n---\n');
  });
