import { Decimal } from '../../lib/money.ts';

/** What one event brings to a window's state. */
export interface EventContribution {
  externalSubscriptionId: string;
  code: string;
  dims: string;
  timestampMs: number;
  /** The event's numeric value, when its metric has one and the event carries it. */
  value: Decimal | null;
  /** For unique counts: the value counted and whether the event adds it (or removes it, `operation_type: remove`). */
  unique: { value: string; isAdd: boolean } | null;
  preciseTotalAmountCents: Decimal | null;
  /** The event's arrival key, its uuidv7 id as a number (uuidAsBigInt); absent when unknown: the earliest arrival. */
  arrival?: bigint | null;
}

/** A unique-count value's last operation in a window, and the arrival key of the event that made it. */
export interface UniqueState {
  lastAt: number;
  isAdd: boolean;
  lastKey?: bigint | null;
}

/**
 * Everything a window of events holds for one metric and one combination of grouping properties, from which the
 * units of every aggregation type follow. Mergeable: the state of two disjoint windows, or of two combinations that a
 * charge filter puts in the same bucket, is the merge of their states.
 */
export interface WindowState {
  eventsCount: number;
  valuedCount: number;
  valueSum: Decimal;
  valueMax: Decimal | null;
  latestAt: number | null;
  latestValue: Decimal | null;
  /** The arrival key of the event behind latestValue. */
  latestKey: bigint | null;
  /** Σ value × seconds from each event to the window's end. */
  weightedToEnd: Decimal;
  amountCentsSum: Decimal;
  uniques: Map<string, UniqueState>;
  /**
   * Unique-count values held at the window's end and counted without being listed in `uniques` (a read that only
   * needs their number). Such a state must not be merged with another holding the same values: their count would
   * come twice.
   */
  uniqueAdds: number;
}

const ZERO = new Decimal(0);

export const emptyWindowState = (): WindowState => ({
  eventsCount: 0,
  valuedCount: 0,
  valueSum: ZERO,
  valueMax: null,
  latestAt: null,
  latestValue: null,
  latestKey: null,
  weightedToEnd: ZERO,
  amountCentsSum: ZERO,
  uniques: new Map(),
  uniqueAdds: 0,
});

/**
 * Whether what happened at (bAt, bKey) comes at or after (aAt, aKey): events at one instant are ordered by arrival, as
 * Lago orders them by creation. An unknown key is the earliest arrival; between two equal ones, b counts as later.
 */
const atOrAfter = (aAt: number, aKey: bigint | null | undefined, bAt: number, bKey: bigint | null | undefined): boolean =>
  bAt !== aAt ? bAt > aAt : (bKey ?? -1n) >= (aKey ?? -1n);

const later = (a: UniqueState | undefined, b: UniqueState): UniqueState => (a && !atOrAfter(a.lastAt, a.lastKey, b.lastAt, b.lastKey) ? a : b);

/** The state of both windows (or both combinations) together; of latest values at one instant, the later arrival. */
export const mergeWindowStates = (a: WindowState, b: WindowState): WindowState => {
  const uniques = new Map(a.uniques);
  for (const [value, state] of b.uniques) uniques.set(value, later(uniques.get(value), state));
  const bLater = b.latestAt !== null && (a.latestAt === null || atOrAfter(a.latestAt, a.latestKey, b.latestAt, b.latestKey));
  return {
    eventsCount: a.eventsCount + b.eventsCount,
    valuedCount: a.valuedCount + b.valuedCount,
    valueSum: a.valueSum.add(b.valueSum),
    valueMax: a.valueMax === null ? b.valueMax : b.valueMax === null ? a.valueMax : Decimal.max(a.valueMax, b.valueMax),
    latestAt: bLater ? b.latestAt : a.latestAt,
    latestValue: bLater ? b.latestValue : a.latestValue,
    latestKey: bLater ? b.latestKey : a.latestKey,
    weightedToEnd: a.weightedToEnd.add(b.weightedToEnd),
    amountCentsSum: a.amountCentsSum.add(b.amountCentsSum),
    uniques,
    uniqueAdds: a.uniqueAdds + b.uniqueAdds,
  };
};

/** Adds one event (in time order) to a window state whose time weighting runs to `windowEndMs`. */
export const addToWindowState = (state: WindowState, event: EventContribution, windowEndMs: number): WindowState => {
  state.eventsCount += 1;
  if (event.preciseTotalAmountCents) state.amountCentsSum = state.amountCentsSum.add(event.preciseTotalAmountCents);
  if (event.unique) {
    const last = { lastAt: event.timestampMs, isAdd: event.unique.isAdd, lastKey: event.arrival ?? null };
    state.uniques.set(event.unique.value, later(state.uniques.get(event.unique.value), last));
  }
  const value = event.value;
  if (value === null) return state;
  state.valuedCount += 1;
  state.valueSum = state.valueSum.add(value);
  if (state.valueMax === null || value.greaterThan(state.valueMax)) state.valueMax = value;
  if (state.latestAt === null || atOrAfter(state.latestAt, state.latestKey, event.timestampMs, event.arrival)) {
    state.latestAt = event.timestampMs;
    state.latestValue = value;
    state.latestKey = event.arrival ?? null;
  }
  state.weightedToEnd = state.weightedToEnd.add(value.mul(new Decimal(windowEndMs - event.timestampMs).div(1000)));
  return state;
};
