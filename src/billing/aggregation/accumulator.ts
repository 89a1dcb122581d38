import { Decimal } from '../../lib/money.ts';
import { bucketEnd, bucketStart, type Grain } from './buckets.ts';

/** What one event brings to the aggregates of its bucket. */
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

/** The change to one aggregate row: added to the stored row, or inserted when there is none. */
export interface AggregateDelta {
  externalSubscriptionId: string;
  code: string;
  grain: Grain;
  bucket: number;
  dims: string;
  eventsCount: number;
  /** Events that carried a numeric value: what Lago counts for sum, max, latest and weighted sums. */
  valuedCount: number;
  valueSum: Decimal;
  valueMax: Decimal | null;
  latestAt: number | null;
  latestValue: Decimal | null;
  timeWeighted: Decimal;
  amountCentsSum: Decimal;
}

/** The state of one unique-count value in one bucket: its last add or remove there. */
export interface UniqueValueDelta {
  externalSubscriptionId: string;
  code: string;
  grain: Grain;
  bucket: number;
  dims: string;
  value: string;
  lastAt: number;
  lastIsAdd: boolean;
}

const GRAINS: readonly Grain[] = ['h', 'd', 'm'];
const ZERO = new Decimal(0);

/**
 * Folds events into per-bucket aggregate deltas, one per (subscription, code, grain, bucket, dimensions), ready to be
 * added to the stored rows. Events are taken in arrival order: on equal timestamps the later one is the latest.
 * Example: two `gb` events of 2 and 3 at 10:15 and 10:45 on 2024-03-01 give, for the hour bucket 10:00, count 2, sum 5,
 * max 3, latest 3 and time_weighted 2×2700 + 3×900 = 8100 (value × seconds to 11:00).
 */
export class AggregateAccumulator {
  private readonly deltas = new Map<string, AggregateDelta>();
  private readonly uniques = new Map<string, UniqueValueDelta>();

  add(event: EventContribution): void {
    for (const grain of GRAINS) {
      const bucket = bucketStart(event.timestampMs, grain);
      const key = `${event.externalSubscriptionId}\u0000${event.code}\u0000${grain}\u0000${bucket}\u0000${event.dims}`;
      let delta = this.deltas.get(key);
      if (!delta) {
        delta = {
          externalSubscriptionId: event.externalSubscriptionId,
          code: event.code,
          grain,
          bucket,
          dims: event.dims,
          eventsCount: 0,
          valuedCount: 0,
          valueSum: ZERO,
          valueMax: null,
          latestAt: null,
          latestValue: null,
          timeWeighted: ZERO,
          amountCentsSum: ZERO,
        };
        this.deltas.set(key, delta);
      }
      delta.eventsCount += 1;
      if (event.preciseTotalAmountCents) delta.amountCentsSum = delta.amountCentsSum.add(event.preciseTotalAmountCents);
      if (event.unique) this.addUnique(key, event, grain, bucket, event.unique);
      const value = event.value;
      if (value === null) continue;
      delta.valuedCount += 1;
      delta.valueSum = delta.valueSum.add(value);
      if (delta.valueMax === null || value.greaterThan(delta.valueMax)) delta.valueMax = value;
      if (delta.latestAt === null || event.timestampMs >= delta.latestAt) {
        delta.latestAt = event.timestampMs;
        delta.latestValue = value;
      }
      const secondsToEnd = new Decimal(bucketEnd(bucket, grain) - event.timestampMs).div(1000);
      delta.timeWeighted = delta.timeWeighted.add(value.mul(secondsToEnd));
    }
  }

  private addUnique(rowKey: string, event: EventContribution, grain: Grain, bucket: number, unique: { value: string; isAdd: boolean }) {
    const key = `${rowKey}\u0000${unique.value}`;
    const current = this.uniques.get(key);
    if (current && current.lastAt > event.timestampMs) return;
    this.uniques.set(key, {
      externalSubscriptionId: event.externalSubscriptionId,
      code: event.code,
      grain,
      bucket,
      dims: event.dims,
      value: unique.value,
      lastAt: event.timestampMs,
      lastIsAdd: unique.isAdd,
    });
  }

  get size(): number {
    return this.deltas.size;
  }

  /** The deltas in key order, so that concurrent writers lock the rows in the same order and never deadlock. */
  rows(): AggregateDelta[] {
    return sortedValues(this.deltas);
  }

  /** The unique-count value states, in key order for the same reason. */
  uniqueRows(): UniqueValueDelta[] {
    return sortedValues(this.uniques);
  }
}

const sortedValues = <T>(map: Map<string, T>): T[] =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
