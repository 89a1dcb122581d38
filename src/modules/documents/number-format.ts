import { currencyExponent } from '../../lib/currencies.ts';
import { Decimal, fromCents } from '../../lib/money.ts';

/**
 * How documents print numbers: English grouping ("1,234.5"), amounts as the ISO code then the figure
 * ("USD 1,234.56", "JPY 1,235", "KWD 1.235", "-USD 10.00"). The code rather than a symbol, because "$" or "kr" name
 * several currencies and a document must not be ambiguous about what is owed.
 */

/** Magnitudes past this many decimals are noise on paper (a prorated 0.333… unit, a 9.58333… average unit price). */
const MAX_DECIMALS = 8;

const groupThousands = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A non-negative fixed-point text with its integer part grouped: "1234567.50" -> "1,234,567.50". */
const grouped = (fixed: string): string => {
  const [integer = '0', fraction] = fixed.split('.');
  return fraction === undefined ? groupThousands(integer) : `${groupThousands(integer)}.${fraction}`;
};

/** At least `min` decimals, at most `max`, no trailing zeros past `min`: (1.5, 2, 8) -> "1.50"; (0.00025, 2, 8) -> "0.00025". */
const fixedTrimmed = (value: Decimal, min: number, max: number): string => {
  const text = value.toDecimalPlaces(max).toFixed(max);
  if (max === min) return text;
  const [integer, fraction = ''] = text.split('.');
  const kept = fraction.replace(/0+$/, '').padEnd(min, '0');
  return kept.length === 0 ? integer! : `${integer}.${kept}`;
};

const signed = (value: Decimal, body: (magnitude: Decimal) => string): string => {
  // Rounding can leave "-0.00": a zero is printed without a sign.
  const magnitude = value.abs();
  const text = body(magnitude);
  return value.isNegative() && /[1-9]/.test(text) ? `-${text}` : text;
};

const toDecimal = (value: Decimal | string | number): Decimal => new Decimal(value);

/** Integer minor units in the currency's exponent: (123456, "USD") -> "USD 1,234.56"; (1235, "KWD") -> "KWD 1.235". */
export const formatMoney = (cents: number | bigint, currency: string): string => formatAmount(fromCents(cents, currency), currency);

/** An amount in major units, rounded (half away from zero) to the currency's exponent: ("100.125", "USD") -> "USD 100.13". */
export const formatAmount = (amount: Decimal | string | number, currency: string): string => {
  const exponent = currencyExponent(currency);
  return signed(toDecimal(amount), (m) => `${currency} ${grouped(m.toDecimalPlaces(exponent).toFixed(exponent))}`);
};

/**
 * A unit price in major units, which may be finer than the currency's minor unit: ("0.0002", "USD") -> "USD 0.0002",
 * ("5", "USD") -> "USD 5.00", ("9.583333333", "EUR") -> "EUR 9.58333333".
 */
export const formatUnitPrice = (amount: Decimal | string | number, currency: string): string => {
  const exponent = currencyExponent(currency);
  return signed(toDecimal(amount), (m) => `${currency} ${grouped(fixedTrimmed(m, exponent, Math.max(exponent, MAX_DECIMALS)))}`);
};

/** A count of units as Lago's decimal text holds it: "10.0" -> "10", "1234.5" -> "1,234.5". */
export const formatQuantity = (units: Decimal | string | number): string =>
  signed(toDecimal(units), (m) => grouped(fixedTrimmed(m, 0, MAX_DECIMALS)));

/** A rate in percent: 20 -> "20%", "5.5" -> "5.5%", 0.125 -> "0.125%". */
export const formatPercent = (rate: Decimal | string | number): string => `${formatQuantity(rate)}%`;
