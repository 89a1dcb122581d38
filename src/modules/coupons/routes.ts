import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CouponService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const couponRoutes =
  (_service: CouponService): FastifyPluginAsyncTypebox =>
  async () => {};
