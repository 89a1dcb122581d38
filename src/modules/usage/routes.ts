import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendError } from '../../http/errors.ts';
import { respond } from '../../http/reply.ts';
import { errorResponses, wrapped } from '../../http/schemas.ts';
import { PastUsageQuery, PastUsageResponse, serializePastUsage, type PastUsageService } from './past-usage.ts';
import { CustomerProjectedUsageObject, CustomerUsageObject, serializeCurrentUsage, serializeProjectedUsage } from './serialize.ts';
import type { UsageService } from './service.ts';
import { CurrentUsageQuery, ProjectedUsageQuery, readCurrentUsageQuery, readProjectedUsageQuery } from './types.ts';

const CustomerParams = Type.Object({ external_customer_id: Type.String() });

export const usageRoutes =
  (usage: UsageService, pastUsage: PastUsageService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['customers'];
    app.get(
      '/customers/:external_customer_id/current_usage',
      {
        schema: {
          tags,
          params: CustomerParams,
          querystring: CurrentUsageQuery,
          response: { 200: wrapped('customer_usage', CustomerUsageObject), ...errorResponses },
        },
      },
      async (request, reply) => {
        const query = readCurrentUsageQuery(request.query);
        if (!query.ok) return sendError(reply, query.error);
        return respond(reply, await usage.current(request.ctx, request.params.external_customer_id, query.value), (report) => ({
          customer_usage: serializeCurrentUsage(report),
        }));
      },
    );
    app.get(
      '/customers/:external_customer_id/projected_usage',
      {
        schema: {
          tags,
          params: CustomerParams,
          querystring: ProjectedUsageQuery,
          response: { 200: wrapped('customer_projected_usage', CustomerProjectedUsageObject), ...errorResponses },
        },
      },
      async (request, reply) =>
        respond(reply, await usage.projected(request.ctx, request.params.external_customer_id, readProjectedUsageQuery(request.query)), (report) => ({
          customer_projected_usage: serializeProjectedUsage(report),
        })),
    );
    app.get(
      '/customers/:external_customer_id/past_usage',
      { schema: { tags, params: CustomerParams, querystring: PastUsageQuery, response: { 200: PastUsageResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await pastUsage.past(request.ctx, request.params.external_customer_id, request.query), serializePastUsage),
    );
  };
