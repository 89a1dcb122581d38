import { bigint, timestamp, uuid } from 'drizzle-orm/pg-core';

// Column shapes every table shares; the SQL migrations are the source of truth, these only type the queries.
export const orgId = () => uuid('organization_id').notNull();
export const id = () => uuid('id').notNull();
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
export const cents = (name: string) => bigint(name, { mode: 'bigint' });
export const timestamps = () => ({
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});
