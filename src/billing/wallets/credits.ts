import { currencyExponent } from '../../lib/currencies.ts';
import { Decimal, fromCents, toCents } from '../../lib/money.ts';

/** Lago keeps credits (and amounts in major units) to 5 decimals (`decimal(30, 5)` columns). */
export const CREDIT_SCALE = 5;

/** What converts credits to money: one credit is worth `rateAmount` of `currency`'s major unit. */
export interface WalletRate {
  rateAmount: Decimal;
  currency: string;
}

/** A quantity of credits and the money it stands for, consistent with each other (Lago's `WalletCredit`). */
export interface WalletCredit {
  creditAmount: Decimal;
  /** Major units, rounded to the currency's exponent. */
  amount: Decimal;
  amountCents: bigint;
}

/** What a numeric(…, 5) column keeps of a value: 5 decimals, half away from zero. */
export const toCreditScale = (value: Decimal): Decimal => value.toDecimalPlaces(CREDIT_SCALE, Decimal.ROUND_HALF_UP);

/** Lago floors a requested credit amount to 5 decimals before anything else (`BigDecimal(credits).floor(5)`). */
export const floorCredits = (value: Decimal): Decimal => value.toDecimalPlaces(CREDIT_SCALE, Decimal.ROUND_FLOOR);

/**
 * Credits to money. Invoiceable credits (top-ups, the default) are only whole minor units: the credit amount is taken
 * back from the rounded money (1.5 per credit, 3.33 credits -> 5.00, which is 3.33333 credits); voided credits keep the
 * amount asked.
 *
 * Example: rate 1.5 EUR, 3.33 credits -> { amount: 5, amountCents: 500, creditAmount: 3.33333 }.
 */
export const creditOf = (rate: WalletRate, credits: Decimal, options: { invoiceable?: boolean } = {}): WalletCredit => {
  const amount = credits.mul(rate.rateAmount).toDecimalPlaces(currencyExponent(rate.currency), Decimal.ROUND_HALF_UP);
  const amountCents = toCents(amount, rate.currency);
  const creditAmount = (options.invoiceable ?? true) ? toCreditScale(amount.div(rate.rateAmount)) : toCreditScale(credits);
  return { creditAmount, amount, amountCents };
};

/** Money to credits (Lago's `WalletCredit.from_amount_cents`). Example: rate 3 EUR, 1000 cents -> 3.33333 credits. */
export const creditFromCents = (rate: WalletRate, amountCents: bigint): WalletCredit => {
  const amount = fromCents(amountCents, rate.currency);
  return { creditAmount: toCreditScale(amount.div(rate.rateAmount)), amount, amountCents };
};

/** A positive credit amount worth less than one minor unit (Lago refuses it with `amount_rounds_to_zero`). */
export const roundsToZero = (rate: WalletRate, credits: Decimal): boolean => {
  const floored = floorCredits(credits);
  return floored.gt(0) && creditOf(rate, floored).amountCents === 0n;
};

/** Minor units to credits at 5 decimals, for balances shown in credits (ongoing balances, remaining amounts). */
export const centsToCredits = (rate: WalletRate, cents: bigint): Decimal => toCreditScale(fromCents(cents, rate.currency).div(rate.rateAmount));
