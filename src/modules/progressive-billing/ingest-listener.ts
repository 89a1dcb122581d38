import type { Db } from '../../db/database.ts';
import type { IngestListener } from '../events/service.ts';
import type { ProgressiveBillingService } from './service.ts';
import { getWatch, peekWatch } from './watch-cache.ts';

/**
 * Progressive billing's part of ingestion: once new events have committed, the subscriptions they name that thresholds
 * apply to are checked at once, so a crossing is billed as it happens rather than at the next periodic check.
 *
 * Ingestion is the hot path, so the organization's watch (who thresholds apply to) is kept in memory: an organization
 * without thresholds, or events of subscriptions without any, return at once with no query. Checks of one
 * subscription are coalesced: while one runs, later requests wait for a single re-check that starts after it (so it
 * sees their events), instead of each measuring the usage again.
 *
 * A failed check is reported to `onError` and does not fail the request (its events are stored); neither does a
 * process that stops before its check: the periodic check (`checkDue`) bills the crossing then.
 */
export const createProgressiveIngestListener = (
  db: Db,
  progressive: Pick<ProgressiveBillingService, 'checkSubscription'>,
  onError: (error: unknown) => void = () => {},
): IngestListener => {
  /** Per subscription: the end of its last check queued, and a check queued that has not started yet. */
  interface Slot {
    tail: Promise<void>;
    queued: Promise<void> | null;
  }
  const slots = new Map<string, Slot>();

  const coalesced = (key: string, run: () => Promise<void>): Promise<void> => {
    const slot = slots.get(key) ?? { tail: Promise.resolve(), queued: null };
    slots.set(key, slot);
    // A check that has not started yet will read the usage after these events committed: it serves them too.
    if (slot.queued) return slot.queued;
    const queued: Promise<void> = slot.tail.then(() => {
      slot.queued = null;
      return run();
    });
    slot.queued = queued;
    const tail: Promise<void> = queued.then(() => {
      if (slot.tail === tail) slots.delete(key);
    });
    slot.tail = tail;
    return queued;
  };

  return async (ctx, events) => {
    const watch = peekWatch(ctx.organizationId) ?? (await getWatch(db, ctx.organizationId, { shared: true }));
    if (watch.byExternalId.size === 0) return;
    const subscriptionIds = new Set<string>();
    for (const event of events) {
      const id = watch.byExternalId.get(event.external_subscription_id);
      if (id) subscriptionIds.add(id);
    }
    if (subscriptionIds.size === 0) return;
    const now = ctx.clock.now();
    await Promise.all(
      [...subscriptionIds].map((id) =>
        coalesced(`${ctx.organizationId}:${id}`, async () => {
          try {
            await progressive.checkSubscription(ctx.organizationId, id, now, now, 'wait');
          } catch (error) {
            onError(error);
          }
        }),
      ),
    );
  };
};
