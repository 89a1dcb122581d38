import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import type { Ctx } from '../../lib/context.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { serializeSubscription, serializeSubscriptionDetail, SubscriptionDetailObject, SubscriptionObject, type SubscriptionView } from './serialize.ts';
import type { SubscriptionService } from './service.ts';
import { SubscriptionCreateBody, SubscriptionListQuery, SubscriptionUpdateBody } from './types.ts';

const SubscriptionResponse = wrapped('subscription', SubscriptionDetailObject);
const SubscriptionsResponse = listOf('subscriptions', SubscriptionObject);
const one = (view: SubscriptionView) => ({ subscription: serializeSubscriptionDetail(view) });
const scalar = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export const subscriptionRoutes =
  (subscriptions: SubscriptionService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['subscriptions'];
    app.post('/subscriptions', { schema: { tags, body: SubscriptionCreateBody, response: { 200: SubscriptionResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await subscriptions.create(request.ctx, request.body.subscription), one),
    );

    type ListQuery = (typeof SubscriptionListQuery)['static'];
    const list = async (ctx: Ctx, query: ListQuery, externalCustomerId: string | undefined, customerMustExist = false) =>
      subscriptions.list(
        ctx,
        { externalCustomerId, planCode: scalar(query.plan_code), externalId: scalar(query.external_id), status: query['status[]'] },
        parsePageRequest(query),
        customerMustExist,
      );
    const many = (page: Page<SubscriptionView>) => ({ subscriptions: page.items.map(serializeSubscription), meta: page.meta });

    app.get(
      '/subscriptions',
      { schema: { tags, querystring: SubscriptionListQuery, response: { 200: SubscriptionsResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await list(request.ctx, request.query, scalar(request.query.external_customer_id)), many),
    );
    // The same list, scoped to one customer (an unknown customer has no subscriptions).
    app.get(
      '/customers/:external_customer_id/subscriptions',
      {
        schema: {
          tags,
          params: Type.Object({ external_customer_id: Type.String() }),
          querystring: SubscriptionListQuery,
          response: { 200: SubscriptionsResponse, ...errorResponses },
        },
      },
      async (request, reply) => respond(reply, await list(request.ctx, request.query, request.params.external_customer_id, true), many),
    );
    app.get(
      '/subscriptions/:external_id',
      {
        schema: {
          tags,
          params: Type.Object({ external_id: Type.String() }),
          querystring: Type.Object({ status: Type.Optional(Type.String()) }),
          response: { 200: SubscriptionResponse, ...errorResponses },
        },
      },
      async (request, reply) => respond(reply, await subscriptions.get(request.ctx, request.params.external_id, request.query.status), one),
    );
    app.put(
      '/subscriptions/:external_id',
      {
        schema: {
          tags,
          params: Type.Object({ external_id: Type.String() }),
          querystring: Type.Object({ status: Type.Optional(Type.String()) }),
          body: SubscriptionUpdateBody,
          response: { 200: SubscriptionResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        respond(reply, await subscriptions.update(request.ctx, request.params.external_id, request.query.status, request.body.subscription), one),
    );
    app.delete(
      '/subscriptions/:external_id',
      {
        schema: {
          tags,
          params: Type.Object({ external_id: Type.String() }),
          querystring: Type.Object({
            status: Type.Optional(Type.String()),
            on_termination_credit_note: Type.Optional(Type.String()),
            on_termination_invoice: Type.Optional(Type.String()),
          }),
          response: { 200: SubscriptionResponse, ...errorResponses },
        },
      },
      async (request, reply) =>
        respond(
          reply,
          await subscriptions.terminate(request.ctx, request.params.external_id, {
            status: request.query.status,
            onTerminationCreditNote: request.query.on_termination_credit_note,
            onTerminationInvoice: request.query.on_termination_invoice,
          }),
          one,
        ),
    );
  };
