import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { instantToDate, isoMillis, isoSeconds } from '../../lib/time.ts';
import type { AppliedUsageThresholdRow } from './repository.ts';
import type { LifetimeUsageView } from './service.ts';

const DateTime = Type.String({ format: 'date-time' });

/** Lago's `V1::LifetimeUsageSerializer` with its `usage_thresholds` (only when thresholds apply). */
export const LifetimeUsageObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    lago_subscription_id: Type.String({ format: 'uuid' }),
    external_subscription_id: Type.String(),
    external_historical_usage_amount_cents: Type.Integer(),
    invoiced_usage_amount_cents: Type.Integer(),
    current_usage_amount_cents: Type.Integer(),
    from_datetime: Nullable(DateTime),
    to_datetime: DateTime,
    usage_thresholds: Type.Optional(
      Type.Array(Type.Object({ amount_cents: Type.Integer(), completion_ratio: Type.Number(), reached_at: Nullable(DateTime) })),
    ),
  },
  { $id: 'LifetimeUsage' },
);
export type LifetimeUsageJson = Static<typeof LifetimeUsageObject>;

export const serializeLifetimeUsage = (view: LifetimeUsageView): LifetimeUsageJson => ({
  lago_id: view.row.id,
  lago_subscription_id: view.row.subscriptionId,
  external_subscription_id: view.subscription.externalId,
  external_historical_usage_amount_cents: Number(view.row.historicalUsageAmountCents),
  invoiced_usage_amount_cents: Number(view.row.invoicedUsageAmountCents),
  current_usage_amount_cents: Number(view.row.currentUsageAmountCents),
  from_datetime: isoSeconds(view.subscription.subscriptionAt),
  to_datetime: isoSeconds(instantToDate(view.now))!,
  ...(view.thresholds && {
    usage_thresholds: view.thresholds.map((t) => ({
      amount_cents: Number(t.amountCents),
      completion_ratio: t.completionRatio,
      reached_at: isoMillis(t.reachedAt),
    })),
  }),
});

/** Lago's `V1::UsageThresholdSerializer`, for a threshold as it was applied. */
export const UsageThresholdObject = Type.Object({
  lago_id: Type.String({ format: 'uuid' }),
  threshold_display_name: Nullable(Type.String()),
  amount_cents: Type.Integer(),
  recurring: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});

export const serializeUsageThreshold = (t: { id: string; thresholdDisplayName: string | null; amountCents: bigint; recurring: boolean; createdAt: Date; updatedAt: Date }) => ({
  lago_id: t.id,
  threshold_display_name: t.thresholdDisplayName,
  amount_cents: Number(t.amountCents),
  recurring: t.recurring,
  created_at: isoSeconds(t.createdAt)!,
  updated_at: isoSeconds(t.updatedAt)!,
});

/** Lago's `V1::AppliedUsageThresholdSerializer`: an entry of a progressive invoice's `applied_usage_thresholds`. */
export const AppliedUsageThresholdObject = Type.Object({
  lifetime_usage_amount_cents: Type.Integer(),
  created_at: DateTime,
  usage_threshold: UsageThresholdObject,
});

export const serializeAppliedUsageThreshold = (a: AppliedUsageThresholdRow) => ({
  lifetime_usage_amount_cents: Number(a.lifetimeUsageAmountCents),
  created_at: isoSeconds(a.createdAt)!,
  usage_threshold: serializeUsageThreshold({
    id: a.usageThresholdId,
    thresholdDisplayName: a.thresholdDisplayName,
    amountCents: a.amountCents,
    recurring: a.recurring,
    createdAt: a.thresholdCreatedAt,
    updatedAt: a.thresholdUpdatedAt,
  }),
});
