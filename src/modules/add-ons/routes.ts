import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { AddOnObject, serializeAddOn } from './serialize.ts';
import type { AddOnService, AddOnWithTaxes } from './service.ts';
import { AddOnBody } from './types.ts';

const AddOnResponse = wrapped('add_on', AddOnObject);
const AddOnsResponse = listOf('add_ons', AddOnObject);
const CodeParams = Type.Object({ code: Type.String() });
const one = ({ addOn, taxes }: AddOnWithTaxes) => ({ add_on: serializeAddOn(addOn, taxes) });

export const addOnRoutes =
  (addOns: AddOnService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['add-ons'];
    const single = { 200: AddOnResponse, ...errorResponses };
    app.post('/add_ons', { schema: { tags, body: AddOnBody, response: single } }, async (request, reply) =>
      respond(reply, await addOns.create(request.ctx, request.body.add_on), one),
    );
    app.get('/add_ons', { schema: { tags, querystring: PageQuery, response: { 200: AddOnsResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await addOns.list(request.ctx, parsePageRequest(request.query)), (page) => ({
        add_ons: page.items.map(({ addOn, taxes }) => serializeAddOn(addOn, taxes)),
        meta: page.meta,
      })),
    );
    app.get('/add_ons/:code', { schema: { tags, params: CodeParams, response: single } }, async (request, reply) =>
      respond(reply, await addOns.get(request.ctx, request.params.code), one),
    );
    app.put('/add_ons/:code', { schema: { tags, params: CodeParams, body: AddOnBody, response: single } }, async (request, reply) =>
      respond(reply, await addOns.update(request.ctx, request.params.code, request.body.add_on), one),
    );
    app.delete('/add_ons/:code', { schema: { tags, params: CodeParams, response: single } }, async (request, reply) =>
      respond(reply, await addOns.destroy(request.ctx, request.params.code), one),
    );
  };
