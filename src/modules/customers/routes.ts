import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { CustomerDetailObject, CustomerObject, serializeCustomer, serializeCustomerDetail } from './serialize.ts';
import type { CustomerService } from './service.ts';
import { CustomerListQuery, CustomerUpsertBody, queryScalar } from './types.ts';
import type { CustomerView } from './views.ts';

const CustomerResponse = wrapped('customer', CustomerDetailObject);
const CustomersResponse = listOf('customers', CustomerObject);
const ExternalIdParams = Type.Object({ external_customer_id: Type.String() });
const one = (view: CustomerView) => ({ customer: serializeCustomerDetail(view) });

export const customerRoutes =
  (customers: CustomerService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['customers'];
    app.post(
      '/customers',
      { schema: { tags, body: CustomerUpsertBody, response: { 200: CustomerResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await customers.upsert(request.ctx, request.body.customer), one),
    );
    app.get(
      '/customers',
      { schema: { tags, querystring: CustomerListQuery, response: { 200: CustomersResponse, ...errorResponses } } },
      async (request, reply) => {
        const page = parsePageRequest({ page: queryScalar(request.query.page), per_page: queryScalar(request.query.per_page) });
        return respond(reply, await customers.list(request.ctx, request.query, page), (result) => ({
          customers: result.items.map(serializeCustomer),
          meta: result.meta,
        }));
      },
    );
    app.get(
      '/customers/:external_customer_id',
      { schema: { tags, params: ExternalIdParams, response: { 200: CustomerResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await customers.get(request.ctx, request.params.external_customer_id), one),
    );
    app.delete(
      '/customers/:external_customer_id',
      { schema: { tags, params: ExternalIdParams, response: { 200: CustomerResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await customers.destroy(request.ctx, request.params.external_customer_id), one),
    );
  };
