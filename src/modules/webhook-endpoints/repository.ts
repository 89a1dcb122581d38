import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { webhookEndpoints } from '../../db/schema/index.ts';
import { isUuid } from '../../lib/ids.ts';
import { pageOffset, type PageRequest } from '../../lib/pagination.ts';
import type { WebhookEndpoint } from './types.ts';

const ofOrganization = (organizationId: string) => eq(webhookEndpoints.organizationId, organizationId);

/** Keeps this lock space apart from the other advisory locks Billow takes. */
const ENDPOINTS_LOCK_SEED = 7216000013;

/**
 * Makes the organization's endpoint writes that check a count or the first endpoint wait for each other until the
 * transaction ends, so two concurrent creations cannot both take the tenth place.
 */
export const lockWebhookEndpoints = async (db: Db, organizationId: string): Promise<void> => {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webhook_endpoints:${organizationId}`}, ${ENDPOINTS_LOCK_SEED}))`);
};

export const insertWebhookEndpoint = async (db: Db, row: typeof webhookEndpoints.$inferInsert): Promise<WebhookEndpoint> => {
  const [created] = await db.insert(webhookEndpoints).values(row).returning();
  return created!;
};

export const updateWebhookEndpoint = async (
  db: Db,
  organizationId: string,
  id: string,
  changes: Partial<typeof webhookEndpoints.$inferInsert>,
): Promise<WebhookEndpoint> => {
  const [updated] = await db
    .update(webhookEndpoints)
    .set(changes)
    .where(and(ofOrganization(organizationId), eq(webhookEndpoints.id, id)))
    .returning();
  return updated!;
};

export const deleteWebhookEndpoint = async (db: Db, organizationId: string, id: string): Promise<void> => {
  await db.delete(webhookEndpoints).where(and(ofOrganization(organizationId), eq(webhookEndpoints.id, id)));
};

/** A `lago_id` that is not a UUID names nothing (Rails casts it to NULL and finds no row). */
export const findWebhookEndpoint = async (db: Db, organizationId: string, id: string): Promise<WebhookEndpoint | null> => {
  if (!isUuid(id)) return null;
  const rows = await db.select().from(webhookEndpoints).where(and(ofOrganization(organizationId), eq(webhookEndpoints.id, id))).limit(1);
  return rows[0] ?? null;
};

export const findWebhookEndpointByUrl = async (db: Db, organizationId: string, url: string): Promise<WebhookEndpoint | null> => {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(ofOrganization(organizationId), eq(webhookEndpoints.webhookUrl, url)))
    .limit(1);
  return rows[0] ?? null;
};

export const countWebhookEndpoints = async (db: Db, organizationId: string): Promise<number> => {
  const [total] = await db.select({ value: count() }).from(webhookEndpoints).where(ofOrganization(organizationId));
  return Number(total!.value);
};

/** Lago's list order: URL, then newest first, then id. */
export const listWebhookEndpoints = async (
  db: Db,
  organizationId: string,
  page: PageRequest,
): Promise<{ rows: WebhookEndpoint[]; total: number }> => {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(ofOrganization(organizationId))
    .orderBy(asc(webhookEndpoints.webhookUrl), desc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
    .limit(page.perPage)
    .offset(pageOffset(page));
  return { rows, total: await countWebhookEndpoints(db, organizationId) };
};

/**
 * Every endpoint of the organization by id, which is the order Lago's `organization.webhook_endpoints.first` and the
 * organization's `webhook_urls` follow (ids are UUIDv7 here, so it is also the order they were made in).
 */
export const webhookEndpointsById = async (db: Db, organizationId: string): Promise<WebhookEndpoint[]> =>
  db.select().from(webhookEndpoints).where(ofOrganization(organizationId)).orderBy(asc(webhookEndpoints.id));

/** The endpoints a webhook of this type goes to: those with no list of types (every type), or with the type listed. */
export const subscribedWebhookEndpoints = async (db: Db, organizationId: string, webhookType: string): Promise<WebhookEndpoint[]> =>
  db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        ofOrganization(organizationId),
        sql`(${webhookEndpoints.eventTypes} IS NULL OR ${webhookType} = ANY(${webhookEndpoints.eventTypes}))`,
      ),
    )
    .orderBy(asc(webhookEndpoints.id));
