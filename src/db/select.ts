import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { queryRows, queryRowsPrepared } from './query.ts';

type DriverColumn = { mapFromDriverValue(value: unknown): unknown };

interface Selection {
  list: SQL;
  /** Each column's key in the row shape, its key in the driver's row (the alias), and the column. */
  columns: [key: string, alias: string, column: DriverColumn][];
}

/** Selections by table, then by the prefix of their aliases ('' for plain ones). Built once: the hot reads run them often. */
const selections = new WeakMap<PgTable, Map<string, Selection>>();

/** `"table"."column" AS "<prefix>key"` for every column of the table, with the keys to read them back by. */
const selectionOf = (table: PgTable, prefix = ''): Selection => {
  let byPrefix = selections.get(table);
  if (!byPrefix) selections.set(table, (byPrefix = new Map()));
  let selection = byPrefix.get(prefix);
  if (!selection) {
    const from = getTableName(table);
    const columns = Object.entries(getTableColumns(table));
    selection = {
      list: sql.raw(columns.map(([key, column]) => `"${from}"."${column.name}" AS "${prefix}${key}"`).join(', ')),
      columns: columns.map(([key, column]) => [key, `${prefix}${key}`, column]),
    };
    byPrefix.set(prefix, selection);
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
    for (const [key, , column] of columns) {
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = column.mapFromDriverValue(value);
    }
  }
  return rows as T[];
};

const pick = <T>(row: Record<string, unknown>, columns: Selection['columns']): T => {
  const out: Record<string, unknown> = {};
  for (const [key, alias, column] of columns) {
    const value = row[alias];
    out[key] = value === null || value === undefined ? value : column.mapFromDriverValue(value);
  }
  return out as T;
};

/** One row of `selectJoined`: an object per table, null where a LEFT JOIN found nothing; the extra columns by name. */
export interface JoinedRow {
  tables: (Record<string, unknown> | null)[];
  extras: Record<string, unknown>;
}

/**
 * selectRows for several tables joined in `rest`, each named by its table name there (`rest`'s text must not vary with
 * its values: arrays as one parameter): per row, one object per table, shaped as Drizzle shapes them, or null where a
 * LEFT JOIN found nothing (its `id` is null), and the value of each extra expression. One round trip where a hot read
 * would make one per table.
 */
export const selectJoined = async (
  db: Db,
  tables: readonly PgTable[],
  rest: SQL,
  extras: Readonly<Record<string, SQL>> = {},
): Promise<JoinedRow[]> => {
  const parts = tables.map((table, index) => ({ idAlias: `${index}.id`, ...selectionOf(table, `${index}.`) }));
  const extraNames = Object.keys(extras);
  const lists = [...parts.map((p) => p.list), ...extraNames.map((name) => sql`${extras[name]} AS ${sql.raw(`"x.${name}"`)}`)];
  // Stable text (callers pass values as parameters): prepared once per connection.
  const rows = await queryRowsPrepared<Record<string, unknown>>(db, sql`SELECT ${sql.join(lists, sql`, `)} FROM ${rest}`);
  return rows.map((row) => ({
    tables: parts.map(({ idAlias, columns }) => {
      const id = row[idAlias];
      return id === null || id === undefined ? null : pick<Record<string, unknown>>(row, columns);
    }),
    extras: Object.fromEntries(extraNames.map((name) => [name, row[`x.${name}`]])),
  }));
};

/**
 * selectRows over a subquery named after the table that adds a `tag` and a `tag_id` column to the table's columns
 * (a UNION of several ways to reach the same table): each row with its tag.
 */
export const selectTagged = async <T>(db: Db, table: PgTable, rest: SQL): Promise<{ tag: string; tagId: string | null; row: T }[]> => {
  const t = selectionOf(table, 't.');
  const name = getTableName(table);
  const rows = await queryRowsPrepared<Record<string, unknown>>(db, sql`SELECT "${sql.raw(name)}".tag, "${sql.raw(name)}".tag_id, ${t.list} FROM ${rest}`);
  return rows.map((row) => ({ tag: row.tag as string, tagId: (row.tag_id as string | null) ?? null, row: pick<T>(row, t.columns) }));
};
