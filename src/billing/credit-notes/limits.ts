import { Decimal } from '../../lib/money.ts';
import { round } from './taxes.ts';
import type { CreditableFee, CreditableInvoice } from './types.ts';

const ZERO = new Decimal(0);

/** What is left to credit on a fee (Lago's `Fee#creditable_amount_cents`): its amount less earlier credit note items. */
export const feeCreditableAmountCents = (fee: CreditableFee): bigint => fee.amountCents - fee.creditedAmountCents;

/**
 * The fees' amounts with their taxes, before coupons (Lago's `Invoice#fee_total_amount_cents`): the ceiling of all
 * credit notes of an invoice together. Σ amount + round(Σ amount × taxes rate / 100).
 *
 * @example
 * // fees 179.00 at 10 % and 399.00 at 20 %: 578.00 + round(17.90 + 79.80) = 675.70 (coupons are not deducted)
 */
export const feeTotalAmountCents = (fees: readonly CreditableFee[]): bigint => {
  const amount = fees.reduce((sum, f) => sum + f.amountCents, 0n);
  const taxes = fees.reduce((sum, f) => sum.plus(new Decimal(f.amountCents.toString()).mul(f.taxesRate)), ZERO).div(100);
  return amount + round(taxes);
};

/**
 * What can still be credited on an invoice, taxes included (Lago's `Invoice#available_to_credit_amount_cents`): the
 * fees' creditable amounts, less the same share of the invoice's coupons and progressive-billing credit, plus the taxes
 * on what remains (rounded once). Unrounded otherwise, as in Lago.
 *
 * The coupons are spread over the fees in proportion to what is left of them, not as the invoice spread them, so a
 * coupon limited to one fee makes this an estimate (Lago's own comment says as much).
 *
 * @example
 * // one fee of 100.00 at 20 %, 30.00 of it already credited, 10.00 of coupons on 100.00 of fees:
 * // 70.00 − 7.00 + round(63.00 × 20 %) = 75.60
 */
export const invoiceCreditableAmountCents = (invoice: Pick<CreditableInvoice, 'fees' | 'feesAmountCents' | 'couponsAmountCents' | 'progressiveBillingCreditAmountCents'>): Decimal => {
  const creditable = invoice.fees.map((fee) => ({ fee, amount: new Decimal(feeCreditableAmountCents(fee).toString()) }));
  const total = creditable.reduce((sum, c) => sum.plus(c.amount), ZERO);
  if (total.isZero()) return ZERO;
  const adjustment =
    invoice.feesAmountCents === 0n
      ? ZERO
      : new Decimal((invoice.couponsAmountCents + invoice.progressiveBillingCreditAmountCents).toString()).div(invoice.feesAmountCents.toString()).mul(total);
  const vat = creditable
    .reduce((sum, { fee, amount }) => sum.plus(amount.minus(adjustment.mul(amount.div(total))).mul(fee.taxesRate)), ZERO)
    .div(100);
  return total.minus(adjustment).plus(round(vat).toString());
};

/**
 * What can still be refunded on an invoice (Lago's `Invoice#refundable_amount_cents`): what was paid less earlier
 * refunds, never more than what can be credited; nothing on an invoice marked paid in full but not succeeded.
 * Truncated to whole minor units, as Lago's integer column takes it.
 */
export const invoiceRefundableAmountCents = (invoice: CreditableInvoice): bigint => {
  if (invoice.paymentStatus !== 'succeeded' && invoice.totalPaidAmountCents === invoice.totalAmountCents) return 0n;
  const remainingPaid = invoice.totalPaidAmountCents - invoice.credited.refundAmountCents;
  const refundable = Decimal.min(new Decimal(remainingPaid.toString()), invoiceCreditableAmountCents(invoice));
  return refundable.isNegative() ? 0n : BigInt(refundable.trunc().toFixed(0));
};
