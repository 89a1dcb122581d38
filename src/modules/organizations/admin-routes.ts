import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, wrapped } from '../../http/schemas.ts';
import { respond } from '../../http/reply.ts';
import { sendError } from '../../http/errors.ts';
import { invalid } from '../../lib/errors.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import { digestApiKey, digestsMatch, bearerToken } from './keys.ts';
import { OrganizationObject, serializeOrganization } from './serialize.ts';
import type { OrganizationService } from './service.ts';

const AdminCreateBody = wrapped(
  'organization',
  Type.Object({
    name: Type.String(),
    timezone: Type.Optional(Type.String()),
    default_currency: Type.Optional(Type.String()),
    test_clock: Type.Optional(Type.Object({ frozen_time: Type.String() })),
  }),
);
const AdminCreateResponse = wrapped(
  'organization',
  Type.Composite([OrganizationObject, Type.Object({ api_key: Type.String() })]),
);

/** The operator's API, for hosting several organizations; enabled only when BILLOW_ADMIN_KEY is set. */
export const adminRoutes =
  (organizations: OrganizationService, adminKey: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    const adminDigest = digestApiKey(adminKey);
    app.addHook('onRequest', async (request, reply) => {
      const token = bearerToken(request.headers.authorization);
      if (!token || !digestsMatch(digestApiKey(token), adminDigest)) {
        return reply.status(401).send({ status: 401, error: 'Unauthorized' });
      }
    });

    app.post(
      '/organizations',
      { schema: { tags: ['admin'], body: AdminCreateBody, response: { 200: AdminCreateResponse, ...errorResponses } } },
      async (request, reply) => {
        const input = request.body.organization;
        let testClock;
        if (input.test_clock) {
          testClock = parseIsoDateTime(input.test_clock.frozen_time);
          if (!testClock) return sendError(reply, invalid('frozen_time', 'invalid_date'));
        }
        const result = await organizations.create({
          name: input.name,
          timezone: input.timezone,
          // As PUT /organizations does, a currency is read in upper case.
          defaultCurrency: input.default_currency?.toUpperCase(),
          testClock,
        });
        return respond(reply, result, ({ organization, apiKey }) => ({
          organization: { ...serializeOrganization(organization), api_key: apiKey },
        }));
      },
    );
  };
