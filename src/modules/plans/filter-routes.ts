import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import type { FilterWithCharge } from './nested-service.ts';
import { ChargeFilterObject, serializeChargeFilter } from './serialize.ts';
import type { PlanService } from './service.ts';
import { FilterBody } from './types.ts';

const FilterResponse = wrapped('filter', ChargeFilterObject);
const FiltersResponse = listOf('filters', ChargeFilterObject);
const ChargeParams = Type.Object({ code: Type.String(), charge_code: Type.String() });
const FilterParams = Type.Object({ code: Type.String(), charge_code: Type.String(), id: Type.String() });
const show = ({ filter, chargeCode }: FilterWithCharge) => serializeChargeFilter(filter, chargeCode);
const one = (value: FilterWithCharge) => ({ filter: show(value) });

/** `/plans/{code}/charges/{charge_code}/filters`: a charge's filters one by one, addressed by lago_id. */
export const filterRoutes =
  (plans: PlanService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['plans'];
    const base = '/plans/:code/charges/:charge_code/filters';
    const single = { 200: FilterResponse, ...errorResponses };
    app.get(
      base,
      { schema: { tags, params: ChargeParams, querystring: PageQuery, response: { 200: FiltersResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(
          reply,
          await plans.filters.list(request.ctx, request.params.code, request.params.charge_code, parsePageRequest(request.query)),
          (page) => ({ filters: page.items.map(show), meta: page.meta }),
        ),
    );
    app.post(base, { schema: { tags, params: ChargeParams, body: FilterBody, response: single } }, async (request, reply) =>
      respond(reply, await plans.filters.create(request.ctx, request.params.code, request.params.charge_code, request.body.filter), one),
    );
    app.get(`${base}/:id`, { schema: { tags, params: FilterParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.filters.get(request.ctx, request.params.code, request.params.charge_code, request.params.id), one),
    );
    app.put(`${base}/:id`, { schema: { tags, params: FilterParams, body: FilterBody, response: single } }, async (request, reply) =>
      respond(
        reply,
        await plans.filters.update(request.ctx, request.params.code, request.params.charge_code, request.params.id, request.body.filter),
        one,
      ),
    );
    app.delete(`${base}/:id`, { schema: { tags, params: FilterParams, response: single } }, async (request, reply) =>
      respond(reply, await plans.filters.destroy(request.ctx, request.params.code, request.params.charge_code, request.params.id), one),
    );
  };
