import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SubscriptionService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const subscriptionRoutes =
  (_service: SubscriptionService): FastifyPluginAsyncTypebox =>
  async () => {};
