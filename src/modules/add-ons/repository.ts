import { and, asc, count, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { addOns } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { AddOn } from './types.ts';

const live = (organizationId: string) => and(eq(addOns.organizationId, organizationId), isNull(addOns.deletedAt));

export const insertAddOn = async (db: Db, row: typeof addOns.$inferInsert): Promise<AddOn> => {
  const [created] = await db.insert(addOns).values(row).returning();
  return created!;
};

export const updateAddOn = async (db: Db, organizationId: string, id: string, changes: Partial<AddOn>): Promise<AddOn> => {
  const [updated] = await db
    .update(addOns)
    .set(changes)
    .where(and(eq(addOns.organizationId, organizationId), eq(addOns.id, id)))
    .returning();
  return updated!;
};

export const findAddOnByCode = async (db: Db, organizationId: string, code: string): Promise<AddOn | null> => {
  const rows = await db.select().from(addOns).where(and(live(organizationId), eq(addOns.code, code))).limit(1);
  return rows[0] ?? null;
};

export const listAddOns = async (db: Db, organizationId: string, page: PageRequest): Promise<{ rows: AddOn[]; total: number }> => {
  const rows = await db
    .select()
    .from(addOns)
    .where(live(organizationId))
    .orderBy(desc(addOns.createdAt), asc(addOns.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(addOns).where(live(organizationId));
  return { rows, total: Number(total!.value) };
};
