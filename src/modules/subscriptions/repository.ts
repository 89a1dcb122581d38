import { and, asc, count, desc, eq, inArray, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { customers, plans, subscriptions } from '../../db/schema/index.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { Subscription, SubscriptionFilters, SubscriptionStatus } from './types.ts';

export const insertSubscription = async (db: Db, row: typeof subscriptions.$inferInsert): Promise<Subscription> => {
  const [created] = await db.insert(subscriptions).values(row).returning();
  return created!;
};

export const findById = async (db: Db, organizationId: string, id: string): Promise<Subscription | null> => {
  const rows = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.organizationId, organizationId), eq(subscriptions.id, id)));
  return rows[0] ?? null;
};

/**
 * The subscription an external id names in one status. Several terminated ones may share it: the latest termination
 * wins, as in Lago.
 */
export const findByExternalId = async (
  db: Db,
  organizationId: string,
  externalId: string,
  status: SubscriptionStatus,
): Promise<Subscription | null> => {
  const rows = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.organizationId, organizationId), eq(subscriptions.externalId, externalId), eq(subscriptions.status, status)))
    .orderBy(sql`${subscriptions.terminatedAt} DESC NULLS FIRST`, desc(subscriptions.startedAt), asc(subscriptions.id))
    .limit(1);
  return rows[0] ?? null;
};

/** The live (active or pending) subscriptions with this external id, whoever their customer is. */
export const findLiveByExternalId = async (db: Db, organizationId: string, externalId: string): Promise<Subscription[]> =>
  db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        eq(subscriptions.externalId, externalId),
        inArray(subscriptions.status, ['active', 'pending']),
      ),
    )
    .orderBy(asc(subscriptions.createdAt), asc(subscriptions.id));

export const listSubscriptions = async (
  db: Db,
  organizationId: string,
  filters: SubscriptionFilters,
  page: PageRequest,
): Promise<{ rows: Subscription[]; total: number }> => {
  const conditions: SQL[] = [eq(subscriptions.organizationId, organizationId), inArray(subscriptions.status, filters.statuses)];
  if (filters.externalId !== undefined) conditions.push(eq(subscriptions.externalId, filters.externalId));
  if (filters.externalCustomerId !== undefined) {
    conditions.push(
      sql`${subscriptions.customerId} IN (SELECT ${customers.id} FROM ${customers} WHERE ${customers.organizationId} = ${organizationId}
        AND ${customers.externalId} = ${filters.externalCustomerId} AND ${customers.deletedAt} IS NULL)`,
    );
  }
  if (filters.planCode !== undefined) {
    // Matches subscriptions on the plan itself and on private copies of it made by plan_overrides.
    conditions.push(
      sql`${subscriptions.planId} IN (SELECT ${plans.id} FROM ${plans} WHERE ${plans.organizationId} = ${organizationId}
        AND ${plans.code} = ${filters.planCode})`,
    );
  }
  const where = and(...conditions);
  const rows = await db
    .select()
    .from(subscriptions)
    .where(where)
    .orderBy(sql`${subscriptions.subscriptionAt} DESC NULLS LAST`, desc(subscriptions.createdAt), asc(subscriptions.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  const [total] = await db.select({ value: count() }).from(subscriptions).where(where);
  return { rows, total: Number(total!.value) };
};

/** The external id and time zone of each customer, by id. */
export const customersOf = async (db: Db, organizationId: string, ids: readonly string[]) =>
  db
    .select({ id: customers.id, externalId: customers.externalId, timezone: customers.timezone })
    .from(customers)
    .where(and(eq(customers.organizationId, organizationId), inArray(customers.id, [...new Set(ids)])));

export const plansOf = async (db: Db, organizationId: string, ids: readonly string[]) =>
  db
    .select()
    .from(plans)
    .where(and(eq(plans.organizationId, organizationId), inArray(plans.id, [...new Set(ids)])));

/** The plan code of each of these (previous) subscriptions. */
export const planCodesOf = async (db: Db, organizationId: string, subscriptionIds: readonly string[]): Promise<Map<string, string>> => {
  if (subscriptionIds.length === 0) return new Map();
  const rows = await db
    .select({ id: subscriptions.id, code: plans.code })
    .from(subscriptions)
    .innerJoin(plans, and(eq(plans.organizationId, subscriptions.organizationId), eq(plans.id, subscriptions.planId)))
    .where(and(eq(subscriptions.organizationId, organizationId), inArray(subscriptions.id, [...subscriptionIds])));
  return new Map(rows.map((r) => [r.id, r.code]));
};

/** Seeds the hash of external-id locks so they do not share keys with advisory locks taken for other purposes. */
const EXTERNAL_ID_LOCK_SEED = 7_216_100_007;

/**
 * Serializes the creation of subscriptions under one external id until the transaction ends: the check that the id
 * is free and the insert then run one request at a time, so exactly one of several racing requests starts it. The
 * unique index on live external ids backs this up.
 */
export const lockExternalId = async (db: Db, organizationId: string, externalId: string): Promise<void> => {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${organizationId}:${externalId}`}, ${EXTERNAL_ID_LOCK_SEED}))`);
};

/** The active subscriptions on these plans, locked. */
export const activeOnPlans = async (db: Db, organizationId: string, planIds: readonly string[]): Promise<Subscription[]> =>
  planIds.length === 0
    ? []
    : db
        .select()
        .from(subscriptions)
        .where(and(eq(subscriptions.organizationId, organizationId), inArray(subscriptions.planId, [...planIds]), eq(subscriptions.status, 'active')))
        .orderBy(asc(subscriptions.id))
        .for('update');

/**
 * Cancels the pending subscriptions on these plans, and those waiting to follow one of these subscriptions (a
 * scheduled plan change). Returns them.
 */
export const cancelPending = async (
  db: Db,
  organizationId: string,
  scope: { planIds: readonly string[]; previousIds: readonly string[]; exceptIds?: readonly string[] },
  now: Date,
): Promise<Subscription[]> => {
  const on = [
    ...(scope.planIds.length > 0 ? [inArray(subscriptions.planId, [...scope.planIds])] : []),
    ...(scope.previousIds.length > 0 ? [inArray(subscriptions.previousSubscriptionId, [...scope.previousIds])] : []),
  ];
  if (on.length === 0) return [];
  return db
    .update(subscriptions)
    .set({ status: 'canceled', canceledAt: now, updatedAt: now, nextDueAt: null })
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        eq(subscriptions.status, 'pending'),
        or(...on),
        ...(scope.exceptIds && scope.exceptIds.length > 0 ? [notInArray(subscriptions.id, [...scope.exceptIds])] : []),
      ),
    )
    .returning();
};

export const updateSubscription = async (db: Db, organizationId: string, id: string, changes: Partial<Subscription>): Promise<Subscription> => {
  const [updated] = await db
    .update(subscriptions)
    .set(changes)
    .where(and(eq(subscriptions.organizationId, organizationId), eq(subscriptions.id, id)))
    .returning();
  return updated!;
};

/** The plan code of the pending subscription scheduled to follow each of these (a downgrade), by predecessor id. */
export const pendingSuccessorPlanCodes = async (db: Db, organizationId: string, ids: readonly string[]): Promise<Map<string, string>> => {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ previousId: subscriptions.previousSubscriptionId, code: plans.code })
    .from(subscriptions)
    .innerJoin(plans, and(eq(plans.organizationId, subscriptions.organizationId), eq(plans.id, subscriptions.planId)))
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        eq(subscriptions.status, 'pending'),
        inArray(subscriptions.previousSubscriptionId, [...new Set(ids)]),
      ),
    );
  return new Map(rows.map((r) => [r.previousId!, r.code]));
};
