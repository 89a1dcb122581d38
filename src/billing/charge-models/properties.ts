import { Decimal, isDecimalString } from '../../lib/money.ts';

/** A charge's (or charge filter's) `properties` as stored: JSON, shaped by its charge model. */
export type Properties = Record<string, unknown>;

/** What a model's validation may look at besides the properties themselves. */
export interface PropertiesContext {
  /** The billable metric's aggregation type, e.g. `sum_agg`. */
  aggregationType: string;
}

/**
 * The problems found in one `properties` object. Lago validates per inner field (amount, graduated_ranges, ...) and
 * then reports every code under the single key `properties`, grouped by the order in which each inner field first
 * failed, duplicates kept; `codes()` gives exactly that list.
 */
export class PropertyErrors {
  private readonly byField = new Map<string, string[]>();

  add(field: string, code: string): void {
    const list = this.byField.get(field);
    if (list) list.push(code);
    else this.byField.set(field, [code]);
  }

  get empty(): boolean {
    return this.byField.size === 0;
  }

  codes(): string[] {
    return [...this.byField.values()].flat();
  }
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Ruby's `blank?` on parsed JSON: null, false, an empty or whitespace-only string, `[]` and `{}`. */
export const isBlank = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === false ||
  (typeof value === 'string' && value.trim() === '') ||
  (Array.isArray(value) && value.length === 0) ||
  (isPlainObject(value) && Object.keys(value).length === 0);

export const isPresent = (value: unknown): boolean => !isBlank(value);

/**
 * A price, rate or amount: a decimal written as a JSON string and not negative. A JSON number is refused on purpose,
 * as Lago does, so that no price ever passes through a binary float.
 */
export const isAmount = (value: unknown): value is string =>
  typeof value === 'string' && isDecimalString(value) && !new Decimal(value.trim()).lt(0);

/** A JSON integer no smaller than `min` (`"10"` and `10.5` are not). */
export const isIntegerAtLeast = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

/** A range bound: a JSON number or a numeric string (Lago reads both); null for anything else. */
export const rangeBound = (value: unknown): Decimal | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? new Decimal(value) : null;
  if (isDecimalString(value)) return new Decimal(value.trim());
  return null;
};

export interface RangeRules {
  /** The inner field and code a bad bound is reported with, e.g. graduated_ranges / invalid_graduated_ranges. */
  field: string;
  invalidCode: string;
  /** Checks the prices of one range. */
  checkAmounts(range: Record<string, unknown>, errors: PropertyErrors): void;
  /**
   * Where the range after one ending at `to` may start, besides one unit later: graduated ranges may share a bound
   * (`0–10, 10–20`), volume ranges may not (`0–10, 11–20`).
   */
  nextFrom(to: Decimal): Decimal;
}

/**
 * Lago's range rules: the first range starts at 0 or 1; each next range starts where `nextFrom` says or one unit
 * later (so no gap and no overlap); every range but the last has a `to_value` above its `from_value`; the last one is
 * open (`to_value` null). A bound that is not a number is a bad range (Lago answers a 500 there).
 */
export const checkRanges = (ranges: readonly unknown[], rules: RangeRules, errors: PropertyErrors): void => {
  let nextFrom = new Decimal(0);
  ranges.forEach((raw, index) => {
    const range = isPlainObject(raw) ? raw : {};
    rules.checkAmounts(range, errors);
    const from = rangeBound(range.from_value);
    const validFrom = from !== null && (from.eq(nextFrom) || from.eq(nextFrom.plus(1)));
    const last = index === ranges.length - 1;
    let validTo: boolean;
    if (last) {
      validTo = range.to_value === null || range.to_value === undefined;
    } else {
      const to = rangeBound(range.to_value);
      validTo = to !== null && from !== null && to.gt(from);
    }
    if (!(validFrom && validTo)) errors.add(rules.field, rules.invalidCode);
    nextFrom = rules.nextFrom(rangeBound(range.to_value) ?? new Decimal(0));
  });
};

/** A model's list of ranges: blank is "missing", anything but an array is a bad range list. */
export const checkRangeList = (
  value: unknown,
  missing: { field: string; code: string },
  rules: RangeRules,
  errors: PropertyErrors,
): void => {
  if (isBlank(value)) errors.add(missing.field, missing.code);
  else if (!Array.isArray(value)) errors.add(rules.field, rules.invalidCode);
  else checkRanges(value, rules, errors);
};

export const checkRangeAmounts = (range: Record<string, unknown>, errors: PropertyErrors): void => {
  if (!isAmount(range.per_unit_amount)) errors.add('per_unit_amount', 'invalid_amount');
  if (!isAmount(range.flat_amount)) errors.add('flat_amount', 'invalid_amount');
};

const PRESENTATION_KEY_FIELDS = new Set(['value', 'options']);

const validPresentationKey = (entry: unknown): entry is { value: string } => {
  if (!isPlainObject(entry)) return false;
  if (Object.keys(entry).some((k) => !PRESENTATION_KEY_FIELDS.has(k))) return false;
  if (typeof entry.value !== 'string' || entry.value.trim() === '') return false;
  if (!('options' in entry)) return true;
  const options = entry.options;
  return isPlainObject(options) && Object.keys(options).length === 1 && typeof options.display_in_invoice === 'boolean';
};

/**
 * The checks every model shares: `pricing_group_keys` (or the deprecated `grouped_by`) is a list of non-empty strings,
 * and `presentation_group_keys` is at most two distinct `{value, options?: {display_in_invoice}}` entries.
 */
export const checkGroupKeys = (properties: Properties, errors: PropertyErrors): void => {
  const field = properties.pricing_group_keys !== undefined && properties.pricing_group_keys !== null ? 'pricing_group_keys' : 'grouped_by';
  const keys = properties[field];
  const fine =
    keys === undefined ||
    keys === null ||
    (Array.isArray(keys) && keys.every((k) => typeof k === 'string' && k.trim() !== ''));
  if (!fine) errors.add(field, 'invalid_type');

  const presentation = properties.presentation_group_keys;
  if (isBlank(presentation)) return;
  const entries = Array.isArray(presentation) ? presentation : [];
  if (!Array.isArray(presentation) || !entries.every(validPresentationKey)) errors.add('presentation_group_keys', 'invalid_type');
  if (entries.length > 2) errors.add('presentation_group_keys', 'too_many_keys');
  const values = entries.filter(validPresentationKey).map((e) => e.value);
  if (new Set(values).size !== values.length) errors.add('presentation_group_keys', 'value_is_duplicated');
};

/** A metric whose value is its latest event cannot carry a percentage of amounts. */
export const checkNotLatestAggregation = (context: PropertiesContext, errors: PropertyErrors): void => {
  if (context.aggregationType === 'latest_agg') errors.add('billable_metric', 'invalid_value');
};

/** What each charge model file provides for its `properties`. */
export interface ChargeModelProperties {
  /** The top-level keys the model keeps; any other key a client sends is dropped (group keys are handled apart). */
  readonly keys: readonly string[];
  /** The properties a charge gets when it is sent none. */
  defaults(): Properties;
  /** Adds the model's own problems, in Lago's order; the shared group-key checks run after it. */
  check(properties: Properties, context: PropertiesContext, errors: PropertyErrors): void;
}
