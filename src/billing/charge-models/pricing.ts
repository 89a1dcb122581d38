import { Decimal, subunitToUnit, toCents } from '../../lib/money.ts';
import type { Properties } from './properties.ts';

/**
 * What a charge model prices: the usage of one charge (or one charge filter, or one pricing group) over one billing
 * window, already aggregated and rounded by its metric. Nothing here is a raw event list except the two percentage
 * inputs, which only the percentage model reads and only when its properties need them (see `percentageEventNeeds`).
 */
export interface ChargeUsage {
  /** The aggregated units after the metric's rounding (Lago's `aggregation`); for a prorated charge, the prorated units. */
  units: Decimal;
  /** How many events the units come from (Lago's `count`): the percentage model's free and paid events. */
  eventsCount: number;
  /**
   * Prorated charges only: the units without proration (Lago's `full_units_number`). The unit amount is taken over
   * them, volume picks its range with them, and the fee shows them as its `units`.
   */
  fullUnits?: Decimal;
  /** Weighted-sum metrics only: the units held at the end of the period (the fee's `total_aggregated_units`). */
  totalAggregatedUnits?: Decimal;
  /** Dynamic only: the sum of the events' `precise_total_amount_cents`, in the minor unit of `currency`. */
  totalPreciseAmountCents?: Decimal;
  /** Dynamic only: the plan's currency, which gives the minor unit of `totalPreciseAmountCents`. */
  currency?: string;
  /** Percentage only: what the free-unit rules read from the metric's events (Lago's `running_total`). */
  freeUnitsBasis?: FreeUnitsBasis;
  /**
   * Percentage only, and only with `per_transaction_min_amount` or `per_transaction_max_amount`: the value of every
   * event of the window, oldest first (a count or unique-count metric gives 1 per event).
   */
  transactionValues?: readonly Decimal[];
  /**
   * True when this is the usage *before* a pay-in-advance event, priced to take the difference with the usage after
   * it (Lago's `exclude_event`): then the first graduated tier's flat amount is not counted at zero units, so that the
   * event which reaches the tier pays it.
   */
  excludingEvent?: boolean;
}

/**
 * Where the percentage model's free units come from, as Lago's metrics report it:
 * - `event_count` (count and unique-count metrics): the n-th unit brings the running total to n;
 * - `event_values` (sum metrics): the events' values, oldest first; the running total is their cumulative sum.
 *   Only the leading events matter: the first `free_units_per_events` of them when that is set, otherwise those up to
 *   the first whose running total goes above `free_units_per_total_aggregation`. Passing more values is harmless.
 * Metrics of other kinds (max, latest, weighted sum) have no running total: leave the basis out, as Lago does, and
 * only free events (not free units) apply. Lago reads a recurring sum metric's leading values from the subscription's
 * first events, not from the window's (it drops the lower time bound there), and a count metric's running total from
 * the units before the metric's rounding; pass the same to match it.
 */
export type FreeUnitsBasis = { kind: 'event_count' } | { kind: 'event_values'; values: readonly Decimal[] };

/** A decimal as Lago's JSON shows it (Ruby's `BigDecimal#to_s`): always with a fraction, e.g. "10.0", "0.05". */
export type DecimalText = string;

/** A range bound exactly as the charge's properties hold it (a JSON number, or a numeric string), null when open. */
export type RangeBoundValue = unknown;

export interface GraduatedRangeDetail {
  from_value: RangeBoundValue;
  to_value: RangeBoundValue;
  flat_unit_amount: DecimalText;
  per_unit_amount: DecimalText;
  units: DecimalText;
  per_unit_total_amount: DecimalText;
  total_with_flat_amount: DecimalText;
}

export interface GraduatedPercentageRangeDetail {
  from_value: RangeBoundValue;
  to_value: RangeBoundValue;
  /** The number 0 instead of a decimal text in the usage priced before a pay-in-advance event at zero units. */
  flat_unit_amount: DecimalText | 0;
  rate: DecimalText;
  units: DecimalText;
  per_unit_total_amount: DecimalText;
  total_with_flat_amount: DecimalText | 0;
}

export interface PackageAmountDetails {
  free_units: DecimalText;
  paid_units: DecimalText;
  /** The property as stored (an integer), 0 when there is no usage. */
  per_package_size: unknown;
  per_package_unit_amount: DecimalText;
}

export interface VolumeAmountDetails {
  flat_unit_amount: DecimalText;
  per_unit_amount: DecimalText;
  per_unit_total_amount: DecimalText;
}

export interface PercentageAmountDetails {
  units: DecimalText;
  free_units: DecimalText;
  free_events: number;
  paid_units: DecimalText;
  rate: DecimalText;
  /** The number 0 when the free units exceed the units (Lago's integer zero), a decimal text otherwise. */
  per_unit_total_amount: DecimalText | 0;
  paid_events: number;
  fixed_fee_unit_amount: DecimalText;
  fixed_fee_total_amount: DecimalText;
  min_max_adjustment_total_amount: DecimalText;
}

/** Lago's `amount_details` of a charge fee, exactly as its API shows it; `{}` for standard and dynamic. */
export type AmountDetails =
  | { graduated_ranges: GraduatedRangeDetail[] }
  | { graduated_percentage_ranges: GraduatedPercentageRangeDetail[] }
  | PackageAmountDetails
  | VolumeAmountDetails
  | PercentageAmountDetails
  | Record<string, never>;

/** A charge model's result: what a charge fee is built from. */
export interface ChargeAmount {
  /** The amount in major units of the currency, unrounded (negative when the usage is). */
  amount: Decimal;
  /** Lago's precise unit amount (the fee's `precise_unit_amount`): the amount per unit, 0 without units. */
  unitAmount: Decimal;
  /** The fee's `units`: the full units of a prorated charge, the usage units otherwise. */
  units: Decimal;
  /** The fee's `total_aggregated_units`: the weighted-sum total when there is one, else `units`. */
  totalAggregatedUnits: Decimal;
  /** The fee's `events_count`. */
  eventsCount: number;
  amountDetails: AmountDetails;
}

/** A model's pricing: validated, normalized properties and aggregated usage in, amount and details out. */
export type ChargePricer = (properties: Properties, usage: ChargeUsage) => ChargeAmount;

export const ZERO = new Decimal(0);

/** A validated price, rate or amount property ("0.5", " 5 ", a JSON number for bounds); a missing one is 0. */
export const decimalProperty = (value: unknown): Decimal => {
  if (value === null || value === undefined) return ZERO;
  if (typeof value === 'number') return new Decimal(value);
  if (typeof value === 'string') return new Decimal(value.trim() === '' ? '0' : value.trim());
  throw new Error(`charge properties hold a non-numeric value: ${JSON.stringify(value)}`);
};

/** Ruby's `BigDecimal#to_s` as Rails formats it, which is what Lago's JSON shows: 100 -> "100.0", 0.050 -> "0.05". */
export const decimalText = (value: Decimal): DecimalText => {
  const text = value.isZero() ? '0' : value.toFixed();
  return text.includes('.') ? text : `${text}.0`;
};

/** `amount / units`, or 0 without units: Lago's unit amount of every model but package and volume. */
export const amountPerUnit = (amount: Decimal, units: Decimal): Decimal => (units.isZero() ? ZERO : amount.div(units));

/** The usage fields every result carries through unchanged. */
export const usageFigures = (usage: ChargeUsage): Pick<ChargeAmount, 'units' | 'totalAggregatedUnits' | 'eventsCount'> => {
  const units = usage.fullUnits ?? usage.units;
  return { units, totalAggregatedUnits: usage.totalAggregatedUnits ?? units, eventsCount: usage.eventsCount };
};

/** A charge fee's money in the currency's minor unit. */
export interface ChargeCents {
  /** The amount rounded once to the currency's minor unit, half away from zero. */
  amountCents: bigint;
  /** The same amount in minor units before rounding (Lago's `precise_amount_cents`). */
  preciseAmountCents: Decimal;
  /** The unit amount in minor units, truncated toward zero as Lago's integer `unit_amount_cents` column keeps it. */
  unitAmountCents: bigint;
  /** The unit amount in major units, unrounded (Lago's `precise_unit_amount`). */
  preciseUnitAmount: Decimal;
}

/**
 * A priced charge in the currency's minor unit: the amount rounded once, half away from zero, with its precise value
 * kept beside it. Lago rounds the major amount to the currency's exponent and then multiplies by the subunit, which is
 * the same number as `toCents` (scaling by a power of ten is exact in decimal).
 * Example: amount 10.7438 EUR, unit amount 0.107438 -> { amountCents: 1074n, preciseAmountCents: 1074.38,
 * unitAmountCents: 10n, preciseUnitAmount: 0.107438 }; amount 0.402 JPY -> amountCents 0n.
 */
export const chargeCents = (priced: Pick<ChargeAmount, 'amount' | 'unitAmount'>, currency: string): ChargeCents => {
  const subunit = subunitToUnit(currency);
  return {
    amountCents: toCents(priced.amount, currency),
    preciseAmountCents: priced.amount.mul(subunit),
    unitAmountCents: BigInt(priced.unitAmount.mul(subunit).trunc().toFixed(0)),
    preciseUnitAmount: priced.unitAmount,
  };
};

/**
 * Lago never bills a negative charge fee in arrears: when the usage units or the amount come out negative (a sum
 * metric with refunds, say), the fee gets zero units, zero amount and zero unit amount (`Fees::ChargeService`); a
 * weighted-sum total is kept. The models themselves do return negative amounts, because pay-in-advance differences
 * and pricing groups are taken on them.
 * Example: standard at "2" with -3 units, priced to -6, becomes amount 0, unit amount 0, units 0.
 */
export const withoutNegativeFee = (priced: ChargeAmount, usage: ChargeUsage): ChargeAmount => {
  if (!usage.units.isNegative() && !priced.amount.isNegative()) return priced;
  return { ...priced, amount: ZERO, unitAmount: ZERO, units: ZERO, totalAggregatedUnits: usage.totalAggregatedUnits ?? ZERO };
};
