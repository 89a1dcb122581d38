import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, wrapped } from '../../http/schemas.ts';
import { LifetimeUsageObject, serializeLifetimeUsage } from './serialize.ts';
import type { LifetimeUsageView, ProgressiveBillingService } from './service.ts';

const LifetimeUsageResponse = wrapped('lifetime_usage', LifetimeUsageObject);
const one = (view: LifetimeUsageView) => ({ lifetime_usage: serializeLifetimeUsage(view) });
const Params = Type.Object({ external_id: Type.String() });
// Lago reads the subscription's status from `subscription_status`, or `status` as before.
const StatusQuery = Type.Object({ subscription_status: Type.Optional(Type.String()), status: Type.Optional(Type.String()) });
const LifetimeUsageBody = Type.Object({
  lifetime_usage: Type.Object({ external_historical_usage_amount_cents: Type.Optional(Type.Unknown()) }),
});

export const lifetimeUsageRoutes =
  (progressive: ProgressiveBillingService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['subscriptions'];
    const response = { 200: LifetimeUsageResponse, ...errorResponses };
    app.get(
      '/subscriptions/:external_id/lifetime_usage',
      { schema: { tags, params: Params, querystring: StatusQuery, response } },
      async (request, reply) =>
        respond(
          reply,
          await progressive.getLifetimeUsage(request.ctx, request.params.external_id, request.query.subscription_status ?? request.query.status),
          one,
        ),
    );
    app.put(
      '/subscriptions/:external_id/lifetime_usage',
      { schema: { tags, params: Params, querystring: StatusQuery, body: LifetimeUsageBody, response } },
      async (request, reply) =>
        respond(
          reply,
          await progressive.updateLifetimeUsage(
            request.ctx,
            request.params.external_id,
            request.query.subscription_status ?? request.query.status,
            request.body.lifetime_usage.external_historical_usage_amount_cents,
          ),
          one,
        ),
    );
  };
