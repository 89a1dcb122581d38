import { sql } from 'drizzle-orm';
import { consumeCredit } from '../../billing/credit-notes/index.ts';
import { allocatePrepaidCredits } from '../../billing/wallets/allocation.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { Decimal } from '../../lib/money.ts';
import { newId } from '../../lib/ids.ts';
import type { CreditView, InvoiceDetailView } from './types.ts';

/** A credit note the preview could draw on, with what the invoice's credit line shows of it. */
export interface PreviewCreditNote {
  id: string;
  number: string;
  description: string | null;
  invoiceNumber: string;
  balanceAmountCents: bigint;
}

/**
 * The customer's credit notes an invoice in `currency` would consume (those Lago's `Credits::CreditNoteService` picks:
 * finalized, available, with a balance, oldest first), read without a lock: a preview never waits for a finalization
 * nor holds one up. Every currency when `currency` is null.
 */
export const availableCreditNotes = async (db: Db, organizationId: string, customerId: string, currency: string | null): Promise<PreviewCreditNote[]> => {
  const rows = await queryRows<{ id: string; number: string; description: string | null; invoice_number: string; balance: string }>(
    db,
    sql`SELECT n.id, n.number, n.description, i.number AS invoice_number, n.balance_amount_cents::text AS balance
      FROM credit_notes n JOIN invoices i ON i.organization_id = n.organization_id AND i.id = n.invoice_id
      WHERE n.organization_id = ${organizationId} AND n.customer_id = ${customerId} AND n.credit_status = 'available'
        AND n.balance_amount_cents > 0 AND n.status = 'finalized'${currency === null ? sql`` : sql` AND n.currency = ${currency}`}
      ORDER BY n.created_at, n.id`,
  );
  return rows.map((r) => ({ id: r.id, number: r.number, description: r.description, invoiceNumber: r.invoice_number, balanceAmountCents: BigInt(r.balance) }));
};

interface PreviewWallet {
  id: string;
  feeTypes: string[];
  billableMetricIds: string[];
  balanceCents: bigint;
}

/** The customer's funded active wallets in `currency`, in Lago's application order (priority, then age), unlocked. */
const fundedWallets = async (db: Db, organizationId: string, customerId: string, currency: string): Promise<PreviewWallet[]> => {
  const rows = await queryRows<{ id: string; allowed_fee_types: string[]; billable_metric_ids: string[]; balance: string }>(
    db,
    sql`SELECT id, allowed_fee_types, billable_metric_ids, balance_cents::text AS balance FROM wallets
      WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND status = 'active'
        AND currency = ${currency} AND balance_cents > 0
      ORDER BY priority, created_at, id`,
  );
  return rows.map((r) => ({ id: r.id, feeTypes: r.allowed_fee_types ?? [], billableMetricIds: r.billable_metric_ids ?? [], balanceCents: BigInt(r.balance) }));
};

/**
 * What a previewed invoice would be paid with after its taxes (Lago's `Invoices::PreviewService`
 * `create_credit_note_credits` then `create_applied_prepaid_credits`), computed from balances read without locks and
 * never written: `notes` in the order given, each giving what the invoice still owes up to its balance (a credit line
 * each), then the customer's wallets by priority, each paying only the fees it applies to. Lago's preview works on
 * unsaved fees, which carry no share of the credit notes: a wallet's part of a fee is the fee after coupons with its
 * taxes, and only the invoice's remaining total caps them all. A customer made up for the preview has no wallet.
 *
 * Answers the detail with its credit notes amount, prepaid credit, total and credits changed, and the ids it made up.
 */
export const withPreviewCredits = async (
  db: Db,
  detail: InvoiceDetailView,
  notes: readonly PreviewCreditNote[],
  options: { wallets: boolean },
): Promise<{ detail: InvoiceDetailView; madeUp: string[] }> => {
  const invoice = detail.invoice;
  if (invoice.invoiceType === 'credit' || invoice.invoiceType === 'one_off' || invoice.totalAmountCents <= 0n) return { detail, madeUp: [] };
  const madeUp: string[] = [];
  const taken = consumeCredit(invoice.totalAmountCents, notes.map((n) => n.balanceAmountCents));
  const credits: CreditView[] = [];
  for (const [i, note] of notes.entries()) {
    const amount = taken[i]!;
    if (amount === 0n) continue;
    const id = newId();
    madeUp.push(id);
    credits.push({
      credit: { organizationId: invoice.organizationId, id, invoiceId: invoice.id, appliedCouponId: null, amountCents: amount, amountCurrency: invoice.currency, beforeTaxes: false, createdAt: invoice.createdAt },
      coupon: null,
      creditNote: { id: note.id, number: note.number, description: note.description, invoiceNumber: note.invoiceNumber },
      progressiveInvoice: null,
    });
  }
  const consumed = taken.reduce((s, a) => s + a, 0n);
  let total = invoice.totalAmountCents - consumed;

  let prepaid = 0n;
  if (options.wallets && total > 0n) {
    const wallets = await fundedWallets(db, invoice.organizationId, invoice.customerId, invoice.currency);
    if (wallets.length > 0) {
      const fees = await queryRows<{ fee_type: string; billable_metric_id: string | null; amount: string; sub_total: string }>(
        db,
        sql`SELECT fee_type, billable_metric_id, (amount_cents - precise_coupons_amount_cents + taxes_precise_amount_cents)::text AS amount,
            (amount_cents - precise_coupons_amount_cents)::text AS sub_total
          FROM fees WHERE organization_id = ${invoice.organizationId} AND invoice_id = ${invoice.id} ORDER BY position, created_at, id`,
      );
      const allocation = allocatePrepaidCredits(
        fees
          .filter((f) => !new Decimal(f.sub_total).isZero())
          .map((f) => ({ feeType: f.fee_type, billableMetricId: f.billable_metric_id, amountCents: new Decimal(f.amount) })),
        total,
        wallets,
      );
      for (const cents of allocation.values()) prepaid += cents;
      total -= prepaid;
    }
  }
  return {
    detail: {
      ...detail,
      invoice: {
        ...invoice,
        creditNotesAmountCents: invoice.creditNotesAmountCents + consumed,
        prepaidCreditAmountCents: invoice.prepaidCreditAmountCents + prepaid,
        totalAmountCents: total,
      },
      credits: [...detail.credits, ...credits],
    },
    madeUp,
  };
};
