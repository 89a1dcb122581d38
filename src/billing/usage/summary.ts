import { Decimal } from '../../lib/money.ts';
import type { UsageLine } from './lines.ts';
import type { LineProjection } from './projection.ts';

/** Sums over a set of lines, as each level of Lago's usage JSON shows them. */
export interface UsageTotals {
  units: Decimal;
  totalAggregatedUnits: Decimal;
  eventsCount: number;
  amountCents: bigint;
  projectedUnits: Decimal;
  projectedAmountCents: bigint;
}

export interface FilterTotals extends UsageTotals {
  /** The charge filter; null for the default bucket. */
  filterId: string | null;
}

export interface GroupTotals extends UsageTotals {
  groupedBy: Record<string, string | null>;
  /** The group's lines split by bucket (empty when the charge has no filters). */
  filters: FilterTotals[];
}

export interface ChargeTotals extends UsageTotals {
  /** One entry per bucket (filters in order, then the default bucket); empty when the charge has no filters. */
  filters: FilterTotals[];
  /** One entry per pricing group across buckets; empty when no line is grouped. */
  groups: GroupTotals[];
}

interface ProjectedLine {
  line: UsageLine;
  projection: LineProjection;
}

const ZERO = new Decimal(0);

const totalsOf = (lines: readonly ProjectedLine[]): UsageTotals => {
  const totals: UsageTotals = {
    units: ZERO,
    totalAggregatedUnits: ZERO,
    eventsCount: 0,
    amountCents: 0n,
    projectedUnits: ZERO,
    projectedAmountCents: 0n,
  };
  for (const { line, projection } of lines) {
    totals.units = totals.units.plus(line.units);
    totals.totalAggregatedUnits = totals.totalAggregatedUnits.plus(line.totalAggregatedUnits);
    totals.eventsCount += line.eventsCount;
    totals.amountCents += line.amountCents;
    totals.projectedUnits = totals.projectedUnits.plus(projection.units);
    totals.projectedAmountCents += projection.amountCents;
  }
  return totals;
};

/** Splits lines by a key, keeping the order in which keys first appear. */
const splitBy = <K>(lines: readonly ProjectedLine[], keyOf: (line: UsageLine) => K): ProjectedLine[][] => {
  const groups = new Map<K, ProjectedLine[]>();
  for (const entry of lines) {
    const key = keyOf(entry.line);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(entry);
  }
  return [...groups.values()];
};

const filterTotals = (lines: readonly ProjectedLine[], hasFilters: boolean): FilterTotals[] =>
  hasFilters ? splitBy(lines, (line) => line.filterId).map((part) => ({ filterId: part[0]!.line.filterId, ...totalsOf(part) })) : [];

/** Lago merges groups whose `grouped_by` are equal hashes: same keys and values in any order, null for missing and "". */
const sameGroupKey = (groupedBy: Record<string, string | null>): string =>
  JSON.stringify(Object.entries(groupedBy).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The levels of one charge's usage, from its lines (Lago's `ChargeUsageSerializer`): the charge's sums; per bucket
 * (only when the charge has filters); per pricing group across buckets (only when some line is grouped), each group
 * split by bucket again. Projections (one per line, in line order) are summed the same way; pass none for current usage.
 */
export const summarizeCharge = (
  lines: readonly UsageLine[],
  hasFilters: boolean,
  projections: readonly LineProjection[] = [],
): ChargeTotals => {
  const entries: ProjectedLine[] = lines.map((line, i) => ({ line, projection: projections[i] ?? { units: ZERO, amountCents: 0n } }));
  const grouped = lines.some((line) => line.grouped);
  return {
    ...totalsOf(entries),
    filters: filterTotals(entries, hasFilters),
    groups: grouped
      ? splitBy(entries, (line) => sameGroupKey(line.group.groupedBy)).map((part) => ({
          groupedBy: part[0]!.line.group.groupedBy,
          ...totalsOf(part),
          filters: filterTotals(part, hasFilters),
        }))
      : [],
  };
};
