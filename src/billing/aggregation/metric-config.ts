import type { ParsedExpression } from '../expression/index.ts';

export type AggregationType = 'count_agg' | 'sum_agg' | 'max_agg' | 'unique_count_agg' | 'weighted_sum_agg' | 'latest_agg';

/**
 * What ingestion needs to know about the events of one metric code: how to read an event's value and which of its
 * properties split usage (the metric's filter keys and the pricing group keys of the charges that price it).
 * `metric` is null while no metric has this code: such events are stored and counted, and valued once one exists.
 */
export interface MeteringConfig {
  code: string;
  metric: {
    aggregationType: AggregationType;
    /** The property holding the value; null for count_agg. */
    fieldName: string | null;
    /** When set, the value is the expression's result instead of the field. */
    expression: ParsedExpression | null;
  } | null;
  /** Property names that split aggregates, sorted. */
  dimensionKeys: readonly string[];
}

/** Aggregations whose value must be a number (count needs none; unique_count counts distinct texts). */
export const NUMERIC_AGGREGATIONS: ReadonlySet<AggregationType> = new Set(['sum_agg', 'max_agg', 'latest_agg', 'weighted_sum_agg']);
