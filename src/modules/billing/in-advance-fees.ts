import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import type { AggregationType, MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { unitsOf } from '../../billing/aggregation/units.ts';
import type { WindowState } from '../../billing/aggregation/window-state.ts';
import {
  countStep,
  daysToPeriodEnd,
  priceInAdvanceEvent,
  proratedStep,
  sumStep,
  uniqueCountStep,
  type InAdvanceLevel,
  type InAdvanceStep,
  type InAdvanceUsage,
} from '../../billing/charge-models/in-advance.ts';
import { isChargeModel, percentageEventNeeds } from '../../billing/charge-models/index.ts';
import { currentUsageWindow } from '../../billing/periods/index.ts';
import type { DeclaredValues } from '../../billing/usage/filter-buckets.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { Decimal } from '../../lib/money.ts';
import { dateToInstant, instantToDate } from '../../lib/time.ts';
import type { EventRow } from '../events/repository.ts';
import type { MeteringService } from '../metering/service.ts';
import { plans as plansTable } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { loadPlanDetails } from '../plans/details.ts';
import type { ChargeDetails, Plan, PlanDetails } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { declaredFilterValues, metricsByIds, type MetricRow } from '../usage/repository.ts';
import type { FeeDraft } from './fee-drafts.ts';
import { timingOf } from './fee-drafts.ts';
import { eventBucket, readBucketState, readEventUsage, readEventValues, type EventUsageInput } from './in-advance-usage.ts';

/** Aggregations a pay-in-advance charge may use (Lago refuses max, latest and weighted sums). */
const IN_ADVANCE_AGGREGATIONS: ReadonlySet<AggregationType> = new Set(['count_agg', 'sum_agg', 'unique_count_agg']);

/** Which events are billed: count events always, the others only when they carry their metric's value (Lago's `can_create_fee?`). */
const billable = (type: AggregationType, usage: { contribution: { value: Decimal | null; unique: unknown } }): boolean =>
  type === 'count_agg' || usage.contribution.value !== null || usage.contribution.unique !== null;

export interface InAdvanceInput {
  tx: Db;
  metering: MeteringService;
  organizationId: string;
  timeZone: string;
  subscription: Subscription;
  details: PlanDetails;
  charge: ChargeDetails;
  metric: MetricRow;
  config: MeteringConfig;
  declared: DeclaredValues;
  event: EventRow;
  /** The event is not stored (an estimate). */
  unsaved?: boolean;
}

/** A plan as pay-in-advance billing reads it: its details, and its pay-in-advance charges' metrics and settings. */
export interface InAdvancePlan {
  details: PlanDetails;
  metrics: Map<string, MetricRow>;
  configs: Map<string, MeteringConfig>;
  declared: Map<string, Record<string, string[]>>;
}

export const loadInAdvancePlan = async (tx: Db, metering: MeteringService, organizationId: string, planId: string): Promise<InAdvancePlan> => {
  const [plan] = await selectRows<Plan>(tx, plansTable, sql`plans WHERE organization_id = ${organizationId} AND id = ${planId}`);
  if (!plan) throw new Error(`plan ${planId} not found`);
  const [details] = await loadPlanDetails(tx, organizationId, [plan]);
  const inAdvance = details!.charges.filter(({ charge }) => charge.payInAdvance);
  const metrics = await metricsByIds(tx, organizationId, inAdvance.map(({ charge }) => charge.billableMetricId));
  const configs = await metering.settingsFor(tx, organizationId, [...new Set([...metrics.values()].map((m) => m.code))]);
  const declared = await declaredFilterValues(tx, organizationId, [...metrics.keys()]);
  return { details: details!, metrics, configs, declared };
};

/** The input of `draftInAdvanceFee` for one event on one charge of a plan; null when the charge is not on its metric. */
export const inAdvanceInput = (
  base: Pick<InAdvanceInput, 'tx' | 'metering' | 'organizationId' | 'timeZone' | 'subscription' | 'event' | 'unsaved'>,
  plan: InAdvancePlan,
  charge: ChargeDetails,
): InAdvanceInput | null => {
  const metric = plan.metrics.get(charge.charge.billableMetricId);
  if (!charge.charge.payInAdvance || !metric || metric.code !== base.event.code) return null;
  return {
    ...base,
    details: plan.details,
    charge,
    metric,
    config: plan.configs.get(metric.code) ?? { code: metric.code, metric: null, dimensionKeys: [] },
    declared: plan.declared.get(metric.id) ?? {},
  };
};

/** The last running aggregation of a charge (filter, group) in a period, from its latest pay-in-advance fee. */
const previousLevel = async (input: InAdvanceInput, filterId: string | null, groupedBy: Record<string, string | null>, periodFrom: Temporal.Instant): Promise<InAdvanceLevel | null> => {
  const [row] = await queryRows<{ level: string | null; max: string | null }>(
    input.tx,
    sql`SELECT in_advance_level::text AS level, in_advance_max::text AS max FROM fees
      WHERE organization_id = ${input.organizationId} AND subscription_id = ${input.subscription.id} AND charge_id = ${input.charge.charge.id}
        AND from_datetime = ${instantToDate(periodFrom).toISOString()}::timestamptz AND pay_in_advance_event_id IS NOT NULL
        AND charge_filter_id IS NOT DISTINCT FROM ${filterId}::uuid AND grouped_by = ${JSON.stringify(groupedBy)}::jsonb
      ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  if (!row || row.level === null || row.max === null) return null;
  return { current: new Decimal(row.level), max: new Decimal(row.max) };
};

/**
 * A recurring metric's aggregation carries over: a period's first event starts from the units held when the period
 * opened (re-billed then), not from 0.
 */
const carriedLevel = (type: AggregationType, state: WindowState, window: { fromMs: number; toMs: number }): InAdvanceLevel => {
  const units = Decimal.max(unitsOf(type, state, { ...window, periodDays: 1 }).units, 0);
  return { current: units, max: units };
};

/**
 * The fee a pay-in-advance charge bills for one event (Lago's `Fees::CreatePayInAdvanceService`), as a fee draft: the
 * event is priced in the charges period holding its timestamp, in the one filter and pricing group it falls in, as
 * the charge model on the aggregation with the event minus without it (see `priceInAdvanceEvent`). Null when the
 * event is not billed (no value for its metric, a model or aggregation pay in advance does not take).
 */
export const draftInAdvanceFee = async (input: InAdvanceInput): Promise<FeeDraft | null> => {
  const { subscription, details, charge: chargeDetails, metric, event } = input;
  const { charge } = chargeDetails;
  const type = metric.aggregationType as AggregationType;
  if (!IN_ADVANCE_AGGREGATIONS.has(type) || !isChargeModel(charge.chargeModel) || charge.chargeModel === 'volume') return null;
  const plan = details.plan;
  const currency = plan.amountCurrency;
  const timing = timingOf(subscription, plan, input.timeZone);
  const eventAt = Temporal.Instant.fromEpochMilliseconds(Number(event.timestamp_ms));
  const window = currentUsageWindow(timing, eventAt);
  const bucket = eventBucket(chargeDetails, input.declared, event.properties);
  const recurring = metric.recurring && (type === 'sum_agg' || type === 'unique_count_agg');
  const periodFromMs = window.chargesFromDatetime.epochMilliseconds;
  const usageInput: EventUsageInput = { ...input, bucket, fromMs: recurring ? 0 : periodFromMs };
  const usage = await readEventUsage(usageInput);
  if (!usage || !billable(type, usage)) return null;

  let step: InAdvanceStep;
  if (type === 'count_agg') step = countStep();
  else {
    let previous = await previousLevel(input, bucket.filter?.id ?? null, bucket.group.groupedBy, window.chargesFromDatetime);
    if (!previous && recurring) {
      previous = carriedLevel(type, await readBucketState(usageInput, { from: 0, to: periodFromMs }), { fromMs: 0, toMs: periodFromMs });
    }
    if (type === 'sum_agg') step = sumStep(previous, usage.contribution.value ?? new Decimal(0));
    else {
      const unique = usage.contribution.unique!;
      step = uniqueCountStep(previous, { isAdd: unique.isAdd, wasActive: usage.before.uniques.get(unique.value)?.isAdd === true });
    }
  }

  const model = charge.chargeModel;
  const aggregated = unitsOf(type, usage.after, { fromMs: 0, toMs: 1, periodDays: 1 });
  const priced: InAdvanceUsage = { units: aggregated.units, eventsCount: aggregated.eventsCount };
  if (model === 'dynamic') priced.amountCents = { total: usage.after.amountCentsSum, event: usage.contribution.preciseTotalAmountCents ?? new Decimal(0) };
  if (model === 'percentage') {
    const needs = percentageEventNeeds(bucket.properties);
    if (type === 'sum_agg' && needs.leadingValues) {
      const limit = 'limit' in needs.leadingValues ? needs.leadingValues.limit : Number.POSITIVE_INFINITY;
      priced.freeUnitsBasis = { kind: 'event_values', values: await readEventValues(usageInput, type, limit) };
    } else if (type !== 'sum_agg') priced.freeUnitsBasis = { kind: 'event_count' };
    if (needs.transactionValues) priced.transactionValues = await readEventValues(usageInput, type);
  }
  // Lago takes `prorated` with pay in advance for the standard model only (plan rules refuse the others). Lago prices
  // it on the period's prorated aggregation, but a standard price is linear, so only the event's prorated share counts.
  if (charge.prorated && recurring && model === 'standard') {
    step = proratedStep(step, daysToPeriodEnd(eventAt, window.chargesToDatetime, input.timeZone), window.chargesDurationDays);
  }
  const price = priceInAdvanceEvent(model, bucket.properties, step, priced, currency);
  return {
    key: `in_advance:${subscription.id}:${charge.id}:${event.id}`,
    feeType: 'charge',
    subscriptionId: subscription.id,
    chargeId: charge.id,
    chargeFilterId: bucket.filter?.id ?? null,
    billableMetricId: metric.id,
    trueUpParentKey: null,
    groupedBy: bucket.group.groupedBy,
    invoiceDisplayName: null,
    amountCents: price.amountCents,
    preciseAmountCents: price.preciseAmountCents,
    units: price.units,
    totalAggregatedUnits: price.units,
    eventsCount: 1,
    preciseUnitAmount: price.unitAmount,
    amountDetails: price.amountDetails as Record<string, unknown>,
    payInAdvance: true,
    fromDatetime: window.chargesFromDatetime,
    toDatetime: window.chargesToDatetime,
    ownTaxes: chargeDetails.taxes,
    inAdvance: {
      eventId: event.id,
      eventTransactionId: event.transaction_id,
      level: step.level?.current.toFixed() ?? null,
      max: step.level?.max.toFixed() ?? null,
    },
  };
};

/** Whether a subscription bills an event of this instant: started by then and not ended before (Lago's `event.subscription`). */
export const coversEvent = (subscription: Subscription, timestampMs: number): boolean => {
  if (!subscription.startedAt || subscription.status === 'pending' || subscription.status === 'canceled') return false;
  if (dateToInstant(subscription.startedAt).epochMilliseconds > timestampMs) return false;
  return !subscription.terminatedAt || dateToInstant(subscription.terminatedAt).epochMilliseconds >= timestampMs;
};
