import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../modules/organizations/keys.ts';
import type { OrganizationService } from '../modules/organizations/service.ts';

/** Resolves the Bearer API key to its organization and clock, or answers Lago's 401. */
export const apiKeyAuth =
  (organizations: OrganizationService) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const ctx = token ? await organizations.authenticate(token) : null;
    if (!ctx) {
      await reply.status(401).send({ status: 401, error: 'Unauthorized' });
      return;
    }
    request.ctx = ctx;
  };
