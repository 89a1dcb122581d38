import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendError } from '../../http/errors.ts';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { InvoiceDetailObject, InvoiceObject, serializeInvoice, serializeInvoiceDetail } from './serialize.ts';
import type { InvoicePreviewService } from './preview.ts';
import { InvoicePreviewObject, serializeInvoicePreview } from './preview-serialize.ts';
import { InvoicePreviewBody, parsePreviewRequest } from './preview-types.ts';
import type { InvoiceDetailView, InvoiceService, InvoiceView } from './service.ts';
import { InvoiceCreateBody, InvoiceListQuery, InvoiceUpdateBody, InvoiceVoidBody, type InvoiceListQueryInput } from './types.ts';

const InvoiceResponse = wrapped('invoice', InvoiceDetailObject);
const InvoicesResponse = listOf('invoices', InvoiceObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const one = (view: InvoiceDetailView) => ({ invoice: serializeInvoiceDetail(view) });
const many = (page: Page<InvoiceView>) => ({ invoices: page.items.map(serializeInvoice), meta: page.meta });
const scalar = (value: unknown) => (typeof value === 'string' ? value : undefined);
const pageOf = (query: InvoiceListQueryInput) => parsePageRequest({ page: scalar(query.page), per_page: scalar(query.per_page) });

export const invoiceRoutes =
  (invoices: InvoiceService, previews: InvoicePreviewService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['invoices'];
    const single = { 200: InvoiceResponse, 403: Type.Ref('ErrorBody'), ...errorResponses };
    const listResponse = { 200: InvoicesResponse, ...errorResponses };

    app.post('/invoices', { schema: { tags, body: InvoiceCreateBody, response: single } }, async (request, reply) =>
      respond(reply, await invoices.create(request.ctx, request.body.invoice), one),
    );
    app.post(
      '/invoices/preview',
      { schema: { tags, body: InvoicePreviewBody, response: { 200: wrapped('invoice', InvoicePreviewObject), ...errorResponses } } },
      async (request, reply) => {
        const parsed = parsePreviewRequest(request.body);
        if (!parsed.ok) {
          // Lago's own 400 bodies for a `coupons` that is not a list and a `subscriptions` that is not an object.
          if (parsed.error.kind === 'bad_request') return reply.status(400).send({ status: 400, error: parsed.error.error });
          return sendError(reply, parsed.error.error);
        }
        return respond(reply, await previews.preview(request.ctx, parsed.value), (preview) => ({ invoice: serializeInvoicePreview(preview) }));
      },
    );
    app.get('/invoices', { schema: { tags, querystring: InvoiceListQuery, response: listResponse } }, async (request, reply) => {
      const query = request.query as InvoiceListQueryInput;
      return respond(reply, await invoices.list(request.ctx, query, pageOf(query)), many);
    });
    app.get(
      '/customers/:external_customer_id/invoices',
      { schema: { tags, params: CustomerParams, querystring: InvoiceListQuery, response: listResponse } },
      async (request, reply) => {
        const query = request.query as InvoiceListQueryInput;
        return respond(reply, await invoices.listForCustomer(request.ctx, request.params.external_customer_id, query, pageOf(query)), many);
      },
    );
    app.get('/invoices/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await invoices.get(request.ctx, request.params.lago_id), one),
    );
    // Rails resources route PATCH beside PUT.
    app.route({
      method: ['PUT', 'PATCH'],
      url: '/invoices/:lago_id',
      schema: { tags, params: IdParams, body: InvoiceUpdateBody, response: single },
      handler: async (request, reply) => respond(reply, await invoices.update(request.ctx, request.params.lago_id, request.body.invoice), one),
    });
    app.delete('/invoices/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await invoices.destroy(request.ctx, request.params.lago_id), one),
    );
    app.put('/invoices/:lago_id/refresh', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await invoices.refresh(request.ctx, request.params.lago_id), one),
    );
    app.put('/invoices/:lago_id/finalize', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await invoices.finalize(request.ctx, request.params.lago_id), one),
    );
    app.post(
      '/invoices/:lago_id/void',
      {
        schema: { tags, params: IdParams, body: InvoiceVoidBody, response: single },
        // Its parameters are all optional: a request without a body is an empty one.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => respond(reply, await invoices.void(request.ctx, request.params.lago_id, request.body), one),
    );
    app.post('/invoices/:lago_id/retry', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await invoices.retry(request.ctx, request.params.lago_id), one),
    );
  };
