import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import { allocatePrepaidCredits } from '../../billing/wallets/allocation.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { wallets as walletsTable } from '../../db/schema/wallets.ts';
import { selectRows } from '../../db/select.ts';
import { Decimal } from '../../lib/money.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import type { BillingParty } from '../billing/party.ts';
import { consumeForInvoice, reportTransaction } from './ledger.ts';
import * as repo from './repository.ts';
import type { WalletRow } from './types.ts';

/**
 * Prepaid credits pay for an invoice being finalized, after its credit notes (Lago's
 * `Credits::AppliedPrepaidCreditsService`): the customer's active wallets in the invoice's currency with a positive
 * balance, by priority then age, each limited to what it applies to, each taking at most its balance and all together
 * at most the total. Every wallet used gets an outbound `invoiced` transaction; the invoice answers with its prepaid
 * credit (and its split between granted and purchased credits) and its lower total, which the finalization writes. Credit invoices are
 * never paid with credits.
 *
 * The wallet rows are locked (in id order) before their balances are read, so two invoices of the customer finalized
 * at once, or a purchase settling meanwhile, wait for each other: a balance is never spent twice nor lost. A customer
 * without a funded wallet costs one indexed statement.
 */
export const applyWalletsToInvoice = async (tx: Db, _party: BillingParty, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow> => {
  if (invoice.invoiceType === 'credit' || invoice.totalAmountCents <= 0n) return invoice;
  const locked = await selectRows<WalletRow>(
    tx,
    walletsTable,
    sql`wallets WHERE organization_id = ${invoice.organizationId} AND customer_id = ${invoice.customerId} AND status = 'active'
      AND currency = ${invoice.currency} AND balance_cents > 0 ORDER BY id FOR UPDATE`,
  );
  if (locked.length === 0) return invoice;
  const wallets = locked.sort(repo.applicationOrder);
  const fees = await queryRows<{ fee_type: string; billable_metric_id: string | null; amount: string; sub_total: string; after_taxes: string }>(
    tx,
    sql`SELECT fee_type, billable_metric_id, (amount_cents - precise_coupons_amount_cents + taxes_precise_amount_cents)::text AS amount,
        (amount_cents - precise_coupons_amount_cents)::text AS sub_total, (amount_cents - precise_coupons_amount_cents + taxes_amount_cents)::text AS after_taxes
      FROM fees WHERE organization_id = ${invoice.organizationId} AND invoice_id = ${invoice.id} ORDER BY position, created_at, id`,
  );
  // Credit notes consumed by this invoice are spread over its fees in proportion to their amounts after taxes (Lago's
  // `precise_credit_notes_amount_cents`): a wallet limited to some fees pays only what the notes left of those.
  const notes = new Decimal(invoice.creditNotesAmountCents.toString());
  const beforeNotes = notes.add(invoice.totalAmountCents.toString());
  const notesShare = (f: (typeof fees)[number]) => (notes.isZero() ? new Decimal(0) : Decimal.min(new Decimal(f.after_taxes).mul(notes).div(beforeNotes), new Decimal(f.after_taxes)));
  const allocation = allocatePrepaidCredits(
    // Lago leaves out fees whose amount after coupons is 0.
    fees
      .filter((f) => !new Decimal(f.sub_total).isZero())
      .map((f) => ({ feeType: f.fee_type, billableMetricId: f.billable_metric_id, amountCents: new Decimal(f.amount).sub(notesShare(f)) })),
    invoice.totalAmountCents,
    wallets.map((w) => ({ id: w.id, feeTypes: w.allowedFeeTypes, billableMetricIds: w.billableMetricIds, balanceCents: w.balanceCents })),
  );
  let total = 0n;
  const outbound: string[] = [];
  for (const wallet of wallets) {
    const cents = allocation.get(wallet.id);
    if (!cents) continue;
    const { transaction, wallet: after } = await consumeForInvoice(tx, wallet, cents, invoice.id, now);
    await reportTransaction(tx, 'wallet_transaction.created', transaction, after, now);
    outbound.push(transaction.id);
    total += cents;
  }
  if (total === 0n) return invoice;
  const split = await repo.fundingSplit(tx, invoice.organizationId, outbound);
  return {
    ...invoice,
    prepaidCreditAmountCents: invoice.prepaidCreditAmountCents + total,
    prepaidGrantedCreditAmountCents: split.granted > 0n ? split.granted : null,
    prepaidPurchasedCreditAmountCents: split.purchased > 0n ? split.purchased : null,
    totalAmountCents: invoice.totalAmountCents - total,
  };
};
