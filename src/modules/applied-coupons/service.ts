import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createAppliedCouponService = (_deps: { db: Db }) => ({});

export type AppliedCouponService = ReturnType<typeof createAppliedCouponService>;
