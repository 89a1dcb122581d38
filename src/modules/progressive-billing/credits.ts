import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { instantToDate } from '../../lib/time.ts';
import { insertProgressiveCredits, latestProgressiveInvoice, type ProgressiveFee } from './repository.ts';
import { getWatch } from './watch-cache.ts';

/** The fee fields the credit reads, from a fee being written on an invoice. */
export interface CreditableFee {
  key: string;
  feeType: string;
  subscriptionId: string | null;
  chargeId: string | null;
  chargeFilterId: string | null;
  groupedBy: Record<string, string | null>;
  amountCents: bigint;
  /** A pay-in-advance charge's fee: progressive invoices never billed it. */
  payInAdvance: boolean;
  /** The start of the charges window the fee bills. */
  fromDatetime: Temporal.Instant;
}

export interface ProgressiveCredits {
  /** Σ of the credits: the invoice's `progressive_billing_credit_amount_cents`. */
  totalCents: bigint;
  /** Per fee key: what the matching fee of the progressive invoice billed (the pure pipeline caps it at the fee). */
  billedByFee: Map<string, bigint>;
  /** One credit per progressive invoice deducted, to record with the invoice. */
  credits: { progressiveInvoiceId: string; amountCents: bigint }[];
}

const NONE: ProgressiveCredits = { totalCents: 0n, billedByFee: new Map(), credits: [] };

const sameGroup = (a: Record<string, string | null>, b: Record<string, string | null>) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
};

const matches = (fee: CreditableFee, billed: ProgressiveFee) =>
  fee.chargeId === billed.chargeId && fee.chargeFilterId === billed.chargeFilterId && sameGroup(fee.groupedBy, billed.groupedBy);

/**
 * What an invoice takes off for the progressive invoices of the same period (Lago's `Credits::ProgressiveBillingService`),
 * per subscription: the period's latest progressive invoice (it billed the usage of all earlier ones) gives back what it
 * billed net of its coupons and of what other invoices already took off it, capped at this invoice's fees of the charges
 * it billed; each of this invoice's charge fees loses what the matching progressive fee billed.
 *
 * A subscription that thresholds never applied to costs nothing here: the organization's watch (cached) tells the ones
 * that may have a progressive invoice; only those cost one indexed query each. A progressive invoice always looks.
 *
 * Lago turns what the cap leaves over into a credit note on the progressive invoice; Billow does not yet.
 */
export const progressiveCreditsFor = async (
  tx: Db,
  invoice: { organizationId: string; invoiceType: string },
  fees: readonly CreditableFee[],
): Promise<ProgressiveCredits> => {
  const charges = fees.filter((f) => f.feeType === 'charge' && !f.payInAdvance && f.subscriptionId !== null);
  if (charges.length === 0) return NONE;
  const bySubscription = new Map<string, CreditableFee[]>();
  for (const fee of charges) (bySubscription.get(fee.subscriptionId!) ?? bySubscription.set(fee.subscriptionId!, []).get(fee.subscriptionId!)!).push(fee);
  const always = invoice.invoiceType === 'progressive_billing';
  const watch = always ? null : await getWatch(tx, invoice.organizationId);
  const out: ProgressiveCredits = { totalCents: 0n, billedByFee: new Map(), credits: [] };
  for (const [subscriptionId, own] of bySubscription) {
    if (watch && !watch.mayHaveProgressive.has(subscriptionId)) continue;
    const from = own.reduce((min, f) => (f.fromDatetime.epochMilliseconds < min.epochMilliseconds ? f.fromDatetime : min), own[0]!.fromDatetime);
    const previous = await latestProgressiveInvoice(tx, invoice.organizationId, subscriptionId, instantToDate(from));
    if (!previous) continue;
    const billedCharges = new Set(previous.fees.map((f) => f.chargeId));
    const chargesCents = own.filter((f) => billedCharges.has(f.chargeId)).reduce((sum, f) => sum + f.amountCents, 0n);
    const owed = previous.feesAmountCents - previous.couponsAmountCents - previous.creditedCents;
    const credit = owed < 0n ? 0n : owed > chargesCents ? chargesCents : owed;
    if (credit <= 0n) continue;
    for (const billed of previous.fees) {
      const fee = own.find((f) => matches(f, billed));
      if (fee) out.billedByFee.set(fee.key, (out.billedByFee.get(fee.key) ?? 0n) + billed.amountCents);
    }
    out.totalCents += credit;
    out.credits.push({ progressiveInvoiceId: previous.id, amountCents: credit });
  }
  return out;
};

/** Records the credits of an invoice (the `credits[]` items of type invoice). */
export const recordProgressiveCredits = async (
  tx: Db,
  invoice: { organizationId: string; id: string; currency: string },
  credits: ProgressiveCredits,
  now: Temporal.Instant,
): Promise<void> => {
  await insertProgressiveCredits(
    tx,
    credits.credits.map((c) => ({
      organizationId: invoice.organizationId,
      invoiceId: invoice.id,
      progressiveBillingInvoiceId: c.progressiveInvoiceId,
      amountCents: c.amountCents,
      amountCurrency: invoice.currency,
      createdAt: instantToDate(now),
    })),
  );
};
