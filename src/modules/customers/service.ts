import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createCustomerService = (_deps: { db: Db }) => ({});

export type CustomerService = ReturnType<typeof createCustomerService>;
