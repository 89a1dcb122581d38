import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { driverDate, queryRowsPrepared } from '../../db/query.ts';
import { selectRows } from '../../db/select.ts';
import { apiKeys, organizations } from '../../db/schema/index.ts';
import type { Organization } from './types.ts';

export const insertOrganization = async (db: Db, row: typeof organizations.$inferInsert): Promise<Organization> => {
  const [created] = await db.insert(organizations).values(row).returning();
  return created!;
};

export const insertApiKey = async (db: Db, row: typeof apiKeys.$inferInsert): Promise<void> => {
  await db.insert(apiKeys).values(row);
};

/**
 * What a request needs to know of the organization a live key belongs to (its id and clock), and the stored digest,
 * found by the digest of the presented key. Narrow on purpose: every API request runs this query.
 */
export const findByKeyDigest = async (
  db: Db,
  digest: Buffer,
): Promise<{ organizationId: string; testClockFrozenAt: Date | null; digest: Buffer } | null> => {
  // Hand-written and prepared: Drizzle's query builder would build this statement anew at every request.
  const [row] = await queryRowsPrepared<{ organization_id: string; test_clock_frozen_at: Date | string | null; key_digest: Uint8Array }>(
    db,
    sql`SELECT api_keys.organization_id, organizations.test_clock_frozen_at, api_keys.key_digest
      FROM api_keys JOIN organizations ON organizations.id = api_keys.organization_id
      WHERE api_keys.key_digest = ${digest} AND api_keys.revoked_at IS NULL
      LIMIT 1`,
  );
  if (!row) return null;
  return {
    organizationId: row.organization_id,
    testClockFrozenAt: row.test_clock_frozen_at === null ? null : driverDate(row.test_clock_frozen_at),
    digest: Buffer.from(row.key_digest),
  };
};

export const findOrganization = async (db: Db, id: string): Promise<Organization | null> => {
  const [row] = await selectRows<Organization>(db, organizations, sql`organizations WHERE id = ${id}`, { prepared: true });
  return row ?? null;
};

/** Reads the organization row and locks it until the transaction ends, so concurrent changes to it queue up. */
/**
 * Locks an organization's row against other lockers (numbering its customers, say). NO KEY UPDATE, not UPDATE: rows
 * that reference the organization (a webhook outbox record written at another transaction's commit) take KEY SHARE
 * on it, and must not wait behind this lock while this transaction waits for one of their rows (a deadlock).
 */
export const lockOrganization = async (db: Db, id: string): Promise<Organization | null> => {
  const rows = await db.select().from(organizations).where(eq(organizations.id, id)).for('no key update').limit(1);
  return rows[0] ?? null;
};

export const oldestOrganization = async (db: Db): Promise<Organization | null> => {
  const rows = await db.select().from(organizations).orderBy(asc(organizations.createdAt), asc(organizations.id)).limit(1);
  return rows[0] ?? null;
};

export const updateOrganization = async (
  db: Db,
  id: string,
  changes: Partial<typeof organizations.$inferInsert>,
): Promise<Organization> => {
  const [updated] = await db.update(organizations).set(changes).where(eq(organizations.id, id)).returning();
  return updated!;
};

/** Hands out the next customer number of an organization; the row lock makes concurrent creations wait their turn. */
export const nextCustomerSequence = async (db: Db, id: string): Promise<number> => {
  const [row] = await db
    .update(organizations)
    .set({ customersSequence: sql`${organizations.customersSequence} + 1` })
    .where(eq(organizations.id, id))
    .returning({ value: organizations.customersSequence });
  return row!.value;
};
