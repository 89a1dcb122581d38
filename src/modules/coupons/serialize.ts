import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { Decimal } from '../../lib/money.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { CouponView } from './types.ts';

/** Lago prints a decimal column as Ruby's BigDecimal#to_s does: "20.0", "12.5", "0.12345". */
export const decimalText = (value: string | null): string | null => {
  if (value === null) return null;
  const text = new Decimal(value).toFixed();
  return text.includes('.') ? text : `${text}.0`;
};

export const CouponObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    code: Type.String(),
    description: Nullable(Type.String()),
    coupon_type: Type.String(),
    amount_cents: Nullable(Type.Integer()),
    amount_currency: Nullable(Type.String()),
    percentage_rate: Nullable(Type.String()),
    frequency: Type.String(),
    frequency_duration: Nullable(Type.Integer()),
    reusable: Type.Boolean(),
    limited_plans: Type.Boolean(),
    limited_billable_metrics: Type.Boolean(),
    plan_codes: Type.Array(Type.String()),
    billable_metric_codes: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    expiration: Type.String(),
    expiration_at: Nullable(Type.String({ format: 'date-time' })),
    terminated_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'Coupon' },
);
export type CouponJson = Static<typeof CouponObject>;

export const serializeCoupon = ({ coupon: c, planCodes, billableMetricCodes }: CouponView): CouponJson => ({
  lago_id: c.id,
  name: c.name,
  code: c.code,
  description: c.description,
  coupon_type: c.couponType,
  amount_cents: c.amountCents === null ? null : Number(c.amountCents),
  amount_currency: c.amountCurrency,
  percentage_rate: decimalText(c.percentageRate),
  frequency: c.frequency,
  frequency_duration: c.frequencyDuration,
  reusable: c.reusable,
  limited_plans: c.limitedPlans,
  limited_billable_metrics: c.limitedBillableMetrics,
  plan_codes: planCodes,
  billable_metric_codes: billableMetricCodes,
  created_at: isoSeconds(c.createdAt)!,
  expiration: c.expiration,
  expiration_at: isoSeconds(c.expirationAt),
  terminated_at: isoSeconds(c.terminatedAt),
});
