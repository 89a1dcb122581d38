import { and, eq, inArray, sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { localDateAt, periodContaining, startOfLocalDay, yearlyAmountFactor, type Interval } from '../../billing/periods/index.ts';
import { nextBillingDate } from '../../billing/periods/schedule.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import { subscriptions as subscriptionsTable } from '../../db/schema/index.ts';
import type { Ctx } from '../../lib/context.ts';
import { normalizeCountry } from '../../lib/countries.ts';
import { FieldErrorsBuilder, invalid, notFound, validation, type BillowError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { dateToInstant, instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import { insertAppliedCoupon } from '../applied-coupons/repository.ts';
import { checkTerms, type AppliedTerms } from '../applied-coupons/types.ts';
import type { BillingService } from '../billing/service.ts';
import { timingOf, trialEndOf, type BillingItem } from '../billing/fee-drafts.ts';
import { loadBillingParty, type BillingParty } from '../billing/party.ts';
import { findCouponByCode, insertCoupon } from '../coupons/repository.ts';
import { issueTerminationCreditNote } from '../credit-notes/termination.ts';
import { COUPON_TYPES, parseRate, type Coupon } from '../coupons/types.ts';
import { findCustomerByExternalId, insertCustomer, updateCustomer } from '../customers/repository.ts';
import { checkCustomerFields, type Customer } from '../customers/types.ts';
import { billingEntityCode } from '../customers/views.ts';
import { findOrganization } from '../organizations/repository.ts';
import { findPlanByCode } from '../plans/repository.ts';
import type { Plan, PlanDetails } from '../plans/types.ts';
import { insertSubscription, updateSubscription } from '../subscriptions/repository.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { loadInvoiceDetail } from './queries.ts';
import * as invoicesRepo from './repository.ts';
import { availableCreditNotes, withPreviewCredits } from './preview-credits.ts';
import type { PreviewCouponInput, PreviewCustomerInput, PreviewRequest } from './preview-types.ts';
import type { InvoiceDetailView, InvoiceRow } from './types.ts';

/** The part of the billing engine a preview runs. */
export type PreviewBilling = Pick<BillingService, 'issueInvoice' | 'planOf' | 'upgrade'>;

/**
 * A computed preview: the invoice as the billing engine wrote it inside a transaction that was then rolled back, and
 * what of it existed only there. Lago builds a preview from unsaved records, whose ids are nil: every id (and every
 * stand-in value Billow had to store) listed in `transient` is shown as its replacement, null for ids.
 */
export interface InvoicePreview {
  detail: InvoiceDetailView;
  transient: Map<string, string | null>;
  /** The customer was made up for the preview (no `external_id` given): it has no number either. */
  newCustomer: boolean;
}

/** Carries the preview out of the transaction it was computed in, which throwing it rolls back. */
class DryRunRollback<T> extends Error {
  constructor(readonly outcome: Result<T>) {
    super('preview rolled back');
  }
}

/** Runs `work` in a transaction that is always rolled back, whatever it answers: nothing it writes is ever seen. */
const dryRun = async <T>(db: Db, work: (tx: Db) => Promise<Result<T>>): Promise<Result<T>> => {
  try {
    await inTransaction(
      db,
      async (tx) => {
        throw new DryRunRollback(await work(tx));
      },
      { discard: true },
    );
  } catch (error) {
    if (error instanceof DryRunRollback) return error.outcome as Result<T>;
    throw error;
  }
  throw new Error('a dry run ended without rolling back');
};

const base = (code: string): BillowError => validation({ base: [code] });
const compare = Temporal.Instant.compare;

/** Lago's integration types; Billow has no integrations, so any one named is not found. */
const INTEGRATION_TYPES = ['anrok', 'avalara', 'xero', 'hubspot', 'salesforce'];

/** One subscription's part of the previewed invoice, and whether it exists only in the preview. */
interface PreviewItem {
  item: BillingItem;
  /** Made or started for the preview (Lago builds it unsaved): its id is not shown. */
  virtual: boolean;
}

/**
 * POST /invoices/preview (Lago's `Invoices::PreviewContextService` then `Invoices::PreviewService`): the invoice Billow
 * would issue, computed by the billing engine itself inside a transaction that is always rolled back. The customer
 * (an existing one, with the request's fields laid over it, or one made of them), the subscription, the plan change,
 * the termination and the coupons the request describes are written there as the engine needs them; nothing outlives
 * the request. Billow has no premium tier: the preview is open to every organization.
 */
export const createInvoicePreviewService = ({ db, billing }: { db: Db; billing: PreviewBilling }) => {
  const preview = async (ctx: Ctx, request: PreviewRequest): Promise<Result<InvoicePreview>> => {
    const organization = await findOrganization(db, ctx.organizationId);
    if (!organization) throw new Error(`organization ${ctx.organizationId} not found`);
    // Billow has one billing entity per organization.
    if (request.billingEntityCode !== null && request.billingEntityCode !== billingEntityCode(organization)) return err(notFound('billing_entity'));
    const checked = checkCustomer(request.customer);
    if (!checked.ok) return checked;

    return dryRun(db, async (tx) => {
      const now = ctx.clock.now();
      const stamp = instantToDate(now);
      const transient = new Map<string, string | null>();

      const found = await previewCustomer(tx, ctx.organizationId, request.customer, stamp, transient);
      if (!found.ok) return found;
      const { customer, isNew } = found.value;
      const party = await holdCredits(tx, await loadBillingParty(tx, ctx.organizationId, customer.id));
      // The credit notes that exist before the engine runs; any other it issues (an upgrade leaving a plan paid in
      // advance) is the preview's own termination credit.
      const heldNotes = new Set((await availableCreditNotes(tx, ctx.organizationId, customer.id, null)).map((n) => n.id));
      // Before anything is billed: an upgrade issues its invoice as it is planned.
      const couponsMade = await previewCoupons(tx, customer, request.coupons, stamp, transient);
      if (!couponsMade.ok) return couponsMade;

      const context = request.context;
      let planned: Result<{ items: PreviewItem[]; at: Temporal.Instant } | { upgraded: InvoiceRow; virtual: string[] }>;
      if (context.kind === 'proposal') {
        planned = await proposal(tx, party, context, now, transient);
      } else {
        if (isNew) return err(invalid('customer', 'must_be_persisted'));
        planned = await existing(tx, party, context, now);
      }
      if (!planned.ok) return planned;

      let invoice: InvoiceRow | null;
      if ('upgraded' in planned.value) {
        invoice = planned.value.upgraded;
        for (const id of planned.value.virtual) transient.set(id, null);
      } else {
        const { items, at } = planned.value;
        for (const { item, virtual } of items) if (virtual) transient.set(item.subscription.id, null);
        invoice = await billing.issueInvoice(tx, party, items.map((i) => i.item), at, now);
      }
      if (!invoice) throw new Error('the previewed invoice could not be issued');
      await releaseCredits(tx, customer);
      const notes = await availableCreditNotes(tx, ctx.organizationId, customer.id, invoice.currency);
      // Lago credits a terminated subscription's unused days before the customer's own credit notes.
      const terminationNotes = notes.filter((n) => !heldNotes.has(n.id));
      for (const note of terminationNotes) transient.set(note.id, null).set(note.number, null);
      const credited = await withPreviewCredits(tx, await loadInvoiceDetail(tx, invoice, now), [...terminationNotes, ...notes.filter((n) => heldNotes.has(n.id))], {
        wallets: !isNew,
      });
      const detail = credited.detail;
      for (const id of credited.madeUp) transient.set(id, null);
      // The invoice and what the engine wrote with it exist only here.
      transient.set(detail.invoice.id, null);
      for (const { fee } of detail.fees) transient.set(fee.id, null);
      for (const { credit } of detail.credits) transient.set(credit.id, null);
      for (const tax of detail.appliedTaxes) transient.set(tax.id, null);
      return ok({ detail, transient, newCustomer: isNew });
    });
  };

  /**
   * A subscription that does not exist yet (Lago's `BuildSubscriptionService`): active from `subscription_at` (now by
   * default), billed as its first invoice: at its start when the plan is paid in advance, else when its first period
   * of the plan's interval ends. Like Lago, only its subscription fee and its plan's minimum commitment are priced:
   * a subscription that does not exist has no usage.
   */
  const proposal = async (
    tx: Db,
    party: BillingParty,
    context: Extract<PreviewRequest['context'], { kind: 'proposal' }>,
    now: Temporal.Instant,
    transient: Map<string, string | null>,
  ): Promise<Result<{ items: PreviewItem[]; at: Temporal.Instant }>> => {
    const plan = context.planCode === null ? null : await findPlanByCode(tx, party.organization.id, context.planCode);
    if (!plan) return err(notFound('plan'));
    const subscriptionAt = context.subscriptionAt ?? now;
    const externalId = `preview:${newId()}`;
    transient.set(externalId, null);
    const subscription = await insertSubscription(tx, {
      organizationId: party.organization.id,
      id: newId(),
      externalId,
      customerId: party.customer.id,
      planId: plan.id,
      name: null,
      status: 'active',
      billingTime: context.billingTime,
      subscriptionAt: instantToDate(subscriptionAt),
      startedAt: instantToDate(subscriptionAt),
      startBilled: true,
      nextDueAt: null,
      onTerminationInvoice: 'generate',
      progressiveBillingDisabled: false,
      // Lago dates the built subscription at its start, so it is never taken for one created after it began.
      createdAt: instantToDate(subscriptionAt),
      updatedAt: instantToDate(now),
    });
    const details = withoutUsage(await billing.planOf(tx, subscription));
    if (plan.payInAdvance) {
      return ok({ items: [{ item: { subscription, details, reason: 'subscription_starting', at: subscriptionAt }, virtual: true }], at: subscriptionAt });
    }
    const at = periodContaining(timingOf(subscription, plan, party.timeZone), subscriptionAt).toExclusive;
    return ok({ items: [{ item: { subscription, details, reason: 'subscription_periodic', at }, virtual: true }], at });
  };

  /**
   * Existing subscriptions (Lago's `Invoices::Preview::SubscriptionsService`): the customer's subscriptions with these
   * external ids that are active, or the one pending subscription they name when it starts later. One subscription
   * ending before its next billing day is previewed as terminated then.
   */
  const existing = async (
    tx: Db,
    party: BillingParty,
    context: Exclude<PreviewRequest['context'], { kind: 'proposal' }>,
    now: Temporal.Instant,
  ): Promise<Result<{ items: PreviewItem[]; at: Temporal.Instant } | { upgraded: InvoiceRow; virtual: string[] }>> => {
    const organizationId = party.organization.id;
    const named = await tx
      .select()
      .from(subscriptionsTable)
      .where(
        and(
          eq(subscriptionsTable.organizationId, organizationId),
          eq(subscriptionsTable.customerId, party.customer.id),
          inArray(subscriptionsTable.externalId, context.externalIds),
        ),
      )
      .orderBy(subscriptionsTable.createdAt, subscriptionsTable.id);
    const startsLater =
      context.externalIds.length === 1 &&
      named.length === 1 &&
      named[0]!.status === 'pending' &&
      named[0]!.previousSubscriptionId === null &&
      compare(dateToInstant(named[0]!.subscriptionAt), now) > 0;
    const subscriptions = startsLater ? named : named.filter((s) => s.status === 'active');

    let kind = context.kind;
    let terminatedAt = context.kind === 'termination' ? context.terminatedAt : null;
    const single = subscriptions.length === 1 ? subscriptions[0]! : null;
    if (kind !== 'termination' && single?.status === 'active' && single.endingAt) {
      // Lago previews a subscription that ends before its next billing day as its termination.
      const plan = (await billing.planOf(tx, single)).plan;
      const dayAfterBilling = startOfLocalDay(nextBillingDay(single, plan, party.timeZone, now).add({ days: 1 }), party.timeZone);
      if (compare(dateToInstant(single.endingAt), dayAfterBilling) < 0) {
        kind = 'termination';
        terminatedAt = single.endingAt.toISOString();
      }
    }
    if ((kind === 'termination' || kind === 'plan_change') && subscriptions.length > 1) {
      return err(invalid('subscriptions', `only_one_subscription_allowed_for_${kind}`));
    }
    if (kind === 'termination') return terminate(tx, party, single, terminatedAt!, now);
    if (kind === 'plan_change' && context.kind === 'plan_change') return changePlan(tx, party, single, context.planCode, now);
    return project(tx, party, subscriptions, now);
  };

  /** The next invoice of existing subscriptions, all billed on the same day (Lago refuses subscriptions whose periods end apart). */
  const project = async (
    tx: Db,
    party: BillingParty,
    subscriptions: readonly Subscription[],
    now: Temporal.Instant,
  ): Promise<Result<{ items: PreviewItem[]; at: Temporal.Instant }>> => {
    if (subscriptions.length === 0) return err(notFound('subscription'));
    const timeZone = party.timeZone;
    const planned: { subscription: Subscription; details: PlanDetails }[] = [];
    for (const subscription of subscriptions) planned.push({ subscription, details: await billing.planOf(tx, subscription) });
    if (new Set(planned.map((p) => p.details.plan.amountCurrency)).size > 1) return err(base('subscription_currencies_does_not_match'));

    const items: PreviewItem[] = [];
    const dates = new Set<string>();
    let at: Temporal.Instant | null = null;
    for (const { subscription, details } of planned) {
      const plan = details.plan;
      if (subscription.status === 'pending') {
        // A subscription that starts later: its first invoice, as the billing clock will issue it once it starts.
        const start = startOfLocalDay(localDateAt(dateToInstant(subscription.subscriptionAt), timeZone), timeZone);
        const started = await updateSubscription(tx, party.organization.id, subscription.id, {
          status: 'active',
          startedAt: instantToDate(start),
          startBilled: true,
        });
        const usageFree = withoutUsage(details);
        const trialEnd = trialEndOf(started, plan);
        if (plan.payInAdvance) {
          // Paid in advance, it is billed when it starts, or when its trial ends.
          at = trialEnd && compare(trialEnd, start) > 0 ? trialEnd : start;
          items.push({ item: { subscription: started, details: usageFree, reason: 'subscription_starting', at }, virtual: true });
        } else {
          at = startOfLocalDay(nextBillingDate(timingOf(started, plan, timeZone), localDateAt(start, timeZone)), timeZone);
          items.push({ item: { subscription: started, details: usageFree, reason: 'subscription_periodic', at }, virtual: true });
        }
        dates.add(localDateAt(at, timeZone).toString());
        continue;
      }
      const billingAt = startOfLocalDay(nextBillingDay(subscription, plan, timeZone, now), timeZone);
      dates.add(localDateAt(billingAt, timeZone).toString());
      at = billingAt;
      const successor = await pendingSuccessor(tx, subscription);
      if (successor) items.push(...(await downgrade(tx, subscription, details, successor, billingAt)));
      else items.push({ item: { subscription, details, reason: 'subscription_periodic', at: billingAt }, virtual: false });
    }
    if (dates.size > 1) return err(base('billing_periods_does_not_match'));
    return ok({ items, at: at! });
  };

  /** One subscription terminated at `terminatedAt` (Lago's `SubscriptionTerminationService`): its termination invoice. */
  const terminate = async (
    tx: Db,
    party: BillingParty,
    subscription: Subscription | null,
    terminatedAt: string,
    now: Temporal.Instant,
  ): Promise<Result<{ items: PreviewItem[]; at: Temporal.Instant }>> => {
    if (!subscription || subscription.status !== 'active') return err(notFound('subscription'));
    const at = parseIsoDateTime(terminatedAt);
    if (!at) return err(invalid('terminated_at', 'invalid_timestamp'));
    if (compare(at, now) < 0) return err(invalid('terminated_at', 'cannot_be_in_past'));
    const details = await billing.planOf(tx, subscription);
    const ended = await updateSubscription(tx, party.organization.id, subscription.id, {
      status: 'terminated',
      terminatedAt: instantToDate(at),
      nextDueAt: null,
    });
    // Lago's preview credits the unused days of a plan paid in advance whatever `on_termination_credit_note` says
    // (`Invoices::Preview::CreditsService`); the note exists only in this transaction.
    await issueTerminationCreditNote(tx, { subscription: { ...ended, onTerminationCreditNote: 'credit' }, plan: details.plan, at, stampAt: now, upgrade: false });
    return ok({ items: [{ item: { subscription: ended, details, reason: 'subscription_terminating', at }, virtual: false }], at });
  };

  /**
   * One subscription moving to another plan (Lago's `SubscriptionPlanChangeService`): a plan at least as dear per year
   * is an upgrade, now, on the invoice the billing engine issues for upgrades; a cheaper one takes over on the next
   * billing day, on the invoice that day would carry.
   */
  const changePlan = async (
    tx: Db,
    party: BillingParty,
    current: Subscription | null,
    planCode: string,
    now: Temporal.Instant,
  ): Promise<Result<{ items: PreviewItem[]; at: Temporal.Instant } | { upgraded: InvoiceRow; virtual: string[] }>> => {
    if (!current || current.status !== 'active') return err(notFound('subscription'));
    const target = await findPlanByCode(tx, party.organization.id, planCode);
    if (!target) return err(notFound('plan'));
    if (target.id === current.planId) return err(base('new_plan_should_be_different_from_existing_plan'));
    const currentDetails = await billing.planOf(tx, current);
    const yearly = (p: Plan) => p.amountCents * BigInt(yearlyAmountFactor(p.interval as Interval));
    const isUpgrade = yearly(target) >= yearly(currentDetails.plan);
    const stamp = instantToDate(now);
    const successor = await insertSubscription(tx, {
      organizationId: party.organization.id,
      id: newId(),
      externalId: current.externalId,
      customerId: current.customerId,
      planId: target.id,
      name: target.name,
      status: 'pending',
      billingTime: current.billingTime,
      subscriptionAt: current.subscriptionAt,
      startedAt: null,
      endingAt: current.endingAt,
      previousSubscriptionId: current.id,
      startBilled: isUpgrade,
      nextDueAt: null,
      onTerminationInvoice: 'generate',
      progressiveBillingDisabled: current.progressiveBillingDisabled,
      createdAt: stamp,
      updatedAt: stamp,
    });
    if (isUpgrade) {
      await billing.upgrade(tx, current, successor, now, now);
      const [row] = await queryRows<{ invoice_id: string }>(
        tx,
        sql`SELECT invoice_id FROM invoice_subscriptions WHERE organization_id = ${party.organization.id}
          AND subscription_id = ${current.id} AND invoicing_reason = 'subscription_terminating'`,
      );
      const invoice = row ? await invoicesRepo.findInvoice(tx, party.organization.id, row.invoice_id) : null;
      if (!invoice) throw new Error('the upgrade issued no invoice');
      return ok({ upgraded: invoice, virtual: [successor.id] });
    }
    const at = startOfLocalDay(nextBillingDay(current, currentDetails.plan, party.timeZone, now), party.timeZone);
    return ok({ items: await downgrade(tx, current, currentDetails, successor, at), at });
  };

  /**
   * A downgrade taking effect on a billing day, as the billing clock does it: the old plan's last period ends, and the
   * new plan's first one is billed with it when the new plan is paid in advance (and not in a trial).
   */
  const downgrade = async (
    tx: Db,
    current: Subscription,
    details: PlanDetails,
    successor: Subscription,
    at: Temporal.Instant,
  ): Promise<PreviewItem[]> => {
    const organizationId = current.organizationId;
    const ended = await updateSubscription(tx, organizationId, current.id, { status: 'terminated', terminatedAt: instantToDate(at), nextDueAt: null });
    const started = await updateSubscription(tx, organizationId, successor.id, { status: 'active', startedAt: instantToDate(at), startBilled: true });
    const nextDetails = await billing.planOf(tx, started);
    const items: PreviewItem[] = [{ item: { subscription: ended, details, reason: 'subscription_terminating', at }, virtual: false }];
    const trialEnd = trialEndOf(started, nextDetails.plan);
    if (nextDetails.plan.payInAdvance && !(trialEnd && compare(trialEnd, at) > 0)) {
      items.push({ item: { subscription: started, details: nextDetails, reason: 'subscription_starting', at }, virtual: true });
    }
    return items;
  };

  const pendingSuccessor = async (tx: Db, subscription: Subscription): Promise<Subscription | null> => {
    const [next] = await tx
      .select()
      .from(subscriptionsTable)
      .where(
        and(
          eq(subscriptionsTable.organizationId, subscription.organizationId),
          eq(subscriptionsTable.previousSubscriptionId, subscription.id),
          eq(subscriptionsTable.status, 'pending'),
        ),
      )
      .orderBy(sql`${subscriptionsTable.createdAt} DESC`)
      .limit(1);
    return next ?? null;
  };

  return { preview };
};

export type InvoicePreviewService = ReturnType<typeof createInvoicePreviewService>;

/** The first local day after today on which the billing clock bills this subscription. */
const nextBillingDay = (subscription: Subscription, plan: Plan, timeZone: string, now: Temporal.Instant): Temporal.PlainDate =>
  nextBillingDate(timingOf(subscription, plan, timeZone), localDateAt(now, timeZone));

/**
 * Keeps the billing engine from spending the customer's credit notes and wallets on the previewed invoice: it leaves
 * the invoice a draft (a grace period, for the preview only), which credits nothing and locks nothing; the preview
 * then computes the credits itself, read-only. Without a grace period, aligning the issuing date with finalization
 * keeps the anchor date, so keeping the anchor with a grace period dates the invoice the same.
 */
const holdCredits = async (tx: Db, party: BillingParty): Promise<BillingParty> => {
  if (party.gracePeriodDays > 0) return party;
  await updateCustomer(tx, party.organization.id, party.customer.id, {
    invoiceGracePeriod: 1,
    subscriptionInvoiceIssuingDateAdjustment: 'keep_anchor',
  });
  return { ...party, gracePeriodDays: 1, issuingDateAdjustment: 'keep_anchor' };
};

/** The customer's own settings again, as the preview shows them. */
const releaseCredits = async (tx: Db, customer: Customer): Promise<void> => {
  await updateCustomer(tx, customer.organizationId, customer.id, {
    invoiceGracePeriod: customer.invoiceGracePeriod,
    subscriptionInvoiceIssuingDateAdjustment: customer.subscriptionInvoiceIssuingDateAdjustment,
  });
};

/** A plan with no usage charges: what Lago prices for a subscription that exists only in the preview. */
const withoutUsage = (details: PlanDetails): PlanDetails => ({ ...details, charges: [] });

/** The customer fields Lago would refuse to store; integrations name something Billow does not have. */
const checkCustomer = (input: PreviewCustomerInput): Result<null> => {
  for (const integration of input.integration_customers ?? []) {
    const type = (integration as Record<string, unknown>)['integration_type'];
    if (typeof type === 'string' && INTEGRATION_TYPES.includes(type)) return err(notFound(`${type}_integration`));
    return err(invalid('integration_type', 'value_is_invalid'));
  }
  const errors = checkCustomerFields({
    external_id: 'preview',
    name: input.name,
    currency: input.currency,
    timezone: input.timezone,
    country: input.country,
    shipping_address: input.shipping_address,
  });
  return errors.empty ? ok(null) : err(errors.toError());
};

const blankToNull = (value: string | null | undefined): string | null => (value == null || value.trim() === '' ? null : value);
const country = (value: string | null | undefined): string | null => {
  const given = blankToNull(value);
  return given === null ? null : normalizeCountry(given);
};

/**
 * The preview's customer (Lago's `find_or_build_customer`): the existing one named by `external_id` with the given
 * fields laid over its own (the shipping address is replaced whole, as Lago assigns it), or one made of the fields.
 * A made-up customer needs an external id and a number to be stored; they are stand-ins, never shown.
 */
const previewCustomer = async (
  tx: Db,
  organizationId: string,
  input: PreviewCustomerInput,
  stamp: Date,
  transient: Map<string, string | null>,
): Promise<Result<{ customer: Customer; isNew: boolean }>> => {
  const shipping = input.shipping_address ?? {};
  const fields: Partial<Customer> & Pick<Customer, 'shippingAddress'> = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.tax_identification_number !== undefined && { taxIdentificationNumber: input.tax_identification_number }),
    ...(input.currency !== undefined && { currency: input.currency }),
    ...(input.timezone !== undefined && { timezone: input.timezone }),
    ...(input.address_line1 !== undefined && { addressLine1: blankToNull(input.address_line1) }),
    ...(input.address_line2 !== undefined && { addressLine2: blankToNull(input.address_line2) }),
    ...(input.city !== undefined && { city: blankToNull(input.city) }),
    ...(input.zipcode !== undefined && { zipcode: blankToNull(input.zipcode) }),
    ...(input.state !== undefined && { state: blankToNull(input.state) }),
    ...(input.country !== undefined && { country: country(input.country) }),
    shippingAddress: {
      address_line1: blankToNull(shipping.address_line1),
      address_line2: blankToNull(shipping.address_line2),
      city: blankToNull(shipping.city),
      zipcode: blankToNull(shipping.zipcode),
      state: blankToNull(shipping.state),
      country: country(shipping.country),
    },
  };
  if (input.external_id !== undefined) {
    const customer = input.external_id === null ? null : await findCustomerByExternalId(tx, organizationId, input.external_id);
    if (!customer) return err(notFound('customer'));
    return ok({ customer: await updateCustomer(tx, organizationId, customer.id, fields), isNew: false });
  }
  const externalId = `preview:${newId()}`;
  const slug = `preview:${newId()}`;
  const customer = await insertCustomer(tx, {
    accountType: 'customer',
    finalizeZeroAmountInvoice: 'inherit',
    skipInvoiceCustomSections: false,
    billingConfiguration: {},
    ...fields,
    organizationId,
    id: newId(),
    externalId,
    // Below every real number (those start at 1), and random so that concurrent previews do not wait on each other.
    sequentialId: -1 - Math.floor(Math.random() * 2_000_000_000),
    slug,
    createdAt: stamp,
    updatedAt: stamp,
  });
  transient.set(customer.id, null).set(externalId, null).set(slug, null);
  return ok({ customer, isNew: true });
};

/**
 * The coupons of the preview (Lago's `find_or_build_applied_coupons`): the customer's own active coupons when it has
 * any, the request's otherwise, each an existing coupon by code or one made of its terms, applied with the coupon's
 * terms in the order given.
 */
const previewCoupons = async (
  tx: Db,
  customer: Customer,
  inputs: readonly PreviewCouponInput[],
  stamp: Date,
  transient: Map<string, string | null>,
): Promise<Result<null>> => {
  if (inputs.length === 0) return ok(null);
  const organizationId = customer.organizationId;
  if ((await invoicesRepo.activeCouponsOf(tx, organizationId, customer.id)).length > 0) return ok(null);
  for (const [index, input] of inputs.entries()) {
    let coupon: Coupon | null = input.code === null ? null : await findCouponByCode(tx, organizationId, input.code);
    if (!coupon) {
      const made = await madeCoupon(tx, organizationId, input, stamp, transient);
      if (!made.ok) return made;
      coupon = made.value;
    }
    const fixed = coupon.couponType === 'fixed_amount';
    const recurring = coupon.frequency === 'recurring';
    const amountCents = fixed ? coupon.amountCents : null;
    const applied = await insertAppliedCoupon(tx, {
      organizationId,
      id: newId(),
      couponId: coupon.id,
      customerId: customer.id,
      status: 'active',
      amountCents,
      amountCentsRemaining: fixed && coupon.frequency === 'once' ? amountCents : null,
      amountCurrency: fixed ? coupon.amountCurrency : null,
      percentageRate: fixed ? null : coupon.percentageRate,
      frequency: coupon.frequency,
      frequencyDuration: recurring ? coupon.frequencyDuration : null,
      frequencyDurationRemaining: recurring ? coupon.frequencyDuration : null,
      // One millisecond apart: coupons of equal rank apply in the order the request lists them.
      createdAt: new Date(stamp.getTime() + index),
      updatedAt: stamp,
    });
    transient.set(applied.id, null);
  }
  return ok(null);
};

/**
 * A coupon that exists only in the preview, of the terms given. Its code and name are stored as stand-ins (the code
 * may be absent or taken by a deleted coupon) and shown as given.
 */
const madeCoupon = async (
  tx: Db,
  organizationId: string,
  input: PreviewCouponInput,
  stamp: Date,
  transient: Map<string, string | null>,
): Promise<Result<Coupon>> => {
  if (!(COUPON_TYPES as readonly string[]).includes(input.couponType)) return err(invalid('coupon_type', 'value_is_invalid'));
  const terms: AppliedTerms = {
    amountCents: input.amountCents,
    amountCurrency: input.amountCurrency,
    percentageRate: input.percentageRate,
    frequency: input.frequency,
    frequencyDuration: input.frequencyDuration,
  };
  const errors: FieldErrorsBuilder = checkTerms({ couponType: input.couponType } as Coupon, terms);
  if (!errors.empty) return err(errors.toError());
  const fixed = input.couponType === 'fixed_amount';
  const code = `preview:${newId()}`;
  const name = `preview:${newId()}`;
  const coupon = await insertCoupon(tx, {
    organizationId,
    id: newId(),
    code,
    name,
    couponType: input.couponType,
    amountCents: fixed ? BigInt(input.amountCents!) : null,
    amountCurrency: fixed ? input.amountCurrency : null,
    percentageRate: fixed ? null : parseRate(input.percentageRate!)!.toString(),
    frequency: input.frequency,
    frequencyDuration: input.frequency === 'recurring' ? input.frequencyDuration : null,
    reusable: true,
    limitedPlans: false,
    limitedBillableMetrics: false,
    expiration: 'no_expiration',
    status: 'active',
    createdAt: stamp,
    updatedAt: stamp,
  });
  transient.set(coupon.id, null).set(code, input.code).set(name, input.name);
  return ok(coupon);
};
