import { Type, type Static } from '@sinclair/typebox';
import { QueryValue } from '../../http/schemas.ts';
import { invalid, type BillowError } from '../../lib/errors.ts';
import { err, ok, type Result } from '../../lib/result.ts';

/**
 * Query parameters of the usage routes. Everything arrives as text (a list when repeated); unknown parameters are
 * ignored, as Rails ignores them.
 */
export const CurrentUsageQuery = Type.Object({
  external_subscription_id: Type.Optional(QueryValue),
  apply_taxes: Type.Optional(QueryValue),
  charge_id: Type.Optional(QueryValue),
  filter_by_charge_id: Type.Optional(QueryValue),
  charge_code: Type.Optional(QueryValue),
  filter_by_charge_code: Type.Optional(QueryValue),
  billable_metric_code: Type.Optional(QueryValue),
  filter_by_metric_code: Type.Optional(QueryValue),
  group: Type.Optional(QueryValue),
  filter_by_group: Type.Optional(QueryValue),
  skip_grouping: Type.Optional(QueryValue),
  full_usage: Type.Optional(QueryValue),
});
/** The parameters as Fastify hands them over, with Rails-style nested keys (`group[region]=eu`) left as they came. */
export type CurrentUsageQuery = Static<typeof CurrentUsageQuery> & Record<string, string | string[] | undefined>;

export const ProjectedUsageQuery = Type.Object({
  external_subscription_id: Type.Optional(QueryValue),
  apply_taxes: Type.Optional(QueryValue),
});
export type ProjectedUsageQuery = Static<typeof ProjectedUsageQuery>;

/** A repeated parameter (`a=1&a=2`) arrives as a list: like Rails, the last one wins. */
export const lastValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[value.length - 1] : value;

// Rails' `ActiveModel::Type::Boolean`: these texts are false, "" is nil (false too), anything else is true.
const FALSE_TEXTS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF', '']);

/** A boolean parameter read as Lago casts it; `fallback` when the parameter is absent. */
export const booleanParam = (value: string | string[] | undefined, fallback: boolean): boolean => {
  const text = lastValue(value);
  return text === undefined ? fallback : !FALSE_TEXTS.has(text);
};

/** Which charges a current-usage request is about: by id, else by code, else by metric code (the first given). */
export type ChargeSelector = { by: 'id' | 'code' | 'metric_code'; value: string } | null;

/** `filter_by_group`: property values the usage is restricted to, per key (values compared as texts). */
export type GroupFilter = Readonly<Record<string, readonly string[]>>;

/** What a usage request asks for, once its parameters are read. */
export interface UsageRequest {
  externalSubscriptionId: string;
  applyTaxes: boolean;
  charges: ChargeSelector;
  groups: GroupFilter | null;
  skipGrouping: boolean;
  fullUsage: boolean;
}

/** A JSON value as Lago lists it for `filter_by_group` (Ruby's `Array(value)`, each item as text). */
const groupValues = (value: unknown): string[] | null => {
  if (value === null) return [];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
    return value.map(String);
  }
  return null;
};

/**
 * `group` (or `filter_by_group`, when `group` is not given): a JSON object such as `{"region": "eu"}` or
 * `{"region": ["eu", "us"]}`, or Rails nested keys (`group[region]=eu`, `group[region][]=eu`). Lago answers a 500 for
 * text that is no JSON object; Billow a 422.
 */
const readGroupFilter = (query: CurrentUsageQuery): Result<GroupFilter | null, BillowError> => {
  for (const name of ['group', 'filter_by_group']) {
    const nested: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(query)) {
      const match = new RegExp(`^${name}\\[([^\\]]*)\\](\\[\\])?$`).exec(key);
      if (!match || value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      nested[match[1]!] = match[2] ? [...(nested[match[1]!] ?? []), ...values] : [values[values.length - 1]!];
    }
    if (Object.keys(nested).length > 0) return ok(nested);
    const text = lastValue(query[name]);
    if (text === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return err(invalid(name, 'invalid_format'));
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return err(invalid(name, 'invalid_format'));
    const filter: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(parsed)) {
      const values = groupValues(value);
      if (values === null) return err(invalid(name, 'invalid_format'));
      filter[key] = values;
    }
    return ok(Object.keys(filter).length > 0 ? filter : null);
  }
  return ok(null);
};

/**
 * Lago's `params[:a] || params[:b]`: the first parameter given wins, even empty (Ruby's "" is truthy), and is then
 * used only when it is not blank.
 */
const firstGiven = (a: string | string[] | undefined, b: string | string[] | undefined): string | null => {
  const text = lastValue(a) ?? lastValue(b);
  return text !== undefined && text.trim() !== '' ? text : null;
};

/**
 * Reads Lago's current-usage parameters (`UsageFilters.init_from_params`): `charge_id` or `filter_by_charge_id`,
 * then `charge_code` or `filter_by_charge_code`, then `billable_metric_code` or `filter_by_metric_code`; the short
 * name wins over the `filter_by_` one. `apply_taxes` defaults to true.
 */
export const readCurrentUsageQuery = (query: CurrentUsageQuery): Result<UsageRequest, BillowError> => {
  const id = firstGiven(query.charge_id, query.filter_by_charge_id);
  const code = firstGiven(query.charge_code, query.filter_by_charge_code);
  const metricCode = firstGiven(query.billable_metric_code, query.filter_by_metric_code);
  const groups = readGroupFilter(query);
  if (!groups.ok) return groups;
  return ok({
    externalSubscriptionId: lastValue(query.external_subscription_id) ?? '',
    applyTaxes: booleanParam(query.apply_taxes, true),
    charges: id ? { by: 'id', value: id } : code ? { by: 'code', value: code } : metricCode ? { by: 'metric_code', value: metricCode } : null,
    groups: groups.value,
    skipGrouping: booleanParam(query.skip_grouping, false),
    fullUsage: booleanParam(query.full_usage, false),
  });
};

export const readProjectedUsageQuery = (query: ProjectedUsageQuery): UsageRequest => ({
  externalSubscriptionId: lastValue(query.external_subscription_id) ?? '',
  applyTaxes: booleanParam(query.apply_taxes, true),
  charges: null,
  groups: null,
  skipGrouping: false,
  fullUsage: false,
});
