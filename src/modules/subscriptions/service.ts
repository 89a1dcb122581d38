import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createSubscriptionService = (_deps: { db: Db }) => ({});

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
