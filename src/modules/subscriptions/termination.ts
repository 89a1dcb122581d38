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
): Promise<{ terminated: Subscription[]; canceled: Subscription[] }> => {
  const terminated = await repo.terminateActiveOnPlans(tx, organizationId, planIds, now);
  // The termination invoice of each subscription (its last period's fees, per `on_termination_invoice`) hooks in here,
  // in this transaction, once billing issues invoices.
  const canceled = await repo.cancelPending(tx, organizationId, { planIds, previousIds: terminated.map((s) => s.id) }, now);
  return { terminated, canceled };
};
