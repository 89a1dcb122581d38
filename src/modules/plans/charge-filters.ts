import { isBlank } from '../../billing/charge-models/properties.ts';
import { normalizeProperties, validateProperties } from '../../billing/charge-models/index.ts';
import { invalid, validation } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import * as repo from './repository.ts';
import { checkFilterValues, filterValuesKey, type MetricRef } from './rules.ts';
import type { Charge, ChargeFilter, FilterInput } from './types.ts';
import type { Writer } from './writer.ts';

/** A filter's properties follow its charge's model, without defaults and without presentation keys (Lago's rule). */
const filterProperties = (charge: Charge, metric: MetricRef, raw: unknown): Result<Record<string, unknown>> => {
  const properties = normalizeProperties(charge.chargeModel, raw, 'filter');
  const codes = validateProperties(charge.chargeModel, properties, { aggregationType: metric.aggregationType });
  return codes.length > 0 ? err(validation({ properties: codes })) : ok(properties);
};

const valuesMandatory = () => err(invalid('values', 'value_is_mandatory'));

const checkedValues = (values: FilterInput['values'], metric: MetricRef): Result<Record<string, string[]>> => {
  const errors = checkFilterValues(values!, metric);
  return errors ? err(errors.toError()) : ok(values as Record<string, string[]>);
};

/**
 * Makes the charge's filters exactly the given list (Lago's batch replace): an input whose values equal an existing
 * filter's updates it, any other input creates a filter, and existing filters left out are deleted. An empty list
 * deletes them all. The list order becomes the filters' order.
 */
export const replaceFilters = async (w: Writer, charge: Charge, metric: MetricRef, inputs: FilterInput[]): Promise<Result<void>> => {
  const existing = await repo.filtersOfCharges(w.tx, w.organizationId, [charge.id]);
  if (inputs.length > 0 && inputs.some((f) => isBlank(f.values))) return valuesMandatory();
  const byValues = new Map(existing.map((f) => [filterValuesKey(f.values), f]));
  const kept = new Set<string>();
  for (const [position, input] of inputs.entries()) {
    const properties = filterProperties(charge, metric, input.properties);
    if (!properties.ok) return properties;
    const match = byValues.get(filterValuesKey(input.values!));
    if (match) {
      await repo.updateFilter(w.tx, w.organizationId, match.id, {
        invoiceDisplayName: input.invoice_display_name ?? null,
        properties: properties.value,
        position,
        updatedAt: w.now,
      });
      kept.add(match.id);
      continue;
    }
    const values = checkedValues(input.values, metric);
    if (!values.ok) return values;
    const created = await insert(w, charge, { invoiceDisplayName: input.invoice_display_name ?? null, properties: properties.value, values: values.value, position });
    kept.add(created.id);
  }
  await repo.softDeleteFilters(w.tx, w.organizationId, existing.filter((f) => !kept.has(f.id)).map((f) => f.id), w.now);
  return ok(undefined);
};

const insert = (
  w: Writer,
  charge: Charge,
  fields: { invoiceDisplayName: string | null; properties: Record<string, unknown>; values: Record<string, string[]>; position: number },
) =>
  repo.insertFilter(w.tx, {
    organizationId: w.organizationId,
    id: newId(),
    chargeId: charge.id,
    ...fields,
    createdAt: w.now,
    updatedAt: w.now,
  });

/** One more filter on the charge, last in order. Two filters may match the same values, as in Lago. */
export const createFilter = async (w: Writer, charge: Charge, metric: MetricRef, input: FilterInput): Promise<Result<ChargeFilter>> => {
  if (isBlank(input.values)) return valuesMandatory();
  const properties = filterProperties(charge, metric, input.properties);
  if (!properties.ok) return properties;
  const values = checkedValues(input.values, metric);
  if (!values.ok) return values;
  const position = await repo.nextFilterPosition(w.tx, w.organizationId, charge.id);
  return ok(await insert(w, charge, { invoiceDisplayName: input.invoice_display_name ?? null, properties: properties.value, values: values.value, position }));
};

/** Only the display name and the properties of a filter change; its values are its identity (Lago ignores them here). */
export const updateFilter = async (
  w: Writer,
  charge: Charge,
  metric: MetricRef,
  filter: ChargeFilter,
  input: FilterInput,
): Promise<Result<ChargeFilter>> => {
  const changes: Partial<ChargeFilter> = { updatedAt: w.now };
  if ('invoice_display_name' in input) changes.invoiceDisplayName = input.invoice_display_name ?? null;
  if ('properties' in input) {
    const properties = filterProperties(charge, metric, input.properties);
    if (!properties.ok) return properties;
    changes.properties = properties.value;
  }
  return ok(await repo.updateFilter(w.tx, w.organizationId, filter.id, changes));
};
