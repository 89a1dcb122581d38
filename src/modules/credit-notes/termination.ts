import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { terminationCreditNote, type TerminationMode } from '../../billing/credit-notes/index.ts';
import { daysInPeriod, endOfLocalDay, localDateAt, periodContaining, startOfLocalDay } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { fees } from '../../db/schema/index.ts';
import { selectRows } from '../../db/select.ts';
import { dateToInstant } from '../../lib/time.ts';
import { timingOf } from '../billing/fee-drafts.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { FeeRow } from '../invoices/repository.ts';
import type { Plan } from '../plans/types.ts';
import type { Subscription } from '../subscriptions/types.ts';
import { customerTimeZone, loadInvoiceCreditContext } from './context.ts';
import { issueCreditNote } from './issue.ts';
import type { CreditNoteRow } from './types.ts';

const utcDate = (instant: Temporal.Instant): Temporal.PlainDate => instant.toZonedDateTimeISO('UTC').toPlainDate();
const daysBetween = (from: Temporal.PlainDate, to: Temporal.PlainDate): number => from.until(to, { largestUnit: 'days' }).days;
const later = (a: Temporal.PlainDate, b: Temporal.PlainDate) => (Temporal.PlainDate.compare(a, b) >= 0 ? a : b);

/**
 * The days a termination leaves unused and used in its period, as Lago counts them (`CreditNotes::CreateFromTermination`):
 * Lago compares UTC dates of local end-of-day instants, and so does this; the termination day counts as used, except
 * on an upgrade, where the new plan bills it. Trial days are neither.
 */
export const terminationDays = (
  subscription: Subscription,
  plan: Plan,
  timeZone: string,
  at: Temporal.Instant,
  upgrade: boolean,
): { periodDays: number; remainingDays: number; usedDays: number } => {
  const timing = timingOf(subscription, plan, timeZone);
  const period = periodContaining(timing, at);
  const periodEnd = utcDate(period.to);
  const terminationEnd = utcDate(endOfLocalDay(localDateAt(at, timeZone), timeZone));
  const startedAt = dateToInstant(subscription.startedAt ?? subscription.subscriptionAt);
  const trialDays = Math.floor(plan.trialPeriod ?? 0);
  const trialEnd = trialDays > 0 ? utcDate(startedAt).add({ days: trialDays }) : null;

  let billedFrom = upgrade ? terminationEnd.subtract({ days: 1 }) : terminationEnd;
  if (trialEnd && Temporal.PlainDate.compare(trialEnd, billedFrom) >= 0) {
    billedFrom = Temporal.PlainDate.compare(trialEnd, periodEnd) > 0 ? periodEnd : trialEnd.subtract({ days: 1 });
  }
  let usedFrom = utcDate(Temporal.Instant.compare(period.from, startedAt) >= 0 ? period.from : startOfLocalDay(localDateAt(startedAt, timeZone), timeZone));
  if (trialEnd) usedFrom = later(trialEnd, usedFrom);
  const usedTo = Temporal.PlainDate.compare(terminationEnd, periodEnd) > 0 ? periodEnd : terminationEnd;
  return {
    periodDays: daysInPeriod(period),
    remainingDays: Math.max(0, daysBetween(billedFrom, periodEnd)),
    usedDays: Math.max(0, daysBetween(usedFrom, usedTo) + 1),
  };
};

/**
 * The credit note a subscription paid in advance gets when it ends before its period does (`on_termination_credit_note`
 * credit, refund or offset; an upgrade credits unless the choice is skip): the unused days of its last subscription fee, issued on that
 * fee's invoice with reason `order_cancellation`. Nothing when the plan is paid in arrears, the choice is `skip`, the
 * current period's invoice was not issued, the fee is 0, its invoice is voided or still a draft (Billow issues credit
 * notes on finalized invoices only), or nothing is left to give back.
 */
export const issueTerminationCreditNote = async (
  tx: Db,
  options: { subscription: Subscription; plan: Plan; at: Temporal.Instant; stampAt: Temporal.Instant; upgrade: boolean },
): Promise<CreditNoteRow | null> => {
  const { subscription, plan, at, upgrade } = options;
  if (!plan.payInAdvance) return null;
  const chosen = subscription.onTerminationCreditNote ?? 'credit';
  if (!['credit', 'refund', 'offset'].includes(chosen)) return null;
  // Lago supports only credit on an upgrade (it raises for refund and offset): Billow credits.
  const mode = upgrade ? 'credit' : chosen;
  const organizationId = subscription.organizationId;
  const [fee] = await selectRows<FeeRow>(
    tx,
    fees,
    sql`fees WHERE organization_id = ${organizationId} AND subscription_id = ${subscription.id} AND fee_type = 'subscription'
      AND invoice_id IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  if (!fee || fee.amountCents <= 0n || !fee.fromDatetime || !fee.toDatetime) return null;
  // The fee must be the one of the period the termination falls in (a period whose invoice is not issued yet gets none).
  if (Temporal.Instant.compare(at, dateToInstant(fee.fromDatetime)) < 0 || Temporal.Instant.compare(at, dateToInstant(fee.toDatetime)) > 0) return null;
  const invoice = await invoicesRepo.findInvoice(tx, organizationId, fee.invoiceId!, true);
  if (!invoice || invoice.status !== 'finalized') return null;

  const timeZone = await customerTimeZone(tx, organizationId, subscription.customerId);
  const days = terminationDays(subscription, plan, timeZone, at, upgrade);
  const context = await loadInvoiceCreditContext(tx, invoice);
  const creditable = context.fees.get(fee.id)?.creditable;
  if (!creditable) return null;
  const billedOn = (fee.amountDetails as { plan_amount_cents?: unknown }).plan_amount_cents;
  const computed = terminationCreditNote({
    planAmountCents: typeof billedOn === 'number' ? BigInt(billedOn) : plan.amountCents,
    ...days,
    fee: creditable,
    invoiceTaxes: context.taxes,
    invoice: { subTotalIncludingTaxesAmountCents: invoice.subTotalIncludingTaxesAmountCents, totalPaidAmountCents: invoice.totalPaidAmountCents },
    mode: mode as TerminationMode,
  });
  if (!computed) return null;
  const issued = await issueCreditNote(
    tx,
    invoice,
    {
      reason: 'order_cancellation',
      description: null,
      creditAmountCents: computed.creditAmountCents,
      refundAmountCents: computed.refundAmountCents,
      offsetAmountCents: computed.offsetAmountCents,
      items: [{ fee_id: fee.id, amount_cents: computed.itemPreciseAmountCents.toFixed() }],
      metadata: null,
      automatic: true,
    },
    options.stampAt,
  );
  // Lago would fail the termination; Billow ends the subscription and issues no note (e.g. an offset larger than what
  // is still due on an invoice paid meanwhile).
  return issued.ok ? issued.value : null;
};
