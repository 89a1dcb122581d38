import { invalid } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { insertSubscriptionThresholds, softDeleteSubscriptionThresholds } from '../progressive-billing/repository.ts';
import { invalidateWatch } from '../progressive-billing/watch-cache.ts';
import * as repo from './repository.ts';
import type { Plan, UsageThresholdInput } from './types.ts';
import { isSafeAmount, type Writer } from './writer.ts';

const listError = (code: string) => err(invalid('usage_thresholds', code));

interface ThresholdEntry {
  name: string | null;
  amount: bigint;
  recurring: boolean;
}

/**
 * A list of thresholds checked as Lago's `UsageThresholds::UpdateService` checks it, in Lago's order: a threshold
 * without an amount, the same amount twice (recurring or not), more than one recurring threshold, an amount that is not
 * positive. Answered in the order they are written: the recurring one first, then the others as given.
 */
const checkUsageThresholds = (inputs: UsageThresholdInput[]): Result<ThresholdEntry[]> => {
  const entries = inputs.map((t) => ({ name: t.threshold_display_name ?? null, amount: t.amount_cents, recurring: t.recurring ?? false }));
  if (entries.some((t) => t.amount === undefined || t.amount === null)) return listError('missing_amount_cents');
  const seen = new Set(entries.map((t) => `${t.amount}:${t.recurring}`));
  if (seen.size !== entries.length) return listError('duplicated_values');
  if (entries.filter((t) => t.recurring).length > 1) return listError('multiple_recurring_thresholds');
  const ordered = [...entries.filter((t) => t.recurring), ...entries.filter((t) => !t.recurring)];
  if (ordered.some((t) => t.amount! <= 0 || !isSafeAmount(t.amount!))) return err(invalid('amount_cents', 'value_is_out_of_range'));
  return ok(ordered.map((t) => ({ name: t.name, amount: BigInt(t.amount!), recurring: t.recurring })));
};

/**
 * Makes the plan's progressive-billing thresholds exactly the given list (Lago's full mode: the old ones are deleted
 * and the new ones created, so they get new ids; `[]` removes them all). Each amount is in the plan's currency.
 */
export const replaceUsageThresholds = async (w: Writer, plan: Plan, inputs: UsageThresholdInput[]): Promise<Result<void>> => {
  const checked = checkUsageThresholds(inputs);
  if (!checked.ok) return checked;
  await repo.softDeleteThresholds(w.tx, w.organizationId, plan.id, w.now);
  await repo.insertThresholds(
    w.tx,
    checked.value.map((t) => ({
      organizationId: w.organizationId,
      id: newId(),
      planId: plan.id,
      thresholdDisplayName: t.name,
      amountCents: t.amount,
      recurring: t.recurring,
      createdAt: w.now,
      updatedAt: w.now,
    })),
  );
  // Ingestion watches the subscriptions thresholds apply to.
  invalidateWatch(w.organizationId);
  return ok(undefined);
};

/**
 * Makes a subscription's own thresholds exactly the given list (Lago's `Subscriptions::UpdateUsageThresholdsService`,
 * full mode: `[]` removes them, and its plan's apply again). Once a subscription has thresholds of its own, those of
 * its override plan are deleted, as Lago deletes them.
 */
export const replaceSubscriptionUsageThresholds = async (
  w: Writer,
  subscription: { id: string; planId: string },
  plan: Plan,
  inputs: UsageThresholdInput[],
): Promise<Result<void>> => {
  const checked = checkUsageThresholds(inputs);
  if (!checked.ok) return checked;
  await softDeleteSubscriptionThresholds(w.tx, w.organizationId, subscription.id, w.now);
  await insertSubscriptionThresholds(
    w.tx,
    checked.value.map((t) => ({
      organizationId: w.organizationId,
      id: newId(),
      subscriptionId: subscription.id,
      thresholdDisplayName: t.name,
      amountCents: t.amount,
      recurring: t.recurring,
      createdAt: w.now,
      updatedAt: w.now,
    })),
  );
  if (plan.parentId !== null) await repo.softDeleteThresholds(w.tx, w.organizationId, plan.id, w.now);
  invalidateWatch(w.organizationId);
  return ok(undefined);
};
