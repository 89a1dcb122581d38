import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BillableMetricService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const billableMetricRoutes =
  (_service: BillableMetricService): FastifyPluginAsyncTypebox =>
  async () => {};
