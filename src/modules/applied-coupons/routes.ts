import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { queryScalar } from '../customers/types.ts';
import { AppliedCouponListedObject, AppliedCouponObject, serializeAppliedCoupon, serializeListedAppliedCoupon } from './serialize.ts';
import type { AppliedCouponService } from './service.ts';
import { AppliedCouponBody, AppliedCouponListQuery, type AppliedCouponListQueryInput, type AppliedCouponView } from './types.ts';

const AppliedCouponResponse = wrapped('applied_coupon', AppliedCouponObject);
const AppliedCouponsResponse = listOf('applied_coupons', AppliedCouponListedObject);
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const AppliedCouponParams = Type.Object({ external_customer_id: Type.String(), id: Type.String() });

const one = (view: AppliedCouponView) => ({ applied_coupon: serializeAppliedCoupon(view) });
const many = (page: Page<AppliedCouponView>) => ({ applied_coupons: page.items.map(serializeListedAppliedCoupon), meta: page.meta });
const pageOf = (query: AppliedCouponListQueryInput) =>
  parsePageRequest({ page: queryScalar(query.page), per_page: queryScalar(query.per_page) });

export const appliedCouponRoutes =
  (appliedCoupons: AppliedCouponService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['applied coupons'];
    app.post(
      '/applied_coupons',
      { schema: { tags, body: AppliedCouponBody, response: { 200: AppliedCouponResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await appliedCoupons.create(request.ctx, request.body.applied_coupon), one),
    );
    app.get(
      '/applied_coupons',
      { schema: { tags, querystring: AppliedCouponListQuery, response: { 200: AppliedCouponsResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await appliedCoupons.list(request.ctx, request.query, pageOf(request.query)), many),
    );
    app.get(
      '/customers/:external_customer_id/applied_coupons',
      {
        schema: { tags, params: CustomerParams, querystring: AppliedCouponListQuery, response: { 200: AppliedCouponsResponse, ...errorResponses } },
      },
      async (request, reply) =>
        respond(
          reply,
          await appliedCoupons.listForCustomer(request.ctx, request.params.external_customer_id, request.query, pageOf(request.query)),
          many,
        ),
    );
    app.delete(
      '/customers/:external_customer_id/applied_coupons/:id',
      { schema: { tags, params: AppliedCouponParams, response: { 200: AppliedCouponResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await appliedCoupons.terminate(request.ctx, request.params.external_customer_id, request.params.id), one),
    );
  };
