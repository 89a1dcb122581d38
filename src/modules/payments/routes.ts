import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { PaymentObject, serializePayment } from './serialize.ts';
import type { PaymentService } from './service.ts';
import { CustomerPaymentListQuery, PaymentCreateBody, PaymentListQuery, type PaymentView } from './types.ts';

const PaymentResponse = wrapped('payment', PaymentObject);
const PaymentsResponse = listOf('payments', PaymentObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const one = (view: PaymentView) => ({ payment: serializePayment(view) });
const many = (page: Page<PaymentView>) => ({ payments: page.items.map(serializePayment), meta: page.meta });

export const paymentRoutes =
  (payments: PaymentService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['payments'];
    const single = { 200: PaymentResponse, 403: Type.Ref('ErrorBody'), ...errorResponses };
    const listResponse = { 200: PaymentsResponse, ...errorResponses };
    app.post(
      '/payments',
      { schema: { tags, description: 'Records a manual payment against an invoice.', body: PaymentCreateBody, response: single } },
      async (request, reply) => respond(reply, await payments.create(request.ctx, request.body.payment), one),
    );
    app.get('/payments', { schema: { tags, querystring: PaymentListQuery, response: listResponse } }, async (request, reply) =>
      respond(reply, await payments.list(request.ctx, request.query, parsePageRequest(request.query)), many),
    );
    app.get(
      '/customers/:external_customer_id/payments',
      { schema: { tags, params: CustomerParams, querystring: CustomerPaymentListQuery, response: listResponse } },
      async (request, reply) =>
        respond(reply, await payments.listForCustomer(request.ctx, request.params.external_customer_id, request.query, parsePageRequest(request.query)), many),
    );
    app.get('/payments/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await payments.get(request.ctx, request.params.lago_id), one),
    );
  };
