import type { Temporal } from 'temporal-polyfill';
import type { AggregationType, MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { roundUnits, type RoundingFunction } from '../../billing/aggregation/units.ts';
import {
  addToWindowState,
  emptyWindowState,
  mergeWindowStates,
  type EventContribution,
  type WindowState,
} from '../../billing/aggregation/window-state.ts';
import {
  isChargeModel,
  percentageEventNeeds,
  type ChargeModel,
  type FreeUnitsBasis,
  type Properties,
} from '../../billing/charge-models/index.ts';
import { usageFigures } from '../../billing/charge-models/pricing.ts';
import { bucketsOf, compileFilterBuckets, type DeclaredValues, type Dimensions } from '../../billing/usage/filter-buckets.ts';
import { compareGroups, groupOf, type PricingGroup } from '../../billing/usage/groups.ts';
import { bucketLines, usageFromState, type LinePricer, type LineUsage, type UsageBucket, type UsageLine } from '../../billing/usage/lines.ts';
import { proratedGraduatedAmount } from '../../billing/usage/prorated-graduated.ts';
import {
  persistedShare,
  proratedSum,
  proratedUniqueCount,
  type ProrationWindow,
  type UniqueEvent,
  type ValuedEvent,
} from '../../billing/usage/prorated.ts';
import { inAdvanceProratedUnits, sumChanges, uniqueCountChanges } from '../../billing/usage/prorated-in-advance.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import type { MeteringService } from '../metering/service.ts';
import type { ChargeFilter, ChargeDetails } from '../plans/types.ts';
import * as repo from './repository.ts';
import type { MetricRow } from './repository.ts';
import type { GroupFilter } from './types.ts';

const ZERO = new Decimal(0);
const RAW_PAGE = 1_000;

/** What a charge's usage is read with, besides the charge itself. */
export interface ChargeUsageContext {
  tx: Db;
  metering: MeteringService;
  organizationId: string;
  externalSubscriptionId: string;
  currency: string;
  timeZone: string;
  /** The charges window: [from, toExclusive), `to` its last millisecond. */
  from: Temporal.Instant;
  to: Temporal.Instant;
  toExclusive: Temporal.Instant;
  durationDays: number;
  /** `skip_grouping`: no bucket groups its usage. */
  skipGrouping: boolean;
  /** `filter_by_group`: only events with these property values count, and these keys no longer group. */
  groups: GroupFilter | null;
  /**
   * Usage as the API shows it, not an invoice's: a prorated pay-in-advance charge is priced on what its fees billed
   * in the window, where an invoice bills the units held for the whole period.
   */
  currentUsage?: boolean;
  /** The pre-aggregated states of a code over a window, per dimensions (shared by the charges of one request). */
  readStates(config: MeteringConfig, window: { from: number; to: number }): Promise<Map<string, WindowState>>;
}

export interface ChargeUsageResult {
  lines: UsageLine[];
  model: ChargeModel;
}

/** A bucket's pricing group keys: `pricing_group_keys`, or the deprecated `grouped_by`. */
const groupKeysOf = (properties: Properties): string[] => {
  const keys = Array.isArray(properties.pricing_group_keys) && properties.pricing_group_keys.length > 0
    ? properties.pricing_group_keys
    : properties.grouped_by;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string' && k !== '') : [];
};

/** One bucket × group cell while a charge's usage is gathered. */
interface Cell {
  group: PricingGroup;
  state: WindowState;
  /** Recurring weighted sums: the level carried into the window. */
  initialLevel: Decimal;
  /** Raw events routed here (prorated charges, percentage inputs), oldest first. */
  valued: ValuedEvent[];
  uniques: UniqueEvent[];
}

/** A property as Lago compares it in SQL (`properties->>key`), as dimensions hold it too; undefined when absent. */
const propertyText = (properties: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const raw = properties[key];
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
};

class Cells {
  readonly byBucket: Map<string, Cell>[];

  constructor(
    private readonly buckets: readonly UsageBucket[],
    private readonly route: (dims: Dimensions) => (string | null)[],
    private readonly groups: GroupFilter | null,
  ) {
    this.byBucket = buckets.map(() => new Map());
  }

  /** `filter_by_group`: the event's value of each key is one of the listed ones (read from its properties when given). */
  private accepted(dims: Dimensions, properties?: Readonly<Record<string, unknown>>): boolean {
    if (!this.groups) return true;
    return Object.entries(this.groups).every(([key, values]) => {
      const value = properties ? propertyText(properties, key) : Object.hasOwn(dims, key) ? dims[key] : undefined;
      return value !== undefined && values.includes(value);
    });
  }

  /** The cells an event (or a dims combination) lands in: one per bucket that counts it. */
  cellsOf(dims: Dimensions, properties?: Readonly<Record<string, unknown>>): Cell[] {
    if (!this.accepted(dims, properties)) return [];
    const cells: Cell[] = [];
    for (const filterId of this.route(dims)) {
      const index = this.buckets.findIndex((b) => b.filterId === filterId);
      if (index < 0) continue;
      const group = groupOf(this.buckets[index]!.groupKeys, dims);
      const map = this.byBucket[index]!;
      let cell = map.get(group.key);
      if (!cell) map.set(group.key, (cell = { group, state: emptyWindowState(), initialLevel: ZERO, valued: [], uniques: [] }));
      cells.push(cell);
    }
    return cells;
  }

  sorted(index: number): Cell[] {
    return [...this.byBucket[index]!.values()].sort((a, b) => compareGroups(a.group, b.group));
  }
}

const parseDims = (text: string): Dimensions => {
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Dimensions) : {};
};

/**
 * Streams a subscription's events of one code in a range, oldest first, as metering values them; `visit` returns
 * false to stop early. Raw events are read only where pre-aggregates cannot answer (prorated charges, some percentage
 * charges).
 */
const streamContributions = async (
  context: ChargeUsageContext,
  config: MeteringConfig,
  range: { fromMs: number | null; toMs: number },
  visit: (contribution: EventContribution, properties: Readonly<Record<string, unknown>>) => boolean,
): Promise<void> => {
  let after: { timestampMs: string; id: string } | null = null;
  for (;;) {
    const page = await repo.rawEventsPage(context.tx, context.organizationId, context.externalSubscriptionId, config.code, range, after, RAW_PAGE);
    for (const row of page) {
      const contribution = context.metering.contributionOf(config, {
        id: row.id,
        externalSubscriptionId: context.externalSubscriptionId,
        code: config.code,
        timestampMs: Number(row.timestamp_ms),
        properties: row.properties,
        preciseTotalAmountCents: row.precise_total_amount_cents === null ? null : new Decimal(row.precise_total_amount_cents),
      });
      // An event stored before its metric asked for a number counts without a value, as in the aggregates.
      if (contribution.ok && !visit(contribution.value, row.properties)) return;
    }
    if (page.length < RAW_PAGE) return;
    const last = page[page.length - 1]!;
    after = { timestampMs: last.timestamp_ms, id: last.id };
  }
};

/** Which events a metric reads: a recurring sum or unique count counts every earlier period too. */
const readsFromStart = (type: AggregationType, recurring: boolean): boolean =>
  recurring && (type === 'sum_agg' || type === 'unique_count_agg');

/**
 * One charge's current usage lines, as Lago's `Fees::ChargeService` builds them for current usage: one bucket per
 * charge filter (filter order) and a default bucket when the charge has filters, one line per pricing group inside
 * a bucket, each priced with its bucket's properties. Units come from the pre-aggregated window states, merged per
 * bucket and group; prorated charges and percentage charges that need per-event values also read raw events.
 */
export const chargeUsageLines = async (
  context: ChargeUsageContext,
  details: ChargeDetails,
  metric: MetricRow,
  config: MeteringConfig,
  declared: DeclaredValues,
): Promise<ChargeUsageResult> => {
  const { charge } = details;
  const model: ChargeModel = isChargeModel(charge.chargeModel) ? charge.chargeModel : 'standard';
  const type = metric.aggregationType as AggregationType;
  const filters: ChargeFilter[] = details.filters;
  // A key `filter_by_group` pins no longer splits usage; the other keys still do.
  const keysOf = (properties: Properties) =>
    context.skipGrouping ? [] : groupKeysOf(properties).filter((key) => !context.groups || !Object.hasOwn(context.groups, key));
  const buckets: UsageBucket[] = [
    ...filters.map((f) => ({ filterId: f.id, properties: f.properties, groupKeys: keysOf(f.properties) })),
    { filterId: null, properties: charge.properties, groupKeys: keysOf(charge.properties) },
  ];
  const compiled = compileFilterBuckets(
    filters.map((f) => ({ id: f.id, values: f.values, createdAtMs: f.createdAt.getTime() })),
    declared,
  );
  const cells = new Cells(buckets, (dims) => bucketsOf(compiled, dims), context.groups);
  // The aggregates are split by the metric's filter and group keys only; a group filter on any other property needs the
  // events themselves.
  const raw = context.groups !== null && Object.keys(context.groups).some((key) => !config.dimensionKeys.includes(key));

  const fromMs = context.from.epochMilliseconds;
  const toMs = context.toExclusive.epochMilliseconds;
  const reading = {
    aggregationType: type,
    roundingFunction: metric.roundingFunction as RoundingFunction | null,
    roundingPrecision: metric.roundingPrecision,
  };
  const round = (units: Decimal) => roundUnits(units, reading.roundingFunction, reading.roundingPrecision);
  const prorated = charge.prorated && metric.recurring && (type === 'sum_agg' || type === 'unique_count_agg');
  const emptyUsage: LineUsage = { units: ZERO, eventsCount: 0, totalPreciseAmountCents: ZERO, currency: context.currency };
  const pricing = { model, currency: context.currency };

  if (prorated) {
    // Seat-like metrics: the share of the period each unit was held needs every add and remove of the subscription.
    await streamContributions(context, config, { fromMs: null, toMs }, (c, properties) => {
      for (const cell of cells.cellsOf(parseDims(c.dims), properties)) {
        if (c.value !== null) cell.valued.push({ timestampMs: c.timestampMs, value: c.value });
        if (c.unique) cell.uniques.push({ timestampMs: c.timestampMs, value: c.unique.value, isAdd: c.unique.isAdd });
      }
      return true;
    });
    const window: ProrationWindow = { from: context.from, to: context.to, durationDays: context.durationDays, timeZone: context.timeZone };
    // Pay in advance, on an invoice: the units held, whole unless the window is shorter than the period. In current
    // usage: what the fees billed in the window, plus the units they did not cover (see inAdvanceProratedUnits).
    const share = persistedShare(window);
    const fullAmount = charge.payInAdvance && !context.currentUsage && share >= 1;
    const billedInAdvance = charge.payInAdvance && context.currentUsage === true;
    const lines = buckets.flatMap((bucket, index) => {
      const grouped = bucket.groupKeys.length > 0;
      const groups = cells.sorted(index).map((cell) => {
        const summed = type === 'sum_agg' ? proratedSum(cell.valued, window) : null;
        const result = summed ?? proratedUniqueCount(cell.uniques, window, grouped);
        const full = Decimal.max(result.full, ZERO);
        const billed = () => {
          const { carried, changes } = type === 'sum_agg' ? sumChanges(cell.valued, window) : uniqueCountChanges(cell.uniques, window);
          return inAdvanceProratedUnits(carried, changes, window, share);
        };
        const aggregation = fullAmount ? full : Decimal.max(billedInAdvance ? billed() : result.prorated, ZERO);
        const usage: LineUsage = {
          units: round(aggregation),
          fullUnits: round(full),
          // Lago's prorated unique count reports its (prorated) aggregation as the event count.
          eventsCount: summed ? summed.eventsCount : aggregation.trunc().toNumber(),
          currency: context.currency,
          proratedEvents: result.perEvent,
        };
        return { group: cell.group, usage };
      });
      const pricer: LinePricer | undefined =
        model === 'graduated' && !fullAmount && !billedInAdvance
          ? (properties, usage) => {
              const events = usage.proratedEvents ?? { full: [], prorated: [] };
              const amount = proratedGraduatedAmount(properties, events, usage.units);
              const total = events.full.reduce((sum, v) => sum.plus(v), ZERO);
              return { amount, unitAmount: total.isZero() ? ZERO : amount.div(total), ...usageFigures(usage), amountDetails: {} };
            }
          : undefined;
      return bucketLines({ ...pricing, pricer }, bucket, groups, { ...emptyUsage, fullUnits: ZERO });
    });
    return { lines, model };
  }

  const readFrom = readsFromStart(type, metric.recurring) ? 0 : fromMs;
  // Lago carries a recurring weighted sum's level from the last invoice (its cached aggregation). Until Billow issues
  // invoices, the level carried in is the sum of every change before the window.
  const carriesLevel = type === 'weighted_sum_agg' && metric.recurring && fromMs > 0;
  if (raw) {
    await streamContributions(context, config, { fromMs: readFrom === 0 ? null : readFrom, toMs }, (c, properties) => {
      for (const cell of cells.cellsOf(parseDims(c.dims), properties)) addToWindowState(cell.state, c, toMs);
      return true;
    });
    if (carriesLevel) {
      await streamContributions(context, config, { fromMs: null, toMs: fromMs }, (c, properties) => {
        for (const cell of cells.cellsOf(parseDims(c.dims), properties)) cell.initialLevel = cell.initialLevel.plus(c.value ?? ZERO);
        return true;
      });
    }
  } else {
    // Both windows asked for before either is awaited, so that they are read in one batch.
    const inWindow = context.readStates(config, { from: readFrom, to: toMs });
    const before = carriesLevel ? context.readStates(config, { from: 0, to: fromMs }) : null;
    for (const [dims, state] of await inWindow) {
      for (const cell of cells.cellsOf(parseDims(dims))) cell.state = mergeWindowStates(cell.state, state);
    }
    if (before) {
      for (const [dims, state] of await before) {
        for (const cell of cells.cellsOf(parseDims(dims))) cell.initialLevel = cell.initialLevel.plus(state.valueSum);
      }
    }
  }

  const lineUsages = buckets.map((_bucket, index) =>
    cells.sorted(index).map((cell) => ({
      group: cell.group,
      usage: usageFromState(
        reading,
        cell.state,
        { fromMs, toMs, periodDays: context.durationDays, initialLevel: cell.initialLevel },
        context.currency,
      ),
      cell,
    })),
  );

  if (model === 'percentage') {
    await addPercentageInputs(context, config, type, buckets, lineUsages, cells, { fromMs: readFrom === 0 ? null : readFrom, toMs });
  }

  const lines = buckets.flatMap((bucket, index) => bucketLines(pricing, bucket, lineUsages[index]!, emptyUsage));
  return { lines, model };
};

/**
 * What Lago's percentage model reads from the events beyond units and event count: a running total for free units
 * (count metrics: one per event; sum metrics: the leading event values) and, with a per-transaction minimum or maximum,
 * every event's value. Sum metrics' values are streamed from the raw events, stopping as soon as every line has what
 * it needs.
 */
const addPercentageInputs = async (
  context: ChargeUsageContext,
  config: MeteringConfig,
  type: AggregationType,
  buckets: readonly UsageBucket[],
  lineUsages: { usage: LineUsage; cell: Cell }[][],
  cells: Cells,
  range: { fromMs: number | null; toMs: number },
): Promise<void> => {
  const counted = type === 'count_agg' || type === 'unique_count_agg';
  const summed = type === 'sum_agg';
  const wanting: { usage: LineUsage; cell: Cell; needs: ReturnType<typeof percentageEventNeeds>; values: Decimal[] }[] = [];
  buckets.forEach((bucket, index) => {
    const needs = percentageEventNeeds(bucket.properties);
    for (const entry of lineUsages[index]!) {
      if (counted) entry.usage.freeUnitsBasis = { kind: 'event_count' } satisfies FreeUnitsBasis;
      if ((summed && needs.leadingValues) || needs.transactionValues) wanting.push({ ...entry, needs, values: [] });
    }
  });
  if (wanting.length === 0) return;
  const byCell = new Map(wanting.map((w) => [w.cell, w]));
  const satisfied = (w: (typeof wanting)[number]): boolean => {
    if (w.needs.transactionValues) return false;
    const leading = w.needs.leadingValues;
    if (!leading) return true;
    if ('limit' in leading) return w.values.length >= leading.limit;
    let total = ZERO;
    for (const value of w.values) total = total.plus(value);
    return total.gt(leading.untilRunningTotalAbove);
  };
  await streamContributions(context, config, range, (c, properties) => {
    for (const cell of cells.cellsOf(parseDims(c.dims), properties)) {
      const w = byCell.get(cell);
      if (!w) continue;
      // A count or unique-count metric's transaction is worth 1; a sum metric's, its value (events without one do not sum).
      if (counted) w.values.push(new Decimal(1));
      else if (c.value !== null) w.values.push(c.value);
    }
    return !wanting.every(satisfied);
  });
  for (const w of wanting) {
    if (summed && w.needs.leadingValues) w.usage.freeUnitsBasis = { kind: 'event_values', values: w.values };
    if (w.needs.transactionValues) w.usage.transactionValues = w.values;
  }
};
