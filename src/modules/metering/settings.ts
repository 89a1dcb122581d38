import type { MeteringConfig, AggregationType } from '../../billing/aggregation/metric-config.ts';
import { parseExpression } from '../../billing/expression/index.ts';
import type { MetricSettingsRow } from './repository.ts';

/** A metric's stored settings as ingestion uses them. A code without a live metric is counted and valued later. */
export const toMeteringConfig = (code: string, row: MetricSettingsRow | undefined): MeteringConfig => {
  if (!row) return { code, metric: null, dimensionKeys: [] };
  const parsed = row.expression ? parseExpression(row.expression) : null;
  return {
    code,
    metric: {
      aggregationType: row.aggregation_type as AggregationType,
      fieldName: row.field_name,
      // Stored expressions were validated when the metric was saved.
      expression: parsed?.ok ? parsed.value : null,
    },
    dimensionKeys: [...new Set([...row.filter_keys, ...row.group_keys])].sort(),
  };
};
