import type { Db } from '../../db/database.ts';
import { invalid } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import * as repo from './repository.ts';
import { isBlank, type FilterInput } from './types.ts';

interface FilterState {
  id: string | null;
  values: string[];
  original: string[] | null;
  kept: boolean;
}

interface ChargeFilterState {
  id: string;
  values: Record<string, string[]>;
  changed: boolean;
  emptied: boolean;
}

/**
 * What a change of the metric's filters does to the charge filters that select on them (Lago's rule): a charge filter
 * value that loses some of its values keeps the others; one that loses all of them is dropped; a charge filter left
 * with no key at all is deleted.
 */
class ChargeFilterEdits {
  private readonly filters: ChargeFilterState[];

  constructor(rows: repo.ChargeFilterValues[]) {
    this.filters = rows.map((row) => ({ id: row.id, values: { ...row.values }, changed: false, emptied: false }));
  }

  /** The metric's `key` no longer offers `removed`; `kept` are the values it still has. */
  trim(key: string, removed: readonly string[], kept: readonly string[]): void {
    for (const filter of this.filters) {
      const list = filter.values[key];
      if (filter.emptied || !Array.isArray(list) || !list.some((v) => removed.includes(v))) continue;
      const remaining = [...new Set(list.filter((v) => kept.includes(v)))];
      if (remaining.length > 0) {
        filter.values[key] = remaining;
        filter.changed = true;
      } else this.drop(filter, key);
    }
  }

  /** The metric no longer has `key` at all. */
  removeKey(key: string): void {
    for (const filter of this.filters) if (!filter.emptied && key in filter.values) this.drop(filter, key);
  }

  private drop(filter: ChargeFilterState, key: string): void {
    delete filter.values[key];
    filter.changed = true;
    if (Object.keys(filter.values).length === 0) filter.emptied = true;
  }

  async save(tx: Db, organizationId: string, now: Date): Promise<void> {
    for (const filter of this.filters) {
      if (filter.changed && !filter.emptied) await repo.updateChargeFilterValues(tx, organizationId, filter.id, filter.values, now);
    }
    await repo.softDeleteChargeFilters(
      tx,
      organizationId,
      this.filters.filter((f) => f.emptied).map((f) => f.id),
      now,
    );
  }
}

/**
 * Makes the metric's filters exactly `inputs` (Lago's batch): a key already present gets the new values (deduplicated,
 * first-seen order), a new key is created, a key left out is deleted; `[]` deletes them all. Two entries with the same
 * key: the last one wins. Refused, with nothing written: any entry without values (`values: value_is_mandatory`,
 * checked first), then an entry without a key (`key: value_is_mandatory`).
 */
export const replaceFilters = async (
  tx: Db,
  organizationId: string,
  metricId: string,
  inputs: readonly FilterInput[],
  now: Date,
): Promise<Result<void>> => {
  if (inputs.some((f) => f.values == null || f.values.length === 0)) return err(invalid('values', 'value_is_mandatory'));
  if (inputs.some((f) => isBlank(f.key))) return err(invalid('key', 'value_is_mandatory'));

  const existing = (await repo.liveFilters(tx, organizationId, [metricId])).get(metricId) ?? [];
  const state = new Map<string, FilterState>(existing.map((row) => [row.key, { id: row.id, values: row.values, original: row.values, kept: false }]));
  let edits: ChargeFilterEdits | null = null;
  const chargeFilterEdits = async () => (edits ??= new ChargeFilterEdits(await repo.chargeFiltersOfMetric(tx, organizationId, metricId)));

  for (const input of inputs) {
    const sent = input.values!;
    const values = [...new Set(sent)];
    const current = state.get(input.key!);
    if (!current) {
      state.set(input.key!, { id: null, values, original: null, kept: true });
      continue;
    }
    const removed = current.values.filter((v) => !sent.includes(v));
    if (removed.length > 0) (await chargeFilterEdits()).trim(input.key!, removed, values);
    current.values = values;
    current.kept = true;
  }

  const inserts: Parameters<typeof repo.insertFilters>[1] = [];
  const deleted: string[] = [];
  for (const [key, filter] of state) {
    if (!filter.kept) {
      deleted.push(filter.id!);
      (await chargeFilterEdits()).removeKey(key);
    } else if (filter.id === null) {
      inserts.push({ organizationId, id: newId(), billableMetricId: metricId, key, values: filter.values, createdAt: now, updatedAt: now });
    } else if (!sameList(filter.values, filter.original!)) {
      await repo.updateFilterValues(tx, organizationId, filter.id, filter.values, now);
    }
  }
  await repo.softDeleteFilters(tx, organizationId, deleted, now);
  await repo.insertFilters(tx, inserts);
  if (edits) await (edits as ChargeFilterEdits).save(tx, organizationId, now);
  return ok(undefined);
};

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
