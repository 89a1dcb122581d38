import { Decimal } from '../../lib/money.ts';

export const dec = (value: bigint | number | string): Decimal => new Decimal(value.toString());

/** Half away from zero, to whole minor units. */
export const roundCents = (value: Decimal): bigint => BigInt(value.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));

/** Toward zero: what a bigint column keeps of a decimal written into it (Rails casts with `to_i`). */
export const truncCents = (value: Decimal): bigint => BigInt(value.trunc().toFixed(0));

export const minDecimal = (a: Decimal, b: Decimal): Decimal => (a.lte(b) ? a : b);
