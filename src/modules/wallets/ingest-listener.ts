import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import { instantToDate } from '../../lib/time.ts';
import type { IngestListener } from '../events/service.ts';
import type { MeteringService } from '../metering/service.ts';
import { refreshCustomerWallets } from './refresh.ts';
import * as repo from './repository.ts';

/**
 * Events lower ongoing balances, and a threshold rule tops its wallet up as soon as its ongoing balance reaches the
 * threshold. After events commit, the customers they bill who have a wallet with a live threshold rule get their
 * ongoing balances refreshed (which fires the rules). An organization without threshold rules costs nothing: whether
 * it has any is cached per organization, and forgotten whenever this process changes its wallets.
 */
export const createWalletIngestListener = ({ db, metering }: { db: Db; metering: MeteringService }) => {
  const hasThresholdRules = new Map<string, boolean>();

  const listener: IngestListener = async (ctx, events) => {
    let known = hasThresholdRules.get(ctx.organizationId);
    if (known === false) return;
    if (known === undefined) {
      known = await repo.hasActiveThresholdRule(db, ctx.organizationId);
      hasThresholdRules.set(ctx.organizationId, known);
      if (!known) return;
    }
    const now = ctx.clock.now();
    const subscriptionIds = [...new Set(events.map((e) => e.external_subscription_id))];
    // The refresh is marked due first: should it fail here, the clock does it.
    const customers = await queryRows<{ customer_id: string }>(
      db,
      sql`UPDATE wallets w SET refresh_due_at = coalesce(w.refresh_due_at, ${instantToDate(now).toISOString()}::timestamptz)
        WHERE w.organization_id = ${ctx.organizationId} AND w.status = 'active'
          AND w.customer_id IN (SELECT s.customer_id FROM subscriptions s WHERE s.organization_id = ${ctx.organizationId}
            AND s.external_id = ANY(${arrayParam(subscriptionIds)}::text[]) AND s.status = 'active')
          AND EXISTS (SELECT 1 FROM recurring_transaction_rules r WHERE r.organization_id = w.organization_id AND r.wallet_id = w.id
            AND r.status = 'active' AND r.trigger = 'threshold')
        RETURNING w.customer_id`,
    );
    for (const customerId of new Set(customers.map((c) => c.customer_id))) {
      try {
        await inTransaction(db, (tx) => refreshCustomerWallets(tx, metering, ctx.organizationId, customerId, now));
      } catch {
        // Left due: the clock's next pass refreshes it.
      }
    }
  };

  return { listener, forget: (organizationId: string) => hasThresholdRules.delete(organizationId) };
};
