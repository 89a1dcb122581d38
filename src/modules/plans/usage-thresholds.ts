import { invalid } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import * as repo from './repository.ts';
import type { Plan, UsageThresholdInput } from './types.ts';
import { isSafeAmount, type Writer } from './writer.ts';

const listError = (code: string) => err(invalid('usage_thresholds', code));

/**
 * Makes the plan's progressive-billing thresholds exactly the given list (Lago's full mode: the old ones are deleted
 * and the new ones created, so they get new ids; `[]` removes them all). Each amount is in the plan's currency.
 * Refused, in Lago's order: a threshold without an amount, the same amount twice (recurring or not), more than one
 * recurring threshold, an amount that is not positive.
 */
export const replaceUsageThresholds = async (w: Writer, plan: Plan, inputs: UsageThresholdInput[]): Promise<Result<void>> => {
  const entries = inputs.map((t) => ({ name: t.threshold_display_name ?? null, amount: t.amount_cents, recurring: t.recurring ?? false }));
  if (entries.some((t) => t.amount === undefined || t.amount === null)) return listError('missing_amount_cents');
  const seen = new Set(entries.map((t) => `${t.amount}:${t.recurring}`));
  if (seen.size !== entries.length) return listError('duplicated_values');
  if (entries.filter((t) => t.recurring).length > 1) return listError('multiple_recurring_thresholds');
  // The recurring threshold is written first, then the others in the order given.
  const ordered = [...entries.filter((t) => t.recurring), ...entries.filter((t) => !t.recurring)];
  if (ordered.some((t) => t.amount! <= 0 || !isSafeAmount(t.amount!))) return err(invalid('amount_cents', 'value_is_out_of_range'));

  await repo.softDeleteThresholds(w.tx, w.organizationId, plan.id, w.now);
  await repo.insertThresholds(
    w.tx,
    ordered.map((t) => ({
      organizationId: w.organizationId,
      id: newId(),
      planId: plan.id,
      thresholdDisplayName: t.name,
      amountCents: BigInt(t.amount!),
      recurring: t.recurring,
      createdAt: w.now,
      updatedAt: w.now,
    })),
  );
  return ok(undefined);
};
