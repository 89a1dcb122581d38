import { Decimal } from '../../lib/money.ts';
import { applyCoupons } from './coupons.ts';
import { dec, minDecimal, roundCents } from './decimals.ts';
import { feeTaxes, invoiceTaxes } from './taxes.ts';
import type { FeeAmounts, InvoiceAmounts, InvoiceAmountsInput, InvoiceFeeInput } from './types.ts';

const checkInput = (input: InvoiceAmountsInput, progressiveCents: bigint) => {
  const keys = new Set<string>();
  for (const fee of input.fees) {
    if (keys.has(fee.key)) throw new RangeError(`duplicate fee key ${fee.key}`);
    keys.add(fee.key);
    if (fee.amountCents < 0n) throw new RangeError(`fee ${fee.key} has a negative amount`);
    if ((fee.progressiveBilledAmountCents ?? 0n) < 0n) throw new RangeError(`fee ${fee.key} has a negative progressive billed amount`);
  }
  const chargesCents = input.fees.filter((f) => f.feeType === 'charge').reduce((sum, f) => sum + f.amountCents, 0n);
  if (progressiveCents < 0n || progressiveCents > chargesCents) {
    throw new RangeError('progressive billing credit must be between 0 and the charge fees total');
  }
};

/**
 * Lago's progressive-billing credit on fees (`Credits::ProgressiveBillingService`): each charge fee loses what its
 * match on the progressive-billing invoice billed, capped at its own amount. Only when the invoice gets a credit.
 */
const progressiveShares = (fees: readonly InvoiceFeeInput[], progressiveCents: bigint): Map<string, Decimal> =>
  new Map(
    fees.map((f) => {
      const billed = progressiveCents > 0n && f.feeType === 'charge' ? (f.progressiveBilledAmountCents ?? 0n) : 0n;
      return [f.key, minDecimal(dec(billed), dec(f.amountCents))];
    }),
  );

/**
 * An invoice's amounts from its fees, in Lago's order (`Invoices::CalculateFeesService` up to taxes): fees, minus the
 * progressive-billing credit, minus coupons (see `applyCoupons`), then taxes per fee on what coupons left of it (see
 * `feeTaxes`, `invoiceTaxes`). Credit notes and wallets come later and are 0 here, so the total is the subtotal
 * including taxes.
 *
 * @example
 * // spec/services/invoices/compute_amounts_from_fees_spec.rb: fees 151 and 379, a 100 coupon limited to the second
 * // fee's plan, taxes 10 % and 20 % on both: fees 530, coupons 100, subtotal 430; fee taxes 45.3 → 45 and
 * // 279 × 30 % = 83.7 → 84; invoice taxes 43 + 86 = 129; total 559.
 */
export const computeInvoiceAmounts = (input: InvoiceAmountsInput): InvoiceAmounts => {
  const progressiveCents = input.progressiveBillingCreditCents ?? 0n;
  checkInput(input, progressiveCents);

  const feesAmountCents = input.fees.reduce((sum, f) => sum + f.amountCents, 0n);
  const coupons = applyCoupons({
    currency: input.currency,
    fees: input.fees,
    coupons: input.coupons,
    preciseCoupons: progressiveShares(input.fees, progressiveCents),
    subTotalCents: feesAmountCents - progressiveCents,
  });

  const fees = new Map<string, FeeAmounts>();
  for (const fee of input.fees) {
    const preciseCoupons = coupons.preciseCoupons.get(fee.key) ?? new Decimal(0);
    const subTotal = dec(fee.amountCents).minus(preciseCoupons);
    const subTotalPrecise = (fee.preciseAmountCents ?? dec(fee.amountCents)).minus(preciseCoupons);
    fees.set(fee.key, {
      key: fee.key,
      amountCents: fee.amountCents,
      preciseCouponsAmountCents: preciseCoupons,
      subTotalExcludingTaxesAmountCents: roundCents(subTotal),
      subTotalExcludingTaxesUnroundedAmountCents: subTotal,
      subTotalExcludingTaxesPreciseAmountCents: subTotalPrecise,
      ...feeTaxes(subTotal, subTotalPrecise, fee.taxes),
    });
  }

  const subTotalExcludingTaxesAmountCents = feesAmountCents - progressiveCents - coupons.couponsAmountCents;
  const taxes = invoiceTaxes(
    input.fees.map((f) => ({ subTotalCents: fees.get(f.key)!.subTotalExcludingTaxesUnroundedAmountCents, taxes: f.taxes })),
    subTotalExcludingTaxesAmountCents,
  );
  const subTotalIncludingTaxesAmountCents = subTotalExcludingTaxesAmountCents + taxes.taxesAmountCents;
  const creditNotesAmountCents = 0n;
  const prepaidCreditAmountCents = 0n;

  return {
    currency: input.currency,
    fees,
    credits: coupons.credits,
    appliedTaxes: taxes.appliedTaxes,
    feesAmountCents,
    progressiveBillingCreditAmountCents: progressiveCents,
    couponsAmountCents: coupons.couponsAmountCents,
    subTotalExcludingTaxesAmountCents,
    taxesAmountCents: taxes.taxesAmountCents,
    taxesRate: taxes.taxesRate,
    subTotalIncludingTaxesAmountCents,
    creditNotesAmountCents,
    prepaidCreditAmountCents,
    totalAmountCents: subTotalIncludingTaxesAmountCents - creditNotesAmountCents - prepaidCreditAmountCents,
  };
};
