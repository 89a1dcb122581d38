import DecimalBase from 'decimal.js';
import { currencyExponent } from './currencies.ts';

/**
 * The one Decimal configuration Billow uses for money and units: enough precision that no intermediate step loses a
 * digit, and rounding half away from zero (Lago's ROUND_HALF_UP on magnitudes) wherever a value is rounded.
 */
export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
export type Decimal = InstanceType<typeof Decimal>;

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** True for a decimal written as a JSON string (`"0.0002"`, `"10"`), the form Lago requires for prices and rates. */
export const isDecimalString = (value: unknown): value is string => typeof value === 'string' && DECIMAL_TEXT.test(value.trim());

export const isNonNegativeDecimalString = (value: unknown): value is string =>
  isDecimalString(value) && !new Decimal(value.trim()).isNegative();

const powersOfTen = new Map<number, Decimal>();

/**
 * The minor units of a currency per major unit (Lago's `subunit_to_unit`): EUR 100, JPY 1, BHD 1000. Remembered per
 * exponent: every priced line asks for it, and a power costs more than the multiplication it serves.
 */
export const subunitToUnit = (currency: string): Decimal => {
  const exponent = currencyExponent(currency);
  let power = powersOfTen.get(exponent);
  if (!power) powersOfTen.set(exponent, (power = new Decimal(10).pow(exponent)));
  return power;
};

/** Major units to integer minor units of the currency, rounded once, half away from zero: ("10.005", "EUR") -> 1001n. */
export const toCents = (amount: Decimal, currency: string): bigint =>
  BigInt(amount.mul(subunitToUnit(currency)).toDecimalPlaces(0).toFixed(0));

/** Integer minor units to a Decimal in major units: (1001n, "EUR") -> 10.01. */
export const fromCents = (cents: bigint | number, currency: string): Decimal => new Decimal(cents.toString()).div(subunitToUnit(currency));
