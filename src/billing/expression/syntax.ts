import type { ExprNumber } from './numbers.ts';

export type BinaryOperator = '+' | '-' | '*' | '/';
/** round/ceil/floor take a value and an optional count of decimal places. */
export type RoundingFunction = 'round' | 'ceil' | 'floor';
/** concat/least/greatest take one argument or more. */
export type ListFunction = 'concat' | 'least' | 'greatest';

export type ExpressionNode =
  | { readonly type: 'number'; readonly value: ExprNumber }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'event_code' }
  | { readonly type: 'event_timestamp' }
  | { readonly type: 'property'; readonly name: string }
  | { readonly type: 'negate'; readonly operand: ExpressionNode }
  | { readonly type: 'binary'; readonly operator: BinaryOperator; readonly left: ExpressionNode; readonly right: ExpressionNode }
  | { readonly type: 'rounding'; readonly fn: RoundingFunction; readonly value: ExpressionNode; readonly digits: ExpressionNode | null }
  | { readonly type: 'list'; readonly fn: ListFunction; readonly args: readonly ExpressionNode[] };

/** A parsed expression, ready to be evaluated against any number of events. */
export interface ParsedExpression {
  readonly source: string;
  readonly root: ExpressionNode;
}

/** Why a text is not an expression, and where (0-based character offset). */
export interface ExpressionSyntaxError {
  message: string;
  position: number;
}
