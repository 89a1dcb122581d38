import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import {
  estimate,
  invoiceCreditableAmountCents,
  invoiceRefundableAmountCents,
  itemAmounts,
  round,
  toScale,
} from '../../billing/credit-notes/index.ts';
import { creditOf, floorCredits, roundsToZero } from '../../billing/wallets/credits.ts';
import type { Db } from '../../db/database.ts';
import { walletTransactions } from '../../db/schema/wallets.ts';
import { selectRows } from '../../db/select.ts';
import { invalid, notAllowed } from '../../lib/errors.ts';
import { Decimal, subunitToUnit } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { loadInvoiceCreditContext, type InvoiceCreditContext } from '../credit-notes/context.ts';
import { issueCreditNote, readItems } from '../credit-notes/issue.ts';
import * as creditNotesRepo from '../credit-notes/repository.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { grantCredits, MANUAL, rateOf, reportTransaction } from '../wallets/ledger.ts';
import * as walletsRepo from '../wallets/repository.ts';
import type { TransactionRow, WalletRow } from '../wallets/types.ts';
import * as queries from './queries.ts';
import * as repo from './repository.ts';
import type { InvoiceRow, InvoiceVoidInput } from './types.ts';

/** POST /invoices/{id}/void as Lago reads its body: a Rails boolean and two amounts in cents taken with `to_i`. */
export interface VoidRequest {
  generateCreditNote: boolean;
  creditAmountCents: bigint;
  refundAmountCents: bigint;
}

/** Rails casts these to true (`ActiveModel::Type::Boolean`). */
const truthy = (value: unknown): boolean =>
  value === true || (typeof value === 'string' && !['', '0', 'f', 'false', 'off', 'F', 'FALSE', 'False', 'OFF', 'Off'].includes(value));

/** Ruby's `to_i`: the leading integer of a text ("12abc" is 12, "abc" is 0), a number truncated, nothing 0. */
const toI = (value: unknown): bigint => {
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value !== 'string') return 0n;
  const match = /^\s*([+-]?\d+(?:_\d+)*)/.exec(value);
  return match ? BigInt(match[1]!.replaceAll('_', '')) : 0n;
};

export const readVoidRequest = (input: InvoiceVoidInput | undefined): VoidRequest => ({
  generateCreditNote: truthy(input?.generate_credit_note),
  creditAmountCents: toI(input?.credit_amount),
  refundAmountCents: toI(input?.refund_amount),
});

const DESCRIPTION = (invoice: InvoiceRow) => `Credit note created due to voided invoice ${invoice.id}`;

/**
 * What can still be credited on the invoice (Lago's `Invoice#creditable_amount_cents`): nothing on a draft or on a
 * credit (top-up) invoice, whose credits go back through its wallet.
 */
const creditableOf = (invoice: InvoiceRow, context: InvoiceCreditContext): Decimal =>
  invoice.status === 'draft' || invoice.invoiceType === 'credit' ? new Decimal(0) : invoiceCreditableAmountCents(context.creditable);

/**
 * Lago's check of the amounts asked before anything is voided: the credit within what is creditable, the refund within
 * what is refundable, and both together within what is creditable.
 */
const checkAmounts = async (tx: Db, invoice: InvoiceRow, request: VoidRequest): Promise<Result<true>> => {
  const { creditAmountCents: credit, refundAmountCents: refund } = request;
  if (credit <= 0n && refund <= 0n) return ok(true);
  const context = invoice.status === 'draft' ? null : await loadInvoiceCreditContext(tx, invoice);
  const creditable = context ? creditableOf(invoice, context) : new Decimal(0);
  const refundable = context && invoice.invoiceType !== 'credit' ? invoiceRefundableAmountCents(context.creditable) : 0n;
  const exceeds = (cents: bigint) => new Decimal(cents.toString()).gt(creditable);
  if (exceeds(credit) || refund > refundable || exceeds(credit + refund)) return err(invalid('credit_refund_amount', 'total_amount_exceeds_invoice_amount'));
  return ok(true);
};

/**
 * Voids a finalized invoice the caller has locked, as Lago's `Invoices::VoidService`: nothing is due on it any more, its
 * coupon credits are given back; then either the prepaid credits it consumed go back to their wallets, or (when a
 * credit note is asked) a credit note of the amounts asked is issued and what is left creditable goes to a credit note
 * voided at once, the wallets' share being part of those amounts. `invoice.voided` is reported last.
 */
export const voidLockedInvoice = async (tx: Db, invoice: InvoiceRow, request: VoidRequest, now: Temporal.Instant): Promise<Result<InvoiceRow>> => {
  // Lago checks the amounts before the invoice's status.
  if (request.generateCreditNote) {
    const checked = await checkAmounts(tx, invoice, request);
    if (!checked.ok) return checked;
  }
  if (invoice.status !== 'finalized') return err(notAllowed('not_voidable'));
  const stamp = instantToDate(now);
  const voided = await repo.updateInvoice(tx, invoice.organizationId, invoice.id, { status: 'voided', voidedAt: stamp, paymentOverdue: false, updatedAt: stamp });
  await recreditCoupons(tx, invoice, stamp);
  if (request.generateCreditNote) {
    const issued = await issueVoidCreditNotes(tx, voided, request, now);
    if (!issued.ok) return issued;
  } else {
    await recreditWallets(tx, voided, now);
  }
  await recordDomainEvent(tx, { organizationId: invoice.organizationId, type: 'invoice.voided', objectType: 'invoice', objectId: invoice.id, at: now });
  return ok(voided);
};

/**
 * The coupon credits of the invoice given back (Lago's `AppliedCoupons::RecreditService`): a recurring coupon gets its
 * period back, a fixed coupon its amount, and a coupon ended by this use is active again unless the coupon itself was
 * ended.
 */
const recreditCoupons = async (tx: Db, invoice: InvoiceRow, now: Date): Promise<void> => {
  const organizationId = invoice.organizationId;
  const credits = (await repo.creditsOfInvoices(tx, organizationId, [invoice.id])).filter((c) => c.appliedCouponId !== null);
  const applied = await repo.appliedCouponsByIds(tx, organizationId, credits.map((c) => c.appliedCouponId!));
  const live = await queries.liveCoupons(tx, organizationId, [...applied.values()].map((a) => a.couponId));
  for (const credit of credits) {
    const coupon = applied.get(credit.appliedCouponId!);
    if (!coupon) continue;
    const reactivate = coupon.status === 'terminated' && coupon.frequency !== 'forever' && live.has(coupon.couponId);
    const next = {
      amountCentsRemaining:
        coupon.frequency === 'once' && coupon.amountCentsRemaining !== null ? coupon.amountCentsRemaining + credit.amountCents : coupon.amountCentsRemaining,
      frequencyDurationRemaining:
        coupon.frequency === 'recurring' && coupon.frequencyDurationRemaining !== null ? coupon.frequencyDurationRemaining + 1 : coupon.frequencyDurationRemaining,
      ...(reactivate && { status: 'active', terminatedAt: null }),
    };
    await repo.updateAppliedCoupon(tx, organizationId, coupon.id, { ...next, updatedAt: now });
    // Several credits of one invoice may come from one coupon: each builds on the last.
    applied.set(coupon.id, { ...coupon, ...next, status: reactivate ? 'active' : coupon.status });
  }
};

/** The credits the invoice took out of wallets (its outbound transactions), oldest first. */
const outboundTransactionsOf = (tx: Db, invoice: InvoiceRow): Promise<TransactionRow[]> =>
  selectRows<TransactionRow>(
    tx,
    walletTransactions,
    sql`wallet_transactions WHERE organization_id = ${invoice.organizationId} AND invoice_id = ${invoice.id}
      AND transaction_type = 'outbound' ORDER BY created_at, id`,
  );

/**
 * Lago's `WalletTransactions::RecreditService` for each credit the invoice consumed: a wallet still active gets the
 * credit amount back as a granted, settled inbound transaction naming the voided invoice (and the purchase order of the
 * consumption), its consumed credits lowered by as much (`reset_consumed_credits`, never below 0, the money floored).
 * A terminated wallet gets nothing back, nor does an amount worth less than a minor unit.
 */
const recreditWallets = async (tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<void> => {
  const outbound = await outboundTransactionsOf(tx, invoice);
  if (outbound.length === 0) return;
  const organizationId = invoice.organizationId;
  const wallets = new Map<string, WalletRow>();
  // Locked in one order, so that two voids sharing wallets cannot deadlock.
  for (const walletId of [...new Set(outbound.map((t) => t.walletId))].sort()) {
    const wallet = await walletsRepo.findWallet(tx, organizationId, walletId, true);
    if (wallet) wallets.set(walletId, wallet);
  }
  for (const consumption of outbound) {
    const wallet = wallets.get(consumption.walletId);
    if (!wallet || wallet.status !== 'active') continue;
    const credits = floorCredits(new Decimal(consumption.creditAmount));
    if (credits.isZero() || roundsToZero(rateOf(wallet), credits)) continue;
    // Before the grant, so that the `wallet.updated` it reports shows the consumed credits as they end.
    const consumed = new Decimal(wallet.consumedCredits).minus(creditOf(rateOf(wallet), credits).creditAmount);
    const consumedCents = consumed.mul(wallet.rateAmount).mul(subunitToUnit(wallet.currency)).floor();
    await walletsRepo.updateWallet(tx, organizationId, wallet.id, {
      consumedCredits: Decimal.max(consumed, 0).toFixed(),
      consumedAmountCents: BigInt(Decimal.max(consumedCents, 0).toFixed(0)),
    });
    const granted = await grantCredits(tx, wallet, credits, { ...MANUAL, purchaseOrderNumber: consumption.purchaseOrderNumber }, now, { voidedInvoiceId: invoice.id });
    await reportTransaction(tx, 'wallet_transaction.created', granted.transaction, granted.wallet, now);
    wallets.set(wallet.id, granted.wallet);
  }
};

/** Every fee with something left to credit, for all of it (Lago's `remaining_credit_note_items`). */
const remainingItems = (context: InvoiceCreditContext) =>
  [...context.fees.values()]
    .map(({ row, creditable }) => ({ feeId: row.id, amountCents: creditable.amountCents - creditable.creditedAmountCents }))
    .filter((item) => item.amountCents > 0n);

/** What a credit note of these whole-cent items would credit at most (Lago's `CreditNotes::EstimateService`). */
const estimatedCredit = (context: InvoiceCreditContext, items: { feeId: string; amountCents: bigint }[]): bigint => {
  const read = readItems(context, items.map((i) => ({ fee_id: i.feeId, amount_cents: i.amountCents.toString() })));
  // The items are each fee's own remainder: reading them cannot fail.
  if (!read.ok) throw new Error(`invoice credit remainder unreadable: ${JSON.stringify(read.error)}`);
  return estimate(context.creditable, itemAmounts(context.creditable, context.taxes, read.value)).maxCreditableAmountCents;
};

/**
 * The items of the credit note asked on a void (Lago's `credit_note_items_matching_requested_amount`): every fee's
 * remainder scaled by the amount asked over what all the remainders would credit, kept to 5 decimals.
 *
 * @example
 * // spec/scenarios/invoices/void_invoice_spec.rb: one 10.00 fee at 20 % (12.00), 6.00 asked: ratio 600 / 1200,
 * // one item of 500.
 */
const itemsMatching = (context: InvoiceCreditContext, requestedCents: bigint) => {
  const base = remainingItems(context);
  const total = estimatedCredit(context, base);
  if (total === 0n) return [];
  const ratio = new Decimal(requestedCents.toString()).div(total.toString());
  return base.map((item) => ({ fee_id: item.feeId, amount_cents: toScale(ratio.mul(item.amountCents.toString())).toFixed() }));
};

const issueVoidCreditNotes = async (tx: Db, invoice: InvoiceRow, request: VoidRequest, now: Temporal.Instant): Promise<Result<true>> => {
  const requested = request.creditAmountCents + request.refundAmountCents;
  if (requested > 0n) {
    const context = await loadInvoiceCreditContext(tx, invoice);
    const issued = await issueCreditNote(
      tx,
      invoice,
      {
        reason: 'other',
        description: DESCRIPTION(invoice),
        creditAmountCents: request.creditAmountCents,
        refundAmountCents: request.refundAmountCents,
        offsetAmountCents: 0n,
        items: itemsMatching(context, requested),
        metadata: null,
        automatic: false,
      },
      now,
    );
    if (!issued.ok) return issued;
  }
  const context = await loadInvoiceCreditContext(tx, invoice);
  if (round(creditableOf(invoice, context)) <= 0n) return ok(true);
  const items = remainingItems(context);
  const remainder = await issueCreditNote(
    tx,
    invoice,
    {
      reason: 'other',
      description: DESCRIPTION(invoice),
      creditAmountCents: estimatedCredit(context, items),
      refundAmountCents: 0n,
      offsetAmountCents: 0n,
      items: items.map((i) => ({ fee_id: i.feeId, amount_cents: i.amountCents.toString() })),
      metadata: null,
      automatic: false,
    },
    now,
  );
  if (!remainder.ok) return remainder;
  const note = remainder.value;
  // Lago's `CreditNotes::VoidService`: the credit is given up at once.
  if (note.creditStatus !== 'voided' && note.balanceAmountCents > 0n) {
    const stamp = instantToDate(now);
    await creditNotesRepo.updateCreditNote(tx, note.organizationId, note.id, { creditStatus: 'voided', voidedAt: stamp, balanceAmountCents: 0n, updatedAt: stamp });
  }
  return ok(true);
};
