import type { AggregationType, MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { addToWindowState, emptyWindowState, mergeWindowStates, type EventContribution, type WindowState } from '../../billing/aggregation/window-state.ts';
import type { Properties } from '../../billing/charge-models/index.ts';
import { bucketsOf, compileFilterBuckets, expandedValues, type DeclaredValues, type Dimensions } from '../../billing/usage/filter-buckets.ts';
import { groupOf, type PricingGroup } from '../../billing/usage/groups.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import type { EventRow } from '../events/repository.ts';
import type { MeteredEvent, MeteringService } from '../metering/service.ts';
import { readWindowStates } from '../metering/usage-reader.ts';
import type { ChargeDetails, ChargeFilter } from '../plans/types.ts';
import { rawEventsPage, type RawEventRow } from '../usage/repository.ts';

const RAW_PAGE = 1_000;

/** A property as Lago compares it (`properties->>key`): texts as they are, other JSON values as JSON; absent when null. */
const propertyText = (properties: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const raw = properties[key];
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
};

/**
 * The one filter a pay-in-advance event is billed under (Lago's `ChargeFilters::EventMatchingService`): of the filters
 * whose every key the event has with one of the (expanded) values, the one with the most keys, the first in filter
 * order on a tie; null for the charge's default bucket.
 */
export const eventFilter = (filters: readonly ChargeFilter[], declared: DeclaredValues, properties: Readonly<Record<string, unknown>>): ChargeFilter | null => {
  let chosen: ChargeFilter | null = null;
  let keys = -1;
  for (const filter of filters) {
    const values = expandedValues({ id: filter.id, values: filter.values, createdAtMs: filter.createdAt.getTime() }, declared);
    const entries = Object.entries(values);
    const matches = entries.every(([key, list]) => {
      const value = propertyText(properties, key);
      return value !== undefined && list.includes(value);
    });
    if (matches && entries.length > keys) {
      chosen = filter;
      keys = entries.length;
    }
  }
  return chosen;
};

/** A bucket's pricing group keys: `pricing_group_keys`, or the deprecated `grouped_by`. */
export const groupKeysOf = (properties: Properties): string[] => {
  const keys = Array.isArray(properties.pricing_group_keys) && properties.pricing_group_keys.length > 0 ? properties.pricing_group_keys : properties.grouped_by;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string' && k !== '') : [];
};

/** Where an event is billed in its charge: the filter (or default bucket), its properties and its pricing group. */
export interface EventBucket {
  filter: ChargeFilter | null;
  properties: Properties;
  group: PricingGroup;
  /** Whether a contribution's dimensions fall in this bucket and group. */
  holds(dims: Dimensions): boolean;
}

export const eventBucket = (details: ChargeDetails, declared: DeclaredValues, properties: Readonly<Record<string, unknown>>): EventBucket => {
  const filter = eventFilter(details.filters, declared, properties);
  const bucketProperties = (filter?.properties ?? details.charge.properties) as Properties;
  const keys = groupKeysOf(bucketProperties);
  const textual: Record<string, string> = {};
  for (const key of keys) {
    const value = propertyText(properties, key);
    if (value !== undefined) textual[key] = value;
  }
  const group = groupOf(keys, textual);
  const compiled = compileFilterBuckets(
    details.filters.map((f) => ({ id: f.id, values: f.values, createdAtMs: f.createdAt.getTime() })),
    declared,
  );
  const filterId = filter?.id ?? null;
  return {
    filter,
    properties: bucketProperties,
    group,
    holds: (dims) => bucketsOf(compiled, dims).includes(filterId) && groupOf(keys, dims).key === group.key,
  };
};

const parseDims = (text: string): Dimensions => {
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Dimensions) : {};
};

const metered = (externalSubscriptionId: string, code: string, row: RawEventRow | EventRow): MeteredEvent => ({
  id: row.id,
  externalSubscriptionId,
  code,
  timestampMs: Number(row.timestamp_ms),
  properties: row.properties,
  preciseTotalAmountCents: row.precise_total_amount_cents === null ? null : new Decimal(row.precise_total_amount_cents),
});

/**
 * Of two events at the same instant, whether `row` arrived first (Lago's tie-break is the creation; uuidv7 ids are made
 * in arrival order, and the aggregates break ties by them too).
 */
const storedBefore = (row: RawEventRow, event: EventRow): boolean => row.id < event.id;

/** The usage of an event's bucket and group in its period, before the event and with it. */
export interface EventUsage {
  before: WindowState;
  contribution: EventContribution;
  /** The event's bucket state: `before` with the event. */
  after: WindowState;
}

export interface EventUsageInput {
  tx: Db;
  metering: MeteringService;
  organizationId: string;
  config: MeteringConfig;
  event: EventRow;
  bucket: EventBucket;
  /** Where the period's events start (0 for a recurring metric, which counts every earlier period too). */
  fromMs: number;
  /** The event is not stored (an estimate): it is added after the stored ones. */
  unsaved?: boolean;
}

/** The pre-aggregated state of a bucket and group over [from, to). */
export const readBucketState = async (input: EventUsageInput, window: { from: number; to: number }): Promise<WindowState> => {
  let state = emptyWindowState();
  if (window.from >= window.to) return state;
  const { event } = input;
  const states = await readWindowStates(input.tx, input.metering, input.organizationId, event.external_subscription_id, input.config, window);
  for (const [dims, part] of states) if (input.bucket.holds(parseDims(dims))) state = mergeWindowStates(state, part);
  return state;
};

/**
 * Reads an event's usage: the pre-aggregated states of the period up to the event's instant (whole buckets, raw edges),
 * the events stored before it at the same instant, then the event itself, all kept to its bucket and group. Its
 * cost does not grow with the number of events of the period. Null when the metric cannot value the event.
 */
export const readEventUsage = async (input: EventUsageInput): Promise<EventUsage | null> => {
  const { tx, metering, organizationId, config, event, bucket } = input;
  const timestampMs = Number(event.timestamp_ms);
  const own = metering.contributionOf(config, metered(event.external_subscription_id, event.code, event));
  if (!own.ok) return null;
  const before = await readBucketState(input, { from: input.fromMs, to: timestampMs });
  const sameInstant = await rawEventsPage(tx, organizationId, event.external_subscription_id, event.code, { fromMs: timestampMs, toMs: timestampMs + 1 }, null, RAW_PAGE);
  for (const row of sameInstant) {
    if (row.id === event.id || !storedBefore(row, event)) continue;
    const contribution = metering.contributionOf(config, metered(event.external_subscription_id, event.code, row));
    if (contribution.ok && bucket.holds(parseDims(contribution.value.dims))) addToWindowState(before, contribution.value, timestampMs + 1);
  }
  const after = addToWindowState(mergeWindowStates(emptyWindowState(), before), own.value, timestampMs + 1);
  return { before, contribution: own.value, after };
};

/**
 * Every event value of the bucket and group in the period up to the event, oldest first (a count or unique count
 * gives 1 per event): what a percentage charge's free units and per-transaction bounds read. `limit` stops early.
 */
export const readEventValues = async (input: EventUsageInput, type: AggregationType, limit = Number.POSITIVE_INFINITY): Promise<Decimal[]> => {
  const { tx, metering, organizationId, config, event, bucket } = input;
  const values: Decimal[] = [];
  const eventTs = Number(event.timestamp_ms);
  const valueOf = (contribution: EventContribution): Decimal | null =>
    type === 'count_agg' || type === 'unique_count_agg' ? new Decimal(1) : contribution.value;
  const withUnsaved = (): Decimal[] => {
    if (!input.unsaved || values.length >= limit) return values;
    const own = metering.contributionOf(config, metered(event.external_subscription_id, event.code, event));
    const value = own.ok ? valueOf(own.value) : null;
    return value === null ? values : [...values, value];
  };
  let after: { timestampMs: string; id: string } | null = null;
  for (;;) {
    const page = await rawEventsPage(tx, organizationId, event.external_subscription_id, event.code, { fromMs: input.fromMs === 0 ? null : input.fromMs, toMs: eventTs + 1 }, after, RAW_PAGE);
    for (const row of page) {
      if (row.id !== event.id && Number(row.timestamp_ms) === eventTs && !storedBefore(row, event)) continue;
      const contribution = metering.contributionOf(config, metered(event.external_subscription_id, event.code, row));
      if (!contribution.ok || !bucket.holds(parseDims(contribution.value.dims))) continue;
      const value = valueOf(contribution.value);
      if (value !== null) values.push(value);
      if (values.length >= limit) return values;
    }
    if (page.length < RAW_PAGE) return withUnsaved();
    const last = page[page.length - 1]!;
    after = { timestampMs: last.timestamp_ms, id: last.id };
  }
};
