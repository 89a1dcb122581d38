/** The value a charge filter key takes to mean every value the metric declares for that key. */
export const ALL_FILTER_VALUES = '__ALL_FILTER_VALUES__';

/** A charge filter as bucket assignment reads it. */
export interface FilterRule {
  id: string;
  /** The filter's values as stored: `{"region": ["eu"], "tier": ["__ALL_FILTER_VALUES__"]}`. */
  values: Readonly<Record<string, readonly string[]>>;
  /** Creation instant (epoch ms) then id: the older of two identical filters counts their events. */
  createdAtMs: number;
}

/** The values a metric declares per filter key, which `__ALL_FILTER_VALUES__` stands for. */
export type DeclaredValues = Readonly<Record<string, readonly string[]>>;

/** The event properties usage is split by (a metric's filter and group keys), as texts; a missing key is absent. */
export type Dimensions = Readonly<Record<string, string>>;

type ValueMap = Record<string, string[]>;

/** One bucket's test: the values an event must have, and the more specific filters whose events it leaves out. */
interface CompiledFilter {
  id: string;
  matching: ValueMap;
  ignored: ValueMap[];
}

/** How a charge's filters split its events into buckets (see `bucketsOf`). */
export interface FilterBuckets {
  filters: CompiledFilter[];
  /** The default bucket leaves out every event that some filter's values match. */
  defaultIgnored: ValueMap[];
}

const isAll = (values: readonly string[]): boolean => values.length === 1 && values[0] === ALL_FILTER_VALUES;

/** A filter's values with `__ALL_FILTER_VALUES__` replaced by the metric's declared values (Lago's `to_h_with_all_values`). */
export const expandedValues = (rule: FilterRule, declared: DeclaredValues): ValueMap =>
  Object.fromEntries(Object.entries(rule.values).map(([key, values]) => [key, isAll(values) ? [...(declared[key] ?? [])] : [...values]]));

const sameKeys = (a: ValueMap, b: ValueMap): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
};

const sameValues = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
};

const olderThan = (a: FilterRule, b: FilterRule): boolean => a.createdAtMs < b.createdAtMs || (a.createdAtMs === b.createdAtMs && a.id < b.id);

/**
 * The filters a bucket must leave out, Lago's way (`ChargeFilters::MatchingAndIgnoredService`): every other filter that
 * has all of this filter's keys with at least one shared value is more specific. It is left out whole, except when it
 * has exactly this filter's keys: then an identical filter is left out only when it is older (the oldest of identical
 * filters counts their events), a filter whose values all fall inside this one's is left out whole, and any other
 * keeps only its values outside this filter's (a key this filter holds with `__ALL_FILTER_VALUES__` is kept whole).
 */
const ignoredBy = (rule: FilterRule, matching: ValueMap, others: readonly { rule: FilterRule; values: ValueMap }[]): ValueMap[] => {
  const ignored: ValueMap[] = [];
  for (const other of others) {
    const child = other.values;
    const overlaps = Object.entries(matching).every(([key, values]) => values.some((v) => (child[key] ?? []).includes(v)));
    if (!overlaps) continue;
    const res: ValueMap = Object.fromEntries(Object.entries(child).map(([k, v]) => [k, [...v]]));
    if (sameKeys(res, matching)) {
      const identical = Object.entries(res).every(([key, values]) => sameValues(values, matching[key]!));
      if (identical) {
        if (!olderThan(other.rule, rule)) continue;
      } else {
        const subset = Object.entries(res).every(([key, values]) => values.every((v) => matching[key]!.includes(v)));
        if (!subset) {
          for (const key of Object.keys(res)) {
            if (isAll(rule.values[key] ?? [])) continue;
            res[key] = res[key]!.filter((v) => !matching[key]!.includes(v));
          }
        }
      }
    }
    ignored.push(res);
  }
  return ignored;
};

/**
 * Prepares a charge's filters (in the charge's filter order) for `bucketsOf`.
 * Example (Lago's spec): metric filters steps ∈ {25,50,75,100}, size ∈ {512,1024}, model ∈ {llama-1..4}; charge
 * filters f1 {steps:[25], size:[512], model:[llama-2]}, f2 {steps:[25], size:[512]}, f3 {steps:ALL, size:ALL},
 * f4 {size:ALL}, f5 {size:[512]}: f2 leaves out f1's events, f3 leaves out f1's and f2's, f4 leaves out f1, f2, f3 and
 * f5 (so it keeps size 1024 without a declared steps), f5 leaves out f1, f2 and f3.
 */
export const compileFilterBuckets = (rules: readonly FilterRule[], declared: DeclaredValues): FilterBuckets => {
  const expanded = rules.map((rule) => ({ rule, values: expandedValues(rule, declared) }));
  return {
    filters: expanded.map(({ rule, values }) => ({
      id: rule.id,
      matching: values,
      ignored: ignoredBy(rule, values, expanded.filter((other) => other.rule.id !== rule.id)),
    })),
    defaultIgnored: expanded.map(({ values }) => values),
  };
};

/** An event matches a filter's values when it has every key with one of the listed values (a missing key never matches). */
const matches = (dims: Dimensions, matching: ValueMap): boolean =>
  Object.entries(matching).every(([key, values]) => Object.hasOwn(dims, key) && values.includes(dims[key]!));

/**
 * An event is left out by one of the ignored value maps. As in Lago's SQL, a missing property reads as "" here, a key
 * with no values left is no condition, and a map with no condition leaves nothing out.
 */
const leftOut = (dims: Dimensions, ignored: readonly ValueMap[]): boolean =>
  ignored.some((map) => {
    const conditions = Object.entries(map).filter(([, values]) => values.length > 0);
    return conditions.length > 0 && conditions.every(([key, values]) => values.includes(Object.hasOwn(dims, key) ? dims[key]! : ''));
  });

/**
 * The buckets an event's dimensions fall in: the ids of the filters whose bucket counts it, or `[null]` for the default
 * bucket (events that match no filter's values, including values the metric does not declare and missing keys).
 * Usually one bucket; two filters whose value lists partly overlap on the same keys (`[us, eu]` and `[eu, asia]`) both
 * count an `eu` event, as Lago does. With the example of `compileFilterBuckets`, `{steps: "25", size: "512",
 * model: "llama-2"}` falls in f1 only, `{steps: "50", size: "1024"}` in f3 only, `{size: "1024"}` in f4 only and
 * `{size: "2048"}` in the default bucket.
 */
export const bucketsOf = (buckets: FilterBuckets, dims: Dimensions): (string | null)[] => {
  if (buckets.filters.length === 0) return [null];
  const found: (string | null)[] = [];
  for (const filter of buckets.filters) {
    if (matches(dims, filter.matching) && !leftOut(dims, filter.ignored)) found.push(filter.id);
  }
  if (!leftOut(dims, buckets.defaultIgnored)) found.push(null);
  return found;
};
