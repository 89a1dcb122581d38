import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, wrapped } from '../../http/schemas.ts';
import { respond } from '../../http/reply.ts';
import { sendError } from '../../http/errors.ts';
import { invalid } from '../../lib/errors.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import { OrganizationObject, serializeOrganization } from './serialize.ts';
import type { OrganizationService } from './service.ts';
import { OrganizationUpdateBody, type OrganizationView } from './types.ts';

const OrganizationResponse = wrapped('organization', OrganizationObject);
const TestClockObject = Type.Object({ frozen_time: Type.String({ format: 'date-time' }) });
const TestClockResponse = wrapped('test_clock', TestClockObject);
const TestClockBody = wrapped('test_clock', Type.Object({ frozen_time: Type.String() }));

const render = ({ organization, webhookUrls }: OrganizationView) => ({ organization: serializeOrganization(organization, webhookUrls) });

const renderClock = (instant: { toString(o?: object): string }) => ({
  test_clock: { frozen_time: instant.toString({ smallestUnit: 'second' }) },
});

export const organizationRoutes =
  (organizations: OrganizationService): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/organizations',
      { schema: { tags: ['organizations'], response: { 200: OrganizationResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await organizations.show(request.ctx), render),
    );

    app.put(
      '/organizations',
      { schema: { tags: ['organizations'], body: OrganizationUpdateBody, response: { 200: OrganizationResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await organizations.update(request.ctx, request.body.organization), render),
    );

    app.get(
      '/test_clock',
      { schema: { tags: ['test clocks'], response: { 200: TestClockResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await organizations.testClock(request.ctx), renderClock),
    );

    app.post(
      '/test_clock/advance',
      { schema: { tags: ['test clocks'], body: TestClockBody, response: { 200: TestClockResponse, ...errorResponses } } },
      async (request, reply) => {
        const to = parseIsoDateTime(request.body.test_clock.frozen_time);
        if (!to) return sendError(reply, invalid('frozen_time', 'invalid_date'));
        return respond(reply, await organizations.advanceTestClock(request.ctx, to), renderClock);
      },
    );
  };
