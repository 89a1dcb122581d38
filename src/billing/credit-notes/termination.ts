import { Decimal } from '../../lib/money.ts';
import { creditNoteTaxes, round } from './taxes.ts';
import type { CreditableFee, CreditNoteInvoiceTax } from './types.ts';

const ZERO = new Decimal(0);

/** What to do with the unused part of a subscription paid in advance (`on_termination_credit_note`). */
export type TerminationMode = 'credit' | 'refund' | 'offset';

export interface TerminationInput {
  /** The plan amount the fee was billed on (its `amount_details.plan_amount_cents`, else the plan's). */
  planAmountCents: bigint;
  /** Days of the whole period the termination falls in: one day costs planAmount / periodDays. */
  periodDays: number;
  /** Days from the termination to the end of the period, the termination day excluded (an upgrade gives it back too). */
  remainingDays: number;
  /** Days from the start of the billed period to the termination, both included. */
  usedDays: number;
  /** The subscription's last subscription fee, on the invoice the credit note is issued on. */
  fee: CreditableFee;
  invoiceTaxes: readonly CreditNoteInvoiceTax[];
  invoice: { subTotalIncludingTaxesAmountCents: bigint; totalPaidAmountCents: bigint };
  mode: TerminationMode;
}

export interface TerminationCreditNote {
  /** The item on the fee: the unused amount, truncated to 5 decimals. */
  itemPreciseAmountCents: Decimal;
  creditAmountCents: bigint;
  refundAmountCents: bigint;
  offsetAmountCents: bigint;
}

/** An item amount with its coupon share taken off and its taxes added, rounded once (Lago's `adjust_for_coupon_and_taxes`). */
const withCouponsAndTaxes = (input: TerminationInput, amount: Decimal): bigint => {
  const precise = amount.toDecimalPlaces(5, Decimal.ROUND_DOWN);
  const taxes = creditNoteTaxes([{ fee: input.fee, preciseAmountCents: precise }], input.invoiceTaxes);
  return round(precise.minus(taxes.preciseCouponsAdjustmentAmountCents).plus(taxes.preciseTaxesAmountCents));
};

/**
 * The credit note for the unused days of a subscription paid in advance, as Lago's `CreditNotes::CreateFromTermination`:
 * the day price times the days left, at most the fee, less what earlier credit notes took of the fee. With its coupon
 * share and taxes it is credited whole (`credit`); `refund` pays back the part of it that was paid (the fee's share of
 * what the invoice got paid, less what the used days cost) and credits the rest; `offset` pays that back too and takes
 * the rest off what is still due. Null when nothing is left to give back.
 *
 * @example
 * // spec/scenarios/terminate_pay_in_advance_spec.rb: 50.00 a month, 20 % tax, started on Feb 8 (37.50 billed, 21 of
 * // 28 days) and terminated the same day: 20 days × 5000/28 = 3571.42857, +714.28571 of taxes → a credit of 4286
 * // (4285 once the note's rounding is settled).
 */
export const terminationCreditNote = (input: TerminationInput): TerminationCreditNote | null => {
  const dayPrice = new Decimal(input.planAmountCents.toString()).div(input.periodDays);
  let amount = dayPrice.mul(Math.max(0, input.remainingDays));
  if (!amount.isPositive() || amount.isZero()) return null;
  const feeAmount = new Decimal(input.fee.amountCents.toString());
  // A fee already prorated (several plan changes in a period) can be less than the days left are worth.
  if (amount.gt(feeAmount)) amount = feeAmount;
  amount = amount.minus(input.fee.creditedAmountCents.toString());
  if (!amount.isPositive() || amount.isZero()) return null;

  const total = withCouponsAndTaxes(input, amount);
  const refund = input.mode === 'credit' ? 0n : refundable(input, dayPrice, total);
  const [credit, refunded, offset] =
    input.mode === 'credit' ? [total, 0n, 0n] : input.mode === 'refund' ? [total - refund, refund, 0n] : [0n, refund, total - refund];
  if (credit + refunded + offset === 0n) return null;
  return { itemPreciseAmountCents: amount.toDecimalPlaces(5, Decimal.ROUND_DOWN), creditAmountCents: credit, refundAmountCents: refunded, offsetAmountCents: offset };
};

/** What was paid for the fee beyond what the used days cost, at most the credit note's total. */
const refundable = (input: TerminationInput, dayPrice: Decimal, total: bigint): bigint => {
  const invoiceAmount = input.invoice.subTotalIncludingTaxesAmountCents;
  const feeAmount = input.fee.preciseAmountCents.minus(input.fee.preciseCouponsAmountCents).plus(input.fee.taxesPreciseAmountCents);
  const paid = invoiceAmount === 0n ? ZERO : feeAmount.div(invoiceAmount.toString()).mul(input.invoice.totalPaidAmountCents.toString());
  const used = withCouponsAndTaxes(input, dayPrice.mul(Math.max(0, input.usedDays)));
  const potential = paid.minus(used.toString());
  if (!potential.isPositive() || potential.isZero()) return 0n;
  return round(Decimal.min(potential, new Decimal(total.toString())));
};
