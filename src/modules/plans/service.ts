import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createPlanService = (_deps: { db: Db }) => ({});

export type PlanService = ReturnType<typeof createPlanService>;
