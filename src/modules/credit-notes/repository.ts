import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { creditNoteAppliedTaxes, creditNoteItems, creditNotes } from '../../db/schema/credit-notes.ts';
import { selectRows } from '../../db/select.ts';
import { insertRows, updateRow } from '../../db/write.ts';
import { isUuid } from '../../lib/ids.ts';

export type CreditNoteRow = typeof creditNotes.$inferSelect;
export type CreditNoteItemRow = typeof creditNoteItems.$inferSelect;
export type CreditNoteAppliedTaxRow = typeof creditNoteAppliedTaxes.$inferSelect;

const uuidList = (ids: readonly string[]) => sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `);

export const insertCreditNote = async (db: Db, row: typeof creditNotes.$inferInsert): Promise<CreditNoteRow> =>
  (await insertRows<CreditNoteRow>(db, creditNotes, [row], { returning: true }))[0]!;

export const insertItems = async (db: Db, rows: (typeof creditNoteItems.$inferInsert)[]): Promise<void> => {
  await insertRows(db, creditNoteItems, rows);
};

export const insertAppliedTaxes = async (db: Db, rows: (typeof creditNoteAppliedTaxes.$inferInsert)[]): Promise<void> => {
  await insertRows(db, creditNoteAppliedTaxes, rows);
};

export const updateCreditNote = async (db: Db, organizationId: string, id: string, changes: Partial<CreditNoteRow>): Promise<CreditNoteRow> =>
  (await updateRow<CreditNoteRow>(db, creditNotes, organizationId, id, changes))!;

/** A finalized credit note by its lago_id (a malformed id finds nothing), optionally locked. */
export const findCreditNote = async (db: Db, organizationId: string, id: string, lock = false): Promise<CreditNoteRow | null> => {
  if (!isUuid(id)) return null;
  const [row] = await selectRows<CreditNoteRow>(
    db,
    creditNotes,
    sql`credit_notes WHERE organization_id = ${organizationId} AND id = ${id} AND status = 'finalized'${lock ? sql` FOR UPDATE` : sql``}`,
  );
  return row ?? null;
};

export const itemsOf = async (db: Db, organizationId: string, creditNoteIds: readonly string[]): Promise<CreditNoteItemRow[]> =>
  creditNoteIds.length === 0
    ? []
    : selectRows<CreditNoteItemRow>(
        db,
        creditNoteItems,
        sql`credit_note_items WHERE organization_id = ${organizationId} AND credit_note_id IN (${uuidList(creditNoteIds)}) ORDER BY created_at, id`,
      );

export const appliedTaxesOf = async (db: Db, organizationId: string, creditNoteIds: readonly string[]): Promise<CreditNoteAppliedTaxRow[]> =>
  creditNoteIds.length === 0
    ? []
    : selectRows<CreditNoteAppliedTaxRow>(
        db,
        creditNoteAppliedTaxes,
        sql`credit_note_applied_taxes WHERE organization_id = ${organizationId} AND credit_note_id IN (${uuidList(creditNoteIds)}) ORDER BY tax_code, id`,
      );

/** What earlier credit notes took of each fee (Σ of their items' `amount_cents`), voided ones included, as Lago counts. */
export const creditedByFee = async (db: Db, organizationId: string, feeIds: readonly string[]): Promise<Map<string, bigint>> => {
  if (feeIds.length === 0) return new Map();
  const rows = await queryRows<{ fee_id: string; amount: string }>(
    db,
    sql`SELECT fee_id, sum(amount_cents)::text AS amount FROM credit_note_items
      WHERE organization_id = ${organizationId} AND fee_id IN (${uuidList(feeIds)}) GROUP BY fee_id`,
  );
  return new Map(rows.map((r) => [r.fee_id, BigInt(r.amount)]));
};

export interface InvoiceCreditNoteSums {
  creditAmountCents: bigint;
  refundAmountCents: bigint;
  offsetAmountCents: bigint;
  /** Σ (taxes_amount_cents − precise_taxes_amount_cents). */
  taxesRoundingAdjustments: string;
  count: number;
}

/** Sums over an invoice's credit notes. */
export const sumsOfInvoice = async (db: Db, organizationId: string, invoiceId: string): Promise<InvoiceCreditNoteSums> => {
  const [row] = await queryRows<{ credit: string; refund: string; offset: string; rounding: string; count: number }>(
    db,
    sql`SELECT coalesce(sum(credit_amount_cents), 0)::text AS credit, coalesce(sum(refund_amount_cents), 0)::text AS refund,
        coalesce(sum(offset_amount_cents), 0)::text AS "offset",
        coalesce(sum(taxes_amount_cents - precise_taxes_amount_cents), 0)::text AS rounding, count(*)::int AS count
      FROM credit_notes WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId} AND status = 'finalized'`,
  );
  return {
    creditAmountCents: BigInt(row!.credit),
    refundAmountCents: BigInt(row!.refund),
    offsetAmountCents: BigInt(row!.offset),
    taxesRoundingAdjustments: row!.rounding,
    count: row!.count,
  };
};

/** The next number in an invoice's sequence of credit notes (the invoice row is locked by the caller). */
export const nextSequentialId = async (db: Db, organizationId: string, invoiceId: string): Promise<number> => {
  const [row] = await queryRows<{ next: number }>(
    db,
    sql`SELECT coalesce(max(sequential_id), 0)::int + 1 AS next FROM credit_notes WHERE organization_id = ${organizationId} AND invoice_id = ${invoiceId}`,
  );
  return row!.next;
};

/** What finalized credit notes offset on each invoice (Lago's `Invoice#offset_amount_cents`), by invoice id. */
export const offsetsOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<Map<string, bigint>> => {
  if (invoiceIds.length === 0) return new Map();
  const rows = await queryRows<{ invoice_id: string; amount: string }>(
    db,
    sql`SELECT invoice_id, sum(offset_amount_cents)::text AS amount FROM credit_notes
      WHERE organization_id = ${organizationId} AND invoice_id IN (${uuidList(invoiceIds)}) AND status = 'finalized' AND offset_amount_cents > 0
      GROUP BY invoice_id`,
  );
  return new Map(rows.map((r) => [r.invoice_id, BigInt(r.amount)]));
};

/**
 * The customer's credit notes with credit left in a currency, oldest first, locked until the caller's transaction
 * ends: two invoices finalized at once consume them one after the other, the second seeing what the first left.
 */
export const availableForCustomer = async (db: Db, organizationId: string, customerId: string, currency: string, exceptInvoiceId: string): Promise<CreditNoteRow[]> =>
  selectRows<CreditNoteRow>(
    db,
    creditNotes,
    sql`credit_notes WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND credit_status = 'available'
      AND balance_amount_cents > 0 AND status = 'finalized' AND currency = ${currency} AND invoice_id <> ${exceptInvoiceId}
      ORDER BY created_at, id FOR UPDATE`,
  );

/** Lists finalized credit notes newest first (Lago's order), with a page of rows and the total count. */
export const listCreditNotes = async (db: Db, where: SQL, limit: number, offset: number): Promise<{ rows: CreditNoteRow[]; total: number }> => {
  const rows = await selectRows<CreditNoteRow>(
    db,
    creditNotes,
    sql`credit_notes WHERE ${where} ORDER BY credit_notes.created_at DESC, credit_notes.id ASC LIMIT ${limit} OFFSET ${offset}`,
  );
  const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM credit_notes WHERE ${where}`);
  return { rows, total: total!.count };
};

/** A consumed part of a credit note, written as one of the invoice's credits. */
export const insertCredit = async (
  db: Db,
  row: { organizationId: string; id: string; invoiceId: string; creditNoteId: string; amountCents: bigint; currency: string; createdAt: Date },
): Promise<void> => {
  await db.execute(
    sql`INSERT INTO credits (organization_id, id, invoice_id, credit_note_id, amount_cents, amount_currency, before_taxes, created_at)
      VALUES (${row.organizationId}, ${row.id}, ${row.invoiceId}, ${row.creditNoteId}, ${row.amountCents.toString()}::bigint, ${row.currency}, false,
        ${row.createdAt.toISOString()}::timestamptz)`,
  );
};

/** The credit notes behind credits (credit id → the note's id, number, description and invoice number). */
export const creditNotesOfCredits = async (
  db: Db,
  organizationId: string,
  creditIds: readonly string[],
): Promise<Map<string, { id: string; number: string; description: string | null; invoiceNumber: string }>> => {
  if (creditIds.length === 0) return new Map();
  const rows = await queryRows<{ credit_id: string; id: string; number: string; description: string | null; invoice_number: string }>(
    db,
    sql`SELECT c.id AS credit_id, n.id, n.number, n.description, i.number AS invoice_number
      FROM credits c JOIN credit_notes n ON n.organization_id = c.organization_id AND n.id = c.credit_note_id
      JOIN invoices i ON i.organization_id = n.organization_id AND i.id = n.invoice_id
      WHERE c.organization_id = ${organizationId} AND c.id IN (${uuidList(creditIds)})`,
  );
  return new Map(rows.map((r) => [r.credit_id, { id: r.id, number: r.number, description: r.description, invoiceNumber: r.invoice_number }]));
};
