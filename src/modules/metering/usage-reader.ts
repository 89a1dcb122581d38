import { planRange, type MsRange } from '../../billing/aggregation/buckets.ts';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { addToWindowState, emptyWindowState, mergeWindowStates, type WindowState } from '../../billing/aggregation/window-state.ts';
import type { Db } from '../../db/database.ts';
import { Decimal } from '../../lib/money.ts';
import * as repo from './repository.ts';
import type { MeteringService } from './service.ts';

/**
 * Reads one subscription's usage of one metric code over a window [from, to), per combination of grouping properties
 * (canonical JSON, see dimensionsOf): whole months, days and hours from the pre-aggregated buckets, the edges from the
 * raw events. The number of rows read depends on the window's shape and the number of combinations, not on the number
 * of events.
 */
export const readWindowStates = async (
  db: Db,
  metering: MeteringService,
  organizationId: string,
  externalSubscriptionId: string,
  config: MeteringConfig,
  window: MsRange,
): Promise<Map<string, WindowState>> => {
  const plan = planRange(window);
  const ranges = plan.buckets.map((b) => ({ grain: b.grain, from: b.range.from, to: b.range.to }));
  const states = new Map<string, WindowState>();
  const stateOf = (dims: string) => {
    let state = states.get(dims);
    if (!state) states.set(dims, (state = emptyWindowState()));
    return state;
  };

  for (const row of await repo.readAggregateStates(db, organizationId, externalSubscriptionId, config.code, ranges, window.to)) {
    states.set(
      row.dims,
      mergeWindowStates(stateOf(row.dims), {
        ...emptyWindowState(),
        eventsCount: Number(row.events_count),
        valuedCount: Number(row.valued_count),
        valueSum: new Decimal(row.value_sum),
        valueMax: row.value_max === null ? null : new Decimal(row.value_max),
        latestAt: row.latest_at_ms === null ? null : Number(row.latest_at_ms),
        latestValue: row.latest_value === null ? null : new Decimal(row.latest_value),
        weightedToEnd: new Decimal(row.weighted_to_end),
        amountCentsSum: new Decimal(row.amount_cents_sum),
      }),
    );
  }
  if (config.metric?.aggregationType === 'unique_count_agg') {
    for (const row of await repo.readUniqueStates(db, organizationId, externalSubscriptionId, config.code, ranges)) {
      stateOf(row.dims).uniques.set(row.value, { lastAt: Number(row.last_at_ms), isAdd: row.last_is_add });
    }
  }
  for (const row of await repo.rawEventsIn(db, organizationId, externalSubscriptionId, config.code, plan.raw)) {
    const event = {
      id: row.id,
      externalSubscriptionId,
      code: row.code,
      timestampMs: Number(row.timestamp_ms),
      properties: row.properties,
      preciseTotalAmountCents: row.precise_total_amount_cents === null ? null : new Decimal(row.precise_total_amount_cents),
    };
    const contribution = metering.contributionOf(config, event);
    if (!contribution.ok) continue;
    addToWindowState(stateOf(contribution.value.dims), contribution.value, window.to);
  }
  return states;
};
