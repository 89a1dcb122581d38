import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { ChargeObject, serializeCharge } from './serialize.ts';
import type { PlanService } from './service.ts';
import { ChargeBody, type ChargeDetails } from './types.ts';

const ChargeResponse = wrapped('charge', ChargeObject);
const ChargesResponse = listOf('charges', ChargeObject);
const PlanParams = Type.Object({ code: Type.String() });
const ChargeParams = Type.Object({ code: Type.String(), charge_code: Type.String() });
const one = (details: ChargeDetails) => ({ charge: serializeCharge(details) });

/** `/plans/{code}/charges`: a plan's charges one by one. */
export const chargeRoutes =
  (plans: PlanService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['plans'];
    const single = { 200: ChargeResponse, ...errorResponses };
    app.get(
      '/plans/:code/charges',
      { schema: { tags, params: PlanParams, querystring: PageQuery, response: { 200: ChargesResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await plans.charges.list(request.ctx, request.params.code, parsePageRequest(request.query)), (page) => ({
          charges: page.items.map(serializeCharge),
          meta: page.meta,
        })),
    );
    app.post('/plans/:code/charges', { schema: { tags, params: PlanParams, body: ChargeBody, response: single } }, async (request, reply) =>
      respond(reply, await plans.charges.create(request.ctx, request.params.code, request.body.charge), one),
    );
    app.get('/plans/:code/charges/:charge_code', { schema: { tags, params: ChargeParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.charges.get(request.ctx, request.params.code, request.params.charge_code), one),
    );
    app.put(
      '/plans/:code/charges/:charge_code',
      { schema: { tags, params: ChargeParams, body: ChargeBody, response: single } },
      async (request, reply) =>
        respond(reply, await plans.charges.update(request.ctx, request.params.code, request.params.charge_code, request.body.charge), one),
    );
    // The client sends an optional `{"charge": {"cascade_updates": true}}`; Billow does not cascade to subscriptions'
    // override copies yet, which keep the terms they were made with.
    app.delete('/plans/:code/charges/:charge_code', { schema: { tags, params: ChargeParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.charges.destroy(request.ctx, request.params.code, request.params.charge_code), one),
    );
  };
