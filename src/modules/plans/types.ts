import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { chargeFilters, charges, commitments, plans, usageThresholds } from '../../db/schema/index.ts';
import { AnyObject, Code, OptionalNullable } from '../../http/schemas.ts';
import type { Tax } from '../taxes/types.ts';

export type Plan = typeof plans.$inferSelect;
export type Charge = typeof charges.$inferSelect;
export type ChargeFilter = typeof chargeFilters.$inferSelect;
export type UsageThreshold = typeof usageThresholds.$inferSelect;
export type Commitment = typeof commitments.$inferSelect;

export const PLAN_INTERVALS = ['weekly', 'monthly', 'yearly', 'quarterly', 'semiannual'] as const;
export type PlanInterval = (typeof PLAN_INTERVALS)[number];

/** A charge with everything its JSON shows. */
export interface ChargeDetails {
  charge: Charge;
  billableMetricCode: string;
  filters: ChargeFilter[];
  taxes: Tax[];
}

/** A plan with everything its JSON shows; what other modules (subscriptions, billing) read a plan as. */
export interface PlanDetails {
  plan: Plan;
  charges: ChargeDetails[];
  usageThresholds: UsageThreshold[];
  /** The thresholds that apply to subscriptions of the plan: an override child plan uses its parent's. */
  applicableUsageThresholds: UsageThreshold[];
  taxes: Tax[];
  minimumCommitment: { commitment: Commitment; taxes: Tax[] } | null;
}

// ---- request bodies --------------------------------------------------------------------------------------------
// Types are checked here (no coercion); Lago's business rules and field codes live in the check functions and
// services. Unknown keys are ignored, as Rails' strong parameters drop them.

/**
 * An optional list or object that may also be null (then ignored, as Rails drops it). Written as a JSON-Schema type
 * list rather than a union so that a bad item inside is reported under its own field name only, not also under the
 * container's.
 */
export const OptionalOrNull = <T extends TSchema>(schema: T) => {
  const plain = JSON.parse(JSON.stringify(schema)) as { type: string };
  return Type.Optional(Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'] }));
};

export const FilterInput = Type.Object({
  invoice_display_name: OptionalNullable(Type.String()),
  properties: OptionalNullable(AnyObject),
  values: OptionalNullable(AnyObject),
});
export type FilterInput = Static<typeof FilterInput>;

const ChargeFields = {
  billable_metric_id: OptionalNullable(Type.String()),
  code: OptionalNullable(Code()),
  invoice_display_name: OptionalNullable(Type.String()),
  charge_model: OptionalNullable(Type.String()),
  pay_in_advance: OptionalNullable(Type.Boolean()),
  prorated: OptionalNullable(Type.Boolean()),
  invoiceable: OptionalNullable(Type.Boolean()),
  regroup_paid_fees: OptionalNullable(Type.Literal('invoice')),
  min_amount_cents: OptionalNullable(Type.Integer()),
  accepts_target_wallet: OptionalNullable(Type.Boolean()),
  properties: OptionalNullable(AnyObject),
  filters: OptionalOrNull(Type.Array(FilterInput)),
  tax_codes: OptionalNullable(Type.Array(Type.String())),
  applied_pricing_unit: OptionalOrNull(
    Type.Object({
      code: OptionalNullable(Code()),
      conversion_rate: OptionalNullable(Type.Union([Type.String(), Type.Number()])),
    }),
  ),
  cascade_updates: OptionalNullable(Type.Boolean()),
};

/** A charge inside a plan body; `id` names an existing charge on update. */
export const PlanChargeInput = Type.Object({ id: OptionalNullable(Type.String()), ...ChargeFields });
export type ChargeInput = Static<typeof PlanChargeInput>;

const UsageThresholdInput = Type.Object({
  id: OptionalNullable(Type.String()),
  threshold_display_name: OptionalNullable(Type.String()),
  amount_cents: OptionalNullable(Type.Integer()),
  recurring: OptionalNullable(Type.Boolean()),
});
export type UsageThresholdInput = Static<typeof UsageThresholdInput>;

const MinimumCommitmentInput = Type.Object({
  id: OptionalNullable(Type.String()),
  invoice_display_name: OptionalNullable(Type.String()),
  amount_cents: OptionalNullable(Type.Integer()),
  tax_codes: OptionalNullable(Type.Array(Type.String())),
});
export type MinimumCommitmentInput = Static<typeof MinimumCommitmentInput>;

export const PlanBody = Type.Object({
  plan: Type.Object(
    {
      name: OptionalNullable(Type.String()),
      invoice_display_name: OptionalNullable(Type.String()),
      code: OptionalNullable(Code()),
      interval: OptionalNullable(Type.String()),
      description: OptionalNullable(Type.String()),
      amount_cents: OptionalNullable(Type.Integer()),
      amount_currency: OptionalNullable(Type.String()),
      trial_period: OptionalNullable(Type.Number()),
      pay_in_advance: OptionalNullable(Type.Boolean()),
      bill_charges_monthly: OptionalNullable(Type.Boolean()),
      bill_fixed_charges_monthly: OptionalNullable(Type.Boolean()),
      cascade_updates: OptionalNullable(Type.Boolean()),
      metadata: OptionalNullable(AnyObject),
      tax_codes: OptionalNullable(Type.Array(Type.String())),
      minimum_commitment: OptionalOrNull(MinimumCommitmentInput),
      charges: OptionalOrNull(Type.Array(PlanChargeInput)),
      fixed_charges: OptionalOrNull(Type.Array(AnyObject)),
      usage_thresholds: OptionalOrNull(Type.Array(UsageThresholdInput)),
    },
    { minProperties: 1 },
  ),
});
export type PlanInput = Static<typeof PlanBody>['plan'];

/**
 * What a subscription may change in its private copy of a plan (Lago's permitted `plan_overrides`). A charge is named
 * by the `id` of the parent plan's charge; its model and metric stay the parent's, so `billable_metric_id`, `code`,
 * `charge_model` and `applied_pricing_unit` are not read.
 */
const ChargeOverrideInput = Type.Object({
  id: OptionalNullable(Type.String()),
  invoice_display_name: OptionalNullable(Type.String()),
  min_amount_cents: OptionalNullable(Type.Integer()),
  properties: OptionalNullable(AnyObject),
  filters: OptionalOrNull(Type.Array(FilterInput)),
  tax_codes: OptionalNullable(Type.Array(Type.String())),
});
export type ChargeOverrideInput = Static<typeof ChargeOverrideInput>;

export const PlanOverridesInput = Type.Object({
  amount_cents: OptionalNullable(Type.Integer()),
  amount_currency: OptionalNullable(Type.String()),
  description: OptionalNullable(Type.String()),
  invoice_display_name: OptionalNullable(Type.String()),
  name: OptionalNullable(Type.String()),
  trial_period: OptionalNullable(Type.Number()),
  tax_codes: OptionalNullable(Type.Array(Type.String())),
  minimum_commitment: OptionalOrNull(MinimumCommitmentInput),
  charges: OptionalOrNull(Type.Array(ChargeOverrideInput)),
  fixed_charges: OptionalOrNull(Type.Array(AnyObject)),
  usage_thresholds: OptionalOrNull(Type.Array(UsageThresholdInput)),
});
export type PlanOverridesInput = Static<typeof PlanOverridesInput>;

export const ChargeBody = Type.Object({ charge: Type.Object(ChargeFields, { minProperties: 1 }) });
export type NestedChargeInput = Static<typeof ChargeBody>['charge'];

export const FilterBody = Type.Object({
  filter: Type.Object({ ...FilterInput.properties, cascade_updates: OptionalNullable(Type.Boolean()) }, { minProperties: 1 }),
});
export type NestedFilterInput = Static<typeof FilterBody>['filter'];
