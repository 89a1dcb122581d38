import type { FieldErrors } from '../../lib/errors.ts';
import { Decimal } from '../../lib/money.ts';
import { feeCreditableAmountCents, feeTotalAmountCents, invoiceRefundableAmountCents } from './limits.ts';
import { creditNoteTaxes, round, toScale } from './taxes.ts';
import type { CreditableInvoice, CreditNoteAppliedTax, CreditNoteInvoiceTax, CreditNoteItemInput } from './types.ts';

const ZERO = new Decimal(0);

/**
 * Lago's `CreditNotes::ValidateItemService` on one item, in its order: an amount below 0, then above what is left of
 * the fee (earlier credit notes and this note's earlier items on the same fee included). Null when the item is valid.
 */
export const itemError = (amountCents: bigint, fee: CreditNoteItemInput['fee'], takenByThisNote: bigint): string | null => {
  if (amountCents < 0n) return 'invalid_value';
  if (amountCents > feeCreditableAmountCents(fee) - takenByThisNote) return 'higher_than_remaining_fee_amount';
  return null;
};

/** What a credit note's items come to: coupon adjustment, taxes and subtotals, with Lago's precisions. */
export interface ItemAmounts {
  appliedTaxes: CreditNoteAppliedTax[];
  /** Unrounded, as Lago's estimate uses it. */
  rawCouponsAdjustmentAmountCents: Decimal;
  preciseCouponsAdjustmentAmountCents: Decimal;
  couponsAdjustmentAmountCents: bigint;
  preciseTaxesAmountCents: Decimal;
  taxesAmountCents: bigint;
  taxesRate: Decimal;
  subTotalExcludingTaxesAmountCents: bigint;
  preciseTotalAmountCents: Decimal;
  itemsAmountCents: bigint;
}

const rounded = (item: CreditNoteItemInput): bigint => round(item.preciseAmountCents);

/**
 * The amounts of a credit note's items (Lago's `compute_amounts_and_taxes`). When the note takes everything still
 * creditable on the invoice, the roundings of the invoice's earlier credit notes' taxes are taken back, so that the notes
 * together give back exactly the invoice's taxes.
 *
 * @example
 * // spec/scenarios/credit_notes/credit_note_spec.rb: two 68.33 add-ons at 20 % (invoice taxes 27.33); the first note
 * // takes 13.666 → 13.67 (+0.4 of rounding); the second, the last of the invoice, takes 13.666 − 0.4 = 13.662 → 13.66.
 */
export const itemAmounts = (invoice: CreditableInvoice, invoiceTaxes: readonly CreditNoteInvoiceTax[], items: readonly CreditNoteItemInput[]): ItemAmounts => {
  const scaled = items.map((item) => ({ ...item, preciseAmountCents: toScale(item.preciseAmountCents) }));
  const taxes = creditNoteTaxes(scaled, invoiceTaxes);
  const takenByFee = new Map<string, bigint>();
  for (const item of scaled) takenByFee.set(item.fee.id, (takenByFee.get(item.fee.id) ?? 0n) + rounded(item));
  const leftAfter = invoice.fees.reduce((sum, fee) => sum + feeCreditableAmountCents(fee) - (takenByFee.get(fee.id) ?? 0n), 0n);
  const preciseTaxes = toScale(leftAfter === 0n ? taxes.preciseTaxesAmountCents.minus(invoice.taxesRoundingAdjustments) : taxes.preciseTaxesAmountCents);
  const adjustment = toScale(taxes.preciseCouponsAdjustmentAmountCents);
  const itemsPrecise = scaled.reduce((sum, item) => sum.plus(item.preciseAmountCents), ZERO);
  return {
    appliedTaxes: taxes.appliedTaxes,
    rawCouponsAdjustmentAmountCents: taxes.preciseCouponsAdjustmentAmountCents,
    preciseCouponsAdjustmentAmountCents: adjustment,
    couponsAdjustmentAmountCents: round(taxes.preciseCouponsAdjustmentAmountCents),
    preciseTaxesAmountCents: preciseTaxes,
    taxesAmountCents: round(preciseTaxes),
    taxesRate: taxes.taxesRate,
    subTotalExcludingTaxesAmountCents: round(itemsPrecise.minus(adjustment)),
    preciseTotalAmountCents: itemsPrecise.minus(adjustment).plus(preciseTaxes),
    itemsAmountCents: scaled.reduce((sum, item) => sum + rounded(item), 0n),
  };
};

export interface RequestedAmounts {
  creditAmountCents: bigint;
  refundAmountCents: bigint;
  offsetAmountCents: bigint;
}

/**
 * Lago's `CreditNotes::ValidateService`: every rule is checked and every failure reported, in Lago's order. The
 * comparisons with the items' amounts and with what is left on the invoice allow one cent of rounding.
 */
export const creditNoteErrors = (invoice: CreditableInvoice, amounts: ItemAmounts, requested: RequestedAmounts): FieldErrors | null => {
  const errors: Record<string, string[]> = {};
  const add = (field: string, code: string) => (errors[field] ??= []).push(code);
  const { creditAmountCents: credit, refundAmountCents: refund, offsetAmountCents: offset } = requested;
  const total = credit + refund + offset;
  const earlier = invoice.credited;
  const feeTotal = feeTotalAmountCents(invoice.fees);
  const creditable = feeTotal - earlier.creditAmountCents - earlier.offsetAmountCents;
  const abs = (n: bigint) => (n < 0n ? -n : n);

  // A refund needs a payment: an invoice paid in full but not marked succeeded cannot be refunded.
  if (refund > 0n && invoice.paymentStatus !== 'succeeded' && invoice.totalPaidAmountCents === invoice.totalAmountCents && invoice.totalAmountCents > 0n) {
    add('refund_amount_cents', 'cannot_refund_unpaid_invoice');
  }
  if (abs(total - round(amounts.preciseTotalAmountCents)) > 1n) add('base', 'does_not_match_item_amounts');
  if (refund > 0n) {
    if (invoice.totalPaidAmountCents <= 0n) add('refund_amount_cents', 'cannot_refund_unpaid_invoice');
    else if (refund > invoice.totalPaidAmountCents - earlier.refundAmountCents) add('refund_amount_cents', 'higher_than_remaining_invoice_amount');
  }
  if (credit > creditable && credit - creditable > 1n) add('credit_amount_cents', 'higher_than_remaining_invoice_amount');
  if (offset > 0n) {
    const due = invoice.totalAmountCents - invoice.totalPaidAmountCents - earlier.offsetAmountCents;
    if (offset > (due < creditable ? due : creditable)) add('offset_amount_cents', 'higher_than_remaining_invoice_amount');
  }
  const remaining = feeTotal - earlier.creditAmountCents - earlier.refundAmountCents - earlier.offsetAmountCents;
  if (total > remaining && total - remaining > 1n) add('base', 'higher_than_remaining_invoice_amount');
  if (total <= 0n) add('base', 'total_amount_must_be_positive');
  return Object.keys(errors).length === 0 ? null : errors;
};

export interface SettledAmounts extends RequestedAmounts {
  totalAmountCents: bigint;
  balanceAmountCents: bigint;
}

/**
 * Lago's `CreditNotes::AdjustAmountsWithRoundingService`: when the total less the taxes misses the subtotal by the cent
 * the items' rounding allows, the total moves by that cent, and so does the part that absorbs it (the credit, else the
 * refund, else the offset), so that subtotal + taxes = total = credit + refund + offset.
 *
 * @example
 * // spec/scenarios/terminate_pay_in_advance_spec.rb: 3571.42857 + 714.28571 of taxes asked as a credit of 4286:
 * // 4286 − 714 = 3572 ≠ 3571, so the total and the credit become 4285.
 */
export const settleAmounts = (amounts: ItemAmounts, requested: RequestedAmounts): SettledAmounts => {
  let { creditAmountCents: credit, refundAmountCents: refund, offsetAmountCents: offset } = requested;
  let total = credit + refund + offset;
  const subTotal = total - amounts.taxesAmountCents;
  if (subTotal !== amounts.subTotalExcludingTaxesAmountCents) {
    total += subTotal > amounts.subTotalExcludingTaxesAmountCents ? -1n : 1n;
    if (credit > 0n) credit = total - refund - offset;
    else if (refund > 0n) refund = total - offset;
    else offset = total;
  }
  return { creditAmountCents: credit, refundAmountCents: refund, offsetAmountCents: offset, totalAmountCents: total, balanceAmountCents: credit };
};

export interface Estimate {
  taxesAmountCents: bigint;
  maxCreditableAmountCents: bigint;
  maxRefundableAmountCents: bigint;
}

/**
 * POST /credit_notes/estimate (Lago's `CreditNotes::EstimateService`): the most that can be credited for the items (their
 * amounts less the coupon adjustment plus taxes, rounded once) and the most of that which can be refunded (what was
 * paid and not refunded yet). When the rounded parts miss the total by a cent, the total (or the taxes) gives it.
 *
 * @example
 * // spec/scenarios/credit_notes/credit_note_spec.rb: an item of 262.60 on a 399.00 fee with 250.00 of coupons and
 * // 20 % of taxes, 12.00 paid: subtotal 98.06, taxes 19.61, max creditable 117.67, max refundable 12.00.
 */
export const estimate = (invoice: CreditableInvoice, amounts: ItemAmounts): Estimate => {
  const credit = round(new Decimal(amounts.itemsAmountCents.toString()).minus(amounts.rawCouponsAdjustmentAmountCents).plus(amounts.preciseTaxesAmountCents));
  const refundable = invoiceRefundableAmountCents(invoice);
  const refund = credit > refundable ? refundable : credit;
  let total = credit;
  let taxes = amounts.taxesAmountCents;
  const subTotal = total - taxes;
  if (subTotal !== amounts.subTotalExcludingTaxesAmountCents) {
    if (subTotal > amounts.subTotalExcludingTaxesAmountCents) total -= 1n;
    else if (taxes > 0n) taxes -= 1n;
  }
  return { taxesAmountCents: taxes, maxCreditableAmountCents: total, maxRefundableAmountCents: refund };
};
