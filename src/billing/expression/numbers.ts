import { Decimal } from '../../lib/money.ts';

/**
 * Numbers as Lago's expression engine (the Rust `bigdecimal` crate) holds them: an exact value and a scale, the count of
 * digits after the point (negative when an integer ends in zeros it does not store). Every result depends on the value
 * alone; the scale only shows when concat() turns a number into text: `2.50 * 2` prints "5.00", `round(7.5)` prints "8",
 * `round(1234, -2)` prints "1200".
 */
export interface ExprNumber {
  readonly value: Decimal;
  readonly scale: number;
}

/** Why an evaluation stopped; `message` is the text Lago's engine gives for the same failure. */
export type ExpressionErrorCode = 'missing_variable' | 'expected_decimal' | 'division_by_zero' | 'out_of_range';

export interface ExpressionError {
  code: ExpressionErrorCode;
  message: string;
}

/** Thrown inside one evaluation and turned into an error Result at its edge. */
export class EvaluationFailure extends Error {
  constructor(readonly failure: ExpressionError) {
    super(failure.message);
  }
}

export const fail = (code: ExpressionErrorCode, message: string): never => {
  throw new EvaluationFailure({ code, message });
};

/**
 * Results longer than this many digits are refused instead of computed. Lago computes them (slowly, or until it runs out
 * of memory: `1e-1000000000 + 1` has a billion digits); no meter needs them, and one request must not stall the server.
 */
export const MAX_DIGITS = 10_000;

/** The largest scale kept: `bigdecimal` stops at the i64 range, decimal.js exponents at ±9e15. */
const MAX_SCALE = 9e15;

/** Exact for any result within MAX_DIGITS digits (a product of two such operands included). */
const Exact = Decimal.clone({ precision: 3 * MAX_DIGITS + 10 });

/** `bigdecimal` divides to 100 significant digits, more when the integer part alone is longer. */
const DIVISION_DIGITS = 100;
const divisionContexts = new Map<number, typeof Decimal>();
const divisionContext = (precision: number): typeof Decimal => {
  let context = divisionContexts.get(precision);
  if (!context) {
    context = Decimal.clone({ precision, rounding: Decimal.ROUND_HALF_UP });
    divisionContexts.set(precision, context);
  }
  return context;
};

const SMALL_POWERS = new Map<number, Decimal>();
for (let e = -64; e <= 64; e++) SMALL_POWERS.set(e, new Exact(`1e${e}`));
const powerOfTen = (exponent: number): Decimal => SMALL_POWERS.get(exponent) ?? new Exact(`1e${exponent}`);

/** Decimal.js has a negative zero, `bigdecimal` does not: -0 * 5 must print "0", not "-0". */
const make = (value: Decimal, scale: number): ExprNumber => ({ value: value.isZero() ? new Exact(0) : value, scale });

/** Digits of the unscaled integer (value × 10^scale), the quantity the limits and the display are about. */
const digitCount = (n: ExprNumber): number => (n.value.isZero() ? 1 : n.value.e + 1 + n.scale);

const checkDigits = (count: number): void => {
  if (count > MAX_DIGITS) fail('out_of_range', `Number out of range: more than ${MAX_DIGITS} digits`);
};

export const integerNumber = (value: bigint | number): ExprNumber =>
  make(new Exact(typeof value === 'number' ? Math.trunc(value).toString() : value.toString()), 0);

const PLAIN_DECIMAL = /^-?\d{1,40}(?:\.(\d{1,40}))?$/;

/**
 * Reads text the way `bigdecimal` does (`str::parse::<BigDecimal>`), or returns null when it is not a number.
 * Accepted: an optional sign, digits with an optional point anywhere (`.5`, `5.`, `-.5`), `_` between digits
 * (`1_000`), and an exponent (`1e3`, `2.5E-2`, `1e+21`). Not accepted: spaces, `Infinity`, hexadecimal, an empty
 * mantissa. `"12.50"` has scale 2; `"1e3"` has scale -3.
 */
export const parseDecimalText = (text: string): ExprNumber | null => {
  // The common case (what JSON numbers and most properties look like) skips the general rules below.
  const plain = PLAIN_DECIMAL.exec(text);
  if (plain) return make(new Exact(text), plain[1]?.length ?? 0);
  const cut = text.search(/[eE]/);
  const base = cut < 0 ? text : text.slice(0, cut);
  let exponent = 0;
  if (cut >= 0) {
    const exponentText = text.slice(cut + 1);
    if (!/^[+-]?\d+$/.test(exponentText)) return null;
    exponent = Number(exponentText);
    if (!Number.isSafeInteger(exponent)) return null;
  }
  if (base === '') return null;
  const point = base.indexOf('.');
  let digits = base;
  let fractionDigits = 0;
  if (point === base.length - 1) digits = base.slice(0, -1);
  else if (point >= 0) {
    const fraction = base.slice(point + 1);
    digits = base.slice(0, point) + fraction;
    fractionDigits = fraction.replace(/_/g, '').length;
  }
  let sign = '';
  if (digits.startsWith('-') || digits.startsWith('+')) {
    if (digits[1] === '+') return null;
    if (digits[0] === '-') sign = '-';
    digits = digits.slice(1);
  }
  if (digits === '' || digits.startsWith('_') || !/^[0-9_]+$/.test(digits)) return null;
  const scale = fractionDigits - exponent;
  if (Math.abs(scale) > MAX_SCALE) return null;
  return make(new Exact(`${sign}${digits.replace(/_/g, '')}e${-scale}`), scale);
};

export const negate = (n: ExprNumber): ExprNumber => make(n.value.neg(), n.scale);

export const add = (a: ExprNumber, b: ExprNumber): ExprNumber => {
  const scale = Math.max(a.scale, b.scale);
  checkDigits(Math.max(a.value.e, b.value.e) + 2 + scale);
  return make(a.value.plus(b.value), scale);
};

export const subtract = (a: ExprNumber, b: ExprNumber): ExprNumber => add(a, negate(b));

export const multiply = (a: ExprNumber, b: ExprNumber): ExprNumber => {
  checkDigits(digitCount(a) + digitCount(b));
  return make(a.value.times(b.value), a.scale + b.scale);
};

/**
 * `bigdecimal` division: the quotient to 100 significant digits (or all its integer digits, if more), the next digit
 * rounding the last one half away from zero; a quotient that ends sooner stops there. 1/3 is 0.333… (100 threes),
 * 10/4 is 2.5, 20.0/4 is 5.0. Division by zero is an error (Lago's engine panics).
 */
export const divide = (a: ExprNumber, b: ExprNumber): ExprNumber => {
  if (b.value.isZero()) fail('division_by_zero', 'Division by zero');
  if (a.value.isZero()) return a;
  // bigdecimal's shortcut for a divisor it recognizes as one keeps the dividend, scale included.
  if (b.value.eq(1) && b.scale >= 0 && b.scale <= 38) return a;
  checkDigits(digitCount(a));
  checkDigits(digitCount(b));
  let precision = DIVISION_DIGITS;
  for (;;) {
    const Context = divisionContext(precision);
    const quotient = new Exact(new Context(a.value).div(new Context(b.value)));
    const product = quotient.times(b.value);
    const exact = product.eq(a.value);
    // The exponent of the exact quotient: the rounded one's, unless rounding carried it up to a power of ten.
    const carried = !exact && quotient.sd() === 1 && quotient.abs().eq(powerOfTen(quotient.e)) && product.abs().gt(a.value.abs());
    const quotientExponent = quotient.e - (carried ? 1 : 0);
    // The long division runs on the unscaled integers A and B: A is shifted left until A ≥ B, the first quotient has
    // `firstDigits` digits at scale `firstScale`, and digits are appended until the remainder is zero or the precision
    // is reached.
    const unscaledExponent = quotientExponent + a.scale - b.scale;
    const firstScale = a.scale - b.scale + Math.max(0, -unscaledExponent);
    const firstDigits = Math.max(unscaledExponent, 0) + 1;
    if (firstDigits > precision) {
      checkDigits(firstDigits);
      precision = firstDigits;
      continue;
    }
    const minimalScale = quotient.sd(false) - 1 - quotient.e;
    return make(quotient, exact ? Math.max(firstScale, minimalScale) : firstScale + (precision - firstDigits));
  }
};

export type RoundingMode = 'half_up' | 'ceiling' | 'floor';
const ROUNDING = { half_up: Decimal.ROUND_HALF_UP, ceiling: Decimal.ROUND_CEIL, floor: Decimal.ROUND_FLOOR } as const;

/**
 * `bigdecimal`'s with_scale_round: rounds to `digits` decimal places (negative: to tens, hundreds…) and the result has
 * exactly that scale. round(12.345, 2) = 12.35, round(-2.5) = -3, ceil(12.3) = 13, floor(-12.3) = -13,
 * round(1234, -2) = 1200 (printed "1200"), round(2, 3) = 2 (printed "2.000").
 */
export const roundTo = (n: ExprNumber, digits: number, mode: RoundingMode): ExprNumber => {
  if (Math.abs(digits) > MAX_SCALE) fail('out_of_range', 'Number out of range: rounding digits');
  if (!n.value.isZero()) checkDigits(n.value.e + 1 + digits);
  const value =
    digits >= 0 && digits <= 1e9
      ? n.value.toDecimalPlaces(digits, ROUNDING[mode])
      : n.value.times(powerOfTen(digits)).toDecimalPlaces(0, ROUNDING[mode]).times(powerOfTen(-digits));
  return make(value, digits);
};

/** A number used as a count of digits: truncated toward zero, as `to_i64` does. */
export const toDigits = (n: ExprNumber): number => {
  const truncated = n.value.trunc();
  if (truncated.abs().gt(MAX_SCALE)) fail('out_of_range', 'Number out of range: rounding digits');
  return truncated.toNumber() + 0; // never -0
};

export const compare = (a: ExprNumber, b: ExprNumber): number => a.value.cmp(b.value);

/** The unscaled integer's digits, without sign. */
const unscaledDigits = (n: ExprNumber): string => {
  if (n.value.isZero()) return '0';
  // The significant digits (exact, however many), then the zeros the scale keeps after them.
  const significand = n.value.abs().toExponential().split('e')[0]!.replace('.', '');
  return significand.padEnd(digitCount(n), '0');
};

/**
 * The text `bigdecimal` prints for a number (its Display), which is what concat() writes: "1.23", "5.00", "1200",
 * "0.00012"; scientific beyond its thresholds: "1.2E-7" when more than 5 zeros follow the point, "12e+20" for an
 * integer with more than 15 trailing zeros. Zero prints "0" whatever its scale.
 */
export const displayNumber = (n: ExprNumber): string => {
  if (n.value.isZero()) return '0';
  const digits = unscaledDigits(n);
  const { scale } = n;
  const length = digits.length;
  let text: string;
  if (scale >= 0 && scale - length > 5) {
    const exponent = length - scale - 1;
    text = `${length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits}E${exponent}`;
  } else if (scale < -15) {
    text = `${digits}e+${-scale}`;
  } else if (scale <= 0) {
    text = digits + '0'.repeat(-scale);
  } else if (scale < length) {
    text = `${digits.slice(0, length - scale)}.${digits.slice(length - scale)}`;
  } else {
    text = `0.${'0'.repeat(scale - length)}${digits}`;
  }
  return n.value.isNegative() ? `-${text}` : text;
};

/** The number as a value of the shared Decimal type (all digits kept). */
export const toDecimal = (n: ExprNumber): Decimal => new Decimal(n.value);
