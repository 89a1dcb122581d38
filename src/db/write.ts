import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './database.ts';
import { pgClientOf, runNamed } from './query.ts';

interface Column {
  name: string;
  mapToDriverValue(value: unknown): unknown;
  mapFromDriverValue(value: unknown): unknown;
}

interface TableShape {
  name: string;
  columns: [key: string, column: Column][];
  returning: string;
}

const shapes = new WeakMap<PgTable, TableShape>();

const shapeOf = (table: PgTable): TableShape => {
  let shape = shapes.get(table);
  if (!shape) {
    const columns = Object.entries(getTableColumns(table)) as unknown as [string, Column][];
    shape = { name: getTableName(table), columns, returning: columns.map(([key, c]) => `"${c.name}" AS "${key}"`).join(', ') };
    shapes.set(table, shape);
  }
  return shape;
};

/** The driver client a handle runs on: a transaction's own connection inside one, else the pool or PGlite. */
const clientOf = (db: Db): { query(text: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }> } =>
  (db as unknown as { session: { client: { query(text: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }> } } }).session.client;

/** Inserts of more rows than this are rare and large: planned each time rather than kept prepared. */
const MAX_NAMED_ROWS = 20;

/** On PostgreSQL as a named statement when small (the texts repeat: one per table, column set and number of rows). */
const run = async (db: Db, text: string, params: unknown[], rows = 1): Promise<Record<string, unknown>[]> => {
  const named = rows <= MAX_NAMED_ROWS ? pgClientOf(db) : null;
  if (named) return (await runNamed(named, text, params, true)) as Record<string, unknown>[];
  return (await clientOf(db).query(text, params)).rows;
};

const fromDriver = <T>(shape: TableShape, rows: Record<string, unknown>[]): T[] => {
  for (const row of rows) {
    for (const [key, column] of shape.columns) {
      const value = row[key];
      if (value !== null && value !== undefined) row[key] = column.mapFromDriverValue(value);
    }
  }
  return rows as T[];
};

/**
 * INSERT of rows shaped like Drizzle's `$inferInsert`, written straight to the driver. For the billing run's hot
 * writes: Drizzle's query builder spends about a millisecond on a wide insert (more than PostgreSQL spends storing it).
 * Absent columns take their default; `suffix` is appended as is (`ON CONFLICT DO NOTHING`, `RETURNING ...`).
 */
export const insertRows = async <T = Record<string, unknown>>(
  db: Db,
  table: PgTable,
  rows: readonly Record<string, unknown>[],
  options: { suffix?: string; returning?: boolean } = {},
): Promise<T[]> => {
  if (rows.length === 0) return [];
  const shape = shapeOf(table);
  const params: unknown[] = [];
  const tuples = rows.map((row) =>
    shape.columns
      .map(([key, column]) => {
        const value = row[key];
        if (value === undefined) return 'DEFAULT';
        params.push(value === null ? null : column.mapToDriverValue(value));
        return `$${params.length}`;
      })
      .join(', '),
  );
  const text =
    `INSERT INTO "${shape.name}" (${shape.columns.map(([, c]) => `"${c.name}"`).join(', ')}) VALUES (${tuples.join('), (')})` +
    (options.suffix ? ` ${options.suffix}` : '') +
    (options.returning ? ` RETURNING ${shape.returning}` : '');
  return fromDriver<T>(shape, await run(db, text, params, rows.length));
};

/** UPDATE of one row by (organization_id, id), written straight to the driver; answers the updated row. */
export const updateRow = async <T>(db: Db, table: PgTable, organizationId: string, id: string, changes: Record<string, unknown>): Promise<T | null> => {
  const shape = shapeOf(table);
  const params: unknown[] = [organizationId, id];
  const sets = shape.columns.flatMap(([key, column]) => {
    if (!(key in changes) || changes[key] === undefined) return [];
    const value = changes[key];
    params.push(value === null ? null : column.mapToDriverValue(value));
    return [`"${column.name}" = $${params.length}`];
  });
  const text =
    sets.length === 0
      ? `SELECT ${shape.returning} FROM "${shape.name}" WHERE organization_id = $1 AND id = $2`
      : `UPDATE "${shape.name}" SET ${sets.join(', ')} WHERE organization_id = $1 AND id = $2 RETURNING ${shape.returning}`;
  return fromDriver<T>(shape, await run(db, text, params))[0] ?? null;
};
