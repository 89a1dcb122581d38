import type { Decimal } from '../../lib/money.ts';

/** A tax of the invoice (`invoice_applied_taxes`): a credit note gives back a share of it. */
export interface CreditNoteInvoiceTax {
  taxId: string | null;
  code: string;
  name: string;
  /** Percent. */
  rate: Decimal;
  description: string | null;
}

/** What a credit note needs to know of one fee of its invoice. */
export interface CreditableFee {
  id: string;
  /** The fee's amount before coupons and taxes, in minor units. */
  amountCents: bigint;
  preciseAmountCents: Decimal;
  /** The fee's share of the invoice's coupons (Lago's `precise_coupons_amount_cents`). */
  preciseCouponsAmountCents: Decimal;
  /** The sum of the fee's tax rates, percent. */
  taxesRate: Decimal;
  taxesPreciseAmountCents: Decimal;
  /** The codes of the taxes applied to the fee. */
  taxCodes: string[];
  /** What earlier credit notes (any status) already took of the fee: the sum of their items' `amount_cents`. */
  creditedAmountCents: bigint;
}

/** One line of a credit note: a part of a fee, before coupons and taxes. */
export interface CreditNoteItemInput {
  fee: CreditableFee;
  /** Lago's `precise_amount_cents`: the amount asked, possibly fractional (a prorated termination). */
  preciseAmountCents: Decimal;
}

/** A credit note's share of one invoice tax. */
export interface CreditNoteAppliedTax {
  tax: CreditNoteInvoiceTax;
  /** The items' amounts after their coupon share, on the fees bearing this tax, rounded. */
  baseAmountCents: bigint;
  preciseAmountCents: Decimal;
  amountCents: bigint;
}

export interface CreditNoteTaxes {
  /** The items' share of their fees' coupons (Lago's `precise_coupons_adjustment_amount_cents`). */
  preciseCouponsAdjustmentAmountCents: Decimal;
  appliedTaxes: CreditNoteAppliedTax[];
  /** Sum of the unrounded tax lines. */
  preciseTaxesAmountCents: Decimal;
  /** Percent, rounded to 5 decimals. */
  taxesRate: Decimal;
}

/** The invoice figures credit and refund limits are computed from. */
export interface CreditableInvoice {
  feesAmountCents: bigint;
  couponsAmountCents: bigint;
  progressiveBillingCreditAmountCents: bigint;
  totalAmountCents: bigint;
  totalPaidAmountCents: bigint;
  subTotalIncludingTaxesAmountCents: bigint;
  paymentStatus: string;
  fees: CreditableFee[];
  /** Sums over the invoice's earlier finalized credit notes. */
  credited: { creditAmountCents: bigint; refundAmountCents: bigint; offsetAmountCents: bigint };
  /** Sum over every earlier credit note of `taxes_amount_cents − precise_taxes_amount_cents`. */
  taxesRoundingAdjustments: Decimal;
}
