import { Temporal } from 'temporal-polyfill';
import { Decimal } from '../../lib/money.ts';

export const RULE_INTERVALS = ['weekly', 'monthly', 'quarterly', 'semiannual', 'yearly'] as const;
export type RuleInterval = (typeof RULE_INTERVALS)[number];

/** The parts of a recurring transaction rule that decide how many credits a top-up brings. */
export interface TopUpRule {
  trigger: 'interval' | 'threshold';
  method: 'fixed' | 'target';
  paidCredits: Decimal;
  grantedCredits: Decimal;
  thresholdCredits: Decimal;
  targetOngoingBalance: Decimal | null;
  grantsTargetTopUp: boolean;
  ignorePaidTopUpLimits: boolean;
}

/** The wallet's paid top-up limits, in credits (null: no limit). */
export interface TopUpLimits {
  minCredits: Decimal | null;
  maxCredits: Decimal | null;
}

const clampMin = (rule: TopUpRule, limits: TopUpLimits, credits: Decimal) =>
  rule.ignorePaidTopUpLimits || limits.minCredits === null ? credits : Decimal.max(credits, limits.minCredits);
const clampMax = (rule: TopUpRule, limits: TopUpLimits, credits: Decimal) =>
  rule.ignorePaidTopUpLimits || limits.maxCredits === null ? credits : Decimal.min(credits, limits.maxCredits);

/**
 * A target rule brings the ongoing balance back to its target: the gap, raised to the paid minimum (the maximum is not
 * applied: reaching the target matters more); granted top-ups take the gap as it is.
 */
const targetTopUp = (rule: TopUpRule, limits: TopUpLimits, ongoingBalance: Decimal): Decimal => {
  const target = rule.targetOngoingBalance ?? new Decimal(0);
  if (ongoingBalance.gte(target)) return new Decimal(0);
  const gap = target.sub(ongoingBalance);
  return rule.grantsTargetTopUp ? gap : clampMin(rule, limits, gap);
};

/**
 * Paid credits of a top-up (Lago's `RecurringTransactionRule#compute_paid_credits`). A fixed threshold rule whose
 * ongoing balance fell further below the threshold than one top-up covers (granted and pending credits counted) buys
 * as many whole top-ups as it takes to get above it, up to the paid maximum.
 *
 * Example: fixed, paid 10, threshold 5, ongoing balance -20 -> gap 25 -> 10 × (2 + 1) = 30.
 */
export const paidCreditsOf = (rule: TopUpRule, limits: TopUpLimits, ongoingBalance: Decimal, pendingCredits = new Decimal(0)): Decimal => {
  if (rule.method === 'target') return rule.grantsTargetTopUp ? new Decimal(0) : targetTopUp(rule, limits, ongoingBalance);
  if (rule.trigger !== 'threshold' || rule.paidCredits.isZero()) return rule.paidCredits;
  const gap = rule.thresholdCredits.sub(ongoingBalance).sub(rule.grantedCredits).sub(pendingCredits);
  if (gap.lt(rule.paidCredits)) return rule.paidCredits;
  return clampMax(rule, limits, rule.paidCredits.mul(gap.div(rule.paidCredits).floor().add(1)));
};

/** Granted credits of a top-up: a target rule that grants tops up the gap for free, a fixed rule its granted credits. */
export const grantedCreditsOf = (rule: TopUpRule, limits: TopUpLimits, ongoingBalance: Decimal): Decimal => {
  if (rule.method === 'target') return rule.grantsTargetTopUp ? targetTopUp(rule, limits, ongoingBalance) : new Decimal(0);
  return rule.grantedCredits;
};

const lastDayOfMonth = (day: Temporal.PlainDate) => day.daysInMonth === day.day;

/** The anniversary day of the month: the start's day, or the month's last day when the month is shorter. */
const sameDayOfMonth = (start: Temporal.PlainDate, day: Temporal.PlainDate) => start.day === day.day || (lastDayOfMonth(day) && start.day > day.day);

const monthsApart = (start: Temporal.PlainDate, day: Temporal.PlainDate) => (((day.month - start.month) % 12) + 12) % 12;

/**
 * Whether an interval rule tops up on `day` (both in the customer's zone), from its start day (Lago's
 * `Wallets::CreateIntervalWalletTransactionsService` anniversaries): the same weekday; the same day of the month (the
 * last day for a shorter month); that, every 3 or 6 months; the same day of the same month (Feb 28 standing for Feb 29).
 *
 * Example: monthly from Jan 31 -> Feb 28 (or 29), Mar 31, Apr 30.
 */
export const isRuleAnniversary = (interval: RuleInterval, start: Temporal.PlainDate, day: Temporal.PlainDate): boolean => {
  switch (interval) {
    case 'weekly':
      return start.dayOfWeek === day.dayOfWeek;
    case 'monthly':
      return sameDayOfMonth(start, day);
    case 'quarterly':
      return monthsApart(start, day) % 3 === 0 && sameDayOfMonth(start, day);
    case 'semiannual':
      return monthsApart(start, day) % 6 === 0 && sameDayOfMonth(start, day);
    case 'yearly':
      return start.month === day.month && (start.day === day.day || (day.month === 2 && day.day === 28 && day.daysInMonth === 28 && start.day === 29));
  }
};

/** An inbound credit that consumptions draw from, in Lago's consumption order once sorted by `consumptionOrder`. */
export interface AvailableInbound {
  id: string;
  priority: number;
  granted: boolean;
  createdAtMs: number;
  remainingCents: bigint;
}

/** Lower priority first, then granted credits before purchased ones, then oldest. */
export const consumptionOrder = (a: AvailableInbound, b: AvailableInbound): number =>
  a.priority - b.priority || Number(b.granted) - Number(a.granted) || a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Which inbound credits an outbound amount uses (Lago's `WalletTransactions::TrackConsumptionService`): they are drawn
 * in consumption order, each up to what is left of it. Null when they hold less than the amount.
 *
 * Example: granted 500 (priority 50) and purchased 1000 (priority 10), 1200 out -> purchased 1000, then granted 200.
 */
export const drawInbounds = (inbounds: readonly AvailableInbound[], amountCents: bigint): { id: string; cents: bigint }[] | null => {
  const ordered = [...inbounds].filter((i) => i.remainingCents > 0n).sort(consumptionOrder);
  let left = amountCents;
  const draws: { id: string; cents: bigint }[] = [];
  for (const inbound of ordered) {
    if (left <= 0n) break;
    const cents = inbound.remainingCents < left ? inbound.remainingCents : left;
    draws.push({ id: inbound.id, cents });
    left -= cents;
  }
  return left > 0n ? null : draws;
};
