import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { FeeObject, serializeFee } from './serialize.ts';
import type { FeeService, FeeView } from './service.ts';
import { FeeListQuery, FeeUpdateBody } from './types.ts';

const FeeResponse = wrapped('fee', FeeObject);
const FeesResponse = listOf('fees', FeeObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const one = (view: FeeView) => ({ fee: serializeFee(view) });
const many = (page: Page<FeeView>) => ({ fees: page.items.map((v) => serializeFee(v)), meta: page.meta });

export const feeRoutes =
  (fees: FeeService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['fees'];
    const single = { 200: FeeResponse, ...errorResponses };
    app.get('/fees', { schema: { tags, querystring: FeeListQuery, response: { 200: FeesResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await fees.list(request.ctx, request.query, parsePageRequest(request.query)), many),
    );
    app.get('/fees/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await fees.get(request.ctx, request.params.lago_id), one),
    );
    // Rails resources route PATCH beside PUT.
    app.route({
      method: ['PUT', 'PATCH'],
      url: '/fees/:lago_id',
      schema: { tags, params: IdParams, body: FeeUpdateBody, response: single },
      handler: async (request, reply) => respond(reply, await fees.update(request.ctx, request.params.lago_id, request.body.fee), one),
    });
    app.delete('/fees/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await fees.destroy(request.ctx, request.params.lago_id), one),
    );
  };
