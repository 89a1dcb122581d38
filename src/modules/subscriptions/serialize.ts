import { Type, type Static } from '@sinclair/typebox';
import { Temporal } from 'temporal-polyfill';
import { currentUsageWindow, localDateAt, type Interval, type BillingTime } from '../../billing/periods/index.ts';
import { nextBillingDate } from '../../billing/periods/schedule.ts';
import { Nullable } from '../../http/schemas.ts';
import { dateToInstant, instantToDate, isoMillis, isoSeconds } from '../../lib/time.ts';
import { PlanObject, serializePlan } from '../plans/serialize.ts';
import type { PlanDetails } from '../plans/types.ts';
import { applicableThresholds } from '../progressive-billing/applicable.ts';
import type { Threshold } from '../progressive-billing/thresholds.ts';
import type { Subscription } from './types.ts';

const Iso = Type.String({ format: 'date-time' });

const subscriptionProperties = {
  lago_id: Type.String({ format: 'uuid' }),
  external_id: Type.String(),
  lago_customer_id: Type.String({ format: 'uuid' }),
  external_customer_id: Type.String(),
  billing_entity_code: Type.String(),
  name: Nullable(Type.String()),
  plan_code: Type.String(),
  plan_amount_cents: Type.Integer(),
  plan_amount_currency: Type.String(),
  status: Type.String(),
  billing_time: Type.String(),
  subscription_at: Iso,
  started_at: Nullable(Iso),
  trial_ended_at: Nullable(Iso),
  ending_at: Nullable(Iso),
  terminated_at: Nullable(Iso),
  canceled_at: Nullable(Iso),
  created_at: Iso,
  previous_plan_code: Nullable(Type.String()),
  next_plan_code: Nullable(Type.String()),
  downgrade_plan_date: Nullable(Type.String({ format: 'date' })),
  current_billing_period_started_at: Nullable(Iso),
  current_billing_period_ending_at: Nullable(Iso),
  on_termination_credit_note: Nullable(Type.String()),
  on_termination_invoice: Type.String(),
  progressive_billing_disabled: Type.Boolean(),
  consolidate_invoice: Type.Boolean(),
  purchase_order_number: Nullable(Type.String()),
  cancellation_reason: Nullable(Type.String()),
  activated_at: Nullable(Iso),
  payment_method: Type.Object({ payment_method_id: Nullable(Type.String()), payment_method_type: Type.String() }),
  activation_rules: Type.Array(Type.Object({}, { additionalProperties: true })),
};

export const SubscriptionObject = Type.Object(subscriptionProperties, { $id: 'Subscription' });
export type SubscriptionJson = Static<typeof SubscriptionObject>;

/** The single-subscription form: the list form plus its plan (overrides applied) and the thresholds that apply. */
export const SubscriptionDetailObject = Type.Object(
  {
    ...subscriptionProperties,
    plan: PlanObject,
    applicable_usage_thresholds: Type.Array(
      Type.Object({ threshold_display_name: Nullable(Type.String()), amount_cents: Type.Integer(), recurring: Type.Boolean() }),
    ),
  },
  { $id: 'SubscriptionDetail' },
);
export type SubscriptionDetailJson = Static<typeof SubscriptionDetailObject>;

/** What the JSON of a subscription shows beside its own row. */
export interface SubscriptionView {
  subscription: Subscription;
  externalCustomerId: string;
  billingEntityCode: string;
  /** The customer's applicable time zone, in which its billing periods run. */
  timeZone: string;
  plan: PlanDetails;
  previousPlanCode: string | null;
  /** The plan of a downgrade scheduled to follow this subscription at the end of its period. */
  nextPlanCode: string | null;
  /** Its own progressive-billing thresholds (`usage_thresholds` of the subscription), which replace its plan's. */
  usageThresholds: Threshold[];
  now: Temporal.Instant;
}

/** The charges window of the period holding now (or the start, for a subscription that has not begun). */
const currentPeriod = (view: SubscriptionView): { from: string | null; to: string | null } => {
  const { subscription: s, plan } = view;
  if (!s.startedAt || s.status !== 'active') return { from: null, to: null };
  const startedAt = dateToInstant(s.startedAt);
  const at = Temporal.Instant.compare(view.now, startedAt) < 0 ? startedAt : view.now;
  const window = currentUsageWindow(
    {
      interval: plan.plan.interval as Interval,
      billingTime: s.billingTime as BillingTime,
      subscriptionAt: dateToInstant(s.subscriptionAt),
      startedAt,
      timeZone: view.timeZone,
      billChargesMonthly: plan.plan.billChargesMonthly ?? false,
    },
    at,
  );
  return { from: isoSeconds(instantToDate(window.chargesFromDatetime)), to: isoSeconds(instantToDate(window.chargesToDatetime)) };
};

const downgradeDate = (view: SubscriptionView): string => {
  const { subscription: s, plan } = view;
  const timing = {
    interval: plan.plan.interval as Interval,
    billingTime: s.billingTime as BillingTime,
    subscriptionAt: dateToInstant(s.subscriptionAt),
    startedAt: dateToInstant(s.startedAt!),
    timeZone: view.timeZone,
  };
  return nextBillingDate(timing, localDateAt(view.now, view.timeZone)).toString();
};

export const serializeSubscription = (view: SubscriptionView): SubscriptionJson => {
  const { subscription: s, plan } = view;
  const period = currentPeriod(view);
  return {
    lago_id: s.id,
    external_id: s.externalId,
    lago_customer_id: s.customerId,
    external_customer_id: view.externalCustomerId,
    billing_entity_code: view.billingEntityCode,
    name: s.name,
    plan_code: plan.plan.code,
    plan_amount_cents: Number(plan.plan.amountCents),
    plan_amount_currency: plan.plan.amountCurrency,
    status: s.status,
    billing_time: s.billingTime,
    subscription_at: isoSeconds(s.subscriptionAt)!,
    started_at: isoMillis(s.startedAt),
    trial_ended_at: isoSeconds(s.trialEndedAt),
    ending_at: isoSeconds(s.endingAt),
    terminated_at: isoSeconds(s.terminatedAt),
    canceled_at: isoSeconds(s.canceledAt),
    created_at: isoSeconds(s.createdAt)!,
    previous_plan_code: view.previousPlanCode,
    next_plan_code: view.nextPlanCode,
    // The day the scheduled downgrade starts: the day after the current period (Lago's next_end_of_period + 1 day).
    downgrade_plan_date: view.nextPlanCode && s.startedAt && s.status === 'active' ? downgradeDate(view) : null,
    current_billing_period_started_at: period.from,
    current_billing_period_ending_at: period.to,
    on_termination_credit_note: s.onTerminationCreditNote,
    on_termination_invoice: s.onTerminationInvoice,
    progressive_billing_disabled: s.progressiveBillingDisabled,
    consolidate_invoice: true,
    purchase_order_number: s.purchaseOrderNumber,
    cancellation_reason: null,
    activated_at: s.status === 'pending' ? null : isoSeconds(s.startedAt),
    payment_method: { payment_method_id: null, payment_method_type: 'provider' },
    activation_rules: [],
  };
};

export const serializeSubscriptionDetail = (view: SubscriptionView): SubscriptionDetailJson => ({
  ...serializeSubscription(view),
  plan: serializePlan(view.plan, { fixedCharges: false }),
  applicable_usage_thresholds: applicableThresholds(view.subscription, view.plan, view.usageThresholds).map((t) => ({
    threshold_display_name: t.thresholdDisplayName,
    amount_cents: Number(t.amountCents),
    recurring: t.recurring,
  })),
});
