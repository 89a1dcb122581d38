/** A usage threshold of a plan or of a subscription, as progressive billing reads it. */
export interface Threshold {
  id: string;
  thresholdDisplayName: string | null;
  amountCents: bigint;
  recurring: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A subscription's lifetime usage: before Billow, billed by its subscription invoices, and in the current period. */
export interface LifetimeAmounts {
  historicalCents: bigint;
  invoicedCents: bigint;
  currentCents: bigint;
}

export const lifetimeTotal = (u: LifetimeAmounts): bigint => u.historicalCents + u.invoicedCents + u.currentCents;

const byAmount = (a: Threshold, b: Threshold) => (a.amountCents < b.amountCents ? -1 : a.amountCents > b.amountCents ? 1 : 0);

/**
 * The thresholds a check passes (Lago's `LifetimeUsages::UsageThresholds::CheckService`), given what the period's
 * latest progressive invoice already billed. That amount counts as invoiced and comes off the current usage, so a
 * period can pass the recurring threshold several times. A step threshold passes when
 * `invoiced < amount ≤ invoiced + current`; the recurring one when usage grew by its amount past the largest step (below
 * the largest step), or when the current usage plus what is left of `invoiced mod amount` reaches its amount (above).
 *
 * @example
 * // Steps 200, 500, 700 and recurring 1000 (spec/scenarios/invoices/progressive_billing_spec.rb): usage 880 of which
 * // 880 billed, then 3080: invoiced 880 ≥ 700, 880 mod 1000 = 880, 2200 + 880 ≥ 1000 → the recurring threshold.
 * passedThresholds(thresholds, { historicalCents: 0n, invoicedCents: 0n, currentCents: 3080n }, 880n); // [recurring]
 */
export const passedThresholds = (thresholds: readonly Threshold[], usage: LifetimeAmounts, progressiveBilledCents: bigint): Threshold[] => {
  if (thresholds.length === 0) return [];
  const steps = thresholds.filter((t) => !t.recurring).sort(byAmount);
  const recurring = thresholds.find((t) => t.recurring) ?? null;
  const current = usage.currentCents - progressiveBilledCents;
  // Usage can fall below what was billed (a max or latest metric): then nothing is passed.
  if (current < 0n) return [];
  const invoiced = usage.historicalCents + usage.invoicedCents + progressiveBilledCents;
  const largest = steps.at(-1)?.amountCents ?? 0n;
  const total = invoiced + current;
  const passed: Threshold[] = [];
  if (invoiced < largest) {
    passed.push(...steps.filter((t) => t.amountCents > invoiced && t.amountCents <= total));
    if (recurring && total - largest >= recurring.amountCents) passed.push(recurring);
  } else if (recurring) {
    if (current + (invoiced % recurring.amountCents) >= recurring.amountCents) passed.push(recurring);
  }
  return passed;
};

/** A threshold applied to an invoice of the subscription's chain: which, at what lifetime usage, when. */
export interface AppliedThresholdRecord {
  usageThresholdId: string;
  lifetimeUsageAmountCents: bigint;
  createdAt: Date;
}

export interface ThresholdCompletion {
  threshold: Threshold;
  amountCents: bigint;
  completionRatio: number;
  reachedAt: Date | null;
}

/**
 * Where the lifetime usage stands against each threshold (Lago's `LifetimeUsages::UsageThresholdsCompletionService`):
 * the steps passed (ratio 1, reached when last applied, else now), then either the next step (its ratio measured from
 * the last step passed), the later steps at 0 and the recurring one at `largest step + amount`; or, all steps passed,
 * one entry per recurring amount passed and the next recurring amount with its ratio. Lago's remainder is
 * `(last step passed + total) mod amount`, which Billow keeps.
 *
 * @example
 * // Step 100 (applied) and recurring 200, total 723 (usage_thresholds_completion_service_spec): 100 → 1.0; 300, 500,
 * // 700 → 1.0; then 723 − (823 mod 200 = 23) + 200 = 900 at 23 / 200 = 0.115.
 */
export const thresholdsCompletion = (
  thresholds: readonly Threshold[],
  total: bigint,
  applied: readonly AppliedThresholdRecord[],
  now: Date,
): ThresholdCompletion[] => {
  if (thresholds.length === 0) return [];
  const steps = thresholds.filter((t) => !t.recurring).sort(byAmount);
  const recurring = thresholds.find((t) => t.recurring) ?? null;
  const largest = steps.at(-1)?.amountCents ?? 0n;
  const passed = steps.filter((t) => t.amountCents <= total);
  const notPassed = steps.filter((t) => t.amountCents > total);
  const out: ThresholdCompletion[] = [];
  for (const threshold of passed) {
    const times = applied.filter((a) => a.usageThresholdId === threshold.id).map((a) => a.createdAt.getTime());
    out.push({ threshold, amountCents: threshold.amountCents, completionRatio: 1, reachedAt: times.length > 0 ? new Date(Math.max(...times)) : now });
  }
  const lastPassed = passed.at(-1)?.amountCents ?? 0n;
  const [next, ...later] = notPassed;
  if (next) {
    out.push({ threshold: next, amountCents: next.amountCents, completionRatio: Number(total - lastPassed) / Number(next.amountCents - lastPassed), reachedAt: null });
    for (const threshold of later) out.push({ threshold, amountCents: threshold.amountCents, completionRatio: 0, reachedAt: null });
    if (recurring) out.push({ threshold: recurring, amountCents: largest + recurring.amountCents, completionRatio: 0, reachedAt: null });
    return out;
  }
  if (!recurring) return out;
  const step = recurring.amountCents;
  const remainder = (lastPassed + total) % step;
  const recurringApplied = applied
    .filter((a) => a.usageThresholdId === recurring.id)
    .sort((a, b) => (a.lifetimeUsageAmountCents < b.lifetimeUsageAmountCents ? -1 : a.lifetimeUsageAmountCents > b.lifetimeUsageAmountCents ? 1 : 0));
  const occurrences = (total - lastPassed) / step;
  for (let i = 1n; i <= occurrences; i++) {
    const amountCents = lastPassed + i * step;
    const reached = recurringApplied.find((a) => a.lifetimeUsageAmountCents >= amountCents);
    out.push({ threshold: recurring, amountCents, completionRatio: 1, reachedAt: reached?.createdAt ?? now });
  }
  out.push({ threshold: recurring, amountCents: total - remainder + step, completionRatio: Number(remainder) / Number(step), reachedAt: null });
  return out;
};
