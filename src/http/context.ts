import type { Ctx } from '../lib/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key check on every /api/v1 route: the organization and its clock. */
    ctx: Ctx;
  }
}

export {};
