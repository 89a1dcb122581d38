import { Decimal } from '../../lib/money.ts';
import { roundUnits, unitsOf, type RoundingFunction, type UnitsContext } from '../aggregation/units.ts';
import type { AggregationType } from '../aggregation/metric-config.ts';
import type { WindowState } from '../aggregation/window-state.ts';
import {
  chargeCents,
  priceCharge,
  withoutNegativeFee,
  type ChargeAmount,
  type ChargeModel,
  type ChargeUsage,
  type Properties,
} from '../charge-models/index.ts';
import { emptyGroup, type PricingGroup } from './groups.ts';

const ZERO = new Decimal(0);

/** One bucket of a charge: a charge filter (or the default bucket, or the whole charge without filters). */
export interface UsageBucket {
  /** The charge filter's id; null for the default bucket and for a charge without filters. */
  filterId: string | null;
  /** What the bucket is priced with: the filter's properties, or the charge's for the default bucket. */
  properties: Properties;
  /** The bucket's pricing group keys: a filter's own, or the charge's for the default bucket. */
  groupKeys: readonly string[];
}

/** A priced usage line: one bucket and one pricing group (Lago's current-usage fee). */
export interface UsageLine {
  filterId: string | null;
  group: PricingGroup;
  /** The bucket groups its usage (it has pricing group keys). */
  grouped: boolean;
  /** The units current usage shows: the aggregation, or the unprorated units of a prorated charge. */
  units: Decimal;
  totalAggregatedUnits: Decimal;
  eventsCount: number;
  /** The amount in major units, never negative (a negative fee is shown as zero). */
  amount: Decimal;
  amountCents: bigint;
  /** The units the model priced (Lago's aggregation, after the metric's rounding): what projections scale. */
  pricedUnits: Decimal;
  /** The model's amount before negative fees are zeroed: what projections of rate-based models scale. */
  modelAmount: Decimal;
  properties: Properties;
  /** The fee's `precise_unit_amount` and `amount_details`, as the model gives them. */
  unitAmount: Decimal;
  amountDetails: ChargeAmount['amountDetails'];
}

/** How a charge prices a line: its model (Lago's charge-model services), unless the charge overrides it. */
export type LinePricer = (properties: Properties, usage: LineUsage) => ChargeAmount;

export interface LinePricing {
  model: ChargeModel;
  currency: string;
  /** Replaces the model's pricing (prorated graduated charges). */
  pricer?: LinePricer;
}

/**
 * The usage of a line before pricing. Current usage shows `fullUnits` when set (a prorated charge), else `units`;
 * `totalAggregatedUnits` is set for weighted sums only (the others show their units there).
 */
export interface LineUsage extends ChargeUsage {
  /** Prorated charges: each event's full and prorated value, oldest first, for prorated graduated tiers. */
  proratedEvents?: { full: readonly Decimal[]; prorated: readonly Decimal[] };
}

/**
 * Prices one line, as Lago builds a current-usage fee: the model on the usage, a negative result shown as zero units and
 * zero amount, the amount rounded once to the currency's minor unit.
 * Example: standard at "0.5" with 3 units gives amount 1.5, 150 cents in EUR.
 */
export const priceLine = (pricing: LinePricing, bucket: UsageBucket, group: PricingGroup, usage: LineUsage): UsageLine => {
  const priced = (pricing.pricer ?? ((p, u) => priceCharge(pricing.model, p, u)))(bucket.properties, usage);
  const fee = withoutNegativeFee(priced, usage);
  const zeroed = fee !== priced;
  return {
    filterId: bucket.filterId,
    group,
    grouped: bucket.groupKeys.length > 0,
    units: zeroed ? ZERO : fee.units,
    totalAggregatedUnits: fee.totalAggregatedUnits,
    eventsCount: fee.eventsCount,
    amount: fee.amount,
    amountCents: chargeCents(fee, pricing.currency).amountCents,
    pricedUnits: usage.units,
    modelAmount: priced.amount,
    properties: bucket.properties,
    unitAmount: zeroed ? ZERO : fee.unitAmount,
    amountDetails: fee.amountDetails,
  };
};

/**
 * The lines of one bucket, as Lago keeps a bucket's fees in current usage: lines with no units, no amount and no event
 * are dropped, and a bucket left with none shows one line priced on no usage (its groups' keys all null).
 */
export const bucketLines = (
  pricing: LinePricing,
  bucket: UsageBucket,
  groups: readonly { group: PricingGroup; usage: LineUsage }[],
  emptyUsage: LineUsage,
): UsageLine[] => {
  const lines = groups
    .map(({ group, usage }) => priceLine(pricing, bucket, group, usage))
    .filter((line) => !(line.units.isZero() && line.amountCents === 0n && line.eventsCount === 0));
  return lines.length > 0 ? lines : [priceLine(pricing, bucket, emptyGroup(bucket.groupKeys), emptyUsage)];
};

/** What a metric's window state is read with. */
export interface MetricReading {
  aggregationType: AggregationType;
  roundingFunction: RoundingFunction | null;
  roundingPrecision: number | null;
}

/**
 * A line's usage from the merged window state of its bucket and group: Lago's units for the aggregation type, then
 * the metric's rounding (never on `total_aggregated_units` nor on the event count). A dynamic charge also gets the
 * events' summed amounts.
 */
export const usageFromState = (metric: MetricReading, state: WindowState, context: UnitsContext, currency: string): LineUsage => {
  const aggregated = unitsOf(metric.aggregationType, state, context);
  return {
    units: roundUnits(aggregated.units, metric.roundingFunction, metric.roundingPrecision),
    eventsCount: aggregated.eventsCount,
    ...(metric.aggregationType === 'weighted_sum_agg' && { totalAggregatedUnits: aggregated.totalAggregatedUnits }),
    totalPreciseAmountCents: state.amountCentsSum,
    currency,
  };
};
