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
}

/** A unique-count value's last operation in a window. */
export interface UniqueState {
  lastAt: number;
  isAdd: boolean;
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
  /** Σ value × seconds from each event to the window's end. */
  weightedToEnd: Decimal;
  amountCentsSum: Decimal;
  uniques: Map<string, UniqueState>;
}

const ZERO = new Decimal(0);

export const emptyWindowState = (): WindowState => ({
  eventsCount: 0,
  valuedCount: 0,
  valueSum: ZERO,
  valueMax: null,
  latestAt: null,
  latestValue: null,
  weightedToEnd: ZERO,
  amountCentsSum: ZERO,
  uniques: new Map(),
});

const later = (a: UniqueState | undefined, b: UniqueState): UniqueState => (a && a.lastAt > b.lastAt ? a : b);

/** The state of both windows (or both combinations) together. On equal latest instants, `b` is the later one. */
export const mergeWindowStates = (a: WindowState, b: WindowState): WindowState => {
  const uniques = new Map(a.uniques);
  for (const [value, state] of b.uniques) uniques.set(value, later(uniques.get(value), state));
  const bLater = b.latestAt !== null && (a.latestAt === null || b.latestAt >= a.latestAt);
  return {
    eventsCount: a.eventsCount + b.eventsCount,
    valuedCount: a.valuedCount + b.valuedCount,
    valueSum: a.valueSum.add(b.valueSum),
    valueMax: a.valueMax === null ? b.valueMax : b.valueMax === null ? a.valueMax : Decimal.max(a.valueMax, b.valueMax),
    latestAt: bLater ? b.latestAt : a.latestAt,
    latestValue: bLater ? b.latestValue : a.latestValue,
    weightedToEnd: a.weightedToEnd.add(b.weightedToEnd),
    amountCentsSum: a.amountCentsSum.add(b.amountCentsSum),
    uniques,
  };
};

/** Adds one event (in time order) to a window state whose time weighting runs to `windowEndMs`. */
export const addToWindowState = (state: WindowState, event: EventContribution, windowEndMs: number): WindowState => {
  state.eventsCount += 1;
  if (event.preciseTotalAmountCents) state.amountCentsSum = state.amountCentsSum.add(event.preciseTotalAmountCents);
  if (event.unique) state.uniques.set(event.unique.value, later(state.uniques.get(event.unique.value), { lastAt: event.timestampMs, isAdd: event.unique.isAdd }));
  const value = event.value;
  if (value === null) return state;
  state.valuedCount += 1;
  state.valueSum = state.valueSum.add(value);
  if (state.valueMax === null || value.greaterThan(state.valueMax)) state.valueMax = value;
  if (state.latestAt === null || event.timestampMs >= state.latestAt) {
    state.latestAt = event.timestampMs;
    state.latestValue = value;
  }
  state.weightedToEnd = state.weightedToEnd.add(value.mul(new Decimal(windowEndMs - event.timestampMs).div(1000)));
  return state;
};
