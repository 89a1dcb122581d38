import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { CreditNoteEstimateObject, CreditNoteObject, serializeCreditNote, serializeEstimate } from './serialize.ts';
import type { CreditNoteService } from './service.ts';
import {
  CreditNoteCreateBody,
  CreditNoteEstimateBody,
  CreditNoteListQuery,
  CreditNoteUpdateBody,
  type CreditNoteListQueryInput,
  type CreditNoteView,
} from './types.ts';

const IdParams = Type.Object({ lago_id: Type.String() });
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const one = (view: CreditNoteView) => ({ credit_note: serializeCreditNote(view) });
const many = (page: Page<CreditNoteView>) => ({ credit_notes: page.items.map((v) => serializeCreditNote(v)), meta: page.meta });
const scalar = (value: unknown) => (typeof value === 'string' ? value : undefined);
const pageOf = (query: CreditNoteListQueryInput) => parsePageRequest({ page: scalar(query.page), per_page: scalar(query.per_page) });

/** Lago's credit note routes (the PDF download is the documents module's). */
export const creditNoteRoutes =
  (creditNotes: CreditNoteService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['credit_notes'];
    const single = { 200: wrapped('credit_note', CreditNoteObject), ...errorResponses };
    const listResponse = { 200: listOf('credit_notes', CreditNoteObject), ...errorResponses };

    app.post('/credit_notes', { schema: { tags, body: CreditNoteCreateBody, response: single } }, async (request, reply) =>
      respond(reply, await creditNotes.create(request.ctx, request.body.credit_note), one),
    );
    app.post(
      '/credit_notes/estimate',
      { schema: { tags, body: CreditNoteEstimateBody, response: { 200: wrapped('estimated_credit_note', CreditNoteEstimateObject), ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await creditNotes.estimate(request.ctx, request.body.credit_note), (e) => ({ estimated_credit_note: serializeEstimate(e) })),
    );
    app.get('/credit_notes', { schema: { tags, querystring: CreditNoteListQuery, response: listResponse } }, async (request, reply) => {
      const query = request.query as CreditNoteListQueryInput;
      return respond(reply, await creditNotes.list(request.ctx, query, pageOf(query)), many);
    });
    app.get(
      '/customers/:external_customer_id/credit_notes',
      { schema: { tags, params: CustomerParams, querystring: CreditNoteListQuery, response: listResponse } },
      async (request, reply) => {
        const query = request.query as CreditNoteListQueryInput;
        return respond(reply, await creditNotes.listForCustomer(request.ctx, request.params.external_customer_id, query, pageOf(query)), many);
      },
    );
    app.get('/credit_notes/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await creditNotes.get(request.ctx, request.params.lago_id), one),
    );
    // Rails resources route PATCH beside PUT.
    app.route({
      method: ['PUT', 'PATCH'],
      url: '/credit_notes/:lago_id',
      schema: { tags, params: IdParams, body: CreditNoteUpdateBody, response: single },
      handler: async (request, reply) => respond(reply, await creditNotes.update(request.ctx, request.params.lago_id, request.body.credit_note), one),
    });
    app.put('/credit_notes/:lago_id/void', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await creditNotes.void(request.ctx, request.params.lago_id), one),
    );
  };
