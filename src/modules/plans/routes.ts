import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PlanService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const planRoutes =
  (_service: PlanService): FastifyPluginAsyncTypebox =>
  async () => {};
