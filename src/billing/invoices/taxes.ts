import { Decimal } from '../../lib/money.ts';
import { dec, roundCents, truncCents } from './decimals.ts';
import type { FeeAppliedTax, InvoiceAppliedTax, InvoiceTax } from './types.ts';

export interface FeeTaxes {
  taxesAmountCents: bigint;
  taxesPreciseAmountCents: Decimal;
  taxesRate: Decimal;
  appliedTaxes: FeeAppliedTax[];
}

/**
 * A fee's taxes (Lago's `Fees::ApplyTaxesService`), on its subtotal after coupons: per tax, subtotal × rate / 100,
 * each line rounded on its own; the fee's total is the rounded sum of the unrounded lines, its rate the sum of rates.
 * A fee without taxes gets 0 and rate 0.
 *
 * @example
 * // 1000 with 100 of coupons, 5 % (spec/services/fees/apply_taxes_service_spec.rb): 900 × 5 / 100 → 45
 * // 323.52941 at 10 % (spec/scenarios/coupons_breakdown_spec.rb): 32.352941 → 32
 */
export const feeTaxes = (subTotalCents: Decimal, subTotalPreciseCents: Decimal, taxes: readonly InvoiceTax[]): FeeTaxes => {
  let unrounded = new Decimal(0);
  let precise = new Decimal(0);
  let rate = new Decimal(0);
  const appliedTaxes = taxes.map((tax): FeeAppliedTax => {
    const taxRate = dec(tax.rate);
    const lineUnrounded = subTotalCents.mul(taxRate).div(100);
    const linePrecise = subTotalPreciseCents.mul(taxRate).div(100);
    unrounded = unrounded.plus(lineUnrounded);
    precise = precise.plus(linePrecise);
    rate = rate.plus(taxRate);
    return { ...tax, amountCents: roundCents(lineUnrounded), unroundedAmountCents: lineUnrounded, preciseAmountCents: linePrecise };
  });
  return { taxesAmountCents: roundCents(unrounded), taxesPreciseAmountCents: precise, taxesRate: rate, appliedTaxes };
};

export interface TaxedFee {
  /** amount − precise coupons, unrounded. */
  subTotalCents: Decimal;
  taxes: readonly InvoiceTax[];
}

export interface InvoiceTaxes {
  appliedTaxes: InvoiceAppliedTax[];
  /** The rounded sum of the unrounded per-tax amounts. */
  taxesAmountCents: bigint;
  /** Percent, rounded to 5 decimals. */
  taxesRate: Decimal;
}

/**
 * The invoice's taxes (Lago's `Invoices::ApplyTaxesService`): one line per tax found on the fees (in order of first
 * appearance), amount Σ(fee subtotal × rate) / 100 over the fees it applies to, rounded on its own. The invoice total is
 * the rounded sum of the unrounded lines, so lines and total can differ by a cent. The invoice rate weights each tax by
 * the share of the invoice subtotal it applies to (by its share of the fees count when the subtotal is 0).
 *
 * @example
 * // fees 1000 (10 %) and 2000 (10 % and 12 %), a 1000 coupon spread 333.33333 / 666.66667
 * // (spec/services/invoices/apply_taxes_service_spec.rb): 10 % on 2000 → 200; 12 % on 1333.33333 → 160 (base 1333);
 * // total 359.99999996 → 360; rate 10 + 12 × 1333.33333 / 2000 → 18
 */
export const invoiceTaxes = (fees: readonly TaxedFee[], invoiceSubTotalCents: bigint): InvoiceTaxes => {
  const byTax = new Map<string, { tax: InvoiceTax; base: Decimal; count: number }>();
  for (const fee of fees) {
    for (const tax of fee.taxes) {
      const entry = byTax.get(tax.taxId) ?? { tax, base: new Decimal(0), count: 0 };
      entry.base = entry.base.plus(fee.subTotalCents);
      entry.count += 1;
      byTax.set(tax.taxId, entry);
    }
  }
  let unroundedTotal = new Decimal(0);
  let rate = new Decimal(0);
  const appliedTaxes = [...byTax.values()].map(({ tax, base, count }): InvoiceAppliedTax => {
    const taxRate = dec(tax.rate);
    const unrounded = base.mul(taxRate).div(100);
    unroundedTotal = unroundedTotal.plus(unrounded);
    const share = invoiceSubTotalCents > 0n ? base.div(dec(invoiceSubTotalCents)) : dec(count).div(fees.length);
    rate = rate.plus(share.mul(taxRate));
    return { ...tax, amountCents: roundCents(unrounded), unroundedAmountCents: unrounded, feesAmountCents: truncCents(base), feesUnroundedAmountCents: base };
  });
  return { appliedTaxes, taxesAmountCents: roundCents(unroundedTotal), taxesRate: rate.toDecimalPlaces(5, Decimal.ROUND_HALF_UP) };
};
