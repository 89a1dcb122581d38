import { Type, type Static } from '@sinclair/typebox';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { decimalText } from '../coupons/serialize.ts';
import type { AppliedCouponView } from './types.ts';

const DateTime = Type.String({ format: 'date-time' });

const appliedCouponProperties = {
  lago_id: Type.String({ format: 'uuid' }),
  lago_coupon_id: Type.String({ format: 'uuid' }),
  coupon_code: Type.String(),
  coupon_name: Type.String(),
  coupon_description: Nullable(Type.String()),
  coupon_status: Type.String(),
  coupon_deleted_at: Nullable(DateTime),
  lago_customer_id: Type.String({ format: 'uuid' }),
  external_customer_id: Type.String(),
  status: Type.String(),
  amount_cents: Nullable(Type.Integer()),
  amount_cents_remaining: Nullable(Type.Integer()),
  amount_currency: Nullable(Type.String()),
  percentage_rate: Nullable(Type.String()),
  frequency: Type.String(),
  frequency_duration: Nullable(Type.Integer()),
  frequency_duration_remaining: Nullable(Type.Integer()),
  expiration_at: Nullable(DateTime),
  created_at: DateTime,
  terminated_at: Nullable(DateTime),
};

/** An applied coupon as POST /applied_coupons and the terminating DELETE answer it. */
export const AppliedCouponObject = Type.Object(appliedCouponProperties, { $id: 'AppliedCoupon' });
export type AppliedCouponJson = Static<typeof AppliedCouponObject>;

/** Lists add the credits the coupon gave on invoices. */
export const AppliedCouponListedObject = Type.Object(
  { ...appliedCouponProperties, credits: Type.Array(AnyObject) },
  { $id: 'AppliedCouponListed' },
);
export type AppliedCouponListedJson = Static<typeof AppliedCouponListedObject>;

export const serializeAppliedCoupon = ({ applied: a, coupon, externalCustomerId }: AppliedCouponView): AppliedCouponJson => ({
  lago_id: a.id,
  lago_coupon_id: coupon.id,
  coupon_code: coupon.code,
  coupon_name: coupon.name,
  coupon_description: coupon.description,
  coupon_status: coupon.status,
  coupon_deleted_at: isoSeconds(coupon.deletedAt),
  lago_customer_id: a.customerId,
  external_customer_id: externalCustomerId,
  status: a.status,
  amount_cents: a.amountCents === null ? null : Number(a.amountCents),
  // Only a one-off amount is used up over invoices; recurring, forever and percentage coupons have no remainder.
  amount_cents_remaining:
    a.frequency !== 'once' || coupon.couponType === 'percentage' ? null : Number(a.amountCentsRemaining ?? a.amountCents ?? 0),
  amount_currency: a.amountCurrency,
  percentage_rate: decimalText(a.percentageRate),
  frequency: a.frequency,
  frequency_duration: a.frequencyDuration,
  frequency_duration_remaining: a.frequencyDurationRemaining,
  // The coupon's own expiry, as Lago prints it.
  expiration_at: isoSeconds(coupon.expirationAt),
  created_at: isoSeconds(a.createdAt)!,
  terminated_at: isoSeconds(a.terminatedAt),
});

export const serializeListedAppliedCoupon = (view: AppliedCouponView): AppliedCouponListedJson => ({
  ...serializeAppliedCoupon(view),
  // Credits are what invoices deducted; Billow issues no invoice yet, so there are none.
  credits: [],
});
