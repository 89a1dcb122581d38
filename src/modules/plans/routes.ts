import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { chargeRoutes } from './charge-routes.ts';
import { filterRoutes } from './filter-routes.ts';
import { PlanObject, serializePlan } from './serialize.ts';
import type { PlanService } from './service.ts';
import { PlanBody, type PlanDetails } from './types.ts';

const PlanResponse = wrapped('plan', PlanObject);
const PlansResponse = listOf('plans', PlanObject);
const CodeParams = Type.Object({ code: Type.String() });
const one = (details: PlanDetails) => ({ plan: serializePlan(details) });

export const planRoutes =
  (plans: PlanService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['plans'];
    const single = { 200: PlanResponse, ...errorResponses };
    app.post('/plans', { schema: { tags, body: PlanBody, response: single } }, async (request, reply) =>
      respond(reply, await plans.create(request.ctx, request.body.plan), one),
    );
    app.get('/plans', { schema: { tags, querystring: PageQuery, response: { 200: PlansResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await plans.list(request.ctx, parsePageRequest(request.query)), (page) => ({
        // List items are the only plan answers without fixed_charges, as in Lago.
        plans: page.items.map((details) => serializePlan(details, { fixedCharges: false })),
        meta: page.meta,
      })),
    );
    app.get('/plans/:code', { schema: { tags, params: CodeParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.get(request.ctx, request.params.code), one),
    );
    app.put('/plans/:code', { schema: { tags, params: CodeParams, body: PlanBody, response: single } }, async (request, reply) =>
      respond(reply, await plans.update(request.ctx, request.params.code, request.body.plan), one),
    );
    app.delete('/plans/:code', { schema: { tags, params: CodeParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.destroy(request.ctx, request.params.code), one),
    );
    await app.register(chargeRoutes(plans));
    await app.register(filterRoutes(plans));
  };
