import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { presentProperties } from '../../billing/charge-models/index.ts';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import { serializeTax, TaxObject } from '../taxes/serialize.ts';
import type { ChargeDetails, ChargeFilter, Commitment, Plan, PlanDetails, UsageThreshold } from './types.ts';
import type { Tax } from '../taxes/types.ts';

const DateTime = Type.String({ format: 'date-time' });

/**
 * A copy of a schema without its `$id`: a plan shows taxes in three places, and one response schema may not hold the
 * same `$id` twice.
 */
const inline = <T extends TSchema>(schema: T): T => {
  const { $id: _id, ...rest } = schema;
  return rest as T;
};
const TaxItem = inline(TaxObject);
const Uuid = Type.String({ format: 'uuid' });

export const ChargeFilterObject = Type.Object(
  {
    lago_id: Uuid,
    charge_code: Type.String(),
    invoice_display_name: Nullable(Type.String()),
    properties: AnyObject,
    values: Type.Record(Type.String(), Type.Array(Type.String())),
  },
  { $id: 'ChargeFilter' },
);
export type ChargeFilterJson = Static<typeof ChargeFilterObject>;

export const ChargeObject = Type.Object(
  {
    lago_id: Uuid,
    lago_billable_metric_id: Uuid,
    code: Type.String(),
    invoice_display_name: Nullable(Type.String()),
    billable_metric_code: Type.String(),
    created_at: DateTime,
    charge_model: Type.String(),
    invoiceable: Type.Boolean(),
    regroup_paid_fees: Nullable(Type.String()),
    pay_in_advance: Type.Boolean(),
    prorated: Type.Boolean(),
    min_amount_cents: Type.Integer(),
    accepts_target_wallet: Type.Boolean(),
    properties: AnyObject,
    applied_pricing_unit: Nullable(Type.Object({ conversion_rate: Type.String(), code: Type.String() })),
    lago_parent_id: Nullable(Uuid),
    filters: Type.Array(inline(ChargeFilterObject)),
    taxes: Type.Array(TaxItem),
  },
  { $id: 'Charge' },
);
export type ChargeJson = Static<typeof ChargeObject>;

export const UsageThresholdObject = Type.Object(
  {
    lago_id: Uuid,
    threshold_display_name: Nullable(Type.String()),
    amount_cents: Type.Integer(),
    recurring: Type.Boolean(),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'UsageThreshold' },
);

const ApplicableUsageThresholdObject = Type.Object({
  threshold_display_name: Nullable(Type.String()),
  amount_cents: Type.Integer(),
  recurring: Type.Boolean(),
});

export const MinimumCommitmentObject = Type.Object(
  {
    lago_id: Uuid,
    plan_code: Type.String(),
    invoice_display_name: Nullable(Type.String()),
    amount_cents: Type.Integer(),
    interval: Type.String(),
    created_at: DateTime,
    updated_at: DateTime,
    taxes: Type.Array(TaxItem),
  },
  { $id: 'MinimumCommitment' },
);

export const PlanObject = Type.Object(
  {
    lago_id: Uuid,
    name: Type.String(),
    invoice_display_name: Nullable(Type.String()),
    created_at: DateTime,
    code: Type.String(),
    interval: Type.String(),
    description: Nullable(Type.String()),
    amount_cents: Type.Integer(),
    amount_currency: Type.String(),
    trial_period: Nullable(Type.Number()),
    pay_in_advance: Type.Boolean(),
    bill_charges_monthly: Nullable(Type.Boolean()),
    bill_fixed_charges_monthly: Nullable(Type.Boolean()),
    customers_count: Type.Integer(),
    active_subscriptions_count: Type.Integer(),
    draft_invoices_count: Type.Integer(),
    parent_id: Nullable(Uuid),
    pending_deletion: Type.Boolean(),
    charges: Type.Array(inline(ChargeObject)),
    // Shown by every plan answer except the list, as in Lago. Billow has no fixed charges yet: always empty.
    fixed_charges: Type.Optional(Type.Array(AnyObject)),
    entitlements: Type.Array(AnyObject),
    usage_thresholds: Type.Array(inline(UsageThresholdObject)),
    applicable_usage_thresholds: Type.Array(ApplicableUsageThresholdObject),
    taxes: Type.Array(TaxItem),
    // Absent, never null, when the plan has none.
    minimum_commitment: Type.Optional(inline(MinimumCommitmentObject)),
    metadata: Type.Optional(AnyObject),
  },
  { $id: 'Plan' },
);
export type PlanJson = Static<typeof PlanObject>;

/** Integer cents as a JSON number; amounts are validated to fit, so this never loses a digit. */
const cents = (value: bigint): number => Number(value);

export const serializeChargeFilter = (filter: ChargeFilter, chargeCode: string): ChargeFilterJson => ({
  lago_id: filter.id,
  charge_code: chargeCode,
  invoice_display_name: filter.invoiceDisplayName,
  properties: presentProperties(filter.properties),
  values: filter.values,
});

export const serializeCharge = ({ charge, billableMetricCode, filters, taxes }: ChargeDetails): ChargeJson => ({
  lago_id: charge.id,
  lago_billable_metric_id: charge.billableMetricId,
  code: charge.code,
  invoice_display_name: charge.invoiceDisplayName,
  billable_metric_code: billableMetricCode,
  created_at: isoSeconds(charge.createdAt)!,
  charge_model: charge.chargeModel,
  invoiceable: charge.invoiceable,
  regroup_paid_fees: charge.regroupPaidFees,
  pay_in_advance: charge.payInAdvance,
  prorated: charge.prorated,
  min_amount_cents: cents(charge.minAmountCents),
  accepts_target_wallet: charge.acceptsTargetWallet,
  properties: presentProperties(charge.properties),
  // Billow has no pricing units: amounts are always in the plan's currency.
  applied_pricing_unit: null,
  lago_parent_id: charge.parentId,
  filters: filters.map((f) => serializeChargeFilter(f, charge.code)),
  taxes: taxes.map(serializeTax),
});

export const serializeUsageThreshold = (t: UsageThreshold) => ({
  lago_id: t.id,
  threshold_display_name: t.thresholdDisplayName,
  amount_cents: cents(t.amountCents),
  recurring: t.recurring,
  created_at: isoSeconds(t.createdAt)!,
  updated_at: isoSeconds(t.updatedAt)!,
});

export const serializeMinimumCommitment = (plan: Plan, commitment: Commitment, taxes: Tax[]) => ({
  lago_id: commitment.id,
  plan_code: plan.code,
  invoice_display_name: commitment.invoiceDisplayName,
  amount_cents: cents(commitment.amountCents),
  // A commitment is owed per billing period of its plan.
  interval: plan.interval,
  created_at: isoSeconds(commitment.createdAt)!,
  updated_at: isoSeconds(commitment.updatedAt)!,
  taxes: taxes.map(serializeTax),
});

/**
 * A plan as Lago shows it. The deprecated counters are always 0, as in Lago. `fixedCharges: false` gives the shape of
 * list items, which Lago prints without `fixed_charges`.
 */
export const serializePlan = (details: PlanDetails, options: { fixedCharges?: boolean; pendingDeletion?: boolean } = {}): PlanJson => {
  const { plan } = details;
  const json: PlanJson = {
    lago_id: plan.id,
    name: plan.name,
    invoice_display_name: plan.invoiceDisplayName,
    created_at: isoSeconds(plan.createdAt)!,
    code: plan.code,
    interval: plan.interval,
    description: plan.description,
    amount_cents: cents(plan.amountCents),
    amount_currency: plan.amountCurrency,
    trial_period: plan.trialPeriod,
    pay_in_advance: plan.payInAdvance,
    bill_charges_monthly: plan.billChargesMonthly,
    bill_fixed_charges_monthly: plan.billFixedChargesMonthly,
    customers_count: 0,
    active_subscriptions_count: 0,
    draft_invoices_count: 0,
    parent_id: plan.parentId,
    pending_deletion: options.pendingDeletion ?? plan.pendingDeletion,
    charges: details.charges.map(serializeCharge),
    ...(options.fixedCharges !== false && { fixed_charges: [] }),
    entitlements: [],
    usage_thresholds: details.usageThresholds.map(serializeUsageThreshold),
    applicable_usage_thresholds: details.applicableUsageThresholds.map((t) => ({
      threshold_display_name: t.thresholdDisplayName,
      amount_cents: cents(t.amountCents),
      recurring: t.recurring,
    })),
    taxes: details.taxes.map(serializeTax),
  };
  if (details.minimumCommitment) {
    json.minimum_commitment = serializeMinimumCommitment(plan, details.minimumCommitment.commitment, details.minimumCommitment.taxes);
  }
  if (plan.metadata !== null) json.metadata = plan.metadata;
  return json;
};

