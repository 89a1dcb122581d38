import { Type, type Static } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import { AnyObject, OptionalNullable } from '../../http/schemas.ts';
import { FieldErrorsBuilder, type BillowError } from '../../lib/errors.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import { BILLING_TIMES } from '../subscriptions/types.ts';

const Text = OptionalNullable(Type.String());

const PreviewAddress = Type.Object({
  address_line1: Text,
  address_line2: Text,
  city: Text,
  zipcode: Text,
  state: Text,
  country: Text,
});

/** The customer of a preview: an existing one by `external_id` (the other fields then override its own for the preview). */
const PreviewCustomer = Type.Object({
  external_id: Text,
  name: Text,
  tax_identification_number: Text,
  currency: Text,
  timezone: Text,
  address_line1: Text,
  address_line2: Text,
  city: Text,
  zipcode: Text,
  state: Text,
  country: Text,
  shipping_address: OptionalNullable(PreviewAddress),
  integration_customers: OptionalNullable(Type.Array(AnyObject)),
});

/**
 * POST /invoices/preview (Lago's `preview_params`): not wrapped in a resource key. `coupons` and `subscriptions` are
 * read by hand: Lago answers a 400 of its own when they are not a list and an object.
 */
export const InvoicePreviewBody = Type.Object(
  {
    customer: OptionalNullable(PreviewCustomer),
    plan_code: Text,
    billing_time: Text,
    subscription_at: Text,
    billing_entity_code: Text,
    coupons: Type.Optional(Type.Unknown()),
    subscriptions: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);
export type InvoicePreviewInput = Static<typeof InvoicePreviewBody>;
export type PreviewCustomerInput = Static<typeof PreviewCustomer>;

/** A coupon named for the preview only: an existing coupon by `code`, else one made of these terms. */
export interface PreviewCouponInput {
  code: string | null;
  name: string | null;
  couponType: string;
  amountCents: number | null;
  amountCurrency: string | null;
  percentageRate: string | number | null;
  frequency: string;
  frequencyDuration: number | null;
}

/** What the preview is of, as Lago's `Invoices::Preview::SubscriptionsService` tells its contexts apart. */
export type PreviewContext =
  /** A subscription that does not exist yet, to `plan_code`. */
  | { kind: 'proposal'; planCode: string | null; billingTime: 'calendar' | 'anniversary'; subscriptionAt: Temporal.Instant | null }
  /** Existing subscriptions: their next invoice. */
  | { kind: 'projection'; externalIds: string[] }
  /** One existing subscription moving to another plan now (upgrade) or at the end of its period (downgrade). */
  | { kind: 'plan_change'; externalIds: string[]; planCode: string }
  /** One existing subscription ending at `terminatedAt` (text, checked once the subscription is found). */
  | { kind: 'termination'; externalIds: string[]; terminatedAt: string };

export interface PreviewRequest {
  customer: PreviewCustomerInput;
  billingEntityCode: string | null;
  context: PreviewContext;
  coupons: PreviewCouponInput[];
}

/** A request refused before anything is looked up: Lago's own 400 bodies, or field errors. */
export type PreviewRefusal = { kind: 'bad_request'; error: string } | { kind: 'error'; error: BillowError };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);
const blank = (value: string | null | undefined): boolean => value == null || value.trim() === '';

/** An integer given as a JSON number or a numeric string, as Rails casts it; undefined when it is neither. */
const integer = (value: unknown): number | null | undefined => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
};

const readCoupon = (raw: unknown, errors: FieldErrorsBuilder): PreviewCouponInput | null => {
  if (!isObject(raw)) {
    errors.add('coupons', 'value_is_invalid');
    return null;
  }
  const amountCents = integer(raw.amount_cents);
  if (amountCents === undefined) errors.add('amount_cents', 'value_is_invalid');
  const frequencyDuration = integer(raw.frequency_duration);
  if (frequencyDuration === undefined) errors.add('frequency_duration', 'value_is_invalid');
  const rate = raw.percentage_rate;
  if (rate !== undefined && rate !== null && typeof rate !== 'string' && typeof rate !== 'number') errors.add('percentage_rate', 'value_is_invalid');
  return {
    code: text(raw.code),
    name: text(raw.name),
    // Lago's coupon columns default to a fixed amount used once.
    couponType: text(raw.coupon_type) ?? 'fixed_amount',
    amountCents: amountCents ?? null,
    amountCurrency: text(raw.amount_currency),
    percentageRate: typeof rate === 'string' || typeof rate === 'number' ? rate : null,
    frequency: text(raw.frequency) ?? 'once',
    frequencyDuration: frequencyDuration ?? null,
  };
};

/**
 * Reads a preview request as Lago's controller and context services do: `coupons` must be a list and `subscriptions`
 * an object (each a 400 of its own); `subscriptions.external_ids` makes it a preview of existing subscriptions, with
 * `terminated_at` a termination and `plan_code` a plan change; without them it is a new subscription to `plan_code`
 * (an unknown `billing_time` is calendar, as in Lago).
 */
export const parsePreviewRequest = (body: InvoicePreviewInput): Result<PreviewRequest, PreviewRefusal> => {
  if (body.coupons !== undefined && body.coupons !== null && !Array.isArray(body.coupons)) {
    return err({ kind: 'bad_request', error: 'coupons_must_be_an_array' });
  }
  if (body.subscriptions !== undefined && body.subscriptions !== null && !isObject(body.subscriptions)) {
    return err({ kind: 'bad_request', error: 'subscriptions_must_be_an_object' });
  }
  const errors = new FieldErrorsBuilder();
  const subscriptions = (body.subscriptions ?? {}) as Record<string, unknown>;
  const rawIds = subscriptions.external_ids;
  let externalIds: string[] = [];
  if (rawIds !== undefined && rawIds !== null) {
    if (Array.isArray(rawIds) && rawIds.every((id) => typeof id === 'string')) externalIds = [...new Set(rawIds as string[])];
    else errors.add('external_ids', 'value_is_invalid');
  }
  const coupons = ((body.coupons as unknown[] | null | undefined) ?? []).map((c) => readCoupon(c, errors));
  if (!errors.empty) return err({ kind: 'error', error: errors.toError() });

  let context: PreviewContext;
  const terminatedAt = text(subscriptions.terminated_at);
  const targetPlan = text(subscriptions.plan_code);
  if (externalIds.length === 0) {
    let subscriptionAt: Temporal.Instant | null = null;
    if (!blank(body.subscription_at)) {
      subscriptionAt = parseIsoDateTime(body.subscription_at);
      if (!subscriptionAt) return err({ kind: 'error', error: new FieldErrorsBuilder().add('subscription_at', 'invalid_date').toError() });
    }
    const billingTime = (BILLING_TIMES as readonly string[]).includes(body.billing_time ?? '') ? (body.billing_time as 'calendar' | 'anniversary') : 'calendar';
    context = { kind: 'proposal', planCode: blank(body.plan_code) ? null : body.plan_code!, billingTime, subscriptionAt };
  } else if (terminatedAt !== null) {
    // Any value given, a blank one included, asks for a termination (and a blank one is then refused).
    context = { kind: 'termination', externalIds, terminatedAt };
  } else if (targetPlan !== null) {
    context = { kind: 'plan_change', externalIds, planCode: targetPlan };
  } else {
    context = { kind: 'projection', externalIds };
  }
  return ok({
    customer: body.customer ?? {},
    billingEntityCode: blank(body.billing_entity_code) ? null : body.billing_entity_code!,
    context,
    coupons: coupons.filter((c): c is PreviewCouponInput => c !== null),
  });
};
