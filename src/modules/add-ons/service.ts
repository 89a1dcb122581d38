import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createAddOnService = (_deps: { db: Db }) => ({});

export type AddOnService = ReturnType<typeof createAddOnService>;
