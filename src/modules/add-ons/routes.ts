import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AddOnService } from './service.ts';

// Scaffold: replaced by the module's implementation.
export const addOnRoutes =
  (_service: AddOnService): FastifyPluginAsyncTypebox =>
  async () => {};
