import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { serializeTax, TaxObject } from './serialize.ts';
import type { TaxService } from './service.ts';
import { TaxCreateBody, TaxUpdateBody } from './types.ts';

const TaxResponse = wrapped('tax', TaxObject);
const TaxesResponse = listOf('taxes', TaxObject);
const CodeParams = Type.Object({ code: Type.String() });
const one = (tax: Parameters<typeof serializeTax>[0]) => ({ tax: serializeTax(tax) });

export const taxRoutes =
  (taxes: TaxService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['taxes'];
    app.post('/taxes', { schema: { tags, body: TaxCreateBody, response: { 200: TaxResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await taxes.create(request.ctx, request.body.tax), one),
    );
    app.get('/taxes', { schema: { tags, querystring: PageQuery, response: { 200: TaxesResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await taxes.list(request.ctx, parsePageRequest(request.query)), (page) => ({
        taxes: page.items.map(serializeTax),
        meta: page.meta,
      })),
    );
    app.get('/taxes/:code', { schema: { tags, params: CodeParams, response: { 200: TaxResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await taxes.get(request.ctx, request.params.code), one),
    );
    app.put(
      '/taxes/:code',
      { schema: { tags, params: CodeParams, body: TaxUpdateBody, response: { 200: TaxResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await taxes.update(request.ctx, request.params.code, request.body.tax), one),
    );
    app.delete('/taxes/:code', { schema: { tags, params: CodeParams, response: { 200: TaxResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await taxes.destroy(request.ctx, request.params.code), one),
    );
  };
