import { Temporal } from 'temporal-polyfill';
import { currentUsageWindow, localDateAt } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { retryingConflicts } from '../../db/errors.ts';
import { inTransaction, transact } from '../../db/transaction.ts';
import { systemClock } from '../../lib/clock.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import type { BillingService } from '../billing/service.ts';
import { draftFees, timingOf, type FeeDraft } from '../billing/fee-drafts.ts';
import { emptyInvoice, finalizeInvoice, writeInvoiceAmounts } from '../billing/invoice-writer.ts';
import { loadBillingParty } from '../billing/party.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { MeteringService } from '../metering/service.ts';
import { findOrganization } from '../organizations/repository.ts';
import type { PlanDetails } from '../plans/types.ts';
import { customersOf, findById, findByExternalId } from '../subscriptions/repository.ts';
import { SUBSCRIPTION_STATUSES, type Subscription, type SubscriptionStatus } from '../subscriptions/types.ts';
import { applicableThresholds } from './applicable.ts';
import * as repo from './repository.ts';
import type { LifetimeUsageRow } from './repository.ts';
import { lifetimeTotal, passedThresholds, thresholdsCompletion, type Threshold, type ThresholdCompletion } from './thresholds.ts';
import { invalidateWatch } from './watch-cache.ts';
import { repeatEvery } from '../../lib/repeat.ts';

/** What GET /subscriptions/{id}/lifetime_usage shows. */
export interface LifetimeUsageView {
  row: LifetimeUsageRow;
  subscription: Subscription;
  /** Null when no threshold applies to the subscription (Lago then leaves `usage_thresholds` out). */
  thresholds: ThresholdCompletion[] | null;
  now: Temporal.Instant;
}

/** A subscription's usage measured at an instant, with what its lifetime usage row now holds. */
interface Measure {
  row: LifetimeUsageRow;
  details: PlanDetails;
  thresholds: Threshold[];
  /** The current period's in-arrears charge fees. */
  fees: FeeDraft[];
}

type LockMode = 'wait' | 'skip';

/** A fee a progressive invoice bills: Lago keeps only those with units, an amount or events. */
const billable = (fee: FeeDraft) => !fee.units.isZero() || fee.amountCents !== 0n || fee.eventsCount !== 0;

export const createProgressiveBillingService = ({ db, metering, billing }: { db: Db; metering: MeteringService; billing: Pick<BillingService, 'planOf'> }) => {
  /**
   * The subscription's lifetime usage row, locked: its own, else the one of the subscriptions it replaced by plan
   * changes (handed over, as Lago hands it to the new subscription), else a new one. With `skip`, null when another
   * check holds it (that check does the work).
   */
  const lockedLifetimeUsage = async (tx: Db, subscription: Subscription, now: Date, mode: LockMode): Promise<LifetimeUsageRow | null> => {
    const lock = mode === 'skip' ? 'FOR UPDATE SKIP LOCKED' : 'FOR UPDATE';
    const own = await repo.findLifetimeUsage(tx, subscription.organizationId, subscription.id, lock);
    if (own) return own;
    if (mode === 'skip' && (await repo.findLifetimeUsage(tx, subscription.organizationId, subscription.id))) return null;
    if (!(await repo.takeOverChainLifetimeUsage(tx, subscription, now))) await repo.insertLifetimeUsage(tx, subscription, now);
    return repo.findLifetimeUsage(tx, subscription.organizationId, subscription.id, lock);
  };

  const timeZoneOf = async (tx: Db, subscription: Subscription): Promise<string> => {
    const [customer] = await customersOf(tx, subscription.organizationId, [subscription.customerId]);
    if (customer?.timezone) return customer.timezone;
    return (await findOrganization(tx, subscription.organizationId))?.timezone ?? 'UTC';
  };

  /**
   * Measures the lifetime usage at `at` and stores it: the invoiced usage (subscription invoices of the chain) and the
   * current period's in-arrears charges (an active subscription only; Lago leaves a stopped one as it was).
   */
  const measure = async (tx: Db, subscription: Subscription, row: LifetimeUsageRow, at: Temporal.Instant, stamp: Date): Promise<Measure> => {
    const details = await billing.planOf(tx, subscription);
    const own = (await repo.thresholdsOfSubscriptions(tx, subscription.organizationId, [subscription.id])).get(subscription.id) ?? [];
    const thresholds = applicableThresholds(subscription, details, own);
    if (subscription.status !== 'active' || !subscription.startedAt) return { row, details, thresholds, fees: [] };
    const timeZone = await timeZoneOf(tx, subscription);
    const { fees } = await draftFees(tx, metering, subscription.organizationId, timeZone, { subscription, details, reason: 'progressive_billing', at });
    const charges = fees.filter((f) => f.feeType === 'charge');
    const updated = await repo.updateLifetimeUsage(tx, row, {
      invoicedUsageAmountCents: await repo.invoicedUsageCents(tx, subscription),
      currentUsageAmountCents: charges.reduce((sum, f) => sum + f.amountCents, 0n),
      invoicedUsageAmountRefreshedAt: stamp,
      currentUsageAmountRefreshedAt: stamp,
      updatedAt: stamp,
    });
    return { row: updated, details, thresholds, fees: charges };
  };

  /**
   * Lago's `Invoices::ProgressiveBillingService`: an invoice of the current period's usage so far, fee by fee, that
   * credits what the period's previous progressive invoice billed, takes coupons and taxes, and is finalized at once;
   * it records the thresholds it was issued for, and `subscription.usage_threshold_reached` goes out for each.
   */
  const issueProgressiveInvoice = async (tx: Db, subscription: Subscription, m: Measure, passed: Threshold[], at: Temporal.Instant, stampAt: Temporal.Instant): Promise<InvoiceRow> => {
    const organizationId = subscription.organizationId;
    const stamp = instantToDate(stampAt);
    const party = await loadBillingParty(tx, organizationId, subscription.customerId);
    const issuingDate = localDateAt(at, party.timeZone);
    const invoice = await invoicesRepo.insertInvoice(tx, emptyInvoice(party, m.details.plan.amountCurrency, issuingDate, stamp, 'progressive_billing'));
    const window = currentUsageWindow(timingOf(subscription, m.details.plan, party.timeZone), at);
    await invoicesRepo.claimInvoiceSubscription(tx, {
      organizationId,
      id: newId(),
      invoiceId: invoice.id,
      subscriptionId: subscription.id,
      invoicingReason: 'progressive_billing',
      billingDate: issuingDate.toString(),
      timestamp: instantToDate(at),
      fromDatetime: instantToDate(window.fromDatetime),
      toDatetime: instantToDate(window.toDatetime),
      chargesFromDatetime: instantToDate(window.chargesFromDatetime),
      chargesToDatetime: instantToDate(window.chargesToDatetime),
      createdAt: stamp,
    });
    const planned = m.fees.filter(billable).map((draft) => ({ draft, planId: m.details.plan.id, parentPlanId: m.details.plan.parentId, planTaxes: m.details.taxes }));
    const totals = await writeInvoiceAmounts(tx, party, invoice, planned, stampAt, { coupons: true });
    const lifetime = lifetimeTotal({
      historicalCents: m.row.historicalUsageAmountCents,
      invoicedCents: m.row.invoicedUsageAmountCents,
      currentCents: m.row.currentUsageAmountCents,
    });
    await repo.insertAppliedThresholds(
      tx,
      passed.map((t) => ({
        organizationId,
        id: newId(),
        invoiceId: invoice.id,
        usageThresholdId: t.id,
        thresholdDisplayName: t.thresholdDisplayName,
        amountCents: t.amountCents,
        recurring: t.recurring,
        thresholdCreatedAt: t.createdAt,
        thresholdUpdatedAt: t.updatedAt,
        lifetimeUsageAmountCents: lifetime,
        createdAt: stamp,
      })),
    );
    const finalized = await finalizeInvoice(tx, party, invoice, stampAt, totals);
    for (const threshold of passed) {
      await recordDomainEvent(tx, {
        organizationId,
        type: 'subscription.usage_threshold_reached',
        objectType: 'subscription',
        objectId: subscription.id,
        at: stampAt,
        view: { usageThreshold: threshold },
      });
    }
    // The subscription's period invoice now owes a credit.
    invalidateWatch(organizationId);
    return finalized;
  };

  /**
   * Lago's `LifetimeUsages::CheckThresholdsService` for one subscription at `at`, in one transaction holding its lifetime
   * usage row: the usage measured again, then the thresholds passed (given what the period's progressive invoices
   * already billed) billed on one progressive invoice. Two checks of one subscription run one after the other (the
   * lock), and the second sees the first's invoice, so a crossing is billed once however many requests saw it. With
   * `skip`, a subscription another check is working on is left to it. Answers the invoice issued, if any.
   */
  const checkSubscription = async (
    organizationId: string,
    subscriptionId: string,
    at: Temporal.Instant,
    stampAt: Temporal.Instant,
    mode: LockMode = 'wait',
  ): Promise<InvoiceRow | null> =>
    retryingConflicts(() =>
      inTransaction(db, async (tx) => {
        const subscription = await findById(tx, organizationId, subscriptionId);
        if (!subscription || subscription.status !== 'active') return null;
        const stamp = instantToDate(stampAt);
        const row = await lockedLifetimeUsage(tx, subscription, stamp, mode);
        if (!row) return null;
        const m = await measure(tx, subscription, row, at, stamp);
        if (m.thresholds.length === 0) return null;
        const previous = await repo.latestProgressiveInvoice(tx, organizationId, subscription.id, instantToDate(at));
        const passed = passedThresholds(
          m.thresholds,
          { historicalCents: m.row.historicalUsageAmountCents, invoicedCents: m.row.invoicedUsageAmountCents, currentCents: m.row.currentUsageAmountCents },
          previous?.feesAmountCents ?? 0n,
        );
        if (passed.length === 0) return null;
        return issueProgressiveInvoice(tx, subscription, m, passed, at, stampAt);
      }),
    );

  /**
   * Checks every subscription of an organization that thresholds apply to, at `at` (read from the database, not from
   * the ingestion cache). This is what recovers a crossing the ingestion check missed: events commit before their
   * check runs, so a process that stops in between (or a check that failed) leaves a crossing unbilled until this
   * runs, like Lago's periodic refresh of lifetime usages. The live clock runs it every interval; a test clock before
   * its billing (at the instant it leaves, so that the crossing is billed in its own period) and after it.
   */
  const checkDue = async (organizationId: string, at: Temporal.Instant, stamp: (at: Temporal.Instant) => Temporal.Instant = (x) => x): Promise<void> => {
    const watched = await repo.watchedSubscriptions(db, organizationId);
    for (const { id } of watched) await checkSubscription(organizationId, id, at, stamp(at), 'skip');
  };

  /** The live clock's turn: every organization without a test clock that has thresholds, at the system's now. */
  const runLive = async (): Promise<void> => {
    for (const organizationId of await repo.liveOrganizationsWithThresholds(db)) {
      await checkDue(organizationId, systemClock.now(), () => systemClock.now());
    }
  };

  /** Runs the live check now and then every `intervalMs`, until the returned stop is awaited. */
  const startClock = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) => repeatEvery(intervalMs, runLive, onError);

  // ---- GET / PUT /subscriptions/{external_id}/lifetime_usage --------------------------------------------------

  const findSubscription = async (tx: Db, ctx: Ctx, externalId: string, status: string | undefined): Promise<Subscription | null> => {
    const wanted = status ?? 'active';
    if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(wanted)) return null;
    return findByExternalId(tx, ctx.organizationId, externalId, wanted as SubscriptionStatus);
  };

  /**
   * The lifetime usage of the subscription an external id names (the active one unless `status` says otherwise),
   * measured now. An active subscription always has one (made when first needed); a stopped one only if it kept it.
   */
  const lifetimeView = async (
    tx: Db,
    ctx: Ctx,
    externalId: string,
    status: string | undefined,
    change?: (row: LifetimeUsageRow) => Promise<LifetimeUsageRow>,
  ): Promise<Result<LifetimeUsageView>> => {
    const subscription = await findSubscription(tx, ctx, externalId, status);
    if (!subscription) return err(notFound('subscription'));
    const now = ctx.clock.now();
    const stamp = instantToDate(now);
    let row =
      subscription.status === 'active'
        ? await lockedLifetimeUsage(tx, subscription, stamp, 'wait')
        : await repo.findLifetimeUsage(tx, ctx.organizationId, subscription.id, 'FOR UPDATE');
    if (!row) return err(notFound('lifetime_usage'));
    if (change) row = await change(row);
    const m = await measure(tx, subscription, row, now, stamp);
    const applied = m.thresholds.length === 0 ? [] : await repo.appliedThresholdsOfChain(tx, subscription);
    const total = lifetimeTotal({
      historicalCents: m.row.historicalUsageAmountCents,
      invoicedCents: m.row.invoicedUsageAmountCents,
      currentCents: m.row.currentUsageAmountCents,
    });
    return ok({
      row: m.row,
      subscription,
      thresholds: m.thresholds.length === 0 ? null : thresholdsCompletion(m.thresholds, total, applied, stamp),
      now,
    });
  };

  const getLifetimeUsage = (ctx: Ctx, externalId: string, status: string | undefined): Promise<Result<LifetimeUsageView>> =>
    transact(db, (tx) => lifetimeView(tx, ctx, externalId, status));

  /** PUT: sets the usage before Billow (`external_historical_usage_amount_cents`), a whole number of cents, 0 or more. */
  const updateLifetimeUsage = (ctx: Ctx, externalId: string, status: string | undefined, amount: unknown): Promise<Result<LifetimeUsageView>> =>
    transact(db, async (tx) => {
      let refusal: Result<never> | null = null;
      const result = await lifetimeView(tx, ctx, externalId, status, async (row) => {
        if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
          refusal = err(invalid('external_historical_usage_amount_cents', 'value_is_invalid'));
          return row;
        }
        if (amount < 0) {
          refusal = err(invalid('external_historical_usage_amount_cents', 'value_is_out_of_range'));
          return row;
        }
        return repo.updateLifetimeUsage(tx, row, { historicalUsageAmountCents: BigInt(amount), updatedAt: instantToDate(ctx.clock.now()) });
      });
      return refusal ?? result;
    });

  // Checks run after their request's events committed; a failure is reported here, not to the request.
  let errorHandler: (error: unknown) => void = (error) => process.stderr.write(`progressive billing check failed: ${String(error)}\n`);
  const onError = (handler: (error: unknown) => void) => {
    errorHandler = handler;
  };
  const reportError = (error: unknown) => errorHandler(error);

  return { checkSubscription, checkDue, runLive, startClock, getLifetimeUsage, updateLifetimeUsage, onError, reportError };
};

export type ProgressiveBillingService = ReturnType<typeof createProgressiveBillingService>;
