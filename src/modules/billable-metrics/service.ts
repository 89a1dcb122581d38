import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createBillableMetricService = (_deps: { db: Db }) => ({});

export type BillableMetricService = ReturnType<typeof createBillableMetricService>;
