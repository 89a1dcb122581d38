import { validateProperties, type Properties } from '../../billing/charge-models/index.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { PLAN_INTERVALS } from './types.ts';

/** The billable metric a charge prices, as the plans module reads it. */
export interface MetricRef {
  id: string;
  code: string;
  aggregationType: string;
  recurring: boolean;
  filters: { key: string; values: string[] }[];
}

const blank = (value: string | null | undefined): boolean => value == null || value.trim() === '';

export interface PlanFieldsState {
  name: string | null;
  code: string | null;
  interval: string | null;
  amountCents: bigint | null;
  amountCurrency: string | null;
  payInAdvance: boolean | null;
  trialPeriod: number | null;
}

export const isInterval = (value: unknown): boolean => typeof value === 'string' && (PLAN_INTERVALS as readonly string[]).includes(value);

/** Lago's plan checks, all reported together and in its order. */
export const checkPlanFields = (plan: PlanFieldsState, codeTaken: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if (plan.interval !== null && !isInterval(plan.interval)) errors.add('interval', 'value_is_invalid');
  if (blank(plan.name)) errors.add('name', 'value_is_mandatory');
  if (blank(plan.code)) errors.add('code', 'value_is_mandatory');
  if (!isCurrency(plan.amountCurrency)) errors.add('amount_currency', 'value_is_invalid');
  // Lago keeps its historical code for a missing interval.
  if (plan.interval === null) errors.add('interval', 'value_is_invalid');
  if (plan.amountCents === null) errors.add('amount_cents', 'value_is_mandatory');
  // Lago accepts a negative subscription fee or trial; Billow refuses both rather than bill a credit.
  else if (plan.amountCents < 0n) errors.add('amount_cents', 'value_is_out_of_range');
  if (plan.payInAdvance === null) errors.add('pay_in_advance', 'value_is_invalid');
  if (plan.trialPeriod !== null && plan.trialPeriod < 0) errors.add('trial_period', 'value_is_out_of_range');
  if (codeTaken) errors.add('code', 'value_already_exist');
  return errors;
};

const METADATA_MAX_KEYS = 50;
const METADATA_MAX_KEY_LENGTH = 100;
const METADATA_MAX_VALUE_LENGTH = 255;

/** Lago's limits on plan metadata: at most 50 keys of up to 100 characters, each value null or a string of up to 255. */
export const checkMetadata = (metadata: Record<string, unknown>): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  const entries = Object.entries(metadata);
  const fine =
    entries.length <= METADATA_MAX_KEYS &&
    entries.every(
      ([key, value]) =>
        key.length <= METADATA_MAX_KEY_LENGTH && (value === null || (typeof value === 'string' && value.length <= METADATA_MAX_VALUE_LENGTH)),
    );
  if (!fine) errors.add('metadata', 'value_is_invalid');
  return errors;
};

/** The charge models Lago names; `custom` needs a custom aggregation, which Billow's metrics do not offer. */
const KNOWN_CHARGE_MODELS = new Set(['standard', 'graduated', 'package', 'percentage', 'volume', 'graduated_percentage', 'custom', 'dynamic']);

/** Aggregations whose units are known event by event, so a fee can be billed as each event arrives. */
const PAYABLE_IN_ADVANCE = new Set(['count_agg', 'sum_agg', 'unique_count_agg', 'custom_agg']);

export interface ChargeState {
  chargeModel: string | null;
  code: string | null;
  properties: Properties;
  payInAdvance: boolean;
  invoiceable: boolean;
  regroupPaidFees: string | null;
  prorated: boolean;
  minAmountCents: bigint;
}

/** Lago's charge checks in its order; every problem of the charge is reported together. */
export const checkCharge = (charge: ChargeState, metric: MetricRef, codeTaken: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  const model = charge.chargeModel;
  if (model === null || !KNOWN_CHARGE_MODELS.has(model)) errors.add('charge_model', 'value_is_invalid');
  for (const code of validateProperties(model, charge.properties, { aggregationType: metric.aggregationType })) {
    errors.add('properties', code);
  }
  if (model === 'dynamic' && metric.aggregationType !== 'sum_agg') errors.add('charge_model', 'invalid_aggregation_type_or_charge_model');
  if (charge.minAmountCents < 0n) errors.add('min_amount_cents', 'value_is_out_of_range');
  if (model === null) errors.add('charge_model', 'value_is_mandatory');
  if (blank(charge.code)) errors.add('code', 'value_is_mandatory');
  if (codeTaken) errors.add('code', 'value_already_exist');
  if (charge.payInAdvance && (model === 'volume' || !PAYABLE_IN_ADVANCE.has(metric.aggregationType))) {
    errors.add('pay_in_advance', 'invalid_aggregation_type_or_charge_model');
  }
  if (charge.regroupPaidFees !== null && !(charge.payInAdvance && !charge.invoiceable)) {
    errors.add('regroup_paid_fees', 'only_compatible_with_pay_in_advance_and_non_invoiceable');
  }
  if (charge.prorated && !prorationAllowed(charge, metric)) errors.add('prorated', 'invalid_billable_metric_or_charge_model');
  if (charge.payInAdvance && charge.minAmountCents > 0n) errors.add('min_amount_cents', 'not_compatible_with_pay_in_advance');
  if (model === 'custom') errors.add('charge_model', 'invalid_aggregation_type_or_charge_model');
  if (!charge.payInAdvance && !charge.invoiceable) errors.add('invoiceable', 'must_be_true_unless_pay_in_advance');
  return errors;
};

/**
 * Only units that persist across periods (recurring metrics) can be prorated, and only by the models whose price is
 * linear enough to split: standard in advance; standard, volume or graduated in arrears. Weighted sums already
 * prorate themselves.
 */
const prorationAllowed = (charge: ChargeState, metric: MetricRef): boolean => {
  if (!metric.recurring || metric.aggregationType === 'weighted_sum_agg') return false;
  if (charge.payInAdvance) return charge.chargeModel === 'standard';
  return charge.chargeModel === 'standard' || charge.chargeModel === 'volume' || charge.chargeModel === 'graduated';
};

/** The value a filter key takes to match every value the metric declares for that key. */
export const ALL_FILTER_VALUES = '__ALL_FILTER_VALUES__';

/**
 * The `values` of a charge filter, key by key, against the metric's filters. Like Lago, only the first failing key is
 * reported: `{billable_metric_filter: [relation_must_exist]}` for a key the metric lacks, `values: [value_is_mandatory]`
 * for an empty list and `values: [value_is_invalid]` for a value the metric does not declare.
 */
export const checkFilterValues = (values: Record<string, unknown>, metric: MetricRef): FieldErrorsBuilder | null => {
  for (const [key, list] of Object.entries(values)) {
    const errors = new FieldErrorsBuilder();
    const declared = metric.filters.find((f) => f.key === key);
    if (!declared) errors.add('billable_metric_filter', 'relation_must_exist');
    if (list === null || (Array.isArray(list) && list.length === 0)) errors.add('values', 'value_is_mandatory');
    if (!Array.isArray(list)) errors.add('values', 'value_is_invalid');
    else if (list.length > 0) {
      const everything = list.length === 1 && list[0] === ALL_FILTER_VALUES;
      if (!everything && !list.every((v) => typeof v === 'string' && declared?.values.includes(v) === true)) errors.add('values', 'value_is_invalid');
    }
    if (!errors.empty) return errors;
  }
  return null;
};

/** Two filters are the same filter when they match the same values: same keys, same lists in the same order. */
export const filterValuesKey = (values: Record<string, unknown>): string =>
  JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
