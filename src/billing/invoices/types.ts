import type { Decimal } from '../../lib/money.ts';

/** A tax as it applies to one fee, copied onto the fee's and the invoice's applied taxes. */
export interface InvoiceTax {
  taxId: string;
  code: string;
  name: string;
  /** Percent, decimal text: "20" is 20 %. */
  rate: string;
  description: string | null;
}

export type FeeType = 'subscription' | 'charge' | 'commitment' | 'add_on' | 'fixed_charge' | 'credit';

export interface InvoiceFeeInput {
  /** The caller's stable id of the fee; results are keyed by it. */
  key: string;
  feeType: FeeType;
  /** The fee's rounded amount, in minor units; never negative. */
  amountCents: bigint;
  /**
   * The fee's unrounded amount (Lago's `precise_amount_cents`), only used for the `*Precise*` outputs.
   * Defaults to `amountCents`.
   */
  preciseAmountCents?: Decimal;
  /** The plan of the fee's subscription (null for fees without one, e.g. one-off add-ons). */
  planId: string | null;
  /** The parent plan when `planId` is an override copy: a coupon limited to the parent covers the copy. */
  parentPlanId: string | null;
  /** Charge fees only: the metric priced, for coupons limited to billable metrics. */
  billableMetricId: string | null;
  /** The taxes that apply to this fee, already chosen by the precedence chain (empty: the fee is not taxed). */
  taxes: InvoiceTax[];
  /**
   * Progressive billing, charge fees only: the amount of the matching fee (same charge, filter and grouping) on the
   * period's latest progressive-billing invoice. It is taken off this fee before coupons, capped at the fee's amount,
   * so that taxes are computed on what is left. Give it only on fees of subscriptions that got a positive progressive
   * credit (the invoice total of that credit is `InvoiceAmountsInput.progressiveBillingCreditCents`).
   */
  progressiveBilledAmountCents?: bigint;
}

export interface AppliedCouponInput {
  id: string;
  couponId: string;
  code: string;
  name: string;
  couponType: 'fixed_amount' | 'percentage';
  /** Fixed-amount coupons: the amount per period (recurring, forever) or in all (once). */
  amountCents: bigint | null;
  /** Fixed-amount `once` coupons: what previous invoices have not used yet (amount − Σ its credits). */
  amountCentsRemaining: bigint | null;
  /** Percentage coupons: percent, decimal text. */
  percentageRate: string | null;
  frequency: 'once' | 'recurring' | 'forever';
  /** Recurring coupons: periods left, this one included. */
  frequencyDurationRemaining: number | null;
  limitedPlans: boolean;
  planIds: string[];
  limitedBillableMetrics: boolean;
  billableMetricIds: string[];
  createdAtMs: number;
  /** A fixed-amount coupon in another currency than the invoice's is skipped; null or absent: no check. */
  amountCurrency?: string | null;
}

export interface InvoiceAmountsInput {
  currency: string;
  fees: InvoiceFeeInput[];
  /** Active applied coupons of the customer, in any order. */
  coupons: AppliedCouponInput[];
  /**
   * What was already billed this period on progressive-billing invoices and is credited back here (Lago's
   * `progressive_billing_credit_amount_cents`, already capped by the caller at the matching charge fees' total).
   */
  progressiveBillingCreditCents?: bigint;
}

/** One tax on one fee. */
export interface FeeAppliedTax extends InvoiceTax {
  /** Rounded on its own. */
  amountCents: bigint;
  /** subtotal (amount − coupons) × rate / 100, unrounded: what the fee and invoice totals add up. */
  unroundedAmountCents: Decimal;
  /** Same on the fee's precise subtotal (precise amount − coupons). */
  preciseAmountCents: Decimal;
}

export interface FeeAmounts {
  key: string;
  amountCents: bigint;
  /** Coupons and progressive-billing credit taken off this fee, at Lago's 5-decimal scale, never above the amount. */
  preciseCouponsAmountCents: Decimal;
  /** amount − precise coupons, rounded (what Lago's API shows). */
  subTotalExcludingTaxesAmountCents: bigint;
  /** amount − precise coupons, unrounded: the base the fee's taxes are computed on. */
  subTotalExcludingTaxesUnroundedAmountCents: Decimal;
  /** precise amount − precise coupons (Lago's `sub_total_excluding_taxes_precise_amount_cents`). */
  subTotalExcludingTaxesPreciseAmountCents: Decimal;
  /** The rounded sum of the unrounded per-tax amounts. */
  taxesAmountCents: bigint;
  taxesPreciseAmountCents: Decimal;
  /** Sum of the fee's tax rates, percent. */
  taxesRate: Decimal;
  appliedTaxes: FeeAppliedTax[];
}

/** A credit an applied coupon gave this invoice, with the coupon's state after it (to be saved by the caller). */
export interface CouponCredit {
  appliedCouponId: string;
  couponId: string;
  code: string;
  name: string;
  /**
   * Can be 0: Lago still records the credit (and spends a `once` percentage coupon or one `recurring` period) when a
   * limited coupon's fees are all at 0, or when a percentage rounds to 0.
   */
  amountCents: bigint;
  /** Fixed-amount `once` coupons: the new remainder; others: the input value, unchanged. */
  amountCentsRemaining: bigint | null;
  /** Recurring coupons: decremented, never below 0; others: the input value, unchanged. */
  frequencyDurationRemaining: number | null;
  /** The applied coupon is used up and must be terminated. */
  terminated: boolean;
}

/** One tax over the whole invoice. */
export interface InvoiceAppliedTax extends InvoiceTax {
  /** Rounded on its own: lines can add up to a cent more or less than the invoice's `taxesAmountCents`. */
  amountCents: bigint;
  unroundedAmountCents: Decimal;
  /** Σ of the subtotals of the fees the tax applies to, truncated to whole cents as Lago stores it. */
  feesAmountCents: bigint;
  feesUnroundedAmountCents: Decimal;
}

export interface InvoiceAmounts {
  currency: string;
  /** Per fee, in input order. */
  fees: Map<string, FeeAmounts>;
  /** One per coupon that Lago would record a credit for, in the order they were applied. */
  credits: CouponCredit[];
  appliedTaxes: InvoiceAppliedTax[];
  feesAmountCents: bigint;
  progressiveBillingCreditAmountCents: bigint;
  couponsAmountCents: bigint;
  subTotalExcludingTaxesAmountCents: bigint;
  /** The rounded sum of the unrounded per-tax amounts. */
  taxesAmountCents: bigint;
  /** Invoice tax rate, percent, weighted by the taxed share of the subtotal, rounded to 5 decimals. */
  taxesRate: Decimal;
  subTotalIncludingTaxesAmountCents: bigint;
  /** Credit notes are applied in a later step; always 0 here. */
  creditNotesAmountCents: bigint;
  /** Wallets are applied in a later step; always 0 here. */
  prepaidCreditAmountCents: bigint;
  totalAmountCents: bigint;
}
