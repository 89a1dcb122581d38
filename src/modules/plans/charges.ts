import { isBlank, isPlainObject } from '../../billing/charge-models/properties.ts';
import { normalizeProperties } from '../../billing/charge-models/index.ts';
import { invalid, notFound, validation } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { replaceAppliedTaxes } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import { replaceFilters } from './charge-filters.ts';
import * as repo from './repository.ts';
import { checkCharge, type ChargeState, type MetricRef } from './rules.ts';
import type { Charge, ChargeInput, Plan } from './types.ts';
import { isSafeAmount, type Writer } from './writer.ts';

export const findMetric = async (w: Writer, id: string | null | undefined): Promise<MetricRef | null> =>
  id ? ((await repo.findMetrics(w.tx, w.organizationId, [id])).get(id) ?? null) : null;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Lago's code for a charge sent without one: the metric's code, or `<code>_<n>` past the highest numbered sibling
 * when the plan already has it (`api_calls`, `api_calls_2`, `api_calls_5` -> `api_calls_6`).
 */
export const generateChargeCode = async (w: Writer, planId: string, metricCode: string): Promise<string> => {
  const codes = await repo.liveChargeCodes(w.tx, w.organizationId, planId);
  if (!codes.includes(metricCode)) return metricCode;
  const numbered = new RegExp(`^${escapeRegExp(metricCode)}_(\\d+)$`);
  const suffixes = codes.map((c) => numbered.exec(c)?.[1]).filter((s): s is string => s !== undefined).map(Number);
  return `${metricCode}_${Math.max(1, ...suffixes) + 1}`;
};

/** Billow has no pricing units, so any pricing unit a charge names is unknown (Lago's answer for an unknown code). */
const checkPricingUnit = (input: ChargeInput['applied_pricing_unit']): Result<void> => {
  if (!isPlainObject(input) || isBlank(input)) return ok(undefined);
  const errors: Record<string, string[]> = {};
  if (input.conversion_rate === undefined || input.conversion_rate === null) errors.conversion_rate = ['value_is_mandatory'];
  errors.pricing_unit = ['relation_must_exist'];
  return err(validation(errors));
};

const applyTaxCodes = async (w: Writer, chargeId: string, codes: string[] | null | undefined): Promise<Result<void>> => {
  if (codes === undefined || codes === null) return ok(undefined);
  const taxes = await resolveTaxCodes(w.tx, w.organizationId, codes);
  if (!taxes.ok) return taxes;
  await replaceAppliedTaxes(w.tx, w.organizationId, 'charge', chargeId, taxes.value.map((t) => t.id), w.now);
  return ok(undefined);
};

const outOfRange = (field: string) => err(invalid(field, 'value_is_out_of_range'));

/**
 * Creates a charge on the plan (Lago's Charges::CreateService): the metric must exist (404
 * `billable_metric_not_found`), then the charge's own rules, then its filters, pricing unit and taxes; the first
 * failure is the answer. Plan create and update name a charge without a code after its metric; the nested route
 * does not.
 */
export const createCharge = async (
  w: Writer,
  plan: Plan,
  input: ChargeInput,
  options: { generateCode: boolean; position: number },
): Promise<Result<Charge>> => {
  const metric = await findMetric(w, input.billable_metric_id);
  if (!metric) return err(notFound('billable_metric'));
  if (input.min_amount_cents != null && !isSafeAmount(input.min_amount_cents)) return outOfRange('min_amount_cents');
  let code = input.code ?? null;
  if (options.generateCode && isBlank(code)) code = await generateChargeCode(w, plan.id, metric.code);
  const chargeModel = input.charge_model ?? null;
  const state: ChargeState = {
    chargeModel,
    code,
    properties: normalizeProperties(chargeModel, input.properties, 'charge'),
    payInAdvance: input.pay_in_advance ?? false,
    invoiceable: input.invoiceable ?? true,
    regroupPaidFees: input.regroup_paid_fees ?? null,
    prorated: input.prorated ?? false,
    minAmountCents: BigInt(input.min_amount_cents ?? 0),
  };
  const taken = !isBlank(code) && (await repo.chargeCodeTaken(w.tx, w.organizationId, plan.id, code!, null));
  const errors = checkCharge(state, metric, taken);
  if (!errors.empty) return err(errors.toError());

  const charge = await repo.insertCharge(w.tx, {
    organizationId: w.organizationId,
    id: newId(),
    planId: plan.id,
    billableMetricId: metric.id,
    code: code!,
    chargeModel: chargeModel!,
    payInAdvance: state.payInAdvance,
    invoiceable: state.invoiceable,
    regroupPaidFees: state.regroupPaidFees,
    prorated: state.prorated,
    minAmountCents: state.minAmountCents,
    acceptsTargetWallet: input.accepts_target_wallet ?? false,
    invoiceDisplayName: input.invoice_display_name ?? null,
    properties: state.properties,
    parentId: null,
    position: options.position,
    createdAt: w.now,
    updatedAt: w.now,
  });
  if (input.filters && input.filters.length > 0) {
    const filters = await replaceFilters(w, charge, metric, input.filters);
    if (!filters.ok) return filters;
  }
  const pricingUnit = checkPricingUnit(input.applied_pricing_unit);
  if (!pricingUnit.ok) return pricingUnit;
  const taxes = await applyTaxCodes(w, charge.id, input.tax_codes);
  if (!taxes.ok) return taxes;
  return ok(charge);
};

/**
 * Updates a charge (Lago's Charges::UpdateService), which replaces more than it patches: an omitted
 * `invoice_display_name` is cleared, omitted `properties` fall back to the model's defaults and an omitted
 * `min_amount_cents` to 0. Once the plan has subscriptions, what the charge bills on is frozen (`charge_model`, `code`,
 * metric, `pay_in_advance`, `prorated`, `invoiceable`, `regroup_paid_fees`, `min_amount_cents` are ignored) while the
 * prices (`properties`, filters), display name and taxes stay editable. `filters` and `tax_codes`, when sent, replace.
 */
export const updateCharge = async (
  w: Writer,
  charge: Charge,
  input: ChargeInput,
  options: { locked: boolean; position?: number },
): Promise<Result<Charge>> => {
  const { locked } = options;
  const metricId = !locked && input.billable_metric_id ? input.billable_metric_id : charge.billableMetricId;
  const metric = await findMetric(w, metricId);
  if (!metric) return err(notFound('billable_metric'));
  if (!locked && input.min_amount_cents != null && !isSafeAmount(input.min_amount_cents)) return outOfRange('min_amount_cents');

  const chargeModel = locked ? charge.chargeModel : (input.charge_model ?? null);
  const code = !locked && !isBlank(input.code) ? input.code! : charge.code;
  const state: ChargeState = {
    chargeModel,
    code,
    properties: normalizeProperties(chargeModel, input.properties, 'charge'),
    payInAdvance: locked ? charge.payInAdvance : (input.pay_in_advance ?? charge.payInAdvance),
    invoiceable: locked ? charge.invoiceable : (input.invoiceable ?? charge.invoiceable),
    regroupPaidFees: locked || !('regroup_paid_fees' in input) ? charge.regroupPaidFees : (input.regroup_paid_fees ?? null),
    prorated: locked ? charge.prorated : (input.prorated ?? charge.prorated),
    minAmountCents: locked ? charge.minAmountCents : BigInt(input.min_amount_cents ?? 0),
  };
  const taken = code !== charge.code && (await repo.chargeCodeTaken(w.tx, w.organizationId, charge.planId, code, charge.id));
  const errors = checkCharge(state, metric, taken);
  if (!errors.empty) return err(errors.toError());

  const updated = await repo.updateCharge(w.tx, w.organizationId, charge.id, {
    billableMetricId: metric.id,
    code,
    chargeModel: chargeModel!,
    payInAdvance: state.payInAdvance,
    invoiceable: state.invoiceable,
    regroupPaidFees: state.regroupPaidFees,
    prorated: state.prorated,
    minAmountCents: state.minAmountCents,
    acceptsTargetWallet: input.accepts_target_wallet ?? charge.acceptsTargetWallet,
    invoiceDisplayName: input.invoice_display_name ?? null,
    properties: state.properties,
    ...(options.position !== undefined && { position: options.position }),
    updatedAt: w.now,
  });
  if (input.filters !== undefined && input.filters !== null) {
    const filters = await replaceFilters(w, updated, metric, input.filters);
    if (!filters.ok) return filters;
  }
  const taxes = await applyTaxCodes(w, updated.id, input.tax_codes);
  if (!taxes.ok) return taxes;
  return ok(updated);
};

/** A soft delete of the charge and its filters; its taxes stay attached, so invoices that billed it still explain it. */
export const destroyCharges = (w: Writer, ids: readonly string[]): Promise<void> => repo.softDeleteCharges(w.tx, w.organizationId, ids, w.now);
