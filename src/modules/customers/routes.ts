import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CustomerService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const customerRoutes =
  (_service: CustomerService): FastifyPluginAsyncTypebox =>
  async () => {};
