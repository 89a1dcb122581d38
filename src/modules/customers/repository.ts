import { and, asc, count, desc, eq, ilike, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { selectRows } from '../../db/select.ts';
import { appliedCoupons, customerMetadata, customers, subscriptions } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import { likeContains } from '../../lib/text.ts';
import type { Customer, CustomerFilters, CustomerMetadata } from './types.ts';

const live = (organizationId: string) => and(eq(customers.organizationId, organizationId), isNull(customers.deletedAt));

/** The organization's customer with this external_id; deleted customers are gone for good. */
export const findCustomerByExternalId = async (
  db: Db,
  organizationId: string,
  externalId: string,
  options: { lock?: boolean } = {},
): Promise<Customer | null> => {
  if (!options.lock) {
    const [row] = await selectRows<Customer>(
      db,
      customers,
      sql`customers WHERE organization_id = ${organizationId} AND external_id = ${externalId} AND deleted_at IS NULL LIMIT 1`,
    );
    return row ?? null;
  }
  const rows = await db.select().from(customers).where(and(live(organizationId), eq(customers.externalId, externalId))).limit(1).for('update');
  return rows[0] ?? null;
};

export const insertCustomer = async (db: Db, row: typeof customers.$inferInsert): Promise<Customer> => {
  const [created] = await db.insert(customers).values(row).returning();
  return created!;
};

export const updateCustomer = async (db: Db, organizationId: string, id: string, changes: Partial<Customer>): Promise<Customer> => {
  const [updated] = await db
    .update(customers)
    .set(changes)
    .where(and(eq(customers.organizationId, organizationId), eq(customers.id, id)))
    .returning();
  return updated!;
};

const SEARCHED = [customers.name, customers.firstname, customers.lastname, customers.legalName, customers.externalId, customers.email];

/** Customers newest first (then by id), as Lago lists them. */
export const listCustomers = async (
  db: Db,
  organizationId: string,
  filters: CustomerFilters,
  page: PageRequest,
): Promise<{ rows: Customer[]; total: number }> => {
  const conditions: (SQL | undefined)[] = [live(organizationId)];
  if (filters.externalId !== undefined) conditions.push(eq(customers.externalId, filters.externalId));
  // Like Lago, an exact external_id makes the search term irrelevant.
  else if (filters.searchTerm !== undefined) conditions.push(or(...SEARCHED.map((column) => ilike(column, likeContains(filters.searchTerm!)))));
  if (filters.customerType !== undefined) conditions.push(eq(customers.customerType, filters.customerType));
  if (filters.accountTypes) conditions.push(inArray(customers.accountType, filters.accountTypes));
  if (filters.countries) conditions.push(inArray(customers.country, filters.countries));
  if (filters.currencies) conditions.push(inArray(customers.currency, filters.currencies));
  const where = and(...conditions);
  const rows = await db
    .select()
    .from(customers)
    .where(where)
    .orderBy(desc(customers.createdAt), asc(customers.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(customers).where(where);
  return { rows, total: Number(total!.value) };
};

/** The metadata of each customer, oldest entry first. */
export const metadataOf = async (db: Db, organizationId: string, customerIds: readonly string[]): Promise<Map<string, CustomerMetadata[]>> => {
  const result = new Map<string, CustomerMetadata[]>(customerIds.map((id) => [id, []]));
  if (customerIds.length === 0) return result;
  const rows = await db
    .select()
    .from(customerMetadata)
    .where(and(eq(customerMetadata.organizationId, organizationId), inArray(customerMetadata.customerId, [...customerIds])))
    .orderBy(asc(customerMetadata.createdAt), asc(customerMetadata.id));
  for (const row of rows) result.get(row.customerId)?.push(row);
  return result;
};

/**
 * Makes the customer's metadata exactly these rows. Deleting first and inserting the whole set lets a request swap or
 * reuse keys without tripping the per-customer unique key half way.
 */
export const replaceMetadata = async (
  db: Db,
  organizationId: string,
  customerId: string,
  rows: (typeof customerMetadata.$inferInsert)[],
): Promise<void> => {
  await db.delete(customerMetadata).where(and(eq(customerMetadata.organizationId, organizationId), eq(customerMetadata.customerId, customerId)));
  if (rows.length > 0) await db.insert(customerMetadata).values(rows);
};

/** True when the customer has a subscription that is running or about to start. */
export const hasLiveSubscription = async (db: Db, organizationId: string, customerId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        eq(subscriptions.customerId, customerId),
        inArray(subscriptions.status, ['active', 'pending']),
      ),
    )
    .limit(1);
  return rows.length > 0;
};

/** True when a fixed-amount coupon (one with a currency) was ever applied to the customer. */
export const hasCurrencyCoupon = async (db: Db, organizationId: string, customerId: string): Promise<boolean> => {
  const rows = await db
    .select({ id: appliedCoupons.id })
    .from(appliedCoupons)
    .where(
      and(
        eq(appliedCoupons.organizationId, organizationId),
        eq(appliedCoupons.customerId, customerId),
        isNotNull(appliedCoupons.amountCurrency),
      ),
    )
    .limit(1);
  return rows.length > 0;
};

/**
 * What Lago's TerminateRelationsJob does when a customer is deleted, done at once in the same transaction: running
 * subscriptions end, future ones are canceled, applied coupons stop.
 */
export const endCustomerRelations = async (db: Db, organizationId: string, customerId: string, now: Date): Promise<void> => {
  const ofCustomer = (status: string) =>
    and(eq(subscriptions.organizationId, organizationId), eq(subscriptions.customerId, customerId), eq(subscriptions.status, status));
  await db.update(subscriptions).set({ status: 'terminated', terminatedAt: now, updatedAt: now }).where(ofCustomer('active'));
  await db.update(subscriptions).set({ status: 'canceled', canceledAt: now, updatedAt: now }).where(ofCustomer('pending'));
  await db
    .update(appliedCoupons)
    .set({ status: 'terminated', terminatedAt: now, updatedAt: now })
    .where(
      and(
        eq(appliedCoupons.organizationId, organizationId),
        eq(appliedCoupons.customerId, customerId),
        eq(appliedCoupons.status, 'active'),
      ),
    );
};
