import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { notFound } from '../../lib/errors.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { createFilter, updateFilter } from './charge-filters.ts';
import { createCharge, destroyCharges, findMetric, updateCharge } from './charges.ts';
import { loadChargeDetails } from './details.ts';
import { holdMetricSettings, type PlanMetering } from './metering-settings.ts';
import * as repo from './repository.ts';
import type { Charge, ChargeDetails, ChargeFilter, NestedChargeInput, NestedFilterInput, Plan } from './types.ts';
import { guarded, writer } from './writer.ts';

/** A filter with the code of its charge, which its JSON shows. */
export interface FilterWithCharge {
  filter: ChargeFilter;
  chargeCode: string;
}

/**
 * The use cases of `/plans/{code}/charges` and `/plans/{code}/charges/{charge_code}/filters`. Every write may change
 * the pricing group keys of its charge's metric, whose aggregates it then rebuilds (see holdMetricSettings).
 */
export const createNestedChargeUseCases = (db: Db, metering: PlanMetering) => {
  /** Writes lock the plan, so they queue up behind its deletion and then find it gone. */
  const findPlan = async (tx: Db, ctx: Ctx, planCode: string, lock?: 'update'): Promise<Result<Plan>> => {
    const plan = await repo.findPlanByCode(tx, ctx.organizationId, planCode, lock);
    return plan ? ok(plan) : err(notFound('plan'));
  };

  const findCharge = async (
    tx: Db,
    ctx: Ctx,
    planCode: string,
    chargeCode: string,
    lock?: 'update',
  ): Promise<Result<{ plan: Plan; charge: Charge }>> => {
    const plan = await findPlan(tx, ctx, planCode, lock);
    if (!plan.ok) return plan;
    const charge = await repo.findChargeByCode(tx, ctx.organizationId, plan.value.id, chargeCode);
    return charge ? ok({ plan: plan.value, charge }) : err(notFound('charge'));
  };

  const oneCharge = async (tx: Db, ctx: Ctx, charge: Charge): Promise<ChargeDetails> =>
    (await loadChargeDetails(tx, ctx.organizationId, [charge]))[0]!;

  const listCharges = async (ctx: Ctx, planCode: string, page: PageRequest): Promise<Result<Page<ChargeDetails>>> => {
    const plan = await findPlan(db, ctx, planCode);
    if (!plan.ok) return plan;
    const { rows, total } = await repo.pageCharges(db, ctx.organizationId, plan.value.id, page);
    return ok({ items: await loadChargeDetails(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  const getCharge = async (ctx: Ctx, planCode: string, chargeCode: string): Promise<Result<ChargeDetails>> => {
    const found = await findCharge(db, ctx, planCode, chargeCode);
    return found.ok ? ok(await oneCharge(db, ctx, found.value.charge)) : found;
  };

  /** Unlike plan create, this route never names the charge itself: a missing code is refused. Allowed on a plan in use. */
  const createOne = (ctx: Ctx, planCode: string, input: NestedChargeInput): Promise<Result<ChargeDetails>> =>
    guarded(() =>
      transact(db, async (tx) => {
        const plan = await findPlan(tx, ctx, planCode, 'update');
        if (!plan.ok) return plan;
        const w = writer(tx, ctx);
        const settings = await holdMetricSettings(metering, w, { metricIds: [input.billable_metric_id] });
        const position = await repo.nextChargePosition(tx, ctx.organizationId, plan.value.id);
        const created = await createCharge(w, plan.value, input, { generateCode: false, position });
        if (!created.ok) return created;
        await settings.rebuildChanged();
        return ok(await oneCharge(tx, ctx, created.value));
      }),
    );

  const updateOne = (ctx: Ctx, planCode: string, chargeCode: string, input: NestedChargeInput): Promise<Result<ChargeDetails>> =>
    guarded(() =>
      transact(db, async (tx) => {
        const found = await findCharge(tx, ctx, planCode, chargeCode, 'update');
        if (!found.ok) return found;
        const w = writer(tx, ctx);
        const settings = await holdMetricSettings(metering, w, { chargeIds: [found.value.charge.id], metricIds: [input.billable_metric_id] });
        const locked = await repo.planHasSubscriptions(tx, ctx.organizationId, found.value.plan.id);
        const updated = await updateCharge(w, found.value.charge, input, { locked });
        if (!updated.ok) return updated;
        await settings.rebuildChanged();
        return ok(await oneCharge(tx, ctx, updated.value));
      }),
    );

  /** The answer shows the deleted charge, its filters already gone (as Lago shows it). */
  const destroyOne = (ctx: Ctx, planCode: string, chargeCode: string): Promise<Result<ChargeDetails>> =>
    transact(db, async (tx) => {
      const found = await findCharge(tx, ctx, planCode, chargeCode, 'update');
      if (!found.ok) return found;
      const w = writer(tx, ctx);
      const settings = await holdMetricSettings(metering, w, { chargeIds: [found.value.charge.id] });
      await destroyCharges(w, [found.value.charge.id]);
      await settings.rebuildChanged();
      return ok({ ...(await oneCharge(tx, ctx, found.value.charge)), filters: [] });
    });

  const findFilter = async (
    tx: Db,
    ctx: Ctx,
    planCode: string,
    chargeCode: string,
    id: string,
    lock?: 'update',
  ): Promise<Result<{ charge: Charge; filter: ChargeFilter }>> => {
    const found = await findCharge(tx, ctx, planCode, chargeCode, lock);
    if (!found.ok) return found;
    const filter = await repo.findFilter(tx, ctx.organizationId, found.value.charge.id, id);
    return filter ? ok({ charge: found.value.charge, filter }) : err(notFound('charge_filter'));
  };

  const listFilters = async (ctx: Ctx, planCode: string, chargeCode: string, page: PageRequest): Promise<Result<Page<FilterWithCharge>>> => {
    const found = await findCharge(db, ctx, planCode, chargeCode);
    if (!found.ok) return found;
    const { rows, total } = await repo.pageFilters(db, ctx.organizationId, found.value.charge.id, page);
    return ok({ items: rows.map((filter) => ({ filter, chargeCode: found.value.charge.code })), meta: paginationMeta(page, total) });
  };

  const getFilter = async (ctx: Ctx, planCode: string, chargeCode: string, id: string): Promise<Result<FilterWithCharge>> => {
    const found = await findFilter(db, ctx, planCode, chargeCode, id);
    return found.ok ? ok({ filter: found.value.filter, chargeCode: found.value.charge.code }) : found;
  };

  const createOneFilter = (ctx: Ctx, planCode: string, chargeCode: string, input: NestedFilterInput): Promise<Result<FilterWithCharge>> =>
    transact(db, async (tx) => {
      const found = await findCharge(tx, ctx, planCode, chargeCode, 'update');
      if (!found.ok) return found;
      const w = writer(tx, ctx);
      const settings = await holdMetricSettings(metering, w, { chargeIds: [found.value.charge.id] });
      const metric = await findMetric(w, found.value.charge.billableMetricId);
      if (!metric) return err(notFound('billable_metric'));
      const created = await createFilter(w, found.value.charge, metric, input);
      if (!created.ok) return created;
      await settings.rebuildChanged();
      return ok({ filter: created.value, chargeCode: found.value.charge.code });
    });

  const updateOneFilter = (
    ctx: Ctx,
    planCode: string,
    chargeCode: string,
    id: string,
    input: NestedFilterInput,
  ): Promise<Result<FilterWithCharge>> =>
    transact(db, async (tx) => {
      const found = await findFilter(tx, ctx, planCode, chargeCode, id, 'update');
      if (!found.ok) return found;
      const w = writer(tx, ctx);
      const settings = await holdMetricSettings(metering, w, { chargeIds: [found.value.charge.id] });
      const metric = await findMetric(w, found.value.charge.billableMetricId);
      if (!metric) return err(notFound('billable_metric'));
      const updated = await updateFilter(w, found.value.charge, metric, found.value.filter, input);
      if (!updated.ok) return updated;
      await settings.rebuildChanged();
      return ok({ filter: updated.value, chargeCode: found.value.charge.code });
    });

  /** The answer shows the deleted filter with its values already gone, as Lago shows it. */
  const destroyOneFilter = (ctx: Ctx, planCode: string, chargeCode: string, id: string): Promise<Result<FilterWithCharge>> =>
    transact(db, async (tx) => {
      const found = await findFilter(tx, ctx, planCode, chargeCode, id, 'update');
      if (!found.ok) return found;
      const w = writer(tx, ctx);
      const settings = await holdMetricSettings(metering, w, { chargeIds: [found.value.charge.id] });
      await repo.softDeleteFilters(tx, ctx.organizationId, [found.value.filter.id], w.now);
      await settings.rebuildChanged();
      return ok({ filter: { ...found.value.filter, values: {} }, chargeCode: found.value.charge.code });
    });

  return {
    charges: { list: listCharges, get: getCharge, create: createOne, update: updateOne, destroy: destroyOne },
    filters: { list: listFilters, get: getFilter, create: createOneFilter, update: updateOneFilter, destroy: destroyOneFilter },
  };
};
