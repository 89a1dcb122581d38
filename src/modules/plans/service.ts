import type { Temporal } from 'temporal-polyfill';
import { isBlank } from '../../billing/charge-models/properties.ts';
import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import { reportingView } from '../domain-events/record.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { endSubscriptionsOfPlans } from '../subscriptions/termination.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { replaceAppliedTaxes } from '../taxes/repository.ts';
import { resolveTaxCodes } from '../taxes/service.ts';
import { createNestedChargeUseCases } from './nested-service.ts';
import { createCharge, destroyCharges, updateCharge } from './charges.ts';
import { loadOnePlan, loadPlanDetails } from './details.ts';
import { holdMetricSettings, type PlanMetering } from './metering-settings.ts';
import { createMinimumCommitment, updateMinimumCommitment } from './minimum-commitment.ts';
import * as repo from './repository.ts';
import { checkMetadata, checkPlanFields, type PlanFieldsState } from './rules.ts';
import type { ChargeInput, Plan, PlanDetails, PlanInput } from './types.ts';
import { replaceUsageThresholds } from './usage-thresholds.ts';
import { guarded, isSafeAmount, writer, type Writer } from './writer.ts';

export { findPlanByCode } from './repository.ts';
export { loadPlanDetails, loadOnePlan } from './details.ts';

/**
 * Every metric the plan's charges name must be the organization's: one 404 `billable_metrics_not_found` (plural, as
 * Lago spells it here) before anything is written. A charge naming no metric is answered later, singular.
 */
const checkChargeMetrics = async (w: Writer, charges: ChargeInput[] | null | undefined): Promise<Result<void>> => {
  const ids = [...new Set((charges ?? []).map((c) => c.billable_metric_id).filter((id): id is string => id != null))];
  if (ids.length === 0) return ok(undefined);
  const found = await repo.findMetrics(w.tx, w.organizationId, ids);
  return found.size === ids.length ? ok(undefined) : err(notFound('billable_metrics'));
};

/** Billow does not bill fixed charges (add-on based recurring fees) yet: refusing them beats silently dropping them. */
const checkFixedCharges = (input: PlanInput): Result<void> =>
  input.fixed_charges && input.fixed_charges.length > 0 ? err(invalid('fixed_charges', 'feature_unavailable')) : ok(undefined);

const checkMetadataInput = (metadata: PlanInput['metadata']): Result<void> => {
  if (metadata === undefined || metadata === null) return ok(undefined);
  const errors = checkMetadata(metadata);
  return errors.empty ? ok(undefined) : err(errors.toError());
};

const applyPlanTaxes = async (w: Writer, planId: string, codes: string[] | null | undefined): Promise<Result<void>> => {
  if (codes === undefined || codes === null) return ok(undefined);
  const taxes = await resolveTaxCodes(w.tx, w.organizationId, codes);
  if (!taxes.ok) return taxes;
  await replaceAppliedTaxes(w.tx, w.organizationId, 'plan', planId, taxes.value.map((t) => t.id), w.now);
  return ok(undefined);
};

const billedOverMonths = (interval: string | null): boolean => interval === 'yearly' || interval === 'semiannual';

/** Charges can only be billed monthly on a plan billed yearly or semiannually; for any other interval it is null. */
const monthlySplit = (interval: string | null, flag: boolean | null | undefined): boolean | null =>
  billedOverMonths(interval) ? (flag ?? false) : null;

const fieldsState = (p: Omit<PlanFieldsState, 'amountCents'> & { amountCents: number | bigint | null }): Result<PlanFieldsState> => {
  if (typeof p.amountCents === 'number' && !isSafeAmount(p.amountCents)) return err(invalid('amount_cents', 'value_is_out_of_range'));
  return ok({ ...p, amountCents: p.amountCents === null ? null : BigInt(p.amountCents) });
};

/** Deleting a plan ends its subscriptions as a termination would, invoice included. */
export type EndSubscription = (tx: Db, subscription: Subscription, at: Temporal.Instant) => Promise<Subscription>;

export const createPlanService = ({ db, metering, endSubscription }: { db: Db; metering: PlanMetering; endSubscription: EndSubscription }) => {
  /**
   * Lago's order: metrics exist, plan fields, metadata, plan taxes, usage thresholds, each charge in order (with its
   * filters and taxes), minimum commitment. The first failure is the answer and nothing is written.
   */
  const create = (ctx: Ctx, input: PlanInput): Promise<Result<PlanDetails>> =>
    guarded(() =>
      transact(db, async (tx) => {
        const w = writer(tx, ctx);
        const fixed = checkFixedCharges(input);
        if (!fixed.ok) return fixed;
        // Charges with pricing group keys regroup the usage of their metrics already sent.
        const settings = await holdMetricSettings(metering, w, { metricIds: (input.charges ?? []).map((c) => c.billable_metric_id) });
        const metrics = await checkChargeMetrics(w, input.charges);
        if (!metrics.ok) return metrics;
        const fields = fieldsState({
          name: input.name ?? null,
          code: input.code ?? null,
          interval: input.interval ?? null,
          amountCents: input.amount_cents ?? null,
          amountCurrency: input.amount_currency ?? null,
          payInAdvance: input.pay_in_advance ?? null,
          trialPeriod: input.trial_period ?? null,
        });
        if (!fields.ok) return fields;
        const taken = !isBlank(input.code) && (await repo.findPlanByCode(tx, ctx.organizationId, input.code!)) !== null;
        const errors = checkPlanFields(fields.value, taken);
        if (!errors.empty) return err(errors.toError());
        const metadata = checkMetadataInput(input.metadata);
        if (!metadata.ok) return metadata;

        const plan = await repo.insertPlan(tx, {
          organizationId: ctx.organizationId,
          id: newId(),
          code: input.code!,
          name: input.name!,
          invoiceDisplayName: input.invoice_display_name ?? null,
          description: input.description ?? null,
          interval: input.interval!,
          amountCents: fields.value.amountCents!,
          amountCurrency: input.amount_currency!,
          trialPeriod: input.trial_period ?? null,
          payInAdvance: input.pay_in_advance!,
          billChargesMonthly: monthlySplit(input.interval!, input.bill_charges_monthly),
          billFixedChargesMonthly: monthlySplit(input.interval!, input.bill_fixed_charges_monthly),
          metadata: (input.metadata as Record<string, string | null> | null | undefined) ?? null,
          parentId: null,
          pendingDeletion: false,
          createdAt: w.now,
          updatedAt: w.now,
        });
        const taxes = await applyPlanTaxes(w, plan.id, input.tax_codes);
        if (!taxes.ok) return taxes;
        if (input.usage_thresholds && input.usage_thresholds.length > 0) {
          const thresholds = await replaceUsageThresholds(w, plan, input.usage_thresholds);
          if (!thresholds.ok) return thresholds;
        }
        for (const [position, charge] of (input.charges ?? []).entries()) {
          const created = await createCharge(w, plan, charge, { generateCode: true, position });
          if (!created.ok) return created;
        }
        if (input.minimum_commitment && !isBlank(input.minimum_commitment)) {
          const commitment = await createMinimumCommitment(w, plan, input.minimum_commitment);
          if (!commitment.ok) return commitment;
        }
        await settings.rebuildChanged();
        const details = await loadOnePlan(tx, ctx.organizationId, plan);
        return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'plan.created', objectType: 'plan', objectId: plan.id, at: ctx.clock.now() }, details));
      }),
    );

  /** The full plan, as every plan answer shows it; what other modules read a plan through. */
  const get = async (ctx: Ctx, code: string): Promise<Result<PlanDetails>> => {
    const plan = await repo.findPlanByCode(db, ctx.organizationId, code);
    return plan ? ok(await loadOnePlan(db, ctx.organizationId, plan)) : err(notFound('plan'));
  };

  /**
   * Lago's update. Always editable: name, invoice_display_name, description, amount_cents. Once the plan has had any
   * subscription, its billing terms (code, interval, pay_in_advance, currency, trial, monthly split) are ignored
   * without error. `tax_codes`, `charges`, `usage_thresholds` and `minimum_commitment` change only when sent; `charges`
   * is then the full list (by `id`: updated; without: created; left out: deleted).
   */
  const update = (ctx: Ctx, code: string, input: PlanInput): Promise<Result<PlanDetails>> =>
    guarded(() =>
      transact(db, async (tx) => {
        const w = writer(tx, ctx);
        const plan = await repo.findPlanByCode(tx, ctx.organizationId, code, 'update');
        if (!plan) return err(notFound('plan'));
        // Charges sent replace the plan's: the metrics of either may gain or lose pricing group keys.
        const settings = await holdMetricSettings(
          metering,
          w,
          input.charges ? { planIds: [plan.id], metricIds: input.charges.map((c) => c.billable_metric_id) } : {},
        );
        const locked = await repo.planHasSubscriptions(tx, ctx.organizationId, plan.id);
        const fixed = checkFixedCharges(input);
        if (!fixed.ok) return fixed;
        const metrics = await checkChargeMetrics(w, input.charges);
        if (!metrics.ok) return metrics;

        const has = (key: keyof PlanInput) => key in input;
        const next = {
          name: has('name') ? (input.name ?? null) : plan.name,
          code: !locked && has('code') ? (input.code ?? null) : plan.code,
          interval: !locked && has('interval') ? (input.interval ?? null) : plan.interval,
          amountCents: has('amount_cents') ? (input.amount_cents ?? null) : plan.amountCents,
          amountCurrency: !locked && has('amount_currency') ? (input.amount_currency ?? null) : plan.amountCurrency,
          payInAdvance: !locked && has('pay_in_advance') ? (input.pay_in_advance ?? null) : plan.payInAdvance,
          trialPeriod: !locked && has('trial_period') ? (input.trial_period ?? null) : plan.trialPeriod,
        };
        const fields = fieldsState(next);
        if (!fields.ok) return fields;
        const taken =
          next.code !== plan.code && !isBlank(next.code) && (await repo.findPlanByCode(tx, ctx.organizationId, next.code!)) !== null;
        const errors = checkPlanFields(fields.value, taken);
        if (!errors.empty) return err(errors.toError());
        const metadata = checkMetadataInput(input.metadata);
        if (!metadata.ok) return metadata;

        const changes: Partial<Plan> = {
          name: next.name!,
          code: next.code!,
          interval: next.interval!,
          amountCents: fields.value.amountCents!,
          amountCurrency: next.amountCurrency!,
          payInAdvance: next.payInAdvance!,
          trialPeriod: next.trialPeriod,
          updatedAt: w.now,
        };
        if (has('invoice_display_name')) changes.invoiceDisplayName = input.invoice_display_name ?? null;
        if (has('description')) changes.description = input.description ?? null;
        if (has('metadata')) changes.metadata = (input.metadata as Record<string, string | null> | null) ?? null;
        if (!locked) {
          // Lago recomputes the monthly split from the interval sent; when no interval is sent Billow keeps the
          // stored flags (Lago would reset them to null, silently changing how a yearly plan bills its charges).
          if (has('interval')) {
            changes.billChargesMonthly = monthlySplit(next.interval, input.bill_charges_monthly);
            changes.billFixedChargesMonthly = monthlySplit(next.interval, input.bill_fixed_charges_monthly);
          } else if (billedOverMonths(plan.interval)) {
            if (has('bill_charges_monthly')) changes.billChargesMonthly = input.bill_charges_monthly ?? false;
            if (has('bill_fixed_charges_monthly')) changes.billFixedChargesMonthly = input.bill_fixed_charges_monthly ?? false;
          }
        }
        const updated = await repo.updatePlan(tx, ctx.organizationId, plan.id, changes);

        const taxes = await applyPlanTaxes(w, plan.id, input.tax_codes);
        if (!taxes.ok) return taxes;
        if (input.charges) {
          const synced = await syncCharges(w, updated, input.charges, locked);
          if (!synced.ok) return synced;
        }
        if (input.usage_thresholds) {
          const thresholds = await replaceUsageThresholds(w, updated, input.usage_thresholds);
          if (!thresholds.ok) return thresholds;
        }
        if (input.minimum_commitment) {
          const commitment = await updateMinimumCommitment(w, updated, input.minimum_commitment);
          if (!commitment.ok) return commitment;
        }
        await settings.rebuildChanged();
        const details = await loadOnePlan(tx, ctx.organizationId, updated);
        return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'plan.updated', objectType: 'plan', objectId: updated.id, at: ctx.clock.now() }, details));
      }),
    );

  /** The plan's charges become exactly the list sent; this also holds once the plan has subscriptions. */
  const syncCharges = async (w: Writer, plan: Plan, inputs: ChargeInput[], locked: boolean): Promise<Result<void>> => {
    const existing = await repo.listLiveCharges(w.tx, w.organizationId, plan.id);
    const kept = new Set<string>();
    for (const [position, input] of inputs.entries()) {
      const charge = input.id ? existing.find((c) => c.id === input.id) : undefined;
      const result = charge
        ? await updateCharge(w, charge, input, { locked, position })
        : await createCharge(w, plan, input, { generateCode: true, position });
      if (!result.ok) return result;
      kept.add(result.value.id);
    }
    await destroyCharges(w, existing.filter((c) => !kept.has(c.id)).map((c) => c.id));
    return ok(undefined);
  };

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<PlanDetails>>> => {
    const { rows, total } = await repo.listPlans(db, ctx.organizationId, page);
    return ok({ items: await loadPlanDetails(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /**
   * Lago's plan deletion, done at once in one transaction where Lago runs it in a background job: the active
   * subscriptions of the plan and of its override copies are terminated and the pending ones canceled, then the plan,
   * its copies, their charges and the charges' filters are deleted (the code is free again). The answer is the plan
   * as Lago answers the request, `pending_deletion: true`, charges included.
   *
   * Lago leaves a deleted plan's charges alone; Billow deletes them so nothing reads them as live, and still shows
   * them on the deleted plan of a subscription the deletion ended.
   */
  const destroy = (ctx: Ctx, code: string): Promise<Result<PlanDetails>> =>
    transact(db, async (tx) => {
      const w = writer(tx, ctx);
      // FOR UPDATE: a subscription starting on the plan (FOR SHARE) either ends with the others or finds no plan.
      const plan = await repo.findPlanByCode(tx, ctx.organizationId, code, 'update');
      if (!plan) return err(notFound('plan'));
      const details = await loadOnePlan(tx, ctx.organizationId, plan);
      const ids = [plan.id, ...(await repo.childPlanIds(tx, ctx.organizationId, plan.id))];
      // The charges of the plan and of its copies may be what groups their metrics' usage.
      const settings = await holdMetricSettings(metering, w, { planIds: ids });
      await endSubscriptionsOfPlans(tx, ctx.organizationId, ids, w.now, (t, s) => endSubscription(t, s, ctx.clock.now()));
      await destroyCharges(w, await repo.liveChargeIdsOfPlans(tx, ctx.organizationId, ids));
      await repo.markPlansDeleted(tx, ctx.organizationId, ids, { deletedAt: w.now, pendingDeletion: false, updatedAt: w.now });
      await settings.rebuildChanged();
      const deleted = { ...details, plan: { ...details.plan, pendingDeletion: true } };
      return ok(await reportingView(tx, { organizationId: ctx.organizationId, type: 'plan.deleted', objectType: 'plan', objectId: plan.id, at: ctx.clock.now() }, deleted));
    });

  return { create, get, update, list, destroy, ...createNestedChargeUseCases(db, metering) };
};

export type PlanService = ReturnType<typeof createPlanService>;
