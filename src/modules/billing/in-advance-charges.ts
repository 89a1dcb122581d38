import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { retryingConflicts } from '../../db/errors.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { subscriptions as subscriptionsTable } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { inTransaction } from '../../db/transaction.ts';
import { systemClock, type Clock } from '../../lib/clock.ts';
import type { Ctx } from '../../lib/context.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import { instantToDate } from '../../lib/time.ts';
import type { EventRow } from '../events/repository.ts';
import type { IngestListener } from '../events/service.ts';
import type { MeteringService } from '../metering/service.ts';
import type { PlanMetering } from '../plans/metering-settings.ts';
import type { ChargeDetails } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { coversEvent, draftInAdvanceFee, inAdvanceInput, loadInAdvancePlan, type InAdvancePlan } from './in-advance-fees.ts';
import { estimateInAdvanceFees } from './in-advance-estimate.ts';
import { invoiceInAdvanceFee, writeStandaloneFee } from './in-advance-invoices.ts';
import { loadBillingParty } from './party.ts';

/** How long an organization's pay-in-advance codes are trusted without looking again (a change made by another process). */
const CODES_TTL_MS = 10_000;
/** After a change of charges, codes are read again on each ingestion for this long (the change commits meanwhile). */
const SETTLE_MS = 5_000;
/** The live sweep leaves events this young to the ingestion that stored them. */
const SWEEP_GRACE_MS = 30_000;
const SWEEP_BATCH = 500;

/**
 * Pay-in-advance charges (Lago's `Events::PayInAdvanceService` and what it starts): each new event on such a charge is
 * billed at once, by a fee of its own, invoiced alone (`invoiceable`) or left standalone.
 *
 * Trigger: an ingest listener, called after the events committed. Ingestion is a hot path, so the listener answers
 * from a per-organization cache of the metric codes that have a pay-in-advance charge, and returns without any query
 * when none of the events' codes is one of them. The cache is dropped when a plan or metric write changes charges in
 * this process (`watch`), and trusted for `CODES_TTL_MS` only, for writes made by other processes.
 *
 * Recovery: the events commit before their fees are made, so a process stopping in between (or a failure while billing
 * them) leaves events without fees. A sweep, run by the live billing clock and by test clocks as they move, bills the
 * pay-in-advance events stored since it last ran that lack the fee of one of their charges, events older than the
 * charge excepted. It reads events by creation time (the `events_created_brin` block-range index) and looks each
 * charge's fee up by event id (the unique index that also keeps a fee from being made twice), so it costs next to
 * nothing when all went well. A sweep
 * rather than a durable queue written with the events: ingestion's one-statement write stays as it is for everyone.
 */
export const createInAdvanceCharges = ({ db, metering }: { db: Db; metering: MeteringService }) => {
  let onError: (error: unknown) => void = reportError;
  const codesCache = new Map<string, { codes: ReadonlySet<string>; loadedAt: number }>();
  const changedAt = new Map<string, number>();

  const invalidate = (organizationId: string) => {
    codesCache.delete(organizationId);
    changedAt.set(organizationId, performance.now());
  };

  const loadCodes = async (organizationId: string): Promise<ReadonlySet<string>> => {
    const rows = await queryRows<{ code: string }>(
      db,
      sql`SELECT DISTINCT m.code FROM charges c JOIN billable_metrics m ON m.organization_id = c.organization_id AND m.id = c.billable_metric_id
        JOIN plans p ON p.organization_id = c.organization_id AND p.id = c.plan_id
        WHERE c.organization_id = ${organizationId} AND c.pay_in_advance AND c.deleted_at IS NULL AND p.deleted_at IS NULL AND m.deleted_at IS NULL`,
    );
    const codes = new Set(rows.map((r) => r.code));
    const changed = changedAt.get(organizationId);
    if (changed === undefined || performance.now() - changed > SETTLE_MS) codesCache.set(organizationId, { codes, loadedAt: performance.now() });
    return codes;
  };

  /** The events on codes with a pay-in-advance charge; from the cache (no query) while it holds. */
  const relevantEvents = async (organizationId: string, events: readonly EventRow[]): Promise<EventRow[]> => {
    const cached = codesCache.get(organizationId);
    if (cached && performance.now() - cached.loadedAt < CODES_TTL_MS) {
      if (!events.some((e) => cached.codes.has(e.code))) return [];
      return events.filter((e) => cached.codes.has(e.code));
    }
    const codes = await loadCodes(organizationId);
    return events.filter((e) => codes.has(e.code));
  };

  /** Each event's subscription: the one of its external id that covers its timestamp, the latest started. */
  const subscriptionsOf = async (organizationId: string, events: readonly EventRow[]): Promise<Map<string, Subscription>> => {
    const externalIds = [...new Set(events.map((e) => e.external_subscription_id))];
    const candidates = await selectRows<Subscription>(
      db,
      subscriptionsTable,
      sql`subscriptions WHERE organization_id = ${organizationId} AND external_id = ANY(${arrayParam(externalIds)}::text[])
        AND status IN ('active', 'terminated') ORDER BY started_at DESC`,
    );
    const found = new Map<string, Subscription>();
    for (const event of events) {
      const subscription = candidates.find((s) => s.externalId === event.external_subscription_id && coversEvent(s, Number(event.timestamp_ms)));
      if (subscription) found.set(event.id, subscription);
    }
    return found;
  };

  /**
   * Bills one event on one charge in a transaction of its own; the customer's row lock orders its events' fees. The fee
   * is stamped once the lock is held: the next event's running aggregation starts from the chain's latest fee by
   * `created_at`, so a stamp read before waiting for the lock (a request that waited while another billed) would put
   * its fee before the ones made meanwhile, and the next event would start from the wrong one.
   */
  const billEventCharge = async (organizationId: string, subscription: Subscription, plan: InAdvancePlan, charge: ChargeDetails, event: EventRow, clock: Clock): Promise<void> => {
    await retryingConflicts(() =>
      inTransaction(db, async (tx) => {
        const party = await loadBillingParty(tx, organizationId, subscription.customerId);
        const stampAt = clock.now();
        const input = inAdvanceInput({ tx, metering, organizationId, timeZone: party.timeZone, subscription, event }, plan, charge);
        if (!input) return;
        const [done] = await queryRows<{ one: number }>(
          tx,
          sql`SELECT 1 AS one FROM fees WHERE organization_id = ${organizationId} AND pay_in_advance_event_id = ${event.id}::uuid AND charge_id = ${charge.charge.id}`,
        );
        if (done) return;
        const draft = await draftInAdvanceFee(input);
        if (!draft) return;
        if (charge.charge.invoiceable) {
          await invoiceInAdvanceFee(tx, party, subscription, plan.details, draft, Temporal.Instant.fromEpochMilliseconds(Number(event.timestamp_ms)), stampAt);
        } else {
          await writeStandaloneFee(tx, party, plan.details, draft, stampAt);
        }
      }),
    );
  };

  /**
   * Bills events (in the order given) on the pay-in-advance charges of their subscriptions' plans. When `sweeping`,
   * an event stored before a charge existed is not billed on it.
   */
  const billEvents = async (organizationId: string, events: readonly EventRow[], stamp: Temporal.Instant | Clock, options: { sweeping?: boolean } = {}): Promise<void> => {
    const clock: Clock = stamp instanceof Temporal.Instant ? { now: () => stamp } : stamp;
    const subscriptions = await subscriptionsOf(organizationId, events);
    const plans = new Map<string, Promise<InAdvancePlan>>();
    for (const event of events) {
      const subscription = subscriptions.get(event.id);
      if (!subscription) continue;
      let inputs = plans.get(subscription.planId);
      if (!inputs) plans.set(subscription.planId, (inputs = loadInAdvancePlan(db, metering, organizationId, subscription.planId)));
      const { details } = await inputs;
      for (const charge of details.charges) {
        if (!charge.charge.payInAdvance) continue;
        if (options.sweeping && charge.charge.createdAt.getTime() > Number(event.created_at_ms)) continue;
        // One event that cannot be billed (reported, left to the sweep) does not hold up the others.
        try {
          await billEventCharge(organizationId, subscription, await inputs, charge, event, clock);
        } catch (error) {
          onError(error);
        }
      }
    }
  };

  /**
   * The ingest listener. Failures are reported, not thrown: the events are stored, and the sweep bills what was left.
   */
  const listener: IngestListener = async (ctx: Ctx, events) => {
    const relevant = await relevantEvents(ctx.organizationId, events);
    if (relevant.length === 0) return;
    try {
      await billEvents(ctx.organizationId, relevant, ctx.clock);
    } catch (error) {
      onError(error);
    }
  };

  /** Bills the pay-in-advance events stored in (last sweep, upTo] that lack a fee of one of their charges, and moves the mark to `upTo`. */
  const sweep = async (organizationId: string, upTo: Temporal.Instant, stampAt: Temporal.Instant | Clock): Promise<void> => {
    // A first sweep starts where the organization's first pay-in-advance charge was made: no event before it has a fee.
    const [mark] = await queryRows<{ swept_to: Date | string | null }>(
      db,
      sql`SELECT coalesce((SELECT swept_to FROM in_advance_sweeps WHERE organization_id = ${organizationId}),
          (SELECT min(created_at) FROM charges WHERE organization_id = ${organizationId} AND pay_in_advance)) AS swept_to`,
    );
    const codes = await loadCodes(organizationId);
    const to = instantToDate(upTo).toISOString();
    if (mark?.swept_to && codes.size > 0) {
      let after: { createdAt: string; id: string } = { createdAt: new Date(mark.swept_to).toISOString(), id: '00000000-0000-0000-0000-000000000000' };
      for (;;) {
        const page = await queryRows<EventRow>(
          db,
          sql`SELECT e.id, e.transaction_id, e.external_subscription_id, e.code, (extract(epoch FROM e.timestamp) * 1000)::bigint::text AS timestamp_ms,
              e.properties, e.precise_total_amount_cents::text, (extract(epoch FROM e.created_at) * 1000)::bigint::text AS created_at_ms
            FROM events e
            WHERE e.organization_id = ${organizationId} AND e.created_at <= ${to}::timestamptz AND e.code = ANY(${arrayParam([...codes])}::text[])
              AND (e.created_at, e.id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)
              -- Each charge of an event is billed in a transaction of its own, so a stop between two leaves an event
              -- with some of its fees: it is left to bill while a pay-in-advance charge it falls under has none. The
              -- charges are billEvents' own: the plan of the latest-started subscription covering the event, the
              -- charges that went with a deleted plan included, none made after the event.
              AND EXISTS (
                SELECT 1 FROM charges c
                JOIN plans p ON p.organization_id = c.organization_id AND p.id = c.plan_id
                JOIN billable_metrics m ON m.organization_id = c.organization_id AND m.id = c.billable_metric_id AND m.code = e.code
                WHERE c.organization_id = e.organization_id AND c.pay_in_advance
                  AND c.plan_id = (SELECT s.plan_id FROM subscriptions s
                    WHERE s.organization_id = e.organization_id AND s.external_id = e.external_subscription_id
                      AND s.status IN ('active', 'terminated') AND s.started_at <= e.timestamp
                      AND (s.terminated_at IS NULL OR s.terminated_at >= e.timestamp)
                    ORDER BY s.started_at DESC LIMIT 1)
                  AND (c.deleted_at IS NULL OR c.deleted_at = p.deleted_at) AND c.created_at <= e.created_at
                  AND NOT EXISTS (SELECT 1 FROM fees f
                    WHERE f.organization_id = e.organization_id AND f.pay_in_advance_event_id = e.id AND f.charge_id = c.id))
            ORDER BY e.created_at, e.id LIMIT ${SWEEP_BATCH}`,
        );
        if (page.length > 0) await billEvents(organizationId, page, stampAt, { sweeping: true });
        if (page.length < SWEEP_BATCH) break;
        const last = page[page.length - 1]!;
        after = { createdAt: new Date(Number(last.created_at_ms)).toISOString(), id: last.id };
      }
    }
    await db.execute(
      sql`INSERT INTO in_advance_sweeps (organization_id, swept_to) VALUES (${organizationId}, ${to}::timestamptz)
        ON CONFLICT (organization_id) DO UPDATE SET swept_to = greatest(in_advance_sweeps.swept_to, excluded.swept_to)`,
    );
  };

  /** The live sweep: organizations without a test clock that bill pay-in-advance charges, up to a moment ago. */
  const sweepLive = async (): Promise<void> => {
    const now = systemClock.now();
    const organizations = await queryRows<{ id: string }>(
      db,
      sql`SELECT o.id FROM organizations o WHERE o.test_clock_frozen_at IS NULL
        AND EXISTS (SELECT 1 FROM charges c WHERE c.organization_id = o.id AND c.pay_in_advance AND c.deleted_at IS NULL)`,
    );
    for (const { id } of organizations) {
      try {
        await sweep(id, now.subtract({ milliseconds: SWEEP_GRACE_MS }), systemClock);
      } catch (error) {
        onError(error);
      }
    }
  };

  /** Runs the live sweep every `intervalMs` until the returned stop is awaited. */
  const start = (intervalMs: number, onFailure: (error: unknown) => void) => repeatEvery(intervalMs, () => sweepLive(), onFailure);

  /** Metering as plan and metric writes see it, dropping the organization's cached codes once a write is done. */
  const watch = <M extends PlanMetering>(inner: M): M => ({
    ...inner,
    settingsChanged: async (tx, organizationId, codes, before) => {
      await inner.settingsChanged(tx, organizationId, codes, before);
      invalidate(organizationId);
    },
  });

  /** `POST /events/estimate_fees`. */
  const estimate = (ctx: Ctx, raw: unknown) => estimateInAdvanceFees(db, metering, ctx, raw);

  return {
    listener,
    sweep,
    sweepLive,
    start,
    watch,
    invalidate,
    billEvents,
    estimate,
    /** Where failures of the listener and the sweep are reported (the server's log once it exists). */
    onError: (handler: (error: unknown) => void) => {
      onError = handler;
    },
  };
};

const reportError = (error: unknown) => {
  process.stderr.write(`pay-in-advance billing failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
};

export type InAdvanceCharges = ReturnType<typeof createInAdvanceCharges>;
