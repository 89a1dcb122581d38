import { Type, type Static } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import type { couponTargets, coupons } from '../../db/schema/index.ts';
import { Nullable, OptionalNullable } from '../../http/schemas.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { Decimal, isDecimalString } from '../../lib/money.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import { MAX_INT4, MAX_KEY_LENGTH } from '../../lib/text.ts';

export type Coupon = typeof coupons.$inferSelect;
export type CouponTarget = typeof couponTargets.$inferSelect;

export const COUPON_TYPES = ['fixed_amount', 'percentage'] as const;
export const FREQUENCIES = ['once', 'recurring', 'forever'] as const;
export const EXPIRATIONS = ['no_expiration', 'time_limit'] as const;

export const oneOf = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);

/** A coupon with the codes of what it is limited to (empty lists: it applies to everything). */
export interface CouponView {
  coupon: Coupon;
  planCodes: string[];
  billableMetricCodes: string[];
}

const Text = OptionalNullable(Type.String());
/** Lago takes a rate as a JSON number or a numeric string; the client sends a string. */
export const RateInput = OptionalNullable(Type.Union([Type.String(), Type.Number()]));
/** `applies_to` lists may hold nulls, which Lago drops. */
const CodeList = OptionalNullable(Type.Array(Nullable(Type.String())));

export const CouponBody = Type.Object({
  coupon: Type.Object(
    {
      name: Text,
      code: Text,
      description: Text,
      coupon_type: Text,
      amount_cents: OptionalNullable(Type.Integer()),
      amount_currency: Text,
      percentage_rate: RateInput,
      frequency: Text,
      frequency_duration: OptionalNullable(Type.Integer()),
      expiration: Text,
      expiration_at: Text,
      reusable: OptionalNullable(Type.Boolean()),
      applies_to: OptionalNullable(Type.Object({ plan_codes: CodeList, billable_metric_codes: CodeList })),
    },
    { minProperties: 1 },
  ),
});
export type CouponInput = Static<typeof CouponBody>['coupon'];

const LAST_INSTANT_MS = Date.UTC(10000, 0, 1);

/**
 * Lago's `expiration_at` rule, checked before anything else and reported alone: when given, it must be a date-time in
 * the future.
 */
export const checkExpirationAt = (value: string | null | undefined, now: Temporal.Instant): FieldErrorsBuilder | null => {
  if (value == null || value.trim() === '') return null;
  const at = parseIsoDateTime(value);
  // Years past 9999 parse but cannot be written back as ISO-8601 text that PostgreSQL reads.
  if (at === null || at.epochMilliseconds <= now.epochMilliseconds || at.epochMilliseconds >= LAST_INSTANT_MS) {
    return new FieldErrorsBuilder().add('expiration_at', 'invalid_date');
  }
  return null;
};

/** The coupon fields the model rules look at, as they will be once the request is applied. */
export interface CouponDraft {
  name: string | null;
  code: string | null;
  couponType: string | null;
  amountCents: number | bigint | null;
  amountCurrency: string | null;
  percentageRate: string | number | null;
  frequency: string | null;
  frequencyDuration: number | null;
  expiration: string | null;
  expirationAt: string | Date | null;
  reusable: boolean | null;
}

/** A rate as stored: at most 5 decimals (Lago's decimal(10,5) column), or null when it is not a number. */
export const parseRate = (rate: string | number): Decimal | null => {
  if (typeof rate === 'number') return Number.isFinite(rate) ? new Decimal(rate).toDecimalPlaces(5) : null;
  return isDecimalString(rate) ? new Decimal(rate.trim()).toDecimalPlaces(5) : null;
};

/** A percentage coupon takes off more than nothing and at most everything. */
export const checkRate = (errors: FieldErrorsBuilder, rate: string | number): void => {
  const parsed = parseRate(rate);
  if (parsed === null) errors.add('percentage_rate', 'value_is_invalid');
  else if (parsed.lte(0) || parsed.gt(100)) errors.add('percentage_rate', 'value_is_out_of_range');
};

const blank = (value: string | null): boolean => value === null || value.trim() === '';

/**
 * The coupon's rules, in the order Lago's model declares them. Only the fields of the coupon's own type are checked
 * (and stored): a percentage coupon has no amount, a fixed one no rate, only a recurring one has a duration.
 */
export const checkCouponDraft = (draft: CouponDraft, codeTaken = false): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if (!oneOf(EXPIRATIONS, draft.expiration)) errors.add('expiration', 'value_is_invalid');
  if (!oneOf(COUPON_TYPES, draft.couponType)) errors.add('coupon_type', 'value_is_invalid');
  if (!oneOf(FREQUENCIES, draft.frequency)) errors.add('frequency', 'value_is_invalid');
  if (blank(draft.name)) errors.add('name', 'value_is_mandatory');
  if (blank(draft.code)) errors.add('code', 'value_is_mandatory');
  else if ([...draft.code!].length > MAX_KEY_LENGTH) errors.add('code', 'value_is_too_long');
  else if (codeTaken) errors.add('code', 'value_already_exist');
  if (draft.couponType === 'fixed_amount') {
    if (draft.amountCents === null) errors.add('amount_cents', 'value_is_mandatory');
    else if (draft.amountCents <= 0 || draft.amountCents > Number.MAX_SAFE_INTEGER) errors.add('amount_cents', 'value_is_out_of_range');
    if (draft.amountCurrency === null) errors.add('amount_currency', 'value_is_mandatory');
    else if (!isCurrency(draft.amountCurrency)) errors.add('amount_currency', 'value_is_invalid');
  }
  if (draft.couponType === 'percentage') {
    if (draft.percentageRate === null) errors.add('percentage_rate', 'value_is_mandatory');
    else checkRate(errors, draft.percentageRate);
  }
  if (draft.frequency === 'recurring') {
    // Lago's presence and numericality rules both fail on a missing duration, hence its two messages.
    if (draft.frequencyDuration === null) errors.add('frequency_duration', 'value_is_mandatory').add('frequency_duration', 'is not a number');
    else if (draft.frequencyDuration <= 0 || draft.frequencyDuration > MAX_INT4) errors.add('frequency_duration', 'value_is_out_of_range');
  }
  // An explicit null breaks Lago's `exclusion: [nil]` rule, whose message is value_is_reserved.
  if (draft.reusable === null) errors.add('reusable', 'value_is_reserved');
  if (draft.expiration === 'time_limit' && draft.expirationAt === null) errors.add('expiration_at', 'value_is_mandatory');
  return errors;
};

/** Codes of an `applies_to` list as Lago reads them: nulls dropped, duplicates once. */
export const codeList = (codes: (string | null)[] | null | undefined): string[] | undefined =>
  codes == null ? undefined : [...new Set(codes.filter((c): c is string => c !== null))];
