import { dynamicProperties, priceDynamic } from './dynamic.ts';
import { graduatedPercentageProperties, priceGraduatedPercentage } from './graduated-percentage.ts';
import { graduatedProperties, priceGraduated } from './graduated.ts';
import { packageProperties, pricePackage } from './package.ts';
import { pricePercentage } from './percentage-pricing.ts';
import { percentageProperties } from './percentage.ts';
import type { ChargeAmount, ChargePricer, ChargeUsage } from './pricing.ts';
import {
  checkGroupKeys,
  isPlainObject,
  isPresent,
  isBlank,
  PropertyErrors,
  type ChargeModelProperties,
  type Properties,
  type PropertiesContext,
} from './properties.ts';
import { priceStandard, standardProperties } from './standard.ts';
import { priceVolume, volumeProperties } from './volume.ts';

export type { Properties, PropertiesContext } from './properties.ts';
export type {
  AmountDetails,
  ChargeAmount,
  ChargeCents,
  ChargeUsage,
  DecimalText,
  FreeUnitsBasis,
  GraduatedPercentageRangeDetail,
  GraduatedRangeDetail,
  PackageAmountDetails,
  PercentageAmountDetails,
  VolumeAmountDetails,
} from './pricing.ts';
export { chargeCents, withoutNegativeFee } from './pricing.ts';
export { percentageEventNeeds, type PercentageEventNeeds } from './percentage-pricing.ts';
export { priceDynamic, priceGraduated, priceGraduatedPercentage, pricePackage, pricePercentage, priceStandard, priceVolume };

/** Every charge model Billow prices, all of them available to every organization. */
export const CHARGE_MODELS = {
  standard: standardProperties,
  graduated: graduatedProperties,
  package: packageProperties,
  percentage: percentageProperties,
  volume: volumeProperties,
  graduated_percentage: graduatedPercentageProperties,
  dynamic: dynamicProperties,
} as const satisfies Record<string, ChargeModelProperties>;

export type ChargeModel = keyof typeof CHARGE_MODELS;

export const isChargeModel = (name: unknown): name is ChargeModel => typeof name === 'string' && Object.hasOwn(CHARGE_MODELS, name);

/** Each model's pricing, beside its properties above. */
const PRICERS = {
  standard: priceStandard,
  graduated: priceGraduated,
  package: pricePackage,
  percentage: pricePercentage,
  volume: priceVolume,
  graduated_percentage: priceGraduatedPercentage,
  dynamic: priceDynamic,
} as const satisfies Record<ChargeModel, ChargePricer>;

/**
 * Prices one charge's usage with its model: validated, normalized `properties` (a charge's or a filter's) and the
 * aggregated usage of one fee (one charge filter, one pricing group) in, the unrounded amount, Lago's unit amount and
 * `amount_details` out. Pure: no I/O, no clock. Round with `chargeCents`; drop negative fees with `withoutNegativeFee`.
 * Example: `priceCharge('package', {amount: "5", package_size: 1000, free_units: 100}, usage)` with 1,250 units bills
 * ceil(1150 / 1000) = 2 packages: amount 10, unit amount 10/1150, details `{free_units: "100.0", paid_units: "1150.0",
 * per_package_size: 1000, per_package_unit_amount: "5.0"}`.
 */
export const priceCharge = (model: ChargeModel, properties: Properties, usage: ChargeUsage): ChargeAmount =>
  PRICERS[model](properties, usage);

/** Where a `properties` object lives: a charge gets the model's defaults when sent none; a filter never does. */
export type PropertiesTarget = 'charge' | 'filter';

/**
 * The properties as Billow stores them, from what the client sent (Lago's sanitizing):
 * - a charge sent no properties (`null`, `{}`) gets its model's defaults;
 * - only the model's own keys are kept, plus `pricing_group_keys` (the deprecated `grouped_by` is read into it, empty
 *   strings dropped) and, on charges only, `presentation_group_keys`;
 * - values are kept exactly as sent (no number-to-string conversion): validation refuses the wrong types.
 * `model` is the charge's model name as given, possibly unknown (then only the group keys survive) or null.
 */
const RANGE_FIELDS = ['from_value', 'to_value', 'per_unit_amount', 'flat_amount', 'rate', 'fixed_amount'];

/** A list of ranges keeps only the fields a range has; anything else a client nests in there is not stored. */
const onlyRangeFields = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map((range) =>
        isPlainObject(range) ? Object.fromEntries(RANGE_FIELDS.filter((k) => Object.hasOwn(range, k)).map((k) => [k, range[k]])) : range,
      )
    : value;

export const normalizeProperties = (model: string | null, raw: unknown, target: PropertiesTarget): Properties => {
  const definition: ChargeModelProperties | undefined = isChargeModel(model) ? CHARGE_MODELS[model] : undefined;
  let source = raw;
  if (target === 'charge' && isBlank(source)) source = definition?.defaults() ?? {};
  if (!isPlainObject(source)) return {};

  const result: Properties = {};
  for (const key of definition?.keys ?? []) if (Object.hasOwn(source, key)) result[key] = onlyRangeFields(source[key]);
  if (model === null) return result;

  const pricingKeys = isPresent(source.pricing_group_keys)
    ? source.pricing_group_keys
    : isPresent(source.grouped_by)
      ? source.grouped_by
      : undefined;
  if (pricingKeys !== undefined) {
    result.pricing_group_keys =
      Array.isArray(pricingKeys) && pricingKeys.every((k) => typeof k === 'string') ? pricingKeys.filter((k) => k !== '') : pricingKeys;
  }
  if (target === 'charge' && isPresent(source.presentation_group_keys)) result.presentation_group_keys = source.presentation_group_keys;
  return result;
};

/**
 * Lago's validation of normalized properties: the model's own checks, then the group-key checks every model shares.
 * Returns the error codes as Lago reports them under `properties` (empty when valid). An unknown model gets only the
 * shared checks (the model name itself is refused elsewhere); a missing one gets none.
 */
export const validateProperties = (model: string | null, properties: Properties, context: PropertiesContext): string[] => {
  if (model === null) return [];
  const errors = new PropertyErrors();
  if (isChargeModel(model)) CHARGE_MODELS[model].check(properties, context, errors);
  checkGroupKeys(properties, errors);
  return errors.codes();
};

/**
 * The JSON a charge or filter shows: `pricing_group_keys` and the deprecated `grouped_by` mirror each other so that
 * clients reading either name see the grouping.
 */
export const presentProperties = (properties: Properties): Properties => {
  const shown = { ...properties };
  if (isPresent(shown.grouped_by) && isBlank(shown.pricing_group_keys)) shown.pricing_group_keys = shown.grouped_by;
  if (isPresent(shown.pricing_group_keys) && isBlank(shown.grouped_by)) shown.grouped_by = shown.pricing_group_keys;
  return shown;
};
