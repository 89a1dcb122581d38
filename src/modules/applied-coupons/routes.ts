import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppliedCouponService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const appliedCouponRoutes =
  (_service: AppliedCouponService): FastifyPluginAsyncTypebox =>
  async () => {};
