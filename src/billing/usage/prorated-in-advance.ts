import { Temporal } from 'temporal-polyfill';
import { Decimal } from '../../lib/money.ts';
import { daysToPeriodEnd, proratedStep } from '../charge-models/in-advance.ts';
import type { ProrationWindow, UniqueEvent, ValuedEvent } from './prorated.ts';

const ZERO = new Decimal(0);

/**
 * What current usage prices a prorated pay-in-advance charge on (Lago's `ProratedAggregations::BaseService`, current
 * usage over its cached aggregation): what the charge's fees billed plus what they did not cover, with events taken
 * in time order.
 * - The units held when the window opened, less the window's net fall if any, are billed at full price. When the
 *   window is shorter than the period (upgrade, termination), they are billed for its share, rounded up to 5 decimals.
 * - Each rise of the window's running total above its highest is billed for the days left, as each pay-in-advance fee
 *   billed it (`proratedStep`, rounded up to 5 decimals).
 * A negative total carried in is not floored here, as in Lago (the fees start their own count from 0).
 * Example (Lago's current_usage sum_agg scenario, a 29-day February): 10 seats added on the 6th → 10 × 24/29 = 8.27587.
 * Removing 5 leaves 8.27587 (units 5), and adding 2 more, below the highest, still leaves it.
 */
export const inAdvanceProratedUnits = (carried: Decimal, changes: readonly { timestampMs: number; delta: Decimal }[], window: ProrationWindow, share: number): Decimal => {
  let net = ZERO;
  let highest = ZERO;
  let billed = ZERO;
  for (const change of changes) {
    net = net.plus(change.delta);
    if (net.lte(highest)) continue;
    const daysLeft = daysToPeriodEnd(Temporal.Instant.fromEpochMilliseconds(change.timestampMs), window.to, window.timeZone);
    const rise = net.minus(highest);
    billed = billed.plus(proratedStep({ addedUnits: rise, feeUnits: rise, level: null }, daysLeft, window.durationDays).addedUnits);
    highest = net;
  }
  const held = carried.plus(Decimal.min(net, ZERO));
  const whole = share < 1 ? held.mul(new Decimal(String(share))).toDecimalPlaces(5, Decimal.ROUND_CEIL) : held;
  return whole.plus(billed);
};

/** The window's changes of a sum: each valued event inside it; before it, their total. */
export const sumChanges = (events: readonly ValuedEvent[], window: ProrationWindow) => {
  const fromMs = window.from.epochMilliseconds;
  const toMs = window.to.epochMilliseconds;
  let carried = ZERO;
  const changes: { timestampMs: number; delta: Decimal }[] = [];
  for (const event of events) {
    if (event.timestampMs > toMs) continue;
    if (event.timestampMs < fromMs) carried = carried.plus(event.value);
    else changes.push({ timestampMs: event.timestampMs, delta: event.value });
  }
  return { carried, changes };
};

/**
 * The window's changes of a unique count: +1 for a value added while not held, −1 for one removed while held (what
 * pay-in-advance fees count); before the window, the values held when it opens.
 */
export const uniqueCountChanges = (events: readonly UniqueEvent[], window: ProrationWindow) => {
  const fromMs = window.from.epochMilliseconds;
  const toMs = window.to.epochMilliseconds;
  const held = new Set<string>();
  let carried: Decimal | null = null;
  const changes: { timestampMs: number; delta: Decimal }[] = [];
  for (const event of events) {
    if (event.timestampMs > toMs) continue;
    if (event.timestampMs >= fromMs && carried === null) carried = new Decimal(held.size);
    const wasHeld = held.has(event.value);
    if (event.isAdd) held.add(event.value);
    else held.delete(event.value);
    if (event.timestampMs < fromMs || event.isAdd === wasHeld) continue;
    changes.push({ timestampMs: event.timestampMs, delta: new Decimal(event.isAdd ? 1 : -1) });
  }
  return { carried: carried ?? new Decimal(held.size), changes };
};
