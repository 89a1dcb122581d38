import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { queryRows, queryRowsPrepared } from './query.ts';

interface Selection {
  list: SQL;
  columns: [key: string, column: { mapFromDriverValue(value: unknown): unknown }][];
}

const selections = new WeakMap<PgTable, Selection>();

const selectionOf = (table: PgTable): Selection => {
  let selection = selections.get(table);
  if (!selection) {
    const name = getTableName(table);
    const columns = Object.entries(getTableColumns(table));
    selection = {
      list: sql.raw(columns.map(([key, column]) => `"${name}"."${column.name}" AS "${key}"`).join(', ')),
      columns: columns.map(([key, column]) => [key, column]),
    };
    selections.set(table, selection);
  }
  return selection;
};

/**
 * `SELECT <every column of table> FROM <rest>` with rows shaped as Drizzle's `db.select().from(table)` shapes them.
 * For hot read paths: the column list is built once per table, where Drizzle's query builder rebuilds it on every call
 * (about 0.6 ms per query on a small VM, more than PostgreSQL spends answering).
 */
export const selectRows = async <T>(db: Db, table: PgTable, rest: SQL, options: { prepared?: boolean } = {}): Promise<T[]> => {
  const { list, columns } = selectionOf(table);
  const rows = await (options.prepared ? queryRowsPrepared : queryRows)<Record<string, unknown>>(db, sql`SELECT ${list} FROM ${rest}`);
  for (const row of rows) {
    for (const [key, column] of columns) {
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = column.mapFromDriverValue(value);
    }
  }
  return rows as T[];
};

const aliased = (table: PgTable, prefix: string, from: string): { list: SQL; columns: Selection['columns'] } => {
  const columns = Object.entries(getTableColumns(table));
  return {
    list: sql.raw(columns.map(([key, column]) => `"${from}"."${column.name}" AS "${prefix}${key}"`).join(', ')),
    columns: columns.map(([key, column]) => [key, column]),
  };
};

const pick = <T>(row: Record<string, unknown>, prefix: string, columns: Selection['columns']): T => {
  const out: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = row[`${prefix}${key}`];
    out[key] = value === null || value === undefined ? value : column.mapFromDriverValue(value);
  }
  return out as T;
};

/**
 * selectRows for several tables joined in `rest`, each named by its table name there (`rest`'s text must not vary with
 * its values: arrays as one parameter): per row, one object per table, shaped as Drizzle shapes them, or null where a
 * LEFT JOIN found nothing (its `id` is null). One round trip where a hot read would make one per table.
 */
export const selectJoined = async (db: Db, tables: readonly PgTable[], rest: SQL): Promise<(Record<string, unknown> | null)[][]> => {
  const parts = tables.map((table, index) => ({ prefix: `${index}.`, ...aliased(table, `${index}.`, getTableName(table)) }));
  // Stable text (callers pass values as parameters): prepared once per connection.
  const rows = await queryRowsPrepared<Record<string, unknown>>(db, sql`SELECT ${sql.join(parts.map((p) => p.list), sql`, `)} FROM ${rest}`);
  return rows.map((row) =>
    parts.map(({ prefix, columns }) => {
      const id = row[`${prefix}id`];
      return id === null || id === undefined ? null : pick<Record<string, unknown>>(row, prefix, columns);
    }),
  );
};

/**
 * selectRows over a subquery named after the table that adds a `tag` and a `tag_id` column to the table's columns
 * (a UNION of several ways to reach the same table): each row with its tag.
 */
export const selectTagged = async <T>(db: Db, table: PgTable, rest: SQL): Promise<{ tag: string; tagId: string | null; row: T }[]> => {
  const t = aliased(table, 't.', getTableName(table));
  const name = getTableName(table);
  const rows = await queryRowsPrepared<Record<string, unknown>>(db, sql`SELECT "${sql.raw(name)}".tag, "${sql.raw(name)}".tag_id, ${t.list} FROM ${rest}`);
  return rows.map((row) => ({ tag: row.tag as string, tagId: (row.tag_id as string | null) ?? null, row: pick<T>(row, 't.', t.columns) }));
};
