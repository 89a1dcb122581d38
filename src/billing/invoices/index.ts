export type {
  AppliedCouponInput,
  CouponCredit,
  FeeAmounts,
  FeeAppliedTax,
  FeeType,
  InvoiceAmounts,
  InvoiceAmountsInput,
  InvoiceAppliedTax,
  InvoiceFeeInput,
  InvoiceTax,
} from './types.ts';
export { applyCoupons, couponAmount, couponEligibleFees, couponStateAfterCredit, orderAppliedCoupons, PRECISE_COUPONS_SCALE } from './coupons.ts';
export type { ApplyCouponsInput, ApplyCouponsResult } from './coupons.ts';
export { feeTaxes, invoiceTaxes } from './taxes.ts';
export type { FeeTaxes, InvoiceTaxes, TaxedFee } from './taxes.ts';
export { computeInvoiceAmounts } from './totals.ts';
