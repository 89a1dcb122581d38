import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../modules/organizations/keys.ts';
import { clockOf, type OrganizationService } from '../modules/organizations/service.ts';

/** Resolves the Bearer API key to its organization and clock, or answers Lago's 401. */
export const apiKeyAuth =
  (organizations: OrganizationService) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const organization = token ? await organizations.authenticate(token) : null;
    if (!organization) {
      await reply.status(401).send({ status: 401, error: 'Unauthorized' });
      return;
    }
    request.organization = organization;
    request.ctx = { organizationId: organization.id, clock: clockOf(organization) };
  };
