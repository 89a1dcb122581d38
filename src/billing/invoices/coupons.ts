import { Decimal } from '../../lib/money.ts';
import { dec, minDecimal, truncCents } from './decimals.ts';
import type { AppliedCouponInput, CouponCredit, InvoiceFeeInput } from './types.ts';

/** Lago keeps a fee's coupon share in a numeric(30, 5) column: each share added is rounded there, half up. */
export const PRECISE_COUPONS_SCALE = 5;

const atScale = (value: Decimal): Decimal => value.toDecimalPlaces(PRECISE_COUPONS_SCALE, Decimal.ROUND_HALF_UP);

/**
 * The order Lago applies a customer's coupons in: those limited to billable metrics first, then those limited to plans,
 * then the rest; oldest first within each group (input order breaks ties).
 *
 * @example
 * // [A unlimited, 1 Jan] [B plans, 3 Jan] [C metrics, 5 Jan] [D plans, 2 Jan] → C, D, B, A
 */
export const orderAppliedCoupons = (coupons: readonly AppliedCouponInput[]): AppliedCouponInput[] => {
  const rank = (c: AppliedCouponInput) => (c.limitedBillableMetrics ? 0 : c.limitedPlans ? 1 : 2);
  return coupons
    .map((coupon, index) => ({ coupon, index }))
    .sort((a, b) => rank(a.coupon) - rank(b.coupon) || a.coupon.createdAtMs - b.coupon.createdAtMs || a.index - b.index)
    .map(({ coupon }) => coupon);
};

/**
 * The fees a coupon can take from. Limited to billable metrics: charge fees of those metrics (this limit wins when a
 * coupon has both). Limited to plans: fees of subscriptions on those plans or on override copies of them. Otherwise
 * every fee of the invoice.
 *
 * @example
 * // coupon limited to plan P; fees on P, on P' (override of P, parentPlanId P), on Q, and an add-on → the first two
 */
export const couponEligibleFees = <F extends InvoiceFeeInput>(coupon: AppliedCouponInput, fees: readonly F[]): F[] => {
  if (coupon.limitedBillableMetrics) {
    const metrics = new Set(coupon.billableMetricIds);
    return fees.filter((f) => f.billableMetricId !== null && metrics.has(f.billableMetricId));
  }
  if (coupon.limitedPlans) {
    const plans = new Set(coupon.planIds);
    return fees.filter((f) => (f.planId !== null && plans.has(f.planId)) || (f.parentPlanId !== null && plans.has(f.parentPlanId)));
  }
  return [...fees];
};

/**
 * What a coupon takes from a base (Lago's `AppliedCoupons::AmountService`), in minor units:
 * - percentage: base × rate / 100 rounded half up, or the whole base when that reaches it;
 * - fixed recurring or forever: its amount, capped at the base, every period;
 * - fixed once: what is left of its amount, capped at the base.
 * The result equals the base when capped, so it keeps the base's fraction (a limited coupon's base is a sum of fee
 * subtotals that can carry earlier coupon shares).
 *
 * @example
 * // 20 % of 300 → 60; fixed 12 on a base of 6 → 6; once 12 with 6 left on 300 → 6
 */
export const couponAmount = (coupon: AppliedCouponInput, baseCents: Decimal): Decimal => {
  if (coupon.couponType === 'percentage') {
    const discounted = baseCents.mul(dec(coupon.percentageRate ?? '0')).div(100);
    return discounted.gte(baseCents) ? baseCents : discounted.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  }
  const available = coupon.frequency === 'once' ? (coupon.amountCentsRemaining ?? coupon.amountCents ?? 0n) : (coupon.amountCents ?? 0n);
  return minDecimal(dec(available), baseCents);
};

/** A coupon's state after it gave a credit of `credit` (unrounded) and `creditCents` (as recorded). */
export const couponStateAfterCredit = (
  coupon: AppliedCouponInput,
  credit: Decimal,
  creditCents: bigint,
): Pick<CouponCredit, 'amountCentsRemaining' | 'frequencyDurationRemaining' | 'terminated'> => {
  switch (coupon.frequency) {
    case 'forever':
      return { amountCentsRemaining: coupon.amountCentsRemaining, frequencyDurationRemaining: coupon.frequencyDurationRemaining, terminated: false };
    case 'recurring': {
      const left = Math.max((coupon.frequencyDurationRemaining ?? 0) - 1, 0);
      return { amountCentsRemaining: coupon.amountCentsRemaining, frequencyDurationRemaining: left, terminated: left <= 0 };
    }
    case 'once': {
      if (coupon.couponType === 'percentage') {
        return { amountCentsRemaining: coupon.amountCentsRemaining, frequencyDurationRemaining: coupon.frequencyDurationRemaining, terminated: true };
      }
      const remaining = coupon.amountCentsRemaining ?? coupon.amountCents ?? 0n;
      return {
        amountCentsRemaining: remaining - creditCents,
        frequencyDurationRemaining: coupon.frequencyDurationRemaining,
        terminated: credit.gte(dec(remaining)),
      };
    }
  }
};

export interface ApplyCouponsInput {
  currency: string;
  fees: readonly InvoiceFeeInput[];
  coupons: readonly AppliedCouponInput[];
  /** Per fee key: what was already taken off the fee (progressive billing credit). */
  preciseCoupons: ReadonlyMap<string, Decimal>;
  /** The invoice subtotal before coupons: fees − progressive billing credit. */
  subTotalCents: bigint;
}

export interface ApplyCouponsResult {
  /** Per fee key: progressive credit plus coupon shares, at 5 decimals, never above the fee's amount. */
  preciseCoupons: Map<string, Decimal>;
  credits: CouponCredit[];
  couponsAmountCents: bigint;
}

/**
 * Applies a customer's coupons to an invoice before taxes (Lago's `Credits::AppliedCouponsService`). Nothing applies
 * when the fees add up to 0. Coupons go in `orderAppliedCoupons` order and stop once the invoice subtotal is no longer
 * positive. A fixed-amount coupon in another currency, or a limited coupon with no eligible fee, is skipped untouched.
 * Each coupon's base is the invoice subtotal left (unlimited) or the eligible fees' subtotals left (limited); its
 * credit is spread over the eligible fees in proportion to what each has left, each share rounded to 5 decimals and
 * the fee's total capped at its amount. The invoice records the credit truncated to whole cents.
 *
 * @example
 * // Fees 10000 (plan P1) and 5000 (P2); a once 10000 coupon then a once 10000 coupon, both unlimited
 * // (spec/scenarios/taxes_on_invoice_spec.rb): the first takes 10000, 6666.66667 and 3333.33333 off the fees; the
 * // second takes the 5000 left, bringing both fees to 0, and keeps 5000 for later invoices.
 */
export const applyCoupons = (input: ApplyCouponsInput): ApplyCouponsResult => {
  const preciseCoupons = new Map(input.fees.map((f) => [f.key, input.preciseCoupons.get(f.key) ?? new Decimal(0)]));
  const credits: CouponCredit[] = [];
  let couponsAmountCents = 0n;
  let subTotalCents = input.subTotalCents;
  const feesAmountCents = input.fees.reduce((sum, f) => sum + f.amountCents, 0n);
  if (feesAmountCents === 0n) return { preciseCoupons, credits, couponsAmountCents };

  const left = (f: InvoiceFeeInput) => dec(f.amountCents).minus(preciseCoupons.get(f.key) ?? 0);

  for (const coupon of orderAppliedCoupons(input.coupons)) {
    if (subTotalCents <= 0n) break;
    if (coupon.couponType === 'fixed_amount' && coupon.amountCurrency && coupon.amountCurrency !== input.currency) continue;
    const eligible = couponEligibleFees(coupon, input.fees);
    if (eligible.length === 0) continue;

    const limited = coupon.limitedBillableMetrics || coupon.limitedPlans;
    const base = limited ? eligible.reduce((sum, f) => sum.plus(left(f)), new Decimal(0)) : dec(subTotalCents);
    // Lago never takes more than the invoice has left; only inconsistent progressive-billing inputs could ask for more.
    const credit = minDecimal(couponAmount(coupon, base), dec(subTotalCents));

    if (!base.isZero()) {
      const shares = eligible.map((f) => [f, atScale(credit.mul(left(f)).div(base))] as const);
      for (const [f, share] of shares) {
        preciseCoupons.set(f.key, minDecimal((preciseCoupons.get(f.key) ?? new Decimal(0)).plus(share), dec(f.amountCents)));
      }
    }

    const creditCents = truncCents(credit);
    credits.push({
      appliedCouponId: coupon.id,
      couponId: coupon.couponId,
      code: coupon.code,
      name: coupon.name,
      amountCents: creditCents,
      ...couponStateAfterCredit(coupon, credit, creditCents),
    });
    couponsAmountCents += creditCents;
    subTotalCents -= creditCents;
  }
  return { preciseCoupons, credits, couponsAmountCents };
};
