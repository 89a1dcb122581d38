import { Decimal } from '../../lib/money.ts';

/** An amount and the rates (percent) of the taxes that apply to it. */
export interface TaxedAmount {
  amountCents: bigint;
  rates: readonly Decimal[];
}

/**
 * The taxes of a usage total, as Lago's invoice computes them: per tax, Σ amount × rate / 100 over the amounts it
 * applies to, unrounded; the taxes summed and rounded once, half away from zero.
 * Example: 2532 cents at 20% gives 506.4, so 506.
 */
export const taxesAmountCents = (amounts: readonly TaxedAmount[]): bigint => {
  let total = new Decimal(0);
  for (const { amountCents, rates } of amounts) {
    for (const rate of rates) total = total.plus(new Decimal(amountCents.toString()).mul(rate).div(100));
  }
  return BigInt(total.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
};
