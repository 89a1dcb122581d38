import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, QueryValue, wrapped } from '../../http/schemas.ts';
import { parsePageRequest, type Page } from '../../lib/pagination.ts';
import { serializeWebhook, WebhookObject } from './serialize.ts';
import type { WebhookRow } from './repository.ts';
import type { WebhookService } from './service.ts';

const WebhookResponse = wrapped('webhook', WebhookObject);
const WebhooksResponse = listOf('webhooks', WebhookObject);
const IdParams = Type.Object({ lago_id: Type.String() });
const Q = Type.Optional(QueryValue);
const WebhookListQuery = Type.Object({
  page: Q,
  per_page: Q,
  status: Q,
  'status[]': Q,
  statuses: Q,
  'statuses[]': Q,
  webhook_type: Q,
  'webhook_types[]': Q,
  webhook_endpoint_id: Q,
});

/** A query value given once or repeated (`status=failed`, `statuses[]=failed&statuses[]=retrying`), or null when absent. */
const values = (...given: unknown[]): string[] | null => {
  const all = given.flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])).flatMap((v) => String(v).split(','));
  const kept = all.map((v) => v.trim()).filter((v) => v !== '');
  return kept.length === 0 ? null : kept;
};

const one = (row: WebhookRow) => ({ webhook: serializeWebhook(row) });
const many = (page: Page<WebhookRow>) => ({ webhooks: page.items.map(serializeWebhook), meta: page.meta });

/** The webhook log (a Billow extension): list, show, and send a failed webhook again. */
export const webhookRoutes =
  (webhooks: WebhookService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['webhooks'];
    const single = { 200: WebhookResponse, ...errorResponses };
    app.get('/webhooks', { schema: { tags, querystring: WebhookListQuery, response: { 200: WebhooksResponse, ...errorResponses } } }, async (request, reply) => {
      const q = request.query;
      const input = {
        statuses: values(q.status, q['status[]'], q.statuses, q['statuses[]']),
        webhookTypes: values(q.webhook_type, q['webhook_types[]']),
        endpointId: values(q.webhook_endpoint_id)?.[0] ?? null,
      };
      return respond(reply, await webhooks.list(request.ctx, input, parsePageRequest(q)), many);
    });
    app.get('/webhooks/:lago_id', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await webhooks.get(request.ctx, request.params.lago_id), one),
    );
    app.post('/webhooks/:lago_id/retry', { schema: { tags, params: IdParams, response: single } }, async (request, reply) =>
      respond(reply, await webhooks.retry(request.ctx, request.params.lago_id), one),
    );
  };
