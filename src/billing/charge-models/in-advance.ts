import { Decimal, subunitToUnit } from '../../lib/money.ts';
import type { Temporal } from 'temporal-polyfill';
import { priceCharge, type ChargeModel } from './index.ts';
import {
  chargeCents,
  decimalText,
  ZERO,
  type AmountDetails,
  type ChargeUsage,
  type FreeUnitsBasis,
  type GraduatedPercentageRangeDetail,
  type PercentageAmountDetails,
} from './pricing.ts';
import type { Properties } from './properties.ts';

/*
 * Pay-in-advance charges bill each event as it comes: the charge model priced on the period's usage with the event,
 * minus the same without it (Lago's `Charges::ApplyPayInAdvanceChargeModelService`). Sum and unique-count metrics keep,
 * per charge, filter, pricing group and period, the running aggregation and its high-water mark (Lago's cached
 * aggregation): an event is billed only for what takes the aggregation above the mark, so a negative value or a
 * removal never refunds, and the units it took away are billed again only once the total passes the mark.
 */

/** The running aggregation of a charge (filter, group) in a period, and the highest it reached. */
export interface InAdvanceLevel {
  current: Decimal;
  max: Decimal;
}

/** What one event does to the running aggregation. */
export interface InAdvanceStep {
  /** What the event adds above the mark (Lago's `pay_in_advance_aggregation`): the usage without the event is the usage with it less this. */
  addedUnits: Decimal;
  /** The fee's `units`: the units added, or (when the event adds nothing) the units it applied, never below 0. */
  feeUnits: Decimal;
  /** The level after the event; null for a count, which needs none. */
  level: InAdvanceLevel | null;
}

const NO_LEVEL: InAdvanceLevel = { current: ZERO, max: ZERO };
const ONE = new Decimal(1);

/** A count metric: every event adds one unit. */
export const countStep = (): InAdvanceStep => ({ addedUnits: ONE, feeUnits: ONE, level: null });

/**
 * A sum metric: the event's value moves the running total; the part of it above the mark is billed and raises the
 * mark. Billow starts the mark at 0 (Lago starts it at a first negative value, after which a later event is billed
 * for units that leave the total below 0).
 * Example (Lago's sum/standard scenario): 10 → 10 added (mark 10); −4 → nothing added, units 0 (total 6);
 * 8 → 4 added (total 14, mark 14).
 */
export const sumStep = (previous: InAdvanceLevel | null, value: Decimal): InAdvanceStep => {
  const before = previous ?? NO_LEVEL;
  const current = before.current.add(value);
  if (current.gt(before.max)) {
    const added = current.sub(before.max);
    return { addedUnits: added, feeUnits: added, level: { current, max: current } };
  }
  return { addedUnits: ZERO, feeUnits: Decimal.max(value, ZERO), level: { current, max: before.max } };
};

/**
 * A unique-count metric: adding a value not active yet counts one more, removing an active one one less; a unit is
 * added only when the count passes the mark.
 * Example (Lago's unique_count/standard scenario): add id_1 → 1 added; remove id_1 → units 0; add id_1 again →
 * units 1, nothing added (back to the mark); add id_2 → 1 added; add id_2 again → units 0.
 */
export const uniqueCountStep = (previous: InAdvanceLevel | null, event: { isAdd: boolean; wasActive: boolean }): InAdvanceStep => {
  const before = previous ?? NO_LEVEL;
  const newlyApplied = event.isAdd && !event.wasActive ? 1 : 0;
  const current = event.isAdd ? before.current.add(newlyApplied) : before.current.sub(event.wasActive ? 1 : 0);
  if (current.gt(before.max)) return { addedUnits: ONE, feeUnits: ONE, level: { current, max: current } };
  return { addedUnits: ZERO, feeUnits: new Decimal(newlyApplied), level: { current, max: before.max } };
};

/** The usage a pay-in-advance event is priced on. */
export interface InAdvanceUsage {
  /**
   * The aggregation of the charge (filter, group) in the period up to the event, the event included (Lago's
   * `aggregation`): events at the same instant count up to this one, in the order they were stored.
   */
  units: Decimal;
  /** Events of the charge (filter, group) in the period up to this one, this one included. */
  eventsCount: number;
  /** Dynamic charges: Σ `precise_total_amount_cents` of those events, and this event's own. */
  amountCents?: { total: Decimal; event: Decimal };
  /** Percentage charges: what the free units are read from (the same for both sides, as in Lago). */
  freeUnitsBasis?: FreeUnitsBasis;
  /** Percentage charges with a per-transaction minimum or maximum: every event's value up to this one, oldest first. */
  transactionValues?: readonly Decimal[];
}

/** A pay-in-advance event's fee amounts. */
export interface InAdvancePrice {
  /** Major units, unrounded; never below 0. */
  amount: Decimal;
  amountCents: bigint;
  preciseAmountCents: Decimal;
  /** The rounded amount over the fee's units (Lago's `precise_unit_amount`), 0 without units. */
  unitAmount: Decimal;
  units: Decimal;
  amountDetails: AmountDetails | Record<string, string>;
}

/**
 * Prices one event: the model on the usage with the event minus the model on it less what the event added (priced as
 * Lago's `exclude_event`, so a first graduated tier's flat amount is paid by the event that enters it), never below 0,
 * rounded once to the currency. Only percentage and graduated-percentage charges show amount details (the difference
 * of the two sides'); the others show `{}`, as in Lago.
 * Example (Lago's sum/graduated scenario): tiers 0–5 at 0.02 + 0.01 flat, 6–∞ at 0.01 + 0.01 flat, events 3, 1, 2:
 * 3 units → 0.07 (3 × 0.02 + the first flat), 1 → 0.02, 2 → 0.04 (1 × 0.02, 1 × 0.01 and the second tier's flat).
 */
export const priceInAdvanceEvent = (
  model: ChargeModel,
  properties: Properties,
  step: InAdvanceStep,
  usage: InAdvanceUsage,
  currency: string,
): InAdvancePrice => {
  const side = (units: Decimal, eventsCount: number, excludingEvent: boolean): ChargeUsage => ({
    units,
    eventsCount,
    excludingEvent,
    currency,
    ...(usage.amountCents && {
      totalPreciseAmountCents: excludingEvent ? usage.amountCents.total.sub(usage.amountCents.event) : usage.amountCents.total,
    }),
    ...(usage.freeUnitsBasis && { freeUnitsBasis: usage.freeUnitsBasis }),
    ...(usage.transactionValues && { transactionValues: excludingEvent ? usage.transactionValues.slice(0, -1) : usage.transactionValues }),
  });
  const after = priceCharge(model, properties, side(usage.units, usage.eventsCount, false));
  const before = priceCharge(model, properties, side(usage.units.sub(step.addedUnits), usage.eventsCount - 1, true));
  const difference = after.amount.sub(before.amount);
  const amount = difference.isNegative() ? ZERO : difference;
  const cents = chargeCents({ amount, unitAmount: ZERO }, currency);
  const rounded = new Decimal(cents.amountCents.toString()).div(subunitToUnit(currency));
  return {
    amount,
    amountCents: cents.amountCents,
    preciseAmountCents: cents.preciseAmountCents,
    unitAmount: rounded.isZero() || step.feeUnits.isZero() ? ZERO : rounded.div(step.feeUnits),
    units: step.feeUnits,
    amountDetails: eventDetails(model, after.amountDetails, before.amountDetails),
  };
};

const PERCENTAGE_KEYS = [
  'units',
  'free_units',
  'paid_units',
  'free_events',
  'paid_events',
  'fixed_fee_total_amount',
  'min_max_adjustment_total_amount',
  'per_unit_total_amount',
] as const;

const asDecimal = (value: unknown): Decimal => new Decimal(typeof value === 'number' || typeof value === 'string' ? value : 0);

/** Lago's `Charges::PayInAdvance::AmountDetailsCalculator`: the event's share of the details. */
const eventDetails = (model: ChargeModel, after: AmountDetails, before: AmountDetails): AmountDetails | Record<string, string> => {
  if (model === 'percentage') {
    const a = after as PercentageAmountDetails;
    const b = before as PercentageAmountDetails;
    const details: Record<string, string> = { rate: a.rate, fixed_fee_unit_amount: a.fixed_fee_unit_amount };
    for (const key of PERCENTAGE_KEYS) details[key] = decimalText(asDecimal(a[key]).sub(asDecimal(b[key])));
    // Lago's free units of the event are its units less its paid units.
    details.free_units = decimalText(asDecimal(details.units).sub(asDecimal(details.paid_units)));
    return details;
  }
  if (model === 'graduated_percentage') {
    const ranges = (after as { graduated_percentage_ranges: GraduatedPercentageRangeDetail[] }).graduated_percentage_ranges;
    const previous = (before as { graduated_percentage_ranges: GraduatedPercentageRangeDetail[] }).graduated_percentage_ranges;
    return {
      graduated_percentage_ranges: ranges.map((range) => {
        const other = previous.find((r) => r.from_value === range.from_value && r.to_value === range.to_value);
        const total = asDecimal(range.total_with_flat_amount).sub(asDecimal(other?.total_with_flat_amount ?? 0));
        const units = asDecimal(range.units).sub(asDecimal(other?.units ?? 0));
        return {
          from_value: range.from_value,
          to_value: range.to_value,
          flat_unit_amount: decimalText(asDecimal(range.flat_unit_amount).sub(asDecimal(other?.flat_unit_amount ?? 0))),
          rate: range.rate,
          units: decimalText(units),
          per_unit_total_amount: units.gt(0) ? decimalText(total.div(units).toDecimalPlaces(2, Decimal.ROUND_HALF_UP)) : '0.0',
          total_with_flat_amount: decimalText(total),
        };
      }),
    };
  }
  return {};
};

/**
 * Days an event holds its units to the end of its period, as Lago counts them for a prorated pay-in-advance fee
 * (`Utils::Datetime.date_diff_with_timezone`): the time from the event to the period's end, less the zone's offset
 * change between them, in days rounded up.
 * Example: an event on 2024-02-06 01:00 UTC, period ending 2024-02-29 23:59:59.999 UTC → 24 days.
 */
export const daysToPeriodEnd = (eventAt: Temporal.Instant, periodEnd: Temporal.Instant, timeZone: string): number => {
  const offsetMs = (at: Temporal.Instant) => at.toZonedDateTimeISO(timeZone).offsetNanoseconds / 1e6;
  const ms = periodEnd.epochMilliseconds - eventAt.epochMilliseconds - (offsetMs(eventAt) - offsetMs(periodEnd));
  return Math.max(Math.ceil(ms / 86_400_000), 0);
};

/**
 * A prorated charge (`prorated: true`, recurring sum or unique count) bills an event only the share of the period left
 * (Lago's `ProratedAggregations::BaseService#compute_pay_in_advance_aggregation`): what the event adds above the mark,
 * times the days left over the period's days (a float in Lago), rounded up to 5 decimals. The model is then priced
 * on the period's prorated aggregation up to the event (`proratedUnits`) less that share, the fee's units staying the
 * unprorated ones.
 * Example (Lago's current_usage sum_agg scenario): 10 seats added on 2024-02-06 in a 29-day period → 10 × 24/29 =
 * 8.27587, at 29 a unit 240.00.
 */
export const proratedStep = (step: InAdvanceStep, daysLeft: number, periodDays: number): InAdvanceStep => ({
  ...step,
  addedUnits: step.addedUnits.mul(new Decimal(String(daysLeft / periodDays))).toDecimalPlaces(5, Decimal.ROUND_CEIL),
});
