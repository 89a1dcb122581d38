import { Type, type Static } from '@sinclair/typebox';
import type { appliedCoupons } from '../../db/schema/index.ts';
import { OptionalNullable } from '../../http/schemas.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { MAX_INT4 } from '../../lib/text.ts';
import { checkRate, FREQUENCIES, oneOf, RateInput, type Coupon } from '../coupons/types.ts';
import { QueryValue } from '../customers/types.ts';

export type AppliedCoupon = typeof appliedCoupons.$inferSelect;

/** An applied coupon with the coupon (deleted or not) and the customer it ties together. */
export interface AppliedCouponView {
  applied: AppliedCoupon;
  coupon: Coupon;
  externalCustomerId: string;
}

const Text = OptionalNullable(Type.String());

export const AppliedCouponBody = Type.Object({
  applied_coupon: Type.Object(
    {
      external_customer_id: Text,
      coupon_code: Text,
      frequency: Text,
      frequency_duration: OptionalNullable(Type.Integer()),
      amount_cents: OptionalNullable(Type.Integer()),
      amount_currency: Text,
      percentage_rate: RateInput,
    },
    { minProperties: 1 },
  ),
});
export type AppliedCouponInput = Static<typeof AppliedCouponBody>['applied_coupon'];

export const AppliedCouponListQuery = Type.Object({
  page: QueryValue,
  per_page: QueryValue,
  status: QueryValue,
  external_customer_id: QueryValue,
  'coupon_code[]': QueryValue,
});
export type AppliedCouponListQueryInput = Static<typeof AppliedCouponListQuery>;

export interface AppliedCouponFilters {
  status?: 'active' | 'terminated';
  externalCustomerId?: string;
  customerId?: string;
  couponCodes?: string[];
}

/** The terms a customer gets: each override given (and not null) replaces the coupon's own value. */
export interface AppliedTerms {
  amountCents: number | bigint | null;
  amountCurrency: string | null;
  percentageRate: string | number | null;
  frequency: string;
  frequencyDuration: number | null;
}

export const termsOf = (coupon: Coupon, input: AppliedCouponInput): AppliedTerms => ({
  amountCents: input.amount_cents ?? coupon.amountCents,
  amountCurrency: input.amount_currency ?? coupon.amountCurrency,
  percentageRate: input.percentage_rate ?? coupon.percentageRate,
  frequency: input.frequency ?? coupon.frequency,
  frequencyDuration: input.frequency_duration ?? coupon.frequencyDuration,
});

/**
 * Lago's applied-coupon rules. An unknown frequency is a 500 in Lago (an enum without validation); Billow answers
 * value_is_invalid.
 */
export const checkTerms = (coupon: Coupon, terms: AppliedTerms): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if (!oneOf(FREQUENCIES, terms.frequency)) errors.add('frequency', 'value_is_invalid');
  if (coupon.couponType === 'fixed_amount') {
    if (terms.amountCents === null) errors.add('amount_cents', 'value_is_mandatory');
    else if (terms.amountCents < 0 || terms.amountCents > Number.MAX_SAFE_INTEGER) errors.add('amount_cents', 'value_is_out_of_range');
    if (!isCurrency(terms.amountCurrency)) errors.add('amount_currency', 'value_is_invalid');
  } else if (terms.percentageRate === null) errors.add('percentage_rate', 'value_is_mandatory');
  else checkRate(errors, terms.percentageRate);
  if (terms.frequency === 'recurring') {
    // The remaining count starts at the duration, so Lago reports both fields for one missing value.
    const duration = terms.frequencyDuration;
    if (duration === null) {
      errors.add('frequency_duration', 'value_is_mandatory').add('frequency_duration', 'is not a number');
      errors.add('frequency_duration_remaining', 'value_is_mandatory').add('frequency_duration_remaining', 'is not a number');
    } else {
      if (duration <= 0 || duration > MAX_INT4) errors.add('frequency_duration', 'value_is_out_of_range');
      if (duration < 0 || duration > MAX_INT4) errors.add('frequency_duration_remaining', 'value_is_out_of_range');
    }
  }
  return errors;
};
