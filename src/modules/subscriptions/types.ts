import { Type, type Static } from '@sinclair/typebox';
import type { subscriptions } from '../../db/schema/index.ts';
import { Code, OptionalNullable } from '../../http/schemas.ts';
import { OptionalOrNull, PlanOverridesInput } from '../plans/types.ts';

export type Subscription = typeof subscriptions.$inferSelect;

export const SUBSCRIPTION_STATUSES = ['pending', 'active', 'terminated', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const BILLING_TIMES = ['calendar', 'anniversary'] as const;

/** A progressive-billing threshold set on the subscription itself (`usage_thresholds[]`). */
const SubscriptionUsageThresholdInput = Type.Object({
  threshold_display_name: OptionalNullable(Type.String()),
  amount_cents: OptionalNullable(Type.Integer()),
  recurring: OptionalNullable(Type.Boolean()),
});

export const SubscriptionCreateBody = Type.Object({
  subscription: Type.Object(
    {
      // Lago reads ids with to_s, so a number names the same customer as its digits.
      external_customer_id: OptionalNullable(Type.Union([Type.String(), Type.Number()])),
      plan_code: OptionalNullable(Type.String()),
      external_id: OptionalNullable(Type.Union([Code(), Type.Number()])),
      name: OptionalNullable(Type.String()),
      billing_time: OptionalNullable(Type.String()),
      subscription_at: OptionalNullable(Type.String()),
      ending_at: OptionalNullable(Type.String()),
      progressive_billing_disabled: Type.Optional(Type.Boolean()),
      // Thresholds of the subscription itself; they replace its plan's.
      usage_thresholds: OptionalOrNull(Type.Array(SubscriptionUsageThresholdInput)),
      // Null is as good as absent: the subscription is then billed on the plan itself.
      plan_overrides: OptionalOrNull(PlanOverridesInput),
    },
    { minProperties: 1 },
  ),
});
export type SubscriptionCreateInput = Static<typeof SubscriptionCreateBody>['subscription'];

export const SubscriptionUpdateBody = Type.Object({
  subscription: Type.Object({
    name: OptionalNullable(Type.String()),
    ending_at: OptionalNullable(Type.String()),
    subscription_at: OptionalNullable(Type.String()),
    progressive_billing_disabled: OptionalNullable(Type.Boolean()),
    // Replaces the subscription's own thresholds (`[]` removes them: its plan's apply again).
    usage_thresholds: OptionalOrNull(Type.Array(SubscriptionUsageThresholdInput)),
    // Only its thresholds are read on update (they go on the subscription's override plan in Lago).
    plan_overrides: OptionalOrNull(Type.Object({ usage_thresholds: OptionalOrNull(Type.Array(SubscriptionUsageThresholdInput)) })),
  }),
});
export type SubscriptionUpdateInput = Static<typeof SubscriptionUpdateBody>['subscription'];

export const SubscriptionListQuery = Type.Object({
  page: Type.Optional(Type.String()),
  per_page: Type.Optional(Type.String()),
  external_customer_id: Type.Optional(Type.String()),
  plan_code: Type.Optional(Type.String()),
  external_id: Type.Optional(Type.String()),
  'status[]': Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});

export interface SubscriptionFilters {
  externalCustomerId?: string | undefined;
  planCode?: string | undefined;
  externalId?: string | undefined;
  statuses: SubscriptionStatus[];
}

/**
 * Lago lists active subscriptions unless told otherwise, and ignores the status filter altogether when one of its
 * values is not a status.
 */
export const parseStatusFilter = (raw: string | string[] | undefined): SubscriptionStatus[] => {
  if (raw === undefined) return ['active'];
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.some((v) => !(SUBSCRIPTION_STATUSES as readonly string[]).includes(v))) return [...SUBSCRIPTION_STATUSES];
  return values as SubscriptionStatus[];
};
