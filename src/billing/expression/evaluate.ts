import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import {
  add,
  compare,
  displayNumber,
  divide,
  EvaluationFailure,
  fail,
  integerNumber,
  multiply,
  negate,
  parseDecimalText,
  roundTo,
  subtract,
  toDecimal,
  toDigits,
  type ExprNumber,
  type ExpressionError,
  type RoundingMode,
} from './numbers.ts';
import type { BinaryOperator, ExpressionNode, ParsedExpression } from './syntax.ts';

/** What an expression can read from an event. */
export interface ExpressionEvent {
  code: string;
  /** Unix seconds. */
  timestamp: number | bigint;
  /** The event's properties as received (JSON values). */
  properties: Readonly<Record<string, unknown>>;
}

type Value = ExprNumber | string;

/**
 * concat() results longer than this are refused. Lago has no limit, but a short expression repeating a large property
 * could otherwise build gigabytes from one request.
 */
export const MAX_TEXT_LENGTH = 1_000_000;

const ARITHMETIC: Record<BinaryOperator, (a: ExprNumber, b: ExprNumber) => ExprNumber> = {
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
};

const ROUNDING_MODES: Record<'round' | 'ceil' | 'floor', RoundingMode> = { round: 'half_up', ceil: 'ceiling', floor: 'floor' };

/**
 * A property as the expression sees it. Lago's engine receives every property as text (Ruby's `to_s`) and reads text
 * that parses as a decimal as a Number ("2.4", 2.4 and "1e3" are numbers), anything else as a String
 * (true -> "true", null -> "").
 */
const propertyValue = (raw: unknown): Value => {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' || typeof raw === 'bigint' || Decimal.isDecimal(raw)) text = String(raw);
  else if (raw === null) text = '';
  else if (typeof raw === 'object') text = JSON.stringify(raw);
  else text = String(raw);
  return parseDecimalText(text) ?? text;
};

const asNumber = (value: Value): ExprNumber => (typeof value === 'string' ? fail('expected_decimal', 'Expected a decimal') : value);

const evaluateNode = (node: ExpressionNode, event: ExpressionEvent): Value => {
  switch (node.type) {
    case 'number':
    case 'string':
      return node.value;
    case 'event_code':
      return event.code;
    case 'event_timestamp':
      return integerNumber(event.timestamp);
    case 'property': {
      const raw = Object.hasOwn(event.properties, node.name) ? event.properties[node.name] : undefined;
      if (raw === undefined) fail('missing_variable', `Variable: ${node.name} not found`);
      return propertyValue(raw);
    }
    case 'negate':
      return negate(asNumber(evaluateNode(node.operand, event)));
    case 'binary': {
      // Lago evaluates and checks the left operand before the right one; the first failure is the one reported.
      const left = asNumber(evaluateNode(node.left, event));
      return ARITHMETIC[node.operator](left, asNumber(evaluateNode(node.right, event)));
    }
    case 'rounding': {
      const value = asNumber(evaluateNode(node.value, event));
      const digits = node.digits ? toDigits(asNumber(evaluateNode(node.digits, event))) : 0;
      return roundTo(value, digits, ROUNDING_MODES[node.fn]);
    }
    case 'list': {
      if (node.fn === 'concat') {
        let text = '';
        for (const arg of node.args) {
          text += display(evaluateNode(arg, event));
          if (text.length > MAX_TEXT_LENGTH) fail('out_of_range', `Text out of range: more than ${MAX_TEXT_LENGTH} characters`);
        }
        return text;
      }
      const numbers = node.args.map((arg) => asNumber(evaluateNode(arg, event)));
      // Like Rust's Iterator::min/max: the first of equal minimums, the last of equal maximums (it shows in concat).
      return numbers.reduce((best, n) => {
        const order = compare(n, best);
        return node.fn === 'least' ? (order < 0 ? n : best) : order >= 0 ? n : best;
      });
    }
  }
};

const display = (value: Value): string => (typeof value === 'string' ? value : displayNumber(value));

/**
 * Evaluates a parsed expression against one event: a number (exact Decimal) or a string, or the reason it failed
 * (a missing property, text where a number is needed, division by zero). Pure and allocation-light, meant to run for
 * every ingested event of a metric with an expression.
 *
 * @example
 * const parsed = parseExpression('round(event.properties.value * event.properties.units)');
 * if (parsed.ok) evaluateExpression(parsed.value, { code: 'storage', timestamp: 1700000000, properties: { value: '10.4', units: 2 } });
 * // -> ok(Decimal 21)                         (10.4 * 2 = 20.8, rounded half away from zero)
 * // with properties { value: 'abc', units: 2 } -> err({ code: 'expected_decimal', message: 'Expected a decimal' })
 * // with properties { units: 2 }               -> err({ code: 'missing_variable', message: 'Variable: value not found' })
 */
export const evaluateExpression = (expression: ParsedExpression, event: ExpressionEvent): Result<Decimal | string, ExpressionError> => {
  try {
    const value = evaluateNode(expression.root, event);
    return ok(typeof value === 'string' ? value : toDecimal(value));
  } catch (error) {
    if (error instanceof EvaluationFailure) return err(error.failure);
    throw error;
  }
};

/**
 * A result as Lago writes it in JSON (`evaluate_expression`, and the property an ingested event gets): text as is, a
 * number in plain notation with at least one decimal ("21.0", "12.35", "-3.0", "0.333…").
 *
 * @example
 * formatExpressionValue(new Decimal(21))      // "21.0"
 * formatExpressionValue(new Decimal('12.35')) // "12.35"
 * formatExpressionValue('test-suffix')        // "test-suffix"
 */
export const formatExpressionValue = (value: Decimal | string): string => {
  if (typeof value === 'string') return value;
  const text = value.isZero() ? '0' : value.toFixed();
  return text.includes('.') ? text : `${text}.0`;
};
