import type { Db } from '../../db/database.ts';

// Scaffold: replaced by the module's implementation.
export const createCouponService = (_deps: { db: Db }) => ({});

export type CouponService = ReturnType<typeof createCouponService>;
