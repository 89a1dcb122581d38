import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { sendError } from '../../http/errors.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { encodePublicKey, serializeWebhookEndpoint, WebhookEndpointObject, WebhookPublicKeyObject } from './serialize.ts';
import type { WebhookEndpointService } from './service.ts';
import { WebhookEndpointBody, type WebhookEndpoint } from './types.ts';

const WebhookEndpointResponse = wrapped('webhook_endpoint', WebhookEndpointObject);
const WebhookEndpointsResponse = listOf('webhook_endpoints', WebhookEndpointObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const one = (endpoint: WebhookEndpoint) => ({ webhook_endpoint: serializeWebhookEndpoint(endpoint) });
const many = (page: Page<WebhookEndpoint>) => ({ webhook_endpoints: page.items.map(serializeWebhookEndpoint), meta: page.meta });

export const webhookEndpointRoutes =
  (endpoints: WebhookEndpointService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['webhook_endpoints'];
    const single = { 200: WebhookEndpointResponse, ...errorResponses };
    app.post('/webhook_endpoints', { schema: { tags, body: WebhookEndpointBody, response: single } }, async (request, reply) =>
      respond(reply, await endpoints.create(request.ctx, request.body.webhook_endpoint), one),
    );
    app.get(
      '/webhook_endpoints',
      { schema: { tags, querystring: PageQuery, response: { 200: WebhookEndpointsResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await endpoints.list(request.ctx, parsePageRequest(request.query)), many),
    );
    app.get('/webhook_endpoints/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await endpoints.get(request.ctx, request.params.lago_id), one),
    );
    // Rails resources route PATCH beside PUT.
    app.route({
      method: ['PUT', 'PATCH'],
      url: '/webhook_endpoints/:lago_id',
      schema: { tags, params: IdParams, body: WebhookEndpointBody, response: single },
      handler: async (request, reply) => respond(reply, await endpoints.update(request.ctx, request.params.lago_id, request.body.webhook_endpoint), one),
    });
    app.delete('/webhook_endpoints/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await endpoints.destroy(request.ctx, request.params.lago_id), one),
    );

    const keyTags = ['webhooks'];
    app.get(
      '/webhooks/public_key',
      {
        schema: {
          tags: keyTags,
          deprecated: true,
          description: 'The RSA public key that verifies `jwt` webhook signatures: base64 of its PEM text, as text/plain.',
          response: { 200: { content: { 'text/plain': { schema: Type.String() } } }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const key = await endpoints.publicKey(request.ctx);
        if (!key.ok) return sendError(reply, key.error);
        return reply.status(200).type('text/plain; charset=utf-8').send(encodePublicKey(key.value));
      },
    );
    app.get(
      '/webhooks/json_public_key',
      { schema: { tags: keyTags, response: { 200: WebhookPublicKeyObject, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await endpoints.publicKey(request.ctx), (pem) => ({ webhook: { public_key: encodePublicKey(pem) } })),
    );
  };
