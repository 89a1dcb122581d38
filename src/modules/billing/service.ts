import { sql } from 'drizzle-orm';
import pg from 'pg';
import { Temporal } from 'temporal-polyfill';
import { isBillingDay, localDateAt, startOfLocalDay } from '../../billing/periods/index.ts';
import { nextBillingDate } from '../../billing/periods/schedule.ts';
import type { Db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction.ts';
import { arrayParam, queryRows, queryRowsPrepared } from '../../db/query.ts';
import { retryingConflicts } from '../../db/errors.ts';
import { plans, subscriptions as subscriptionsTable } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { systemClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { dateToInstant, instantToDate } from '../../lib/time.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { MeteringService } from '../metering/service.ts';
import { loadPlanDetails } from '../plans/details.ts';
import type { Plan, PlanDetails } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { draftFees, timingOf, trialEndOf, type BillingItem, type FeeDraft, type InvoicingReason, type ItemWindows } from './fee-drafts.ts';
import { emptyInvoice, finalizeInvoice, graceEnd, revertInvoiceAmounts, writeInvoiceAmounts, type PlannedFee } from './invoice-writer.ts';
import { loadBillingParty, subscriptionIssuingDate, type BillingParty } from './party.ts';
import { cached, newRunCache, type RunCache } from './run-cache.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { createReminders } from './reminders.ts';
import { billInAdvanceAtBillingDay } from './in-advance-period.ts';
import { createWalletClock } from '../wallets/clock.ts';
import { issueTerminationCreditNote } from '../credit-notes/termination.ts';
import { repeatEvery } from '../../lib/repeat.ts';

const compare = Temporal.Instant.compare;
/** Customers the live clock bills at once on PostgreSQL (a pool's connections are shared with the API). */
const LIVE_CONCURRENCY = 4;
const earliest = (instants: (Temporal.Instant | null)[]): Temporal.Instant | null =>
  instants.reduce<Temporal.Instant | null>((a, b) => (b === null ? a : a === null || compare(b, a) < 0 ? b : a), null);

/** Picks the instant that stamps rows: a test clock's instant of the work, or the real time for a live organization. */
type Stamp = (at: Temporal.Instant) => Temporal.Instant;

export const createBillingService = ({ db, metering }: { db: Db; metering: MeteringService }) => {
  const reminders = createReminders({ db });
  const walletClock = createWalletClock({ db, metering });
  const planOf = async (tx: Db, subscription: Subscription, cache?: RunCache): Promise<PlanDetails> => {
    const load = async () => {
      const [plan] = await loadPlanDetails(tx, subscription.organizationId, await plansById(tx, subscription.organizationId, [subscription.planId]));
      if (!plan) throw new Error(`plan ${subscription.planId} of subscription ${subscription.id} not found`);
      return plan;
    };
    return cache ? cached(cache.plans, subscription.planId, load) : load();
  };

  /**
   * Issues one invoice for a customer's items of one instant: claims each item's (subscription, reason, day) first, so
   * an item billed before (by a run that crashed after committing, or by another process) is skipped, then drafts the
   * fees, applies coupons and taxes and finalizes, or leaves a draft for the grace period. Null when nothing was left.
   */
  const issueInvoice = async (
    tx: Db,
    party: BillingParty,
    items: readonly BillingItem[],
    at: Temporal.Instant,
    stampAt: Temporal.Instant,
    cache?: RunCache,
  ): Promise<InvoiceRow | null> => {
    if (items.length === 0) return null;
    const organizationId = party.organization.id;
    const stamp = instantToDate(stampAt);
    const billingDate = localDateAt(at, party.timeZone);
    const periodic = items.some((i) => i.reason === 'subscription_periodic');
    const issuingDate = periodic ? subscriptionIssuingDate(party, billingDate) : billingDate;
    const drafting = party.gracePeriodDays > 0;
    const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, items[0]!.details.plan.amountCurrency, issuingDate, stamp));
    // Each item is drafted, then claimed with its windows: a claim another invoice already holds (billed before, by a
    // run that crashed after committing or by another process) drops the item.
    const planned: PlannedFee[] = [];
    let claims = 0;
    for (const item of items) {
      const { fees, windows } = await draftFees(tx, metering, organizationId, party.timeZone, item, cache);
      const won = await invoicesRepo.claimInvoiceSubscription(tx, {
        organizationId,
        id: newId(),
        invoiceId: invoice.id,
        subscriptionId: item.subscription.id,
        invoicingReason: item.reason,
        billingDate: localDateAt(item.at, party.timeZone).toString(),
        timestamp: instantToDate(item.at),
        ...windowColumns(windows),
        createdAt: stamp,
      });
      if (!won) continue;
      claims++;
      planned.push(...fees.map((draft) => plannedFee(draft, item)));
    }
    if (claims === 0) {
      await invoicesRepo.deleteInvoice(tx, organizationId, invoice.id);
      return null;
    }
    const totals = await writeInvoiceAmounts(tx, party, invoice, planned, stampAt, { coupons: true, cache });
    if (drafting) {
      // The grace period runs from the billing day, whatever day the invoice is dated.
      await recordDomainEvent(tx, { organizationId, type: 'invoice.drafted', objectType: 'invoice', objectId: invoice.id, at: stampAt });
      return invoicesRepo.updateInvoice(tx, organizationId, invoice.id, {
        ...totals,
        status: 'draft',
        finalizeAt: instantToDate(graceEnd(party, billingDate)),
      });
    }
    return finalizeInvoice(tx, party, invoice, stampAt, totals);
  };

  /** Drafts the fees of claimed items and records each item's windows on its invoice_subscriptions row. */
  const computeFees = async (tx: Db, party: BillingParty, claimed: readonly { item: BillingItem; rowId: string }[], cache?: RunCache): Promise<PlannedFee[]> => {
    const planned: PlannedFee[] = [];
    for (const { item, rowId } of claimed) {
      const { fees, windows } = await draftFees(tx, metering, party.organization.id, party.timeZone, item, cache);
      await invoicesRepo.updateInvoiceSubscription(tx, party.organization.id, rowId, windowColumns(windows));
      planned.push(...fees.map((draft) => plannedFee(draft, item)));
    }
    return planned;
  };

  /**
   * When time-driven work next falls due for a subscription after `after`: its next billing day (00:00 in the
   * customer's zone), its scheduled end, or the end of a trial on a plan paid in advance (the rest of the period is
   * billed then). Null when nothing will ever be due (it ended).
   */
  const nextDueAt = (subscription: Subscription, plan: Plan, timeZone: string, after: Temporal.Instant): Temporal.Instant | null => {
    // Lago starts a pending subscription on the first run of its start day in the customer's zone.
    if (subscription.status === 'pending') return startOfLocalDay(localDateAt(dateToInstant(subscription.subscriptionAt), timeZone), timeZone);
    if (subscription.status !== 'active') return null;
    const timing = timingOf(subscription, plan, timeZone);
    const billing = startOfLocalDay(nextBillingDate(timing, localDateAt(after, timeZone)), timeZone);
    const ending = subscription.endingAt ? dateToInstant(subscription.endingAt) : null;
    const trialEnd = subscription.trialEndedAt ? null : trialEndOf(subscription, plan);
    return earliest([billing, ending && compare(ending, after) > 0 ? ending : null, trialEnd && compare(trialEnd, after) > 0 ? trialEnd : null]);
  };

  const setNextDue = async (tx: Db, subscription: Subscription, at: Temporal.Instant | null) => {
    await queryRowsPrepared(
      tx,
      sql`UPDATE subscriptions SET next_due_at = ${at ? instantToDate(at).toISOString() : null}::timestamptz
        WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id}`,
    );
  };

  /**
   * Ends a subscription at an instant: status terminated, and (unless `on_termination_invoice` is skip) its termination
   * invoice, billing the used part of the period. Runs in the caller's transaction.
   */
  const terminate = async (tx: Db, subscription: Subscription, at: Temporal.Instant, stampAt: Temporal.Instant): Promise<Subscription> => {
    const [ended] = await selectRows<Subscription>(
      tx,
      subscriptionsTable,
      sql`subscriptions WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id} FOR UPDATE`,
    );
    if (!ended || ended.status !== 'active') return ended ?? subscription;
    const terminated = await endSubscription(tx, ended, at, stampAt);
    await cancelSuccessors(tx, ended, stampAt);
    const details = await planOf(tx, terminated);
    // A plan paid in advance gives back its unused days first; the termination invoice may then consume that credit.
    if (details.plan.payInAdvance) await issueTerminationCreditNote(tx, { subscription: terminated, plan: details.plan, at, stampAt, upgrade: false });
    if (ended.onTerminationInvoice !== 'skip') {
      const party = await loadBillingParty(tx, subscription.organizationId, subscription.customerId);
      await issueInvoice(tx, party, [{ subscription: terminated, details, reason: 'subscription_terminating', at }], at, stampAt);
    }
    return terminated;
  };

  /**
   * Does a customer's work due at one instant, in one transaction: pending subscriptions start (a plan paid in
   * advance is invoiced at once), subscriptions whose `ending_at` has come are terminated, billing days issue one
   * periodic invoice for all of the customer's subscriptions billed then; each subscription then gets its next due
   * instant. Subscriptions locked by another process are left to it.
   */
  const runCustomerWork = async (organizationId: string, customerId: string, at: Temporal.Instant, stamp: Stamp, cache: RunCache): Promise<void> => {
    await inTransaction(db, async (tx) => {
      const due = await selectRows<Subscription>(
        tx,
        subscriptionsTable,
        sql`subscriptions WHERE organization_id = ${organizationId} AND customer_id = ${customerId}
          AND next_due_at = ${instantToDate(at).toISOString()}::timestamptz ORDER BY created_at, id FOR UPDATE SKIP LOCKED`,
        { prepared: true },
      );
      if (due.length === 0) return;
      const party = await loadBillingParty(tx, organizationId, customerId, cache);
      const stampAt = stamp(at);
      const periodic: BillingItem[] = [];
      const starting: BillingItem[] = [];
      const rescheduled: { subscription: Subscription; details: PlanDetails }[] = [];
      for (let subscription of due) {
        const details = await planOf(tx, subscription, cache);
        if (subscription.status === 'pending') {
          const startDay = localDateAt(dateToInstant(subscription.subscriptionAt), party.timeZone);
          if (Temporal.PlainDate.compare(startDay, localDateAt(at, party.timeZone)) > 0) {
            rescheduled.push({ subscription, details });
            continue;
          }
          subscription = await activate(tx, subscription, at, stampAt);
        }
        if (subscription.status !== 'active') continue;
        const ending = subscription.endingAt ? dateToInstant(subscription.endingAt) : null;
        if (ending && compare(ending, at) <= 0) {
          await terminate(tx, subscription, ending, stampAt);
          continue;
        }
        const plan = details.plan;
        const trialEnd = subscription.trialEndedAt ? null : trialEndOf(subscription, plan);
        const inTrial = trialEnd !== null && compare(trialEnd, at) > 0;
        const today = localDateAt(at, party.timeZone);
        if (!subscription.startBilled) {
          // Its start: a plan paid in advance and not in a trial is invoiced for the period that begins, unless the
          // subscription was dated before the day it was created (Lago bills those from their next billing day).
          subscription = await markStartBilled(tx, subscription);
          const backdated = Temporal.PlainDate.compare(localDateAt(dateToInstant(subscription.subscriptionAt), party.timeZone), localDateAt(dateToInstant(subscription.createdAt), party.timeZone)) < 0;
          if (plan.payInAdvance && !inTrial && !backdated) starting.push({ subscription, details, reason: 'subscription_starting', at });
        } else if (compare(at, startOfLocalDay(today, party.timeZone)) === 0 && isBillingDay(timingOf(subscription, plan, party.timeZone), today)) {
          const successor = await pendingSuccessor(tx, subscription);
          if (successor) {
            // A downgrade takes effect: the old plan's last period and the new plan's start on one invoice.
            const ended = await endSubscription(tx, subscription, at, stampAt);
            const started = await markStartBilled(tx, await activate(tx, successor, at, stampAt));
            const nextDetails = await planOf(tx, started, cache);
            periodic.push({ subscription: ended, details, reason: 'subscription_terminating', at });
            if (nextDetails.plan.payInAdvance && !inTrialAt(started, nextDetails.plan, at)) {
              periodic.push({ subscription: started, details: nextDetails, reason: 'subscription_starting', at });
            }
            rescheduled.push({ subscription: started, details: nextDetails });
            continue;
          }
          periodic.push({ subscription, details, reason: 'subscription_periodic', at });
        }
        if (trialEnd && compare(trialEnd, at) <= 0) {
          // The trial is over: on a plan paid in advance the rest of the period is billed now, unless today's periodic
          // invoice already billed it.
          subscription = await endTrial(tx, subscription, trialEnd);
          const billedToday = periodic.some((p) => p.subscription.id === subscription.id) || (await hasInvoiceOn(tx, subscription, 'subscription_periodic', today));
          if (plan.payInAdvance && !billedToday) starting.push({ subscription, details, reason: 'subscription_starting', at });
        }
        rescheduled.push({ subscription, details });
      }
      if (starting.length > 0) await issueInvoice(tx, party, starting, at, stampAt, cache);
      if (periodic.length > 0 && (await issueInvoice(tx, party, periodic, at, stampAt, cache))) {
        await billInAdvanceAtBillingDay(tx, metering, party, periodic, at, stampAt, cache);
      }
      for (const { subscription, details } of rescheduled) {
        await setNextDue(tx, subscription, nextDueAt(subscription, details.plan, party.timeZone, at));
      }
    });
  };

  const hasInvoiceOn = async (tx: Db, subscription: Subscription, reason: InvoicingReason, day: Temporal.PlainDate): Promise<boolean> => {
    const rows = await queryRows<{ one: number }>(
      tx,
      sql`SELECT 1 AS one FROM invoice_subscriptions WHERE organization_id = ${subscription.organizationId}
        AND subscription_id = ${subscription.id} AND invoicing_reason = ${reason} AND billing_date = ${day.toString()}::date`,
    );
    return rows.length > 0;
  };

  const endTrial = async (tx: Db, subscription: Subscription, trialEnd: Temporal.Instant): Promise<Subscription> => {
    await tx.execute(
      sql`UPDATE subscriptions SET trial_ended_at = ${instantToDate(trialEnd).toISOString()}::timestamptz
        WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id}`,
    );
    await recordDomainEvent(tx, { organizationId: subscription.organizationId, type: 'subscription.trial_ended', objectType: 'subscription', objectId: subscription.id, at: trialEnd });
    return { ...subscription, trialEndedAt: instantToDate(trialEnd) };
  };

  const pendingSuccessor = async (tx: Db, subscription: Subscription): Promise<Subscription | null> => {
    const [next] = await selectRows<Subscription>(
      tx,
      subscriptionsTable,
      sql`subscriptions WHERE organization_id = ${subscription.organizationId} AND previous_subscription_id = ${subscription.id}
        AND status = 'pending' ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      { prepared: true },
    );
    return next ?? null;
  };

  const inTrialAt = (subscription: Subscription, plan: Plan, at: Temporal.Instant): boolean => {
    const trialEnd = subscription.trialEndedAt ? null : trialEndOf(subscription, plan);
    return trialEnd !== null && compare(trialEnd, at) > 0;
  };

  /** Marks a subscription terminated at an instant, with nothing more due. */
  const endSubscription = async (tx: Db, subscription: Subscription, at: Temporal.Instant, stampAt: Temporal.Instant): Promise<Subscription> => {
    const stamp = instantToDate(stampAt);
    await tx.execute(
      sql`UPDATE subscriptions SET status = 'terminated', terminated_at = ${instantToDate(at).toISOString()}::timestamptz, next_due_at = NULL,
        updated_at = ${stamp.toISOString()}::timestamptz WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id}`,
    );
    await recordDomainEvent(tx, { organizationId: subscription.organizationId, type: 'subscription.terminated', objectType: 'subscription', objectId: subscription.id, at: stampAt });
    return { ...subscription, status: 'terminated', terminatedAt: instantToDate(at), nextDueAt: null, updatedAt: stamp };
  };

  /** Cancels what was scheduled to follow a subscription (a downgrade not yet in effect). */
  const cancelSuccessors = async (tx: Db, subscription: Subscription, stampAt: Temporal.Instant): Promise<void> => {
    const stamp = instantToDate(stampAt).toISOString();
    await tx.execute(
      sql`UPDATE subscriptions SET status = 'canceled', canceled_at = ${stamp}::timestamptz, next_due_at = NULL, updated_at = ${stamp}::timestamptz
        WHERE organization_id = ${subscription.organizationId} AND previous_subscription_id = ${subscription.id} AND status = 'pending'`,
    );
  };

  /**
   * An upgrade, now: the old subscription ends and the new one (already inserted, active from `at`) takes over; one
   * invoice bills the old plan's used days (the day of the change goes to the new plan) and its charges, and the new
   * plan's period when it is paid in advance. Runs in the caller's transaction.
   */
  const upgrade = async (tx: Db, old: Subscription, pending: Subscription, at: Temporal.Instant, stampAt: Temporal.Instant): Promise<void> => {
    const ended = await endSubscription(tx, old, at, stampAt);
    await tx.execute(
      sql`UPDATE subscriptions SET status = 'canceled', canceled_at = ${instantToDate(stampAt).toISOString()}::timestamptz, next_due_at = NULL
        WHERE organization_id = ${old.organizationId} AND previous_subscription_id = ${old.id} AND status = 'pending' AND id <> ${pending.id}`,
    );
    const next = await markStartBilled(tx, await activate(tx, pending, at, stampAt));
    const party = await loadBillingParty(tx, old.organizationId, old.customerId);
    const oldDetails = await planOf(tx, ended);
    const nextDetails = await planOf(tx, next);
    // Leaving a plan paid in advance credits its unused days (the day of the change included), which the invoice below
    // consumes first.
    if (oldDetails.plan.payInAdvance) await issueTerminationCreditNote(tx, { subscription: ended, plan: oldDetails.plan, at, stampAt, upgrade: true });
    const items: BillingItem[] = [{ subscription: ended, details: oldDetails, reason: 'subscription_terminating', at, planChange: true }];
    if (nextDetails.plan.payInAdvance && !inTrialAt(next, nextDetails.plan, at)) {
      items.push({ subscription: next, details: nextDetails, reason: 'subscription_starting', at });
    }
    await issueInvoice(tx, party, items, at, stampAt);
    await setNextDue(tx, next, nextDueAt(next, nextDetails.plan, party.timeZone, at));
  };

  const markStartBilled = async (tx: Db, subscription: Subscription): Promise<Subscription> => {
    await tx.execute(sql`UPDATE subscriptions SET start_billed = true WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id}`);
    return { ...subscription, startBilled: true };
  };

  /** A pending subscription starts: active from its `subscription_at`. */
  const activate = async (tx: Db, subscription: Subscription, at: Temporal.Instant, stampAt: Temporal.Instant): Promise<Subscription> => {
    const startedAt = at;
    const stamp = instantToDate(stampAt);
    await tx.execute(
      sql`UPDATE subscriptions SET status = 'active', started_at = ${instantToDate(startedAt).toISOString()}::timestamptz,
        updated_at = ${stamp.toISOString()}::timestamptz WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.id}`,
    );
    await recordDomainEvent(tx, { organizationId: subscription.organizationId, type: 'subscription.started', objectType: 'subscription', objectId: subscription.id, at: stampAt });
    return { ...subscription, status: 'active', startedAt: instantToDate(startedAt), updatedAt: stamp };
  };

  /**
   * Lago's `Invoices::RefreshDraftAndFinalizeService`, for the grace period's end and `PUT /invoices/{id}/finalize`: the
   * draft is computed again (late events count), issued on the day it is finalized (a periodic invoice of a customer
   * keeping the anchor keeps its date), due `net_payment_term` days later, then finalized and numbered.
   */
  const refreshAndFinalize = async (tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
    const refreshed = await refreshDraft(tx, invoice, now);
    const party = await loadBillingParty(tx, invoice.organizationId, invoice.customerId);
    const [first] = await invoicesRepo.invoiceSubscriptionsOf(tx, invoice.organizationId, [invoice.id]);
    const keepAnchor = first?.invoicingReason === 'subscription_periodic' && party.issuingDateAdjustment === 'keep_anchor';
    const issuingDate = keepAnchor ? Temporal.PlainDate.from(refreshed.issuingDate) : localDateAt(now, party.timeZone);
    const dated = await invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, {
      issuingDate: issuingDate.toString(),
      paymentDueDate: issuingDate.add({ days: party.netPaymentTerm }).toString(),
    });
    return finalizeInvoice(tx, party, dated, now);
  };

  /** Finalizes a draft whose grace period is over, in its own transaction. */
  const finalizeDueDraft = async (organizationId: string, invoiceId: string, at: Temporal.Instant, stamp: Stamp): Promise<void> => {
    await inTransaction(db, async (tx) => {
      const invoice = await invoicesRepo.findInvoice(tx, organizationId, invoiceId, true);
      if (!invoice || invoice.status !== 'draft') return;
      await refreshAndFinalize(tx, invoice, stamp(at));
    });
  };

  interface DueItem {
    kind: 'subscription' | 'draft';
    at: Temporal.Instant;
    customerId: string;
    invoiceId: string | null;
  }

  /**
   * The earliest piece of work due at or before `upTo` for an organization, if any, of a customer not in `busy` (the
   * customers this process's other workers are billing).
   */
  const earliestDue = async (organizationId: string, upTo: Temporal.Instant, busy: readonly string[]): Promise<DueItem | null> => {
    const limit = instantToDate(upTo).toISOString();
    // Rows another process is working on are skipped (SKIP LOCKED), so that runners share the work instead of waiting.
    const rows = await queryRowsPrepared<{ kind: 'subscription' | 'draft'; at: Date | string; customer_id: string; id: string }>(
      db,
      sql`WITH s AS (
          SELECT next_due_at AS at, customer_id, id FROM subscriptions
          WHERE organization_id = ${organizationId} AND next_due_at <= ${limit}::timestamptz AND customer_id <> ALL(${arrayParam(busy)}::uuid[])
          ORDER BY next_due_at LIMIT 1 FOR UPDATE SKIP LOCKED
        ), d AS (
          SELECT finalize_at AS at, customer_id, id FROM invoices
          WHERE organization_id = ${organizationId} AND status = 'draft' AND finalize_at <= ${limit}::timestamptz AND customer_id <> ALL(${arrayParam(busy)}::uuid[])
          ORDER BY finalize_at LIMIT 1 FOR UPDATE SKIP LOCKED
        )
        SELECT 'subscription' AS kind, * FROM s UNION ALL SELECT 'draft' AS kind, * FROM d`,
    );
    const sub = rows.find((r) => r.kind === 'subscription');
    const draft = rows.find((r) => r.kind === 'draft');
    const instant = (value: Date | string) => Temporal.Instant.fromEpochMilliseconds(new Date(value).getTime());
    // At the same instant, subscriptions go first: a draft finalized then includes what the run just did.
    if (sub && (!draft || compare(instant(sub.at), instant(draft.at)) <= 0)) {
      return { kind: 'subscription', at: instant(sub.at), customerId: sub.customer_id, invoiceId: null };
    }
    if (draft) return { kind: 'draft', at: instant(draft.at), customerId: draft.customer_id, invoiceId: draft.id };
    return null;
  };

  /**
   * Does all time-driven work of an organization due up to `upTo`, in chronological order, each piece as the clock would
   * have done it at its own instant. Every piece commits on its own and leaves the next due instant behind it, so a run
   * that stops half way (a crash) resumes where it stopped.
   */
  const runDue = async (organizationId: string, upTo: Temporal.Instant, stamp: Stamp = (at) => at, concurrency = 1): Promise<void> => {
    const cache = newRunCache();
    let remindedBefore: Temporal.Instant | null = null;
    // Workers pick one at a time, each a customer no other worker here is billing: two never start on the same one
    // (the second would only find it locked and start over).
    const busy = new Set<string>();
    let picking: Promise<unknown> = Promise.resolve();
    const pick = (): Promise<DueItem | null> => {
      const picked = picking.then(async () => {
        const item = await earliestDue(organizationId, upTo, [...busy]);
        if (item) busy.add(item.customerId);
        return item;
      });
      picking = picked.catch(() => undefined);
      return picked;
    };
    const worker = async () => {
      for (;;) {
        const item = await pick();
        if (!item) return;
        try {
          // Reminders that fell due before this instant go out first, in the state the clock saw then.
          if (!remindedBefore || compare(item.at, remindedBefore) > 0) {
            remindedBefore = item.at;
            await reminders.runDue(organizationId, item.at, stamp, { before: true });
            await walletClock.runDue(organizationId, item.at, stamp, { before: true });
          }
          await billItem(item);
        } finally {
          busy.delete(item.customerId);
        }
      }
    };
    const billItem = async (item: DueItem): Promise<void> => {
      try {
        // A deadlock with a concurrent change (a plan deleted meanwhile) is run again, not recorded as a failure.
        await retryingConflicts(() =>
          item.kind === 'draft'
            ? finalizeDueDraft(organizationId, item.invoiceId!, item.at, stamp)
            : runCustomerWork(organizationId, item.customerId, item.at, stamp, cache),
        );
      } catch (error) {
        // One customer's failure must not hold up the others: it is recorded where it can be seen and retried, and
        // the clock moves on.
        await recordFailure(organizationId, item, error, stamp);
      }
    };
    // Customers are independent: on a server database several are billed at once, each on its own connection (a
    // worker that finds everything due taken by others stops; the one that did the work looks again). A test clock
    // runs one at a time, so that its work happens in exactly the order of its instants. PGlite has one connection.
    const parallel = (db as { $client?: unknown }).$client instanceof pg.Pool ? Math.max(1, concurrency) : 1;
    await Promise.all(Array.from({ length: parallel }, worker));
    await reminders.runDue(organizationId, upTo, stamp);
    await walletClock.runDue(organizationId, upTo, stamp);
  };

  /**
   * Records a failed piece of work: a billing day's invoice becomes a `failed` invoice holding its claims (so it is
   * listed, never billed twice, and `POST /invoices/{id}/retry` computes it again); a draft that cannot be finalized
   * is marked failed; the subscriptions involved get their next due instant, so the clock does not stop on them.
   */
  const recordFailure = async (organizationId: string, item: DueItem, error: unknown, stamp: Stamp): Promise<void> => {
    const details = [{ error_code: 'billing_failed', details: { message: error instanceof Error ? error.message : String(error) } }];
    const stampAt = stamp(item.at);
    await inTransaction(db, async (tx) => {
      if (item.kind === 'draft') {
        await invoicesRepo.updateInvoice(tx, organizationId, item.invoiceId!, { status: 'failed', finalizeAt: null, errorDetails: details, updatedAt: instantToDate(stampAt) });
        return;
      }
      const due = await selectRows<Subscription>(
        tx,
        subscriptionsTable,
        sql`subscriptions WHERE organization_id = ${organizationId} AND customer_id = ${item.customerId}
          AND next_due_at = ${instantToDate(item.at).toISOString()}::timestamptz ORDER BY created_at, id FOR UPDATE`,
      );
      if (due.length === 0) return;
      let party: BillingParty | null = null;
      try {
        party = await loadBillingParty(tx, organizationId, item.customerId);
      } catch {
        party = null;
      }
      const claims: { subscription: Subscription; currency: string }[] = [];
      for (const subscription of due) {
        let next: Temporal.Instant | null;
        try {
          const details = await planOf(tx, subscription);
          next = nextDueAt(subscription, details.plan, party?.timeZone ?? 'UTC', item.at);
          const day = localDateAt(item.at, party?.timeZone ?? 'UTC');
          const billingDay = compare(item.at, startOfLocalDay(day, party?.timeZone ?? 'UTC')) === 0;
          if (subscription.status === 'active' && subscription.startBilled && billingDay) claims.push({ subscription, currency: details.plan.amountCurrency });
        } catch {
          // Nothing can be computed for it: look again in a day.
          next = item.at.add({ hours: 24 });
        }
        await setNextDue(tx, subscription, next);
      }
      if (claims.length === 0 || !party) return;
      const day = localDateAt(item.at, party.timeZone);
      const stampDate = instantToDate(stampAt);
      const invoice = await invoicesRepo.insertInvoice(tx, {
        ...emptyInvoice(party, claims[0]!.currency, day, stampDate),
        status: 'failed',
        errorDetails: details,
      });
      for (const { subscription } of claims) {
        await invoicesRepo.claimInvoiceSubscription(tx, {
          organizationId,
          id: newId(),
          invoiceId: invoice.id,
          subscriptionId: subscription.id,
          invoicingReason: 'subscription_periodic',
          billingDate: day.toString(),
          timestamp: instantToDate(item.at),
          createdAt: stampDate,
        });
      }
    });
  };

  /**
   * POST /invoices/{id}/retry: computes a failed invoice again from its subscriptions' usage, then finalizes it (or
   * leaves it a draft for the grace period). Answers null when it is not a failed invoice.
   */
  const retry = async (tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow | null> => {
    if (invoice.status !== 'failed') return null;
    const computed = await refreshDraft(tx, invoice, now);
    const party = await loadBillingParty(tx, invoice.organizationId, invoice.customerId);
    const cleared = await invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, { errorDetails: [], status: 'generating' });
    if (party.gracePeriodDays > 0) {
      return invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, {
        status: 'draft',
        finalizeAt: instantToDate(graceEnd(party, Temporal.PlainDate.from(invoice.issuingDate))),
      });
    }
    return finalizeInvoice(tx, party, { ...computed, ...cleared, totalAmountCents: computed.totalAmountCents }, now);
  };

  /** The live billing clock: every organization without a test clock, up to the system's now. */
  const runLive = async (): Promise<void> => {
    const now = systemClock.now();
    const organizations = await queryRows<{ id: string }>(
      db,
      sql`SELECT o.id FROM organizations o WHERE o.test_clock_frozen_at IS NULL AND (
          EXISTS (SELECT 1 FROM subscriptions s WHERE s.organization_id = o.id AND s.next_due_at <= ${instantToDate(now).toISOString()}::timestamptz)
          OR EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = o.id AND i.status = 'draft' AND i.finalize_at <= ${instantToDate(now).toISOString()}::timestamptz))`,
    );
    for (const { id } of organizations) await runDue(id, now, () => systemClock.now(), LIVE_CONCURRENCY);
    await reminders.runLive(now, () => systemClock.now());
    await walletClock.runLive(now, () => systemClock.now());
  };

  /** Runs the live clock now and then every `intervalMs`, until the returned stop is awaited. */
  const startClock = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => repeatEvery(intervalMs, runLive, onError);

  /** Recomputes a draft from its subscriptions' usage now (late events included), its coupons given back first. */
  const refreshDraft = async (tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
    const party = await loadBillingParty(tx, invoice.organizationId, invoice.customerId);
    await revertInvoiceAmounts(tx, invoice, now);
    const rows = await invoicesRepo.invoiceSubscriptionsOf(tx, invoice.organizationId, [invoice.id]);
    const subs =
      rows.length === 0
        ? []
        : await selectRows<Subscription>(
            tx,
            subscriptionsTable,
            sql`subscriptions WHERE organization_id = ${invoice.organizationId} AND id IN (${sql.join(rows.map((r) => sql`${r.subscriptionId}::uuid`), sql`, `)})`,
          );
    const claimed: { item: BillingItem; rowId: string }[] = [];
    for (const row of rows) {
      const subscription = subs.find((s) => s.id === row.subscriptionId)!;
      claimed.push({
        item: { subscription, details: await planOf(tx, subscription), reason: row.invoicingReason as InvoicingReason, at: dateToInstant(row.timestamp) },
        rowId: row.id,
      });
    }
    const planned = await computeFees(tx, party, claimed);
    const totals = await writeInvoiceAmounts(tx, party, invoice, planned, now);
    return invoicesRepo.updateInvoice(tx, invoice.organizationId, invoice.id, totals);
  };

  return { runDue, runLive, startClock, terminate, upgrade, refreshDraft, refreshAndFinalize, retry, nextDueAt, setNextDue, issueInvoice, planOf };
};

const windowColumns = (windows: ItemWindows) => ({
  fromDatetime: windows.fromDatetime ? instantToDate(windows.fromDatetime) : null,
  toDatetime: windows.toDatetime ? instantToDate(windows.toDatetime) : null,
  chargesFromDatetime: windows.chargesFromDatetime ? instantToDate(windows.chargesFromDatetime) : null,
  chargesToDatetime: windows.chargesToDatetime ? instantToDate(windows.chargesToDatetime) : null,
});

const plannedFee = (draft: FeeDraft, item: BillingItem): PlannedFee => ({
  draft,
  planId: item.details.plan.id,
  parentPlanId: item.details.plan.parentId,
  planTaxes: item.details.taxes,
});

const plansById = (tx: Db, organizationId: string, ids: readonly string[]) =>
  selectRows<Plan>(tx, plans, sql`plans WHERE organization_id = ${organizationId} AND id IN (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`);

export type BillingService = ReturnType<typeof createBillingService>;
