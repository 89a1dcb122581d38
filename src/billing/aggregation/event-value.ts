import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { evaluateExpression, type ExpressionEvent } from '../expression/index.ts';
import { NUMERIC_AGGREGATIONS, type MeteringConfig } from './metric-config.ts';

// Lago's test for a numeric property text (`properties->>field ~ '^-?\d+(\.\d+)?$'`): no sign, exponent or spaces.
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * A JSON value read as a number the way Lago reads properties (JSON numbers, and texts like "12" or "-0.5"), as a
 * decimal text both Decimal and PostgreSQL's numeric read exactly; null when it is no number.
 */
export const numericText = (raw: unknown): string | null => {
  if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : null;
  if (typeof raw === 'string' && NUMBER_TEXT.test(raw)) return raw;
  return null;
};

/** What an event contributes to its metric: a number (as exact decimal text), a text (unique counts), or nothing. */
export type EventValue = { kind: 'number'; text: string } | { kind: 'text'; value: string } | { kind: 'none' };

/**
 * Lago counts unique-count events that lack the field as one more distinct value (SQL NULL). Billow keeps that value
 * under this marker, which no stored text can equal (clients' texts never hold control characters below U+0020 here).
 */
export const MISSING_UNIQUE_VALUE = '\u0001missing';

/** Lago reads `operation_type` as add unless it says remove. */
export const isRemoval = (properties: Readonly<Record<string, unknown>>): boolean => properties.operation_type === 'remove';

export type EventValueError = 'value_is_not_valid_number' | 'invalid_expression_result';

/**
 * The value an event carries for its metric. Example: a sum_agg metric on `gb` and properties `{"gb": "12.5"}` give
 * `{kind: 'number', text: '12.5'}`; `{"gb": "lots"}` is refused with `value_is_not_valid_number` (as Lago refuses it
 * when it validates); an event without `gb` carries no value and only counts.
 */
export const eventValue = (config: MeteringConfig, event: ExpressionEvent): Result<EventValue, EventValueError> => {
  const metric = config.metric;
  if (!metric || metric.aggregationType === 'count_agg') return ok({ kind: 'none' });
  let raw: unknown;
  if (metric.expression) {
    const evaluated = evaluateExpression(metric.expression, event);
    // An expression that cannot be computed for this event (a missing property) leaves it without a value.
    if (!evaluated.ok) return ok({ kind: 'none' });
    if (evaluated.value instanceof Decimal) {
      return metric.aggregationType === 'unique_count_agg'
        ? ok({ kind: 'text', value: evaluated.value.toString() })
        : ok({ kind: 'number', text: evaluated.value.toFixed() });
    }
    raw = evaluated.value;
  } else {
    raw = metric.fieldName === null ? undefined : event.properties[metric.fieldName];
  }
  if (raw === undefined || raw === null) {
    return metric.aggregationType === 'unique_count_agg' ? ok({ kind: 'text', value: MISSING_UNIQUE_VALUE }) : ok({ kind: 'none' });
  }
  if (metric.aggregationType === 'unique_count_agg') {
    return ok({ kind: 'text', value: typeof raw === 'string' ? raw : JSON.stringify(raw) });
  }
  if (NUMERIC_AGGREGATIONS.has(metric.aggregationType)) {
    const text = numericText(raw);
    return text !== null ? ok({ kind: 'number', text }) : err(metric.expression ? 'invalid_expression_result' : 'value_is_not_valid_number');
  }
  return ok({ kind: 'none' });
};

/**
 * The canonical text of the properties that split usage: `{"region":"eu"}` for dimension keys [region, tier] when the
 * event has no tier. Property values are compared as texts, as charge filters compare them.
 */
export const dimensionsOf = (keys: readonly string[], properties: Readonly<Record<string, unknown>>): string => {
  if (keys.length === 0) return '{}';
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const raw = properties[key];
    if (raw === undefined || raw === null) continue;
    picked[key] = typeof raw === 'string' ? raw : JSON.stringify(raw);
  }
  return JSON.stringify(picked);
};
