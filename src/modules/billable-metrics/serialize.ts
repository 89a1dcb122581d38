import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { MetricView } from './types.ts';

export const BillableMetricFilterObject = Type.Object({ key: Type.String(), values: Type.Array(Type.String()) });

const metricFields = {
  lago_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  code: Type.String(),
  description: Nullable(Type.String()),
  aggregation_type: Type.String(),
  weighted_interval: Nullable(Type.String()),
  recurring: Type.Boolean(),
  rounding_function: Nullable(Type.String()),
  rounding_precision: Nullable(Type.Integer()),
  created_at: Type.String({ format: 'date-time' }),
  field_name: Nullable(Type.String()),
  expression: Nullable(Type.String()),
};

/**
 * Lago's field order. The three counters (always 0, deprecated) sit between `expression` and `filters` on create,
 * update, delete and list; GET of one metric has none. Two schemas, because the serializer writes every required
 * field before any optional one.
 */
export const BillableMetricObject = Type.Object(
  {
    ...metricFields,
    active_subscriptions_count: Type.Integer(),
    draft_invoices_count: Type.Integer(),
    plans_count: Type.Integer(),
    filters: Type.Array(BillableMetricFilterObject),
  },
  { $id: 'BillableMetric' },
);
export const BillableMetricWithoutCountersObject = Type.Object(
  { ...metricFields, filters: Type.Array(BillableMetricFilterObject) },
  { $id: 'BillableMetricWithoutCounters' },
);
export type BillableMetricJson = Static<typeof BillableMetricWithoutCountersObject> & Partial<Static<typeof BillableMetricObject>>;

export const serializeBillableMetric = ({ metric, filters }: MetricView, options: { counters: boolean }): BillableMetricJson => ({
  lago_id: metric.id,
  name: metric.name,
  code: metric.code,
  description: metric.description,
  aggregation_type: metric.aggregationType,
  weighted_interval: metric.weightedInterval,
  recurring: metric.recurring,
  rounding_function: metric.roundingFunction,
  rounding_precision: metric.roundingPrecision,
  created_at: isoSeconds(metric.createdAt)!,
  field_name: metric.fieldName,
  expression: metric.expression,
  ...(options.counters && { active_subscriptions_count: 0, draft_invoices_count: 0, plans_count: 0 }),
  filters: filters.map((f) => ({ key: f.key, values: f.values })),
});

export const ExpressionResultObject = Type.Object(
  { expression_result: Type.Object({ value: Type.String({ description: 'Always text: "21.0" for a number' }) }) },
  { $id: 'BillableMetricExpressionResult' },
);
