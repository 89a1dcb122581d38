import type { Db } from '../../db/database.ts';
import * as repo from './repository.ts';
import type { Subscription } from './types.ts';

/**
 * Ends every live subscription billed on these plans, as Lago does before it deletes a plan: the active ones are
 * terminated now, the pending ones canceled so they never start, and so is a subscription scheduled to follow one of
 * the terminated ones. Runs in the caller's transaction.
 */
export const endSubscriptionsOfPlans = async (
  tx: Db,
  organizationId: string,
  planIds: readonly string[],
  now: Date,
  terminate: (tx: Db, subscription: Subscription) => Promise<Subscription>,
): Promise<{ terminated: Subscription[]; canceled: Subscription[] }> => {
  // Each ends as a DELETE would end it: with its termination invoice (per `on_termination_invoice`), in this transaction.
  const terminated: Subscription[] = [];
  for (const subscription of await repo.activeOnPlans(tx, organizationId, planIds)) terminated.push(await terminate(tx, subscription));
  const canceled = await repo.cancelPending(tx, organizationId, { planIds, previousIds: terminated.map((s) => s.id) }, now);
  return { terminated, canceled };
};
