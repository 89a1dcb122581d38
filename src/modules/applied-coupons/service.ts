import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notAllowed, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { findCouponByCode } from '../coupons/repository.ts';
import { parseRate } from '../coupons/types.ts';
import { assignCustomerCurrency } from '../customers/currency.ts';
import { findCustomerByExternalId } from '../customers/repository.ts';
import { queryList, queryScalar } from '../customers/types.ts';
import * as repo from './repository.ts';
import {
  checkTerms,
  termsOf,
  type AppliedCouponFilters,
  type AppliedCouponInput,
  type AppliedCouponListQueryInput,
  type AppliedCouponView,
} from './types.ts';

/** Lago's list filters: a status other than active/terminated, or a list where a scalar is expected, is ignored. */
const filtersOf = (query: AppliedCouponListQueryInput): AppliedCouponFilters => {
  const status = queryScalar(query.status);
  const externalCustomerId = queryScalar(query.external_customer_id);
  const couponCodes = queryList(query['coupon_code[]']);
  return {
    ...((status === 'active' || status === 'terminated') && { status }),
    ...(externalCustomerId !== undefined && { externalCustomerId }),
    ...(couponCodes !== undefined && { couponCodes }),
  };
};

export const createAppliedCouponService = ({ db }: { db: Db }) => {
  /** POST /applied_coupons: gives a customer a coupon, with the coupon's terms or the overrides sent. */
  const create = async (ctx: Ctx, input: AppliedCouponInput): Promise<Result<AppliedCouponView>> => {
    const now = instantToDate(ctx.clock.now());
    return transact(db, async (tx) => {
      // Locking the customer makes concurrent applications to one customer take turns (reusability, currency).
      const customer = input.external_customer_id
        ? await findCustomerByExternalId(tx, ctx.organizationId, input.external_customer_id, { lock: true })
        : null;
      if (!customer) return err(notFound('customer'));
      // Shared lock: a concurrent delete or change of terms waits for this application, and the other way round.
      const coupon = input.coupon_code ? await findCouponByCode(tx, ctx.organizationId, input.coupon_code, { lock: 'share' }) : null;
      // A terminated coupon is gone for new customers; so is a time-limited one past its date, even before the job
      // that terminates expired coupons has run.
      const expired = coupon?.expiration === 'time_limit' && coupon.expirationAt !== null && coupon.expirationAt.getTime() <= now.getTime();
      if (!coupon || coupon.status !== 'active' || expired) return err(notFound('coupon'));
      if ((coupon.limitedPlans || coupon.limitedBillableMetrics) && (await repo.overlapsRunningCoupon(tx, ctx.organizationId, coupon.id, customer.id))) {
        return err(notAllowed('plan_overlapping'));
      }
      if (!coupon.reusable && (await repo.wasAppliedTo(tx, ctx.organizationId, coupon.id, customer.id))) {
        return err(invalid('coupon', 'coupon_is_not_reusable'));
      }
      const terms = termsOf(coupon, input);
      const errors = checkTerms(coupon, terms);
      if (!errors.empty) return err(errors.toError());
      const fixed = coupon.couponType === 'fixed_amount';
      if (fixed) {
        const assigned = await assignCustomerCurrency(tx, ctx, customer, terms.amountCurrency!);
        if (!assigned.ok) return assigned;
      }
      const recurring = terms.frequency === 'recurring';
      const amountCents = fixed ? BigInt(terms.amountCents!) : null;
      const applied = await repo.insertAppliedCoupon(tx, {
        organizationId: ctx.organizationId,
        id: newId(),
        couponId: coupon.id,
        customerId: customer.id,
        status: 'active',
        amountCents,
        // What is left to deduct; only a one-off amount is used up across invoices.
        amountCentsRemaining: fixed && terms.frequency === 'once' ? amountCents : null,
        amountCurrency: fixed ? terms.amountCurrency : null,
        percentageRate: fixed ? null : parseRate(terms.percentageRate!)!.toString(),
        frequency: terms.frequency,
        frequencyDuration: recurring ? terms.frequencyDuration : null,
        frequencyDurationRemaining: recurring ? terms.frequencyDuration : null,
        createdAt: now,
        updatedAt: now,
      });
      return ok({ applied, coupon, externalCustomerId: customer.externalId });
    });
  };

  const list = async (ctx: Ctx, query: AppliedCouponListQueryInput, page: PageRequest): Promise<Result<Page<AppliedCouponView>>> => {
    const { rows, total } = await repo.listAppliedCoupons(db, ctx.organizationId, filtersOf(query), page);
    return ok({ items: rows, meta: paginationMeta(page, total) });
  };

  /** GET /customers/{external_id}/applied_coupons: the same list, for one customer that must exist. */
  const listForCustomer = async (
    ctx: Ctx,
    externalCustomerId: string,
    query: AppliedCouponListQueryInput,
    page: PageRequest,
  ): Promise<Result<Page<AppliedCouponView>>> => {
    const customer = await findCustomerByExternalId(db, ctx.organizationId, externalCustomerId);
    if (!customer) return err(notFound('customer'));
    const { externalCustomerId: _named, ...filters } = filtersOf(query);
    const { rows, total } = await repo.listAppliedCoupons(db, ctx.organizationId, { ...filters, customerId: customer.id }, page);
    return ok({ items: rows, meta: paginationMeta(page, total) });
  };

  /** Ends one of the customer's applied coupons; ending an ended one changes nothing. */
  const terminate = async (ctx: Ctx, externalCustomerId: string, id: string): Promise<Result<AppliedCouponView>> =>
    transact(db, async (tx) => {
      const customer = await findCustomerByExternalId(tx, ctx.organizationId, externalCustomerId);
      if (!customer) return err(notFound('customer'));
      const applied = await repo.findAppliedCouponOfCustomer(tx, ctx.organizationId, customer.id, id);
      if (!applied) return err(notFound('applied_coupon'));
      const ended = applied.status === 'terminated' ? applied : await repo.terminateAppliedCoupon(tx, applied, instantToDate(ctx.clock.now()));
      const coupon = await repo.findCouponById(tx, ctx.organizationId, applied.couponId);
      return ok({ applied: ended, coupon: coupon!, externalCustomerId: customer.externalId });
    });

  return { create, list, listForCustomer, terminate };
};

export type AppliedCouponService = ReturnType<typeof createAppliedCouponService>;
