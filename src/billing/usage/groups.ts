import type { Dimensions } from './filter-buckets.ts';

/** One pricing group of a bucket: what identifies it, and how Lago shows it (`grouped_by`). */
export interface PricingGroup {
  /** Tells groups apart: a missing property and an empty one are two groups, as in Lago's SQL `GROUP BY`. */
  key: string;
  /** `{"region": "eu", "tier": null}`; `{}` when the bucket has no group keys. */
  groupedBy: Record<string, string | null>;
}

const MISSING = '\u0000';

/**
 * The pricing group of an event's dimensions for a bucket's `pricing_group_keys` (in their listed order). Values are
 * property texts; a missing or empty property shows as null (Lago's `presence`), though the two stay separate groups.
 * Example: keys [region, tier] and dims {region: "eu"} give grouped_by {region: "eu", tier: null}.
 */
export const groupOf = (keys: readonly string[], dims: Dimensions): PricingGroup => {
  const groupedBy: Record<string, string | null> = {};
  const parts: string[] = [];
  for (const key of keys) {
    const value = Object.hasOwn(dims, key) ? dims[key]! : undefined;
    groupedBy[key] = value === undefined || value === '' ? null : value;
    parts.push(value ?? MISSING);
  }
  return { key: JSON.stringify(parts), groupedBy };
};

/** The group a bucket with no usage shows: every key null (Lago's empty aggregation result). */
export const emptyGroup = (keys: readonly string[]): PricingGroup => groupOf(keys, {});

/**
 * Orders groups by their values, key by key, missing and empty values first, so a response lists them the same way
 * every time (Lago leaves the order to its SQL `GROUP BY`).
 */
export const compareGroups = (a: PricingGroup, b: PricingGroup): number => {
  const pa = JSON.parse(a.key) as string[];
  const pb = JSON.parse(b.key) as string[];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};
