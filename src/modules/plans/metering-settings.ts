import type { MeteringService } from '../metering/service.ts';
import { lockMetricSettings, type MetricScope } from './repository.ts';
import type { Writer } from './writer.ts';

/** What charge writes need of metering: a metric's settings before the write, and a rebuild of what it changed. */
export type PlanMetering = Pick<MeteringService, 'snapshot' | 'settingsChanged'>;

/** The metering settings a write holds: call `rebuildChanged` once its writes are done, before it answers. */
export interface HeldMetricSettings {
  rebuildChanged(): Promise<void>;
}

/**
 * Starts a write of charges or charge filters, which may change how the events of their metrics are pre-aggregated:
 * the pricing group keys of every live charge and filter on a metric split its aggregates. Locks the settings of every
 * metric in `scope` (which must name all the write may touch) and notes them; `rebuildChanged` then rebuilds from the
 * raw events, in the same transaction, the aggregates of each metric whose settings the write changed, so usage sent
 * before the change is grouped by the keys in force (nothing is rebuilt when the keys stay the same). A write that
 * fails needs no call: its transaction rolls back.
 */
export const holdMetricSettings = async (metering: PlanMetering, w: Writer, scope: MetricScope): Promise<HeldMetricSettings> => {
  const codes = await lockMetricSettings(w.tx, w.organizationId, scope);
  if (codes.length === 0) return { rebuildChanged: async () => {} };
  const before = await metering.snapshot(w.tx, w.organizationId, codes);
  return { rebuildChanged: () => metering.settingsChanged(w.tx, w.organizationId, codes, before) };
};
