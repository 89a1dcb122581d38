import type { Temporal } from 'temporal-polyfill';
import { evaluateExpression, formatExpressionValue, parseExpression } from '../../billing/expression/index.ts';
import { invalid, type BillowError } from '../../lib/errors.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { isBlank } from './types.ts';

export interface EvaluationResult {
  /** Always text, as in Lago: "21.0" for a number, the string itself for a string. */
  value: string;
}

/** The event timestamp is read as Lago's engine takes it: whole Unix seconds, unsigned 64-bit. */
const U64_MAX = 2n ** 64n - 1n;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Seconds from a number or a numeric string, truncated (Lago's `to_i`); null when it is neither or out of range. */
const timestampSeconds = (value: unknown): bigint | null => {
  let whole: bigint;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    whole = BigInt(Math.trunc(value));
  } else if (typeof value === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(value)) {
    whole = BigInt(value.trim().replace(/^\+/, '').replace(/\.\d+$/, ''));
  } else return null;
  return whole >= 0n && whole <= U64_MAX ? whole : null;
};

/**
 * Lago's evaluate_expression, with Billow's strictness. The body is `{expression, event: {code, timestamp,
 * properties}}` at top level. Lago answers 500 for some inputs (an expression that is not text, a negative or
 * non-numeric timestamp, division by zero); Billow answers 422:
 * - `expression` missing, null or blank: `{"expression": ["value_is_mandatory"]}`; not text: `value_is_invalid`;
 *   not an expression: `invalid_expression`;
 * - `event`, `code`, `timestamp` or `properties` of the wrong type: `{"<field>": ["value_is_invalid"]}`;
 * - any failure while evaluating (a missing property, text in arithmetic, division by zero): `{"event": ["invalid_event"]}`.
 * A missing timestamp means now; a missing event means an empty one.
 */
export const evaluateForRequest = (body: unknown, now: Temporal.Instant): Result<EvaluationResult> => {
  const input = isPlainObject(body) ? body : {};
  const expression = input.expression;
  if (expression === undefined || expression === null || (typeof expression === 'string' && isBlank(expression))) {
    return err(invalid('expression', 'value_is_mandatory'));
  }
  if (typeof expression !== 'string') return err(invalid('expression', 'value_is_invalid'));
  const parsed = parseExpression(expression);
  if (!parsed.ok) return err(invalid('expression', 'invalid_expression'));

  const event = input.event ?? {};
  if (!isPlainObject(event)) return err(invalid('event', 'value_is_invalid'));
  const code = event.code ?? '';
  if (typeof code !== 'string') return err(invalid('code', 'value_is_invalid'));
  const timestamp = event.timestamp == null ? BigInt(Math.floor(now.epochMilliseconds / 1000)) : timestampSeconds(event.timestamp);
  if (timestamp === null) return err(invalid('timestamp', 'value_is_invalid'));
  const properties = event.properties ?? {};
  if (!isPlainObject(properties)) return err(invalid('properties', 'value_is_invalid'));

  const result = evaluateExpression(parsed.value, { code, timestamp, properties });
  if (!result.ok) return err(invalidEvent());
  return ok({ value: formatExpressionValue(result.value) });
};

const invalidEvent = (): BillowError => invalid('event', 'invalid_event');
