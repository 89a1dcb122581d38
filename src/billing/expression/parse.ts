import { err, ok, type Result } from '../../lib/result.ts';
import { parseDecimalText } from './numbers.ts';
import type { BinaryOperator, ExpressionNode, ExpressionSyntaxError, ListFunction, ParsedExpression, RoundingFunction } from './syntax.ts';

/**
 * Deeper expressions are refused: evaluation recurses once per level. Lago has no such limit, but a 200-term sum is
 * already far beyond any real meter.
 */
export const MAX_EXPRESSION_DEPTH = 500;

type FunctionName = RoundingFunction | ListFunction;
const FUNCTION_NAMES: readonly FunctionName[] = ['ceil', 'concat', 'round', 'floor', 'least', 'greatest'];
const ROUNDING_FUNCTIONS = new Set<FunctionName>(['round', 'ceil', 'floor']);
/** Lago accepts a function name in lower case, upper case or capitalized (round, ROUND, Round), nothing else. */
const SPELLINGS: ReadonlyArray<readonly [string, FunctionName]> = FUNCTION_NAMES.flatMap((name) => [
  [name, name] as const,
  [name.toUpperCase(), name] as const,
  [name[0]!.toUpperCase() + name.slice(1), name] as const,
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAsciiLetter = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

interface Parsed {
  node: ExpressionNode;
  depth: number;
}

/** A recursive-descent reading of Lago's pest grammar; it accepts exactly the texts that grammar accepts. */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): ExpressionNode {
    const { node } = this.expression(0);
    this.skipSpaces();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text[this.pos]}'`);
    return node;
  }

  private fail(message: string): never {
    throw new SyntaxFailure(message, this.pos);
  }

  /** Only the space character separates tokens; a tab or a newline is an error, as in Lago. */
  private skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  private node(node: ExpressionNode, depth: number): Parsed {
    if (depth > MAX_EXPRESSION_DEPTH) this.fail(`expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    return { node, depth };
  }

  /** `+ -` bind looser than `* /`; both levels are left-associative. */
  private expression(level: number): Parsed {
    // Checked on the way down too: a long run of '(' must fail before it exhausts the stack.
    if (level > MAX_EXPRESSION_DEPTH) this.fail(`expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    return this.additive(level);
  }

  private additive(level: number): Parsed {
    let left = this.multiplicative(level);
    for (;;) {
      this.skipSpaces();
      const operator = this.text[this.pos];
      if (operator !== '+' && operator !== '-') return left;
      this.pos++;
      left = this.binary(operator, left, this.multiplicative(level));
    }
  }

  private multiplicative(level: number): Parsed {
    let left = this.atom(level);
    for (;;) {
      this.skipSpaces();
      const operator = this.text[this.pos];
      if (operator !== '*' && operator !== '/') return left;
      this.pos++;
      left = this.binary(operator, left, this.atom(level));
    }
  }

  private binary(operator: BinaryOperator, left: Parsed, right: Parsed): Parsed {
    return this.node({ type: 'binary', operator, left: left.node, right: right.node }, Math.max(left.depth, right.depth) + 1);
  }

  /** One optional minus before a primary: `-2`, `2*-3` and `1 - -1` are valid, `--1` is not. */
  private atom(level: number): Parsed {
    this.skipSpaces();
    if (this.text[this.pos] !== '-') return this.primary(level);
    this.pos++;
    const operand = this.primary(level);
    return this.node({ type: 'negate', operand: operand.node }, operand.depth + 1);
  }

  private primary(level: number): Parsed {
    this.skipSpaces();
    const c = this.text[this.pos];
    const call = this.call(level);
    if (call) return call;
    if (this.text.startsWith('event.', this.pos)) return this.variable();
    if (isDigit(c)) return this.number();
    if (c === "'") return this.string();
    if (c === '(') {
      this.pos++;
      const inner = this.expression(level + 1);
      this.skipSpaces();
      if (this.text[this.pos] !== ')') this.fail("expected ')'");
      this.pos++;
      return this.node(inner.node, Math.max(inner.depth, level + 1));
    }
    return this.fail(c === undefined ? 'unexpected end of expression' : `unexpected '${c}'`);
  }

  /** `name(arg, …)`: round, ceil and floor take 1 or 2 arguments; concat, least and greatest 1 or more. */
  private call(level: number): Parsed | null {
    const start = this.pos;
    const spelling = SPELLINGS.find(([text]) => this.text.startsWith(text, start));
    if (!spelling) return null;
    this.pos += spelling[0].length;
    this.skipSpaces();
    if (this.text[this.pos] !== '(') {
      this.pos = start;
      return null;
    }
    this.pos++;
    const args: Parsed[] = [this.expression(level + 1)];
    for (;;) {
      this.skipSpaces();
      if (this.text[this.pos] === ',') {
        this.pos++;
        args.push(this.expression(level + 1));
        continue;
      }
      if (this.text[this.pos] === ')') break;
      this.fail("expected ',' or ')'");
    }
    this.pos++;
    const fn = spelling[1];
    const depth = Math.max(level + 1, ...args.map((a) => a.depth)) + 1;
    if (ROUNDING_FUNCTIONS.has(fn)) {
      if (args.length > 2) {
        this.pos = start;
        this.fail(`wrong number of arguments to function ${fn}, expected: 1..2, provided: ${args.length}`);
      }
      return this.node({ type: 'rounding', fn: fn as RoundingFunction, value: args[0]!.node, digits: args[1]?.node ?? null }, depth);
    }
    return this.node({ type: 'list', fn: fn as ListFunction, args: args.map((a) => a.node) }, depth);
  }

  /** `event.timestamp`, `event.code` or `event.properties.<name>`, written without spaces. */
  private variable(): Parsed {
    this.pos += 'event.'.length;
    if (this.text.startsWith('timestamp', this.pos)) {
      this.pos += 'timestamp'.length;
      return { node: { type: 'event_timestamp' }, depth: 1 };
    }
    if (this.text.startsWith('properties.', this.pos) && isAsciiLetter(this.text[this.pos + 'properties.'.length])) {
      this.pos += 'properties.'.length;
      const start = this.pos;
      while (isAsciiLetter(this.text[this.pos]) || isDigit(this.text[this.pos]) || this.text[this.pos] === '_') this.pos++;
      return { node: { type: 'property', name: this.text.slice(start, this.pos) }, depth: 1 };
    }
    if (this.text.startsWith('code', this.pos)) {
      this.pos += 'code'.length;
      return { node: { type: 'event_code' }, depth: 1 };
    }
    return this.fail('expected event.timestamp, event.code or event.properties.<name>');
  }

  /** Digits with an optional fraction: `12`, `12.50`; not `.5`, `5.` or `1e3`. */
  private number(): Parsed {
    const start = this.pos;
    while (isDigit(this.text[this.pos])) this.pos++;
    if (this.text[this.pos] === '.' && isDigit(this.text[this.pos + 1])) {
      this.pos++;
      while (isDigit(this.text[this.pos])) this.pos++;
    }
    return { node: { type: 'number', value: parseDecimalText(this.text.slice(start, this.pos))! }, depth: 1 };
  }

  /** Single quotes; the text is taken as is (no escapes), so it cannot contain a quote. */
  private string(): Parsed {
    const close = this.text.indexOf("'", this.pos + 1);
    if (close < 0) this.fail('unterminated string');
    const value = this.text.slice(this.pos + 1, close);
    this.pos = close + 1;
    return { node: { type: 'string', value }, depth: 1 };
  }
}

/**
 * Parses a billable metric expression (Lago's grammar). Parse once, then evaluate per event with evaluateExpression.
 *
 * The language: numbers (`12`, `0.5`), single-quoted strings (`'kWh'`), `event.code`, `event.timestamp` (Unix seconds),
 * `event.properties.<name>` (name: a letter, then letters, digits or `_`), `+ - * /` with the usual precedence, one
 * unary minus per operand, parentheses, and the functions round/ceil/floor(x[, places]), concat(…), least(…),
 * greatest(…) (written lower case, UPPER CASE or Capitalized). Only spaces may separate tokens.
 *
 * @example
 * parseExpression('round(event.properties.duration_ms / 1000, 2)')  // ok
 * parseExpression('1 +')         // err: { message: 'unexpected end of expression', position: 3 }
 * parseExpression('units * 2')   // err: bare names are not variables; write event.properties.units
 */
export const parseExpression = (text: string): Result<ParsedExpression, ExpressionSyntaxError> => {
  try {
    return ok({ source: text, root: new Parser(text).parse() });
  } catch (error) {
    if (error instanceof SyntaxFailure) return err({ message: error.message, position: error.position });
    throw error;
  }
};
