/**
 * Lago's billable metric expression language: parse a metric's `expression` once, evaluate it per event.
 * Pure: no I/O, no clock.
 */
export { parseExpression, MAX_EXPRESSION_DEPTH } from './parse.ts';
export { evaluateExpression, formatExpressionValue, MAX_TEXT_LENGTH, type ExpressionEvent } from './evaluate.ts';
export { MAX_DIGITS, type ExpressionError, type ExpressionErrorCode } from './numbers.ts';
export type { ExpressionSyntaxError, ParsedExpression } from './syntax.ts';
