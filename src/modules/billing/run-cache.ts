import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import type { DeclaredValues } from '../../billing/usage/filter-buckets.ts';
import type { Organization } from '../organizations/types.ts';
import type { PlanDetails } from '../plans/types.ts';
import type { Tax } from '../taxes/types.ts';
import type { MetricRow } from '../usage/repository.ts';

/**
 * What one billing run reads over and over and does not change while it runs: plans with their charges and taxes, the
 * organization and its default taxes, the metrics and metering settings of a plan's charges. A run bills thousands of
 * subscriptions on a handful of plans; reading these once per run instead of once per invoice saves a dozen round
 * trips an invoice. Values are promises, so concurrent workers share one read.
 */
export interface RunCache {
  plans: Map<string, Promise<PlanDetails>>;
  organizations: Map<string, Promise<Organization | null>>;
  defaultTaxes: Map<string, Promise<Tax[]>>;
  chargeInputs: Map<
    string,
    Promise<{ metrics: Map<string, MetricRow>; configs: Map<string, MeteringConfig>; declared: Map<string, DeclaredValues> }>
  >;
}

export const newRunCache = (): RunCache => ({ plans: new Map(), organizations: new Map(), defaultTaxes: new Map(), chargeInputs: new Map() });

/** The cached value of a key, read by `load` the first time (a failed read is forgotten, so it is tried again). */
export const cached = <T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
  let value = map.get(key);
  if (!value) {
    value = load();
    map.set(key, value);
    value.catch(() => map.delete(key));
  }
  return value;
};
