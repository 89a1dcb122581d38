import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notAllowed, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import * as repo from './repository.ts';
import {
  checkCouponDraft,
  checkExpirationAt,
  codeList,
  parseRate,
  type Coupon,
  type CouponDraft,
  type CouponInput,
  type CouponView,
} from './types.ts';

export { findCouponByCode, terminateExpiredCoupons } from './repository.ts';
export type { Coupon, CouponView } from './types.ts';

export const loadCouponViews = async (db: Db, organizationId: string, coupons: readonly Coupon[]): Promise<CouponView[]> => {
  const targets = await repo.targetCodesOf(db, organizationId, coupons.map((c) => c.id));
  return coupons.map((coupon) => ({ coupon, ...(targets.get(coupon.id) ?? { planCodes: [], billableMetricCodes: [] }) }));
};

const loadCouponView = async (db: Db, coupon: Coupon): Promise<CouponView> => (await loadCouponViews(db, coupon.organizationId, [coupon]))[0]!;

/** What is stored for a draft that passed the checks: the fields of the coupon's own type, the others cleared. */
const storedFields = (draft: CouponDraft) => {
  const fixed = draft.couponType === 'fixed_amount';
  const percentage = draft.couponType === 'percentage';
  return {
    name: draft.name!,
    code: draft.code!,
    couponType: draft.couponType!,
    amountCents: fixed ? BigInt(draft.amountCents!) : null,
    amountCurrency: fixed ? draft.amountCurrency : null,
    percentageRate: percentage ? parseRate(draft.percentageRate!)!.toString() : null,
    frequency: draft.frequency!,
    frequencyDuration: draft.frequency === 'recurring' ? draft.frequencyDuration : null,
    expiration: draft.expiration!,
    expirationAt: draft.expiration === 'time_limit' ? toDate(draft.expirationAt) : null,
    reusable: draft.reusable!,
  };
};

const toDate = (value: string | Date | null): Date | null => {
  if (value === null || value instanceof Date) return value;
  const at = parseIsoDateTime(value);
  return at ? new Date(at.epochMilliseconds) : null;
};

const blankToNull = (value: string | null | undefined): string | null => (value == null || value.trim() === '' ? null : value);

const codeTaken = () => err(invalid('code', 'value_already_exist'));

/** The model rules, with the code checked against the organization's other live coupons. */
const checkDraft = async (tx: Db, organizationId: string, draft: CouponDraft, selfId: string | null) => {
  const holder = draft.code?.trim() ? await repo.findCouponByCode(tx, organizationId, draft.code) : null;
  return checkCouponDraft(draft, holder !== null && holder.id !== selfId);
};

/** Resolves `applies_to` codes to live top-level plans and metrics; 404 when one is unknown, as Lago answers. */
const resolveTargets = async (
  tx: Db,
  organizationId: string,
  planCodes: string[] | undefined,
  metricCodes: string[] | undefined,
): Promise<Result<{ planIds?: string[]; metricIds?: string[] }>> => {
  let planIds: string[] | undefined;
  let metricIds: string[] | undefined;
  if (planCodes !== undefined) {
    const found = await repo.findPlansByCodes(tx, organizationId, planCodes);
    if (found.length !== planCodes.length) return err(notFound('plans'));
    planIds = planCodes.map((code) => found.find((p) => p.code === code)!.id);
  }
  if (metricCodes !== undefined) {
    const found = await repo.findBillableMetricsByCodes(tx, organizationId, metricCodes);
    if (found.length !== metricCodes.length) return err(notFound('billable_metrics'));
    metricIds = metricCodes.map((code) => found.find((m) => m.code === code)!.id);
  }
  if ((planIds?.length ?? 0) > 0 && (metricIds?.length ?? 0) > 0) return err(notAllowed('only_one_limitation_type_per_coupon_allowed'));
  return ok({ ...(planIds && { planIds }), ...(metricIds && { metricIds }) });
};

export const createCouponService = ({ db }: { db: Db }) => {
  const create = async (ctx: Ctx, input: CouponInput): Promise<Result<CouponView>> => {
    const refused = checkExpirationAt(input.expiration_at, ctx.clock.now());
    if (refused) return err(refused.toError());
    const now = instantToDate(ctx.clock.now());
    return refusingDuplicates('code', () =>
    transact(db, async (tx) => {
      const targets = await resolveTargets(
        tx,
        ctx.organizationId,
        codeList(input.applies_to?.plan_codes) ?? [],
        codeList(input.applies_to?.billable_metric_codes) ?? [],
      );
      if (!targets.ok) return targets;
      const draft: CouponDraft = {
        name: input.name ?? null,
        code: input.code ?? null,
        couponType: input.coupon_type ?? null,
        amountCents: input.amount_cents ?? null,
        amountCurrency: input.amount_currency ?? null,
        percentageRate: input.percentage_rate ?? null,
        frequency: input.frequency ?? null,
        frequencyDuration: input.frequency_duration ?? null,
        expiration: input.expiration ?? null,
        expirationAt: blankToNull(input.expiration_at),
        // Lago makes a coupon reusable unless told otherwise.
        reusable: input.reusable === undefined ? true : input.reusable,
      };
      const errors = await checkDraft(tx, ctx.organizationId, draft, null);
      if (!errors.empty) return err(errors.toError());
      const planIds = targets.value.planIds ?? [];
      const metricIds = targets.value.metricIds ?? [];
      const coupon = await repo.insertCoupon(tx, {
        organizationId: ctx.organizationId,
        id: newId(),
        ...storedFields(draft),
        description: input.description ?? null,
        limitedPlans: planIds.length > 0,
        limitedBillableMetrics: metricIds.length > 0,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      });
      await repo.replaceTargets(tx, ctx.organizationId, coupon.id, 'plan', planIds, now);
      await repo.replaceTargets(tx, ctx.organizationId, coupon.id, 'billable_metric', metricIds, now);
      return ok(await loadCouponView(tx, coupon));
    }),
    );
  };

  const get = async (ctx: Ctx, code: string): Promise<Result<CouponView>> => {
    const coupon = await repo.findCouponByCode(db, ctx.organizationId, code);
    return coupon ? ok(await loadCouponView(db, coupon)) : err(notFound('coupon'));
  };

  /**
   * Name, description and expiry can always change. Once the coupon has been applied (whatever became of that), its
   * terms are what customers were given: Lago then ignores changes to them, silently.
   */
  const update = async (ctx: Ctx, code: string, input: CouponInput): Promise<Result<CouponView>> => {
    const now = instantToDate(ctx.clock.now());
    return refusingDuplicates('code', () =>
    transact(db, async (tx) => {
      const coupon = await repo.findCouponByCode(tx, ctx.organizationId, code, { lock: 'update' });
      if (!coupon) return err(notFound('coupon'));
      const refused = checkExpirationAt(input.expiration_at, ctx.clock.now());
      if (refused) return err(refused.toError());
      const termsOpen = !(await repo.hasBeenApplied(tx, ctx.organizationId, coupon.id));

      let planIds: string[] | undefined;
      let metricIds: string[] | undefined;
      if (termsOpen && input.applies_to) {
        const targets = await resolveTargets(
          tx,
          ctx.organizationId,
          codeList(input.applies_to.plan_codes),
          codeList(input.applies_to.billable_metric_codes),
        );
        if (!targets.ok) return targets;
        ({ planIds, metricIds } = targets.value);
        // Limiting to plans lifts a limit to metrics, and the other way round.
        if (planIds?.length && metricIds === undefined && coupon.limitedBillableMetrics) metricIds = [];
        if (metricIds?.length && planIds === undefined && coupon.limitedPlans) planIds = [];
      }

      const open = <T>(given: T | undefined, current: T): T => (termsOpen && given !== undefined ? given : current);
      const draft: CouponDraft = {
        name: input.name !== undefined ? input.name : coupon.name,
        code: open(input.code, coupon.code),
        couponType: open(input.coupon_type, coupon.couponType),
        amountCents: open<number | bigint | null>(input.amount_cents, coupon.amountCents),
        amountCurrency: open(input.amount_currency, coupon.amountCurrency),
        percentageRate: open<string | number | null>(input.percentage_rate, coupon.percentageRate),
        frequency: open(input.frequency, coupon.frequency),
        frequencyDuration: open(input.frequency_duration, coupon.frequencyDuration),
        expiration: input.expiration !== undefined ? input.expiration : coupon.expiration,
        expirationAt: input.expiration_at !== undefined ? blankToNull(input.expiration_at) : coupon.expirationAt,
        reusable: open(input.reusable, coupon.reusable),
      };
      const errors = await checkDraft(tx, ctx.organizationId, draft, coupon.id);
      if (!errors.empty) return err(errors.toError());
      const updated = await repo.updateCoupon(tx, ctx.organizationId, coupon.id, {
        ...storedFields(draft),
        ...(input.description !== undefined && { description: input.description }),
        ...(planIds !== undefined && { limitedPlans: planIds.length > 0 }),
        ...(metricIds !== undefined && { limitedBillableMetrics: metricIds.length > 0 }),
        updatedAt: now,
      });
      if (planIds !== undefined) await repo.replaceTargets(tx, ctx.organizationId, coupon.id, 'plan', planIds, now);
      if (metricIds !== undefined) await repo.replaceTargets(tx, ctx.organizationId, coupon.id, 'billable_metric', metricIds, now);
      return ok(await loadCouponView(tx, updated));
    }),
    );
  };

  const list = async (ctx: Ctx, page: PageRequest): Promise<Result<Page<CouponView>>> => {
    const { rows, total } = await repo.listCoupons(db, ctx.organizationId, page);
    return ok({ items: await loadCouponViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /**
   * Deleting a coupon ends it (terminated, and gone from lists and lookups, which frees its code) and ends every
   * application of it still running, as Lago's destroy does.
   */
  const destroy = async (ctx: Ctx, code: string): Promise<Result<CouponView>> =>
    transact(db, async (tx) => {
      const coupon = await repo.findCouponByCode(tx, ctx.organizationId, code, { lock: 'update' });
      if (!coupon) return err(notFound('coupon'));
      const now = instantToDate(ctx.clock.now());
      const ended = await repo.updateCoupon(tx, ctx.organizationId, coupon.id, {
        status: 'terminated',
        terminatedAt: coupon.terminatedAt ?? now,
        deletedAt: now,
        updatedAt: now,
      });
      await repo.terminateActiveApplications(tx, ctx.organizationId, coupon.id, now);
      return ok(await loadCouponView(tx, ended));
    });

  return { create, get, update, list, destroy };
};

export type CouponService = ReturnType<typeof createCouponService>;
