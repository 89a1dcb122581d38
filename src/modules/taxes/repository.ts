import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam } from '../../db/query.ts';
import { selectTagged } from '../../db/select.ts';
import { taxes } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { Tax } from './types.ts';

/** The join tables that attach taxes to other objects; the tax applying to a fee is chosen among these. */
export const TAX_TARGETS = {
  add_on: { table: 'add_on_taxes', column: 'add_on_id' },
  plan: { table: 'plan_taxes', column: 'plan_id' },
  charge: { table: 'charge_taxes', column: 'charge_id' },
  commitment: { table: 'commitment_taxes', column: 'commitment_id' },
  customer: { table: 'customer_taxes', column: 'customer_id' },
} as const;
export type TaxTarget = keyof typeof TAX_TARGETS;

export const insertTax = async (db: Db, row: typeof taxes.$inferInsert): Promise<Tax> => {
  const [created] = await db.insert(taxes).values(row).returning();
  return created!;
};

export const updateTax = async (db: Db, organizationId: string, id: string, changes: Partial<Tax>): Promise<Tax> => {
  const [updated] = await db
    .update(taxes)
    .set(changes)
    .where(and(eq(taxes.organizationId, organizationId), eq(taxes.id, id)))
    .returning();
  return updated!;
};

export const findTaxByCode = async (db: Db, organizationId: string, code: string): Promise<Tax | null> => {
  const rows = await db.select().from(taxes).where(and(eq(taxes.organizationId, organizationId), eq(taxes.code, code))).limit(1);
  return rows[0] ?? null;
};

export const findTaxesByCodes = async (db: Db, organizationId: string, codes: readonly string[]): Promise<Tax[]> =>
  codes.length === 0
    ? []
    : db.select().from(taxes).where(and(eq(taxes.organizationId, organizationId), inArray(taxes.code, [...codes])));

/** Taxes ordered as Lago lists them: by name, then newest first. */
export const listTaxes = async (db: Db, organizationId: string, page: PageRequest): Promise<{ rows: Tax[]; total: number }> => {
  const where = eq(taxes.organizationId, organizationId);
  const rows = await db.select().from(taxes).where(where).orderBy(asc(taxes.name), desc(taxes.createdAt), asc(taxes.id)).limit(page.perPage).offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(taxes).where(where);
  return { rows, total: Number(total!.value) };
};

/** Removing a tax removes it from everything it applies to (join rows cascade); issued invoices keep their own copy. */
export const deleteTax = async (db: Db, organizationId: string, id: string): Promise<void> => {
  await db.delete(taxes).where(and(eq(taxes.organizationId, organizationId), eq(taxes.id, id)));
};

/** The taxes attached to each of the given objects, ordered by name. */
export const appliedTaxes = async (
  db: Db,
  organizationId: string,
  target: TaxTarget,
  targetIds: readonly string[],
): Promise<Map<string, Tax[]>> => {
  const result = new Map<string, Tax[]>(targetIds.map((id) => [id, []]));
  if (targetIds.length === 0) return result;
  const { table, column } = TAX_TARGETS[target];
  // One text whatever the number of objects (an array parameter): prepared once per connection, as every invoice asks.
  const rows = await selectTagged<Tax>(
    db,
    taxes,
    sql`(SELECT t.*, '' AS tag, j.${sql.identifier(column)}::text AS tag_id FROM ${sql.identifier(table)} j
        JOIN taxes t ON t.organization_id = j.organization_id AND t.id = j.tax_id
        WHERE j.organization_id = ${organizationId} AND j.${sql.identifier(column)} = ANY(${arrayParam(targetIds)}::uuid[])) taxes
      ORDER BY taxes.name, taxes.id`,
  );
  for (const { tagId, row } of rows) result.get(tagId!)?.push(row);
  return result;
};

/** Makes exactly these taxes apply to the object. */
export const replaceAppliedTaxes = async (
  db: Db,
  organizationId: string,
  target: TaxTarget,
  targetId: string,
  taxIds: readonly string[],
  now: Date,
): Promise<void> => {
  const { table, column } = TAX_TARGETS[target];
  await db.execute(
    sql`DELETE FROM ${sql.identifier(table)} WHERE organization_id = ${organizationId} AND ${sql.identifier(column)} = ${targetId}`,
  );
  if (taxIds.length === 0) return;
  const values = [...new Set(taxIds)].map((taxId) => sql`(${organizationId}::uuid, ${targetId}::uuid, ${taxId}::uuid, ${now})`);
  await db.execute(
    sql`INSERT INTO ${sql.identifier(table)} (organization_id, ${sql.identifier(column)}, tax_id, created_at) VALUES ${sql.join(values, sql`, `)}`,
  );
};
