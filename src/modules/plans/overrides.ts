import { isBlank } from '../../billing/charge-models/properties.ts';
import { normalizeProperties } from '../../billing/charge-models/index.ts';
import type { Db } from '../../db/database.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { appliedTaxes, replaceAppliedTaxes, type TaxTarget } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import { replaceFilters } from './charge-filters.ts';
import { holdMetricSettings, type PlanMetering } from './metering-settings.ts';
import { checkCommitmentAmount } from './minimum-commitment.ts';
import * as repo from './repository.ts';
import { checkCharge, checkPlanFields, type MetricRef } from './rules.ts';
import type { Charge, ChargeFilter, ChargeOverrideInput, MinimumCommitmentInput, Plan, PlanOverridesInput } from './types.ts';
import { replaceUsageThresholds } from './usage-thresholds.ts';
import { isSafeAmount, writer, type Writer } from './writer.ts';

export type { PlanOverridesInput } from './types.ts';

type OverriddenFields = Pick<Plan, 'name' | 'invoiceDisplayName' | 'description' | 'amountCents' | 'amountCurrency' | 'trialPeriod'>;

/**
 * The child plan's own fields: the parent's, replaced by every key the overrides send. As on plan update, a null
 * clears what may be empty and is refused where a plan needs a value (name, amount, currency).
 */
const overriddenFields = (parent: Plan, overrides: PlanOverridesInput): Result<OverriddenFields> => {
  const has = (key: keyof PlanOverridesInput) => Object.hasOwn(overrides, key);
  const amount = has('amount_cents') ? (overrides.amount_cents ?? null) : parent.amountCents;
  if (typeof amount === 'number' && !isSafeAmount(amount)) return err(invalid('amount_cents', 'value_is_out_of_range'));
  const state = {
    name: has('name') ? (overrides.name ?? null) : parent.name,
    code: parent.code,
    interval: parent.interval,
    amountCents: amount === null ? null : BigInt(amount),
    amountCurrency: has('amount_currency') ? (overrides.amount_currency ?? null) : parent.amountCurrency,
    payInAdvance: parent.payInAdvance,
    trialPeriod: has('trial_period') ? (overrides.trial_period ?? null) : parent.trialPeriod,
  };
  const errors = checkPlanFields(state, false);
  if (!errors.empty) return err(errors.toError());
  return ok({
    name: state.name!,
    invoiceDisplayName: has('invoice_display_name') ? (overrides.invoice_display_name ?? null) : parent.invoiceDisplayName,
    description: has('description') ? (overrides.description ?? null) : parent.description,
    amountCents: state.amountCents!,
    amountCurrency: state.amountCurrency!,
    trialPeriod: state.trialPeriod,
  });
};

/**
 * The checks on the overrides that need nothing but the parent plan, so a caller can refuse bad plan fields before it
 * does anything else (the subscription takes its customer's currency from the overridden plan). Billow bills no fixed
 * charges yet, so overriding one is refused as on /plans.
 */
export const checkPlanOverrides = (parent: Plan, overrides: PlanOverridesInput): Result<void> => {
  const fields = checkedFields(parent, overrides);
  return fields.ok ? ok(undefined) : fields;
};

const checkedFields = (parent: Plan, overrides: PlanOverridesInput): Result<OverriddenFields> =>
  overrides.fixed_charges && overrides.fixed_charges.length > 0
    ? err(invalid('fixed_charges', 'feature_unavailable'))
    : overriddenFields(parent, overrides);

/** The copy takes the sent tax codes (`[]`: none) or, without them, the taxes of what it copies. */
const applyTaxes = async (
  w: Writer,
  target: TaxTarget,
  id: string,
  codes: string[] | null | undefined,
  inherited: { id: string }[],
): Promise<Result<void>> => {
  let taxIds = inherited.map((t) => t.id);
  if (codes !== undefined && codes !== null) {
    const taxes = await resolveTaxCodes(w.tx, w.organizationId, codes);
    if (!taxes.ok) return taxes;
    taxIds = taxes.value.map((t) => t.id);
  }
  // The copy is new, so there is nothing to remove first.
  if (taxIds.length > 0) await replaceAppliedTaxes(w.tx, w.organizationId, target, id, taxIds, w.now);
  return ok(undefined);
};

/**
 * The child's copy of one parent charge. An overridden charge keeps its model and metric and is checked as a charge
 * is on /plans; `filters`, when sent, replace the copied filters (an empty list removes them).
 */
const copyCharge = async (
  w: Writer,
  child: Plan,
  parent: Charge,
  override: ChargeOverrideInput | undefined,
  metric: MetricRef,
  inherited: { filters: ChargeFilter[]; taxes: { id: string }[] },
): Promise<Result<void>> => {
  let { properties, minAmountCents, invoiceDisplayName } = parent;
  if (override) {
    if (override.min_amount_cents != null) {
      if (!isSafeAmount(override.min_amount_cents)) return err(invalid('min_amount_cents', 'value_is_out_of_range'));
      minAmountCents = BigInt(override.min_amount_cents);
    }
    if (override.properties != null) properties = normalizeProperties(parent.chargeModel, override.properties, 'charge');
    if ('invoice_display_name' in override) invoiceDisplayName = override.invoice_display_name ?? null;
    const errors = checkCharge({ ...parent, properties, minAmountCents }, metric, false);
    if (!errors.empty) return err(errors.toError());
  }
  const charge = await repo.insertCharge(w.tx, {
    ...parent,
    id: newId(),
    planId: child.id,
    parentId: parent.id,
    properties,
    minAmountCents,
    invoiceDisplayName,
    createdAt: w.now,
    updatedAt: w.now,
  });
  if (override?.filters != null) {
    const filters = await replaceFilters(w, charge, metric, override.filters);
    if (!filters.ok) return filters;
  } else {
    for (const filter of inherited.filters) {
      await repo.insertFilter(w.tx, { ...filter, id: newId(), chargeId: charge.id, createdAt: w.now, updatedAt: w.now });
    }
  }
  return applyTaxes(w, 'charge', charge.id, override?.tax_codes, inherited.taxes);
};

/**
 * Every live charge of the parent gets a copy in the child, overridden or not. Overrides name a parent charge by its
 * id; one naming no charge of the parent is ignored, as Lago ignores it (the last one wins for a charge named twice).
 */
const copyCharges = async (w: Writer, parent: Plan, child: Plan, overrides: ChargeOverrideInput[]): Promise<Result<void>> => {
  const listed = await repo.listLiveCharges(w.tx, w.organizationId, parent.id);
  // Locking the metrics makes a concurrent metric deletion wait for the copies (and delete them too) or finish first;
  // a charge whose metric it deleted meanwhile is then not copied.
  const metrics = await repo.findMetrics(w.tx, w.organizationId, listed.map((c) => c.billableMetricId));
  const charges = listed.filter((c) => metrics.has(c.billableMetricId));
  const byId = new Map(overrides.filter((o) => o.id != null).map((o) => [o.id!, o]));
  const ids = charges.map((c) => c.id);
  // One after the other: a transaction is one connection, which runs a single query at a time.
  const filters = await repo.filtersOfCharges(w.tx, w.organizationId, ids);
  const taxes = await appliedTaxes(w.tx, w.organizationId, 'charge', ids);
  for (const charge of charges) {
    const copied = await copyCharge(w, child, charge, byId.get(charge.id), metrics.get(charge.billableMetricId)!, {
      filters: filters.filter((f) => f.chargeId === charge.id),
      taxes: taxes.get(charge.id) ?? [],
    });
    if (!copied.ok) return copied;
  }
  return ok(undefined);
};

/**
 * The child's minimum commitment: the parent's, with the keys a non-empty override sends (a commitment the parent
 * lacks needs its amount).
 */
const copyMinimumCommitment = async (
  w: Writer,
  parent: Plan,
  child: Plan,
  input: MinimumCommitmentInput | null | undefined,
): Promise<Result<void>> => {
  const [existing] = await repo.commitmentsOfPlans(w.tx, w.organizationId, [parent.id]);
  const override = input && !isBlank(input) ? input : null;
  if (!existing && !override) return ok(undefined);
  const amount = override && 'amount_cents' in override ? override.amount_cents : existing?.amountCents;
  const checked = checkCommitmentAmount(amount);
  if (!checked.ok) return checked;
  const commitment = await repo.insertCommitment(w.tx, {
    organizationId: w.organizationId,
    id: newId(),
    planId: child.id,
    commitmentType: 'minimum_commitment',
    amountCents: BigInt(amount!),
    invoiceDisplayName:
      override && 'invoice_display_name' in override ? (override.invoice_display_name ?? null) : (existing?.invoiceDisplayName ?? null),
    createdAt: w.now,
    updatedAt: w.now,
  });
  const inherited = existing ? ((await appliedTaxes(w.tx, w.organizationId, 'commitment', [existing.id])).get(existing.id) ?? []) : [];
  return applyTaxes(w, 'commitment', commitment.id, override?.tax_codes, inherited);
};

/**
 * Makes the private copy of a plan that a subscription's `plan_overrides` bill it on (Lago's Plans::OverrideService):
 * a child plan with `parent_id` set and the parent's code, which /plans never shows. The child starts as a full copy
 * of the parent (fields, metadata, taxes, every charge with its filters and taxes, minimum commitment) and the
 * overrides replace what they name. Its progressive-billing thresholds are only the ones sent; otherwise the
 * parent's apply. The values are checked as /plans checks them, in Lago's order (plan fields, plan taxes, charges,
 * thresholds, commitment), and the first failure is the answer. Run it inside the caller's transaction: a failure
 * must roll back what was already copied.
 *
 * Lago copies neither the taxes nor the commitment unless they are sent, so an override of the price alone quietly
 * drops the plan's taxes and minimum; Billow keeps them.
 *
 * A copy made as it is prices with the parent's group keys, which already split its metric's aggregates; a charge
 * whose properties or filters are overridden may bring new ones, and its metric's aggregates are then rebuilt.
 */
export const createPlanOverride = async (
  tx: Db,
  ctx: Ctx,
  metering: PlanMetering,
  parentPlanId: string,
  overrides: PlanOverridesInput,
): Promise<Result<Plan>> => {
  const parent = await repo.findPlanById(tx, ctx.organizationId, parentPlanId);
  if (!parent || parent.deletedAt !== null || parent.parentId !== null) return err(notFound('plan'));
  const fields = checkedFields(parent, overrides);
  if (!fields.ok) return fields;

  const w = writer(tx, ctx);
  const regrouped = (overrides.charges ?? []).filter((o) => o.properties != null || o.filters != null).map((o) => o.id);
  const settings = await holdMetricSettings(metering, w, { chargeIds: regrouped.filter((id): id is string => id != null) });
  const child = await repo.insertPlan(tx, {
    ...parent,
    ...fields.value,
    id: newId(),
    parentId: parent.id,
    createdAt: w.now,
    updatedAt: w.now,
  });
  const parentTaxes = (await appliedTaxes(tx, ctx.organizationId, 'plan', [parent.id])).get(parent.id) ?? [];
  const taxes = await applyTaxes(w, 'plan', child.id, overrides.tax_codes, parentTaxes);
  if (!taxes.ok) return taxes;
  const charges = await copyCharges(w, parent, child, overrides.charges ?? []);
  if (!charges.ok) return charges;
  if (overrides.usage_thresholds && overrides.usage_thresholds.length > 0) {
    const thresholds = await replaceUsageThresholds(w, child, overrides.usage_thresholds);
    if (!thresholds.ok) return thresholds;
  }
  const commitment = await copyMinimumCommitment(w, parent, child, overrides.minimum_commitment);
  if (!commitment.ok) return commitment;
  await settings.rebuildChanged();
  return ok(child);
};
