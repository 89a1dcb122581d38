import { Type, type Static } from '@sinclair/typebox';
import { parseExpression } from '../../billing/expression/index.ts';
import type { billableMetricFilters, billableMetrics } from '../../db/schema/index.ts';
import { Code, OptionalNullable } from '../../http/schemas.ts';
import { MAX_INT4 } from '../../lib/text.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';

export type BillableMetric = typeof billableMetrics.$inferSelect;
export type BillableMetricFilterRow = typeof billableMetricFilters.$inferSelect;

/** A metric with its live filters, ordered by key as Lago lists them. */
export interface MetricView {
  metric: BillableMetric;
  filters: MetricFilter[];
}

export interface MetricFilter {
  key: string;
  values: string[];
}

/** custom_agg exists in Lago but needs a custom aggregator the API cannot set; Billow does not offer it. */
export const AGGREGATION_TYPES = ['count_agg', 'sum_agg', 'max_agg', 'unique_count_agg', 'weighted_sum_agg', 'latest_agg'] as const;
export type AggregationType = (typeof AGGREGATION_TYPES)[number];
export const ROUNDING_FUNCTIONS = ['round', 'ceil', 'floor'] as const;
export const WEIGHTED_INTERVALS = ['seconds'] as const;

/** Units that persist across periods cannot come from these aggregations. */
const NON_RECURRING = new Set<string>(['count_agg', 'max_agg', 'latest_agg']);


const FilterInput = Type.Object({
  key: OptionalNullable(Code()),
  values: Type.Optional(Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' } })),
});
export type FilterInput = Static<typeof FilterInput>;

const MetricFields = {
  name: OptionalNullable(Type.String()),
  code: OptionalNullable(Code()),
  description: OptionalNullable(Type.String()),
  aggregation_type: OptionalNullable(Type.String({ description: AGGREGATION_TYPES.join(', ') })),
  weighted_interval: OptionalNullable(Type.String({ description: 'seconds; required for weighted_sum_agg' })),
  recurring: OptionalNullable(Type.Boolean()),
  field_name: OptionalNullable(Type.String()),
  expression: OptionalNullable(Type.String({ description: 'e.g. round(event.properties.duration_ms / 1000)' })),
  rounding_function: OptionalNullable(Type.String({ description: 'round, ceil or floor' })),
  rounding_precision: OptionalNullable(Type.Integer()),
  // One JSON type list rather than anyOf: a bad filter then reports only its own field (`values`), not `filters` too.
  filters: Type.Optional(Type.Unsafe<FilterInput[] | null>({ type: ['array', 'null'], items: FilterInput })),
};
const METRIC_KEYS = Object.keys(MetricFields);

export const BillableMetricBody = Type.Object({
  billable_metric: Type.Object(MetricFields, { minProperties: 1 }),
});
export type BillableMetricInput = Static<typeof BillableMetricBody>['billable_metric'];

/**
 * Lago ignores unknown keys, and a wrapper holding nothing it knows is as good as missing (a 400). Billow does the same.
 */
export const hasKnownKey = (input: BillableMetricInput): boolean => METRIC_KEYS.some((key) => key in input);

/** Rails' `blank?`: null, empty, or only whitespace. */
export const isBlank = (value: string | null | undefined): boolean => value == null || value.trim() === '';

/** The metric as it would be saved, before its checks. Enum fields hold whatever the client sent. */
export interface MetricDraft {
  name: string | null;
  code: string | null;
  description: string | null;
  aggregationType: string | null;
  weightedInterval: string | null;
  recurring: boolean | null;
  fieldName: string | null;
  expression: string | null;
  roundingFunction: string | null;
  roundingPrecision: number | null;
}

export const isAggregationType = (value: string | null): value is AggregationType =>
  value !== null && (AGGREGATION_TYPES as readonly string[]).includes(value);

/**
 * Lago's model checks in its order (recurring, expression, name, field_name, aggregation_type, code, weighted_interval,
 * rounding_function). Where Lago raises a 500 (an unknown rounding_function or weighted_interval, `recurring: null` on
 * update, a precision outside the integer column), Billow answers value_is_invalid or value_is_out_of_range.
 */
export const checkMetric = (draft: MetricDraft, codeTaken: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  const type = draft.aggregationType;
  if (draft.recurring === true && type !== null && NON_RECURRING.has(type)) errors.add('recurring', 'not_compatible_with_aggregation_type');
  if (!isBlank(draft.expression) && !parseExpression(draft.expression!).ok) errors.add('expression', 'invalid_expression');
  if (isBlank(draft.name)) errors.add('name', 'value_is_mandatory');
  // Lago does not ask custom_agg for a field; Billow refuses custom_agg itself below.
  if (type !== 'count_agg' && type !== 'custom_agg' && isBlank(draft.fieldName)) errors.add('field_name', 'value_is_mandatory');
  if (!isAggregationType(type)) errors.add('aggregation_type', 'value_is_invalid');
  if (isBlank(draft.code)) errors.add('code', 'value_is_mandatory');
  else if (codeTaken) errors.add('code', 'value_already_exist');
  const intervalKnown = draft.weightedInterval === null || (WEIGHTED_INTERVALS as readonly string[]).includes(draft.weightedInterval);
  if (!intervalKnown || (type === 'weighted_sum_agg' && draft.weightedInterval === null)) errors.add('weighted_interval', 'value_is_invalid');
  if (draft.recurring === null) errors.add('recurring', 'value_is_invalid');
  if (draft.roundingFunction !== null && !(ROUNDING_FUNCTIONS as readonly string[]).includes(draft.roundingFunction)) {
    errors.add('rounding_function', 'value_is_invalid');
  }
  if (draft.roundingPrecision !== null && (draft.roundingPrecision < -MAX_INT4 - 1 || draft.roundingPrecision > MAX_INT4)) {
    errors.add('rounding_precision', 'value_is_out_of_range');
  }
  return errors;
};

/** Lago lists a filter's values sorted (Ruby's byte order) and the filters by key. */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
