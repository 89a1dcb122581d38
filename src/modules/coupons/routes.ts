import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { CouponObject, serializeCoupon } from './serialize.ts';
import type { CouponService } from './service.ts';
import { CouponBody, type CouponView } from './types.ts';

const CouponResponse = wrapped('coupon', CouponObject);
const CouponsResponse = listOf('coupons', CouponObject);
const one = (view: CouponView) => ({ coupon: serializeCoupon(view) });

/**
 * Lago's coupon routes take any text as the code, slashes included. Each route is declared twice: with a `:code`
 * parameter (the documented one) and, hidden from the OpenAPI document, with a wildcard taking the rest of the path.
 */
const pathForms = [
  { url: '/coupons/:code', params: Type.Object({ code: Type.String() }), hide: false },
  { url: '/coupons/*', params: Type.Object({ '*': Type.String() }), hide: true },
] as const;
const codeOf = (params: unknown): string => {
  const p = params as { code?: string; '*'?: string };
  return p.code ?? p['*'] ?? '';
};

export const couponRoutes =
  (coupons: CouponService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['coupons'];
    app.post('/coupons', { schema: { tags, body: CouponBody, response: { 200: CouponResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await coupons.create(request.ctx, request.body.coupon), one),
    );
    app.get('/coupons', { schema: { tags, querystring: PageQuery, response: { 200: CouponsResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await coupons.list(request.ctx, parsePageRequest(request.query)), (page) => ({
        coupons: page.items.map(serializeCoupon),
        meta: page.meta,
      })),
    );
    for (const { url, params, hide } of pathForms) {
      app.get(url, { schema: { tags, hide, params, response: { 200: CouponResponse, ...errorResponses } } }, async (request, reply) =>
        respond(reply, await coupons.get(request.ctx, codeOf(request.params)), one),
      );
      // Rails resources route PATCH beside PUT.
      app.route({
        method: ['PUT', 'PATCH'],
        url,
        schema: { tags, hide, params, body: CouponBody, response: { 200: CouponResponse, ...errorResponses } },
        handler: async (request, reply) => respond(reply, await coupons.update(request.ctx, codeOf(request.params), request.body.coupon), one),
      });
      app.delete(url, { schema: { tags, hide, params, response: { 200: CouponResponse, ...errorResponses } } }, async (request, reply) =>
        respond(reply, await coupons.destroy(request.ctx, codeOf(request.params)), one),
      );
    }
  };
