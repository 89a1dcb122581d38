import { Temporal } from 'temporal-polyfill';
import { localDateAt, startOfLocalDay } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, invalid, notFound, validation } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { dateToInstant, instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import { assignCustomerCurrency, findCustomerByExternalId, findOrCreateCustomer } from '../customers/service.ts';
import { findOrganization } from '../organizations/repository.ts';
import { checkPlanOverrides, createPlanOverride } from '../plans/overrides.ts';
import type { PlanMetering } from '../plans/metering-settings.ts';
import type { BillingService } from '../billing/service.ts';
import { yearlyAmountFactor, type Interval } from '../../billing/periods/index.ts';
import { findPlanByCode } from '../plans/service.ts';
import type { Plan, UsageThresholdInput } from '../plans/types.ts';
import { replaceSubscriptionUsageThresholds, replaceUsageThresholds } from '../plans/usage-thresholds.ts';
import { writer } from '../plans/writer.ts';
import { invalidateWatch } from '../progressive-billing/watch-cache.ts';
import { applicableThresholds } from '../progressive-billing/applicable.ts';
import type { SubscriptionView } from './serialize.ts';
import * as repo from './repository.ts';
import { loadSubscriptionViews } from './views.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import {
  BILLING_TIMES,
  parseStatusFilter,
  SUBSCRIPTION_STATUSES,
  type Subscription,
  type SubscriptionCreateInput,
  type SubscriptionUpdateInput,
  type SubscriptionStatus,
} from './types.ts';

const externalIdTaken = () => err(invalid('external_id', 'value_already_exist'));

/** Thresholds sent both on the subscription and in its plan overrides are refused, as Lago refuses them. */
const thresholdsIncompatible = (own: unknown[] | null | undefined, overridden: unknown[] | null | undefined) =>
  own && own.length > 0 && overridden && overridden.length > 0
    ? err(validation({ 'plan_overrides.usage_thresholds': ['incompatible_params'], usage_thresholds: ['incompatible_params'] }))
    : null;
const idText = (value: string | number | null | undefined): string => (value === null || value === undefined ? '' : String(value).trim());

/** What subscriptions need of billing: the work a change makes due, terminations and plan changes with their invoices. */
export type SubscriptionBilling = Pick<BillingService, 'runDue' | 'terminate' | 'upgrade' | 'nextDueAt' | 'setNextDue'>;

export const createSubscriptionService = ({ db, metering, billing }: { db: Db; metering: PlanMetering; billing: SubscriptionBilling }) => {
  const views = (tx: Db, ctx: Ctx, rows: Subscription[]): Promise<SubscriptionView[]> =>
    loadSubscriptionViews(tx, ctx.organizationId, rows, ctx.clock.now());
  const view = async (tx: Db, ctx: Ctx, row: Subscription): Promise<SubscriptionView> => (await views(tx, ctx, [row]))[0]!;

  /**
   * POST /subscriptions for a new external id: Lago's checks in Lago's order (the plan first, then dates, then the
   * customer), the customer created when it does not exist yet, its currency taken from the plan, and the status from
   * `subscription_at` seen in the customer's time zone (a future day is pending, today or earlier is active). Sending
   * the same subscription again answers the existing one. With `plan_overrides` the subscription is billed on a
   * private copy of the plan carrying them, made in the same transaction (its currency is the one the customer takes).
   */
  const create = async (ctx: Ctx, input: SubscriptionCreateInput): Promise<Result<SubscriptionView>> => {
    const created = await createOnly(ctx, input);
    // Ingestion watches the subscriptions thresholds apply to: this one is new (once committed).
    if (created.ok && applicableThresholds(created.value.subscription, created.value.plan, created.value.usageThresholds).length > 0) {
      invalidateWatch(ctx.organizationId);
    }
    if (!created.ok || created.value.subscription.nextDueAt === null) return created;
    // What falls due now (the invoice of a start paid in advance) is done before the answer, as the live clock would.
    await billing.runDue(ctx.organizationId, ctx.clock.now());
    const fresh = await repo.findById(db, ctx.organizationId, created.value.subscription.id);
    return fresh ? ok(await view(db, ctx, fresh)) : created;
  };

  const createOnly = async (ctx: Ctx, input: SubscriptionCreateInput): Promise<Result<SubscriptionView>> => {
    // Requests racing to start one external id run one at a time (the lock), so each later one sees the first one's
    // subscription; the unique index refuses any duplicate left, answered as the check would have.
    return refusingDuplicates('external_id', () =>
      transact(db, async (tx) => {
        const made = await createIn(tx, ctx, input);
        // Lago sets the thresholds on the subscription the request answers with (new, upgraded, or already there).
        if (!made.ok || !input.usage_thresholds || input.usage_thresholds.length === 0) return made;
        const set = await setOwnThresholds(tx, ctx, made.value.subscription, input.usage_thresholds);
        return set.ok ? ok(await view(tx, ctx, made.value.subscription)) : set;
      }),
    );
  };

  const createIn = async (tx: Db, ctx: Ctx, input: SubscriptionCreateInput): Promise<Result<SubscriptionView>> => {
    const externalId = idText(input.external_id);
    if (externalId !== '') await repo.lockExternalId(tx, ctx.organizationId, externalId);
    // Held FOR SHARE: a concurrent deletion of the plan either waits and ends this subscription too, or goes first
    // and the plan is not found.
    const plan = input.plan_code ? await findPlanByCode(tx, ctx.organizationId, input.plan_code, 'share') : null;
    if (!plan) return err(notFound('plan'));

    const now = ctx.clock.now();
    const errors = new FieldErrorsBuilder();
    let subscriptionAt = now;
    if (input.subscription_at != null) {
      const parsed = parseIsoDateTime(input.subscription_at);
      if (parsed) subscriptionAt = parsed;
      else errors.add('subscription_at', 'invalid_date');
    }
    let endingAt: Temporal.Instant | null = null;
    if (input.ending_at != null) {
      endingAt = parseIsoDateTime(input.ending_at);
      const endDate = endingAt && localDateAt(endingAt, 'UTC');
      // Lago wants the end on a later (UTC) day than both today and the start.
      if (
        !endDate ||
        Temporal.PlainDate.compare(endDate, localDateAt(now, 'UTC')) <= 0 ||
        Temporal.PlainDate.compare(endDate, localDateAt(subscriptionAt, 'UTC')) <= 0
      ) {
        errors.add('ending_at', 'invalid_date');
      }
    }
    if (!errors.empty) return err(errors.toError());
    const incompatible = thresholdsIncompatible(input.usage_thresholds, input.plan_overrides?.usage_thresholds);
    if (incompatible) return incompatible;
    const overrides = input.plan_overrides ?? null;
    if (overrides) {
      const checked = checkPlanOverrides(plan, overrides);
      if (!checked.ok) return checked;
    }

    const externalCustomerId = idText(input.external_customer_id);
    if (externalCustomerId === '') return err(invalid('external_customer_id', 'value_is_mandatory'));
    const found = await findOrCreateCustomer(tx, ctx, externalCustomerId);
    if (!found.ok) return found;
    const customer = await assignCustomerCurrency(tx, ctx, found.value, overrides?.amount_currency ?? plan.amountCurrency);
    if (!customer.ok) return customer;

    if (externalId === '') return err(invalid('external_id', 'value_is_mandatory'));
    const live = await repo.findLiveByExternalId(tx, ctx.organizationId, externalId);
    const own = live.find((s) => s.customerId === customer.value.id);
    if (own) {
      // On the plan named, the existing subscription is the answer and any overrides are ignored, as in Lago. One
      // on an override copy is on another plan, which Lago would upgrade or downgrade to a new copy.
      if (own.planId === plan.id) return ok(await view(tx, ctx, own));
      return changePlan(tx, ctx, own, plan, input);
    }
    if (live.length > 0) return externalIdTaken();

    let planId = plan.id;
    if (overrides) {
      const child = await createPlanOverride(tx, ctx, metering, plan.id, overrides);
      if (!child.ok) return child;
      planId = child.value.id;
    }

    const billingTime = input.billing_time ?? 'calendar';
    if (billingTime === '') return err(invalid('billing_time', 'value_is_mandatory'));
    if (!(BILLING_TIMES as readonly string[]).includes(billingTime)) return err(invalid('billing_time', 'value_is_invalid'));

    const organization = await findOrganization(tx, ctx.organizationId);
    const timeZone = customer.value.timezone ?? organization?.timezone ?? 'UTC';
    const startsLater = Temporal.PlainDate.compare(localDateAt(subscriptionAt, timeZone), localDateAt(now, timeZone)) > 0;
    let startedAt: Temporal.Instant | null = null;
    if (!startsLater) {
      // A subscription resumed under the id of one that was terminated and billed starts where that one stopped.
      const ended = await repo.findByExternalId(tx, ctx.organizationId, externalId, 'terminated');
      const endedAt = ended?.onTerminationInvoice === 'generate' && ended.terminatedAt ? dateToInstant(ended.terminatedAt) : null;
      startedAt = endedAt && Temporal.Instant.compare(endedAt, subscriptionAt) > 0 ? endedAt : subscriptionAt;
    }
    const stamp = instantToDate(now);
    const subscription = await repo.insertSubscription(tx, {
      organizationId: ctx.organizationId,
      id: newId(),
      externalId,
      customerId: customer.value.id,
      planId,
      name: (input.name ?? '').trim(),
      status: startsLater ? 'pending' : 'active',
      billingTime,
      subscriptionAt: instantToDate(subscriptionAt),
      startedAt: startedAt ? instantToDate(startedAt) : null,
      endingAt: endingAt ? instantToDate(endingAt) : null,
      // A pending subscription is looked at on its start day, a started one at once (its start may be billed).
      nextDueAt: startsLater ? instantToDate(startOfLocalDay(localDateAt(subscriptionAt, timeZone), timeZone)) : stamp,
      onTerminationInvoice: 'generate',
      progressiveBillingDisabled: input.progressive_billing_disabled ?? false,
      createdAt: stamp,
      updatedAt: stamp,
    });
    if (!startsLater) {
      await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'subscription.started', objectType: 'subscription', objectId: subscription.id, at: now });
    }
    return ok(await view(tx, ctx, subscription));
  };

  /** The subscription's own thresholds replace its plan's (Lago's `Subscriptions::UpdateUsageThresholdsService`). */
  const setOwnThresholds = async (tx: Db, ctx: Ctx, subscription: Subscription, list: UsageThresholdInput[]): Promise<Result<void>> => {
    const [plan] = await repo.plansOf(tx, ctx.organizationId, [subscription.planId]);
    return replaceSubscriptionUsageThresholds(writer(tx, ctx), subscription, plan!, list);
  };

  /**
   * POST /subscriptions naming a live subscription's external id with another plan, as Lago: a pending subscription
   * simply takes the new plan; otherwise a plan at least as dear per year is an upgrade, in effect now (one invoice for
   * the old plan's used part and the new plan's start), and a cheaper one a downgrade, scheduled as a pending
   * subscription that starts when the current period ends. Answers the new subscription for an upgrade and the
   * current one (showing `next_plan_code`) for a downgrade.
   */
  const changePlan = async (tx: Db, ctx: Ctx, current: Subscription, plan: Plan, input: SubscriptionCreateInput): Promise<Result<SubscriptionView>> => {
    const now = ctx.clock.now();
    const stamp = instantToDate(now);
    let planId = plan.id;
    if (input.plan_overrides) {
      const child = await createPlanOverride(tx, ctx, metering, plan.id, input.plan_overrides);
      if (!child.ok) return child;
      planId = child.value.id;
    }
    if (current.status === 'pending') {
      const updated = await repo.updateSubscription(tx, ctx.organizationId, current.id, { planId, updatedAt: stamp });
      return ok(await view(tx, ctx, updated));
    }
    const [oldPlan] = await repo.plansOf(tx, ctx.organizationId, [current.planId]);
    const yearly = (p: Plan) => p.amountCents * BigInt(yearlyAmountFactor(p.interval as Interval));
    const isUpgrade = yearly(plan) >= yearly(oldPlan!);
    const successor = await repo.insertSubscription(tx, {
      organizationId: ctx.organizationId,
      id: newId(),
      externalId: current.externalId,
      customerId: current.customerId,
      planId,
      name: input.name != null ? input.name.trim() : current.name,
      // Pending until billing starts it: an upgrade at once, a downgrade on its predecessor's billing day.
      status: 'pending',
      billingTime: current.billingTime,
      subscriptionAt: current.subscriptionAt,
      startedAt: null,
      endingAt: input.ending_at != null ? (parseIsoDateTime(input.ending_at) ? instantToDate(parseIsoDateTime(input.ending_at)!) : current.endingAt) : current.endingAt,
      previousSubscriptionId: current.id,
      startBilled: isUpgrade,
      // A downgrade waits for its predecessor's billing day, which starts it.
      nextDueAt: null,
      onTerminationInvoice: 'generate',
      // As Lago: a downgrade takes the request's progressive_billing_disabled, an upgrade starts with it off.
      progressiveBillingDisabled: isUpgrade ? false : (input.progressive_billing_disabled ?? false),
      createdAt: stamp,
      updatedAt: stamp,
    });
    if (!isUpgrade) {
      // Only the latest downgrade stands.
      await repo.cancelPending(tx, ctx.organizationId, { planIds: [], previousIds: [current.id], exceptIds: [successor.id] }, stamp);
      await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'subscription.updated', objectType: 'subscription', objectId: current.id, at: now });
      return ok(await view(tx, ctx, current));
    }
    await billing.upgrade(tx, current, successor, now, now);
    const fresh = await repo.findById(tx, ctx.organizationId, successor.id);
    return ok(await view(tx, ctx, fresh!));
  };

  /**
   * DELETE /subscriptions/{external_id}: terminates the active subscription now, with its termination invoice unless
   * `on_termination_invoice` is skip; with `status=pending`, cancels the pending one instead.
   */
  const terminate = async (
    ctx: Ctx,
    externalId: string,
    options: { status?: string | undefined; onTerminationCreditNote?: string | undefined; onTerminationInvoice?: string | undefined },
  ): Promise<Result<SubscriptionView>> => {
    const errors = new FieldErrorsBuilder();
    if (options.onTerminationCreditNote !== undefined && !['credit', 'refund', 'offset', 'skip'].includes(options.onTerminationCreditNote)) {
      errors.add('on_termination_credit_note', 'invalid_value');
    }
    if (options.onTerminationInvoice !== undefined && !['generate', 'skip'].includes(options.onTerminationInvoice)) {
      errors.add('on_termination_invoice', 'invalid_value');
    }
    if (!errors.empty) return err(errors.toError());
    return transact(db, async (tx) => {
      const now = ctx.clock.now();
      const stamp = instantToDate(now);
      const pending = options.status === 'pending';
      const subscription = await repo.findByExternalId(tx, ctx.organizationId, externalId, pending ? 'pending' : 'active');
      if (!subscription) return err(notFound('subscription'));
      if (pending) {
        const canceled = await repo.updateSubscription(tx, ctx.organizationId, subscription.id, { status: 'canceled', canceledAt: stamp, nextDueAt: null, updatedAt: stamp });
        // Lago reports a canceled pending subscription as terminated, and the one it was to follow (a downgrade that
        // will not happen) as updated.
        if (canceled.previousSubscriptionId !== null) {
          await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'subscription.updated', objectType: 'subscription', objectId: canceled.previousSubscriptionId, at: now });
        }
        await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'subscription.terminated', objectType: 'subscription', objectId: canceled.id, at: now });
        return ok(await view(tx, ctx, canceled));
      }
      const [plan] = await repo.plansOf(tx, ctx.organizationId, [subscription.planId]);
      const withChoices = await repo.updateSubscription(tx, ctx.organizationId, subscription.id, {
        // The credit note choice only means something for a plan paid in advance (Lago keeps it null otherwise).
        onTerminationCreditNote: plan?.payInAdvance ? (options.onTerminationCreditNote ?? subscription.onTerminationCreditNote ?? 'credit') : null,
        onTerminationInvoice: options.onTerminationInvoice ?? subscription.onTerminationInvoice ?? 'generate',
      });
      const terminated = await billing.terminate(tx, withChoices, now, now);
      return ok(await view(tx, ctx, terminated));
    });
  };

  /**
   * PUT /subscriptions/{external_id}: `name`, `ending_at`, and `subscription_at` while it is pending; the instant it is
   * next due follows the new dates.
   */
  const update = async (
    ctx: Ctx,
    externalId: string,
    status: string | undefined,
    input: SubscriptionUpdateInput,
  ): Promise<Result<SubscriptionView>> => {
    const updated = await updateIn(ctx, externalId, status, input);
    // Ingestion watches the subscriptions thresholds apply to: these changes move it (once committed).
    if (updated.ok && (input.progressive_billing_disabled != null || input.usage_thresholds != null || input.plan_overrides?.usage_thresholds != null)) {
      invalidateWatch(ctx.organizationId);
    }
    return updated;
  };

  const updateIn = async (ctx: Ctx, externalId: string, status: string | undefined, input: SubscriptionUpdateInput): Promise<Result<SubscriptionView>> =>
    transact(db, async (tx) => {
      const now = ctx.clock.now();
      const wanted = status === 'pending' ? 'pending' : 'active';
      const subscription =
        (await repo.findByExternalId(tx, ctx.organizationId, externalId, wanted)) ??
        (status === undefined ? await repo.findByExternalId(tx, ctx.organizationId, externalId, 'pending') : null);
      if (!subscription) return err(notFound('subscription'));
      const errors = new FieldErrorsBuilder();
      const changes: Partial<Subscription> = { updatedAt: instantToDate(now) };
      if (input.name !== undefined) changes.name = (input.name ?? '').trim();
      if (input.ending_at !== undefined) {
        if (input.ending_at === null) changes.endingAt = null;
        else {
          const endingAt = parseIsoDateTime(input.ending_at);
          if (!endingAt || Temporal.PlainDate.compare(localDateAt(endingAt, 'UTC'), localDateAt(now, 'UTC')) <= 0) errors.add('ending_at', 'invalid_date');
          else changes.endingAt = instantToDate(endingAt);
        }
      }
      if (input.subscription_at != null && subscription.status === 'pending') {
        const subscriptionAt = parseIsoDateTime(input.subscription_at);
        if (!subscriptionAt) errors.add('subscription_at', 'invalid_date');
        else changes.subscriptionAt = instantToDate(subscriptionAt);
      }
      if (!errors.empty) return err(errors.toError());
      const incompatible = thresholdsIncompatible(input.usage_thresholds, input.plan_overrides?.usage_thresholds);
      if (incompatible) return incompatible;
      if (input.progressive_billing_disabled != null) changes.progressiveBillingDisabled = input.progressive_billing_disabled;
      let updated = await repo.updateSubscription(tx, ctx.organizationId, subscription.id, changes);
      const thresholds = await updateThresholds(tx, ctx, updated, input);
      if (!thresholds.ok) return thresholds;
      updated = thresholds.value;
      // As Lago: a pending subscription given a new start date (and still pending) reports nothing.
      if (!(updated.status === 'pending' && input.subscription_at != null)) {
        await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'subscription.updated', objectType: 'subscription', objectId: updated.id, at: now });
      }
      if (updated.nextDueAt !== null || updated.status === 'pending') {
        const [plan] = await repo.plansOf(tx, ctx.organizationId, [updated.planId]);
        const customer = (await repo.customersOf(tx, ctx.organizationId, [updated.customerId]))[0]!;
        const organization = await findOrganization(tx, ctx.organizationId);
        const timeZone = customer.timezone ?? organization?.timezone ?? 'UTC';
        const next = updated.previousSubscriptionId !== null && updated.status === 'pending' ? null : billing.nextDueAt(updated, plan!, timeZone, now);
        await billing.setNextDue(tx, updated, next);
        updated = { ...updated, nextDueAt: next ? instantToDate(next) : null };
      }
      return ok(await view(tx, ctx, updated));
    });

  /**
   * The thresholds parts of PUT /subscriptions/{external_id}: `usage_thresholds` replace the subscription's own
   * (`[]` removes them); `plan_overrides.usage_thresholds` replace those of its override plan, made for it when it is
   * on its plan itself (as Lago's override service, which ignores an empty list then). Other plan overrides are not
   * applied on update.
   */
  const updateThresholds = async (tx: Db, ctx: Ctx, subscription: Subscription, input: SubscriptionUpdateInput): Promise<Result<Subscription>> => {
    if (input.usage_thresholds != null) {
      const set = await setOwnThresholds(tx, ctx, subscription, input.usage_thresholds);
      if (!set.ok) return set;
    }
    const overridden = input.plan_overrides?.usage_thresholds;
    if (overridden == null) return ok(subscription);
    const [plan] = await repo.plansOf(tx, ctx.organizationId, [subscription.planId]);
    if (plan!.parentId !== null) {
      const set = await replaceUsageThresholds(writer(tx, ctx), plan!, overridden);
      return set.ok ? ok(subscription) : set;
    }
    const child = await createPlanOverride(tx, ctx, metering, plan!.id, { usage_thresholds: overridden });
    if (!child.ok) return child;
    return ok(await repo.updateSubscription(tx, ctx.organizationId, subscription.id, { planId: child.value.id }));
  };

  /** GET /subscriptions/{external_id}: the active one unless `status` asks for another. */
  const get = async (ctx: Ctx, externalId: string, status: string | undefined): Promise<Result<SubscriptionView>> => {
    const wanted = status ?? 'active';
    if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(wanted)) return err(notFound('subscription'));
    const subscription = await repo.findByExternalId(db, ctx.organizationId, externalId, wanted as SubscriptionStatus);
    return subscription ? ok(await view(db, ctx, subscription)) : err(notFound('subscription'));
  };

  /** With `customerMustExist` (the /customers/{id}/subscriptions route), an unknown customer is a 404, not an empty list. */
  const list = async (
    ctx: Ctx,
    query: { externalCustomerId?: string | undefined; planCode?: string | undefined; externalId?: string | undefined; status?: string | string[] | undefined },
    page: PageRequest,
    customerMustExist = false,
  ): Promise<Result<Page<SubscriptionView>>> => {
    if (customerMustExist && !(await findCustomerByExternalId(db, ctx.organizationId, query.externalCustomerId ?? ''))) {
      return err(notFound('customer'));
    }
    const { rows, total } = await repo.listSubscriptions(
      db,
      ctx.organizationId,
      { externalCustomerId: query.externalCustomerId, planCode: query.planCode, externalId: query.externalId, statuses: parseStatusFilter(query.status) },
      page,
    );
    return ok({ items: await views(db, ctx, rows), meta: paginationMeta(page, total) });
  };

  return { create, get, list, terminate, update };
};

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
