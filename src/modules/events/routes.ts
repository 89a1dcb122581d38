import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { EventObject, serializeEvent } from './serialize.ts';
import type { EventService } from './service.ts';
import type { InAdvanceCharges } from '../billing/in-advance-charges.ts';
import { EstimatedFeeObject, serializeEstimatedFee } from '../fees/serialize.ts';
import { EventBatchBody, EventBody, EventListQuery } from './types.ts';

const EventResponse = wrapped('event', EventObject);
const EventsResponse = Type.Object({ events: Type.Array(EventObject) });
const EventsPage = listOf('events', EventObject);
const EstimatedFeesResponse = Type.Object({ fees: Type.Array(EstimatedFeeObject) });

export const eventRoutes =
  (events: EventService, inAdvance: Pick<InAdvanceCharges, 'estimate'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['events'];
    app.post('/events', { schema: { tags, body: EventBody, response: { 200: EventResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await events.ingest(request.ctx, request.body.event, false), ([row]) => ({ event: serializeEvent(row!) })),
    );
    app.post('/events/batch', { schema: { tags, body: EventBatchBody, response: { 200: EventsResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await events.ingest(request.ctx, request.body.events, true), (rows) => ({ events: rows.map(serializeEvent) })),
    );
    // Lago's estimate of the fees an event would create on pay-in-advance charges; nothing is stored.
    app.post('/events/estimate_fees', { schema: { tags, body: EventBody, response: { 200: EstimatedFeesResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await inAdvance.estimate(request.ctx, request.body.event), (views) => ({ fees: views.map(serializeEstimatedFee) })),
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
