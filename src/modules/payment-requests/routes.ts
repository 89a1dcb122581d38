import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { PaymentRequestObject, serializePaymentRequest } from './serialize.ts';
import type { PaymentRequestService } from './service.ts';
import { CustomerPaymentRequestListQuery, PaymentRequestCreateBody, PaymentRequestListQuery, type PaymentRequestView } from './types.ts';

const PaymentRequestResponse = wrapped('payment_request', PaymentRequestObject);
const PaymentRequestsResponse = listOf('payment_requests', PaymentRequestObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const one = (view: PaymentRequestView) => ({ payment_request: serializePaymentRequest(view) });
const many = (page: Page<PaymentRequestView>) => ({ payment_requests: page.items.map(serializePaymentRequest), meta: page.meta });

export const paymentRequestRoutes =
  (requests: PaymentRequestService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['payment_requests'];
    const single = { 200: PaymentRequestResponse, ...errorResponses };
    const listResponse = { 200: PaymentRequestsResponse, ...errorResponses };
    app.post(
      '/payment_requests',
      {
        schema: { tags, description: "Requests payment of some of a customer's overdue invoices at once.", body: PaymentRequestCreateBody, response: single },
      },
      async (request, reply) => respond(reply, await requests.create(request.ctx, request.body.payment_request), one),
    );
    app.get('/payment_requests', { schema: { tags, querystring: PaymentRequestListQuery, response: listResponse } }, async (request, reply) =>
      respond(reply, await requests.list(request.ctx, request.query, parsePageRequest(request.query)), many),
    );
    app.get(
      '/customers/:external_customer_id/payment_requests',
      { schema: { tags, params: CustomerParams, querystring: CustomerPaymentRequestListQuery, response: listResponse } },
      async (request, reply) =>
        respond(reply, await requests.listForCustomer(request.ctx, request.params.external_customer_id, request.query, parsePageRequest(request.query)), many),
    );
    app.get('/payment_requests/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await requests.get(request.ctx, request.params.lago_id), one),
    );
  };
