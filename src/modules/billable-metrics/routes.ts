import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { BillableMetricObject, BillableMetricWithoutCountersObject, ExpressionResultObject, serializeBillableMetric } from './serialize.ts';
import type { BillableMetricService } from './service.ts';
import { BillableMetricBody, type MetricView } from './types.ts';

const MetricResponse = wrapped('billable_metric', BillableMetricObject);
const MetricShowResponse = wrapped('billable_metric', BillableMetricWithoutCountersObject);
const MetricsResponse = listOf('billable_metrics', BillableMetricObject);
const CodeParams = Type.Object({ code: Type.String() });
/** Lago prints the counters on writes and lists but not on GET of one metric. */
const withCounters = (v: MetricView) => ({ billable_metric: serializeBillableMetric(v, { counters: true }) });
const withoutCounters = (v: MetricView) => ({ billable_metric: serializeBillableMetric(v, { counters: false }) });

/**
 * The evaluate body is checked by the service, not by a schema: its fields are top level (not under a wrapper key), and
 * a wrong type there must be a 422 on the field, which the shared schema-error mapper would turn into a 400.
 */
const EvaluateBody = Type.Unknown({
  description:
    '{"expression": "round(event.properties.value)", "event": {"code": "…", "timestamp": 1700000000, "properties": {"value": "2.4"}}}',
});

export const billableMetricRoutes =
  (metrics: BillableMetricService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['billable-metrics'];
    const single = { 200: MetricResponse, ...errorResponses };
    app.post('/billable_metrics', { schema: { tags, body: BillableMetricBody, response: single } }, async (request, reply) =>
      respond(reply, await metrics.create(request.ctx, request.body.billable_metric), withCounters),
    );
    app.get('/billable_metrics', { schema: { tags, querystring: PageQuery, response: { 200: MetricsResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await metrics.list(request.ctx, parsePageRequest(request.query)), (page) => ({
        billable_metrics: page.items.map((v) => serializeBillableMetric(v, { counters: true })),
        meta: page.meta,
      })),
    );
    // A static path: find-my-way matches it before the `:code` routes, and no `POST /billable_metrics/:code` exists.
    app.post(
      '/billable_metrics/evaluate_expression',
      { schema: { tags, body: EvaluateBody, response: { 200: ExpressionResultObject, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await metrics.evaluateExpression(request.ctx, request.body), (result) => ({ expression_result: result })),
    );
    app.get('/billable_metrics/:code', { schema: { tags, params: CodeParams, response: { 200: MetricShowResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await metrics.get(request.ctx, request.params.code), withoutCounters),
    );
    app.put('/billable_metrics/:code', { schema: { tags, params: CodeParams, body: BillableMetricBody, response: single } }, async (request, reply) =>
      respond(reply, await metrics.update(request.ctx, request.params.code, request.body.billable_metric), withCounters),
    );
    app.delete('/billable_metrics/:code', { schema: { tags, params: CodeParams, response: single } }, async (request, reply) =>
      respond(reply, await metrics.destroy(request.ctx, request.params.code), withCounters),
    );
  };
