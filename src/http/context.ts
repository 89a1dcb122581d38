import type { Ctx } from '../lib/context.ts';
import type { Organization } from '../modules/organizations/types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key check on every /api/v1 route: the organization and its clock. */
    ctx: Ctx;
    organization: Organization;
  }
}

export {};
