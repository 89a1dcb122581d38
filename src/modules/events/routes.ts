import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { EventObject, serializeEvent } from './serialize.ts';
import type { EventService } from './service.ts';
import { EventBatchBody, EventBody, EventListQuery } from './types.ts';

const EventResponse = wrapped('event', EventObject);
const EventsResponse = Type.Object({ events: Type.Array(EventObject) });
const EventsPage = listOf('events', EventObject);

export const eventRoutes =
  (events: EventService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['events'];
    app.post('/events', { schema: { tags, body: EventBody, response: { 200: EventResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await events.ingest(request.ctx, request.body.event, false), ([row]) => ({ event: serializeEvent(row!) })),
    );
    app.post('/events/batch', { schema: { tags, body: EventBatchBody, response: { 200: EventsResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await events.ingest(request.ctx, request.body.events, true), (rows) => ({ events: rows.map(serializeEvent) })),
    );
    app.get('/events', { schema: { tags, querystring: EventListQuery, response: { 200: EventsPage, ...errorResponses } } }, async (request, reply) =>
      respond(
        reply,
        await events.list(
          request.ctx,
          {
            externalSubscriptionId: request.query.external_subscription_id,
            code: request.query.code,
            timestampFrom: request.query.timestamp_from,
            timestampTo: request.query.timestamp_to,
          },
          parsePageRequest(request.query),
        ),
        (page) => ({ events: page.items.map(serializeEvent), meta: page.meta }),
      ),
    );
    app.get(
      '/events/:transaction_id',
      { schema: { tags, params: Type.Object({ transaction_id: Type.String() }), response: { 200: EventResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await events.get(request.ctx, request.params.transaction_id), (row) => ({ event: serializeEvent(row) })),
    );
  };
