import { randomBytes } from 'node:crypto';
import { repeatEvery } from '../../lib/repeat.ts';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Ctx } from '../../lib/context.ts';
import { notFound } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { findInvoice } from '../invoices/repository.ts';
import { loadInvoiceDetail, loadInvoiceViews } from '../invoices/queries.ts';
import { serializeInvoiceDetail } from '../invoices/serialize.ts';
import type { InvoiceRow, InvoiceView } from '../invoices/types.ts';
import { findOrganization } from '../organizations/repository.ts';
import type { Organization } from '../organizations/types.ts';
import { renderInvoicePdf, type DocumentOrganization } from './invoice-pdf.ts';
import { renderCreditNotePdf } from './credit-note-pdf.ts';
import { findCreditNote, type CreditNoteRow } from '../credit-notes/repository.ts';
import { serializeCreditNote } from '../credit-notes/serialize.ts';
import type { CreditNoteView } from '../credit-notes/types.ts';
import { loadCreditNoteViews } from '../credit-notes/views.ts';

const documentOrganization = (o: Organization): DocumentOrganization => ({
  name: o.name,
  legal_name: o.legalName,
  legal_number: o.legalNumber,
  tax_identification_number: o.taxIdentificationNumber,
  address_line1: o.addressLine1,
  address_line2: o.addressLine2,
  city: o.city,
  zipcode: o.zipcode,
  state: o.state,
  country: o.country,
  email: o.email,
  invoice_footer: o.invoiceFooter,
  document_locale: o.documentLocale,
});

/**
 * Invoice PDFs, rendered in this process (Lago needs a separate PDF service). Every finalized invoice gets one, in
 * the background or at once when it is downloaded; it is stored, served at its `file_url`, and reported with
 * `invoice.generated`.
 */
export const createDocumentService = ({ db, publicUrl, clock }: { db: Db; publicUrl: () => string; clock: Clock }) => {
  const documentUrl = (organizationId: string, token: string) => `${publicUrl()}/documents/${organizationId}/${token}.pdf`;

  /**
   * Renders and stores an invoice's PDF unless it has one. The rendering (the slow part) happens outside any
   * transaction; the invoice is then locked only to store the document, and a renderer that finds a document stored
   * meanwhile keeps that one. Returns the invoice as it then is.
   */
  const ensureInvoicePdf = async (organizationId: string, invoiceId: string): Promise<InvoiceRow | null> => {
    const seen = await findInvoice(db, organizationId, invoiceId);
    if (!seen || seen.status !== 'finalized') return null;
    if (seen.fileUrl) return seen;
    const organization = await findOrganization(db, organizationId);
    if (!organization) return null;
    const now = clock.now();
    const detail = serializeInvoiceDetail(await loadInvoiceDetail(db, seen, now));
    const pdf = await renderInvoicePdf({ invoice: detail, organization: documentOrganization(organization) });
    return inTransaction(db, async (tx) => {
      const invoice = await findInvoice(tx, organizationId, invoiceId, true);
      if (!invoice || invoice.status !== 'finalized') return null;
      if (invoice.fileUrl) return invoice;
      const token = randomBytes(24).toString('base64url');
      await tx.execute(
        sql`INSERT INTO documents (organization_id, id, object_type, object_id, token, content, created_at)
          VALUES (${organizationId}, ${newId()}, 'invoice', ${invoiceId}, ${token}, ${pdf}, ${instantToDate(now).toISOString()}::timestamptz)`,
      );
      const [updated] = await queryRows<{ file_url: string }>(
        tx,
        sql`UPDATE invoices SET file_url = ${documentUrl(organizationId, token)} WHERE organization_id = ${organizationId} AND id = ${invoiceId} RETURNING file_url`,
      );
      await recordDomainEvent(tx, { organizationId, type: 'invoice.generated', objectType: 'invoice', objectId: invoiceId, at: now });
      return { ...invoice, fileUrl: updated!.file_url };
    });
  };

  /**
   * POST /invoices/{id}/download: the finalized invoice with its `file_url`, rendered now if it was not yet (Lago
   * answers an empty 200 until its PDF service has run). A draft or voided invoice has no document: 404, as in Lago.
   */
  const downloadInvoice = async (ctx: Ctx, id: string): Promise<Result<InvoiceView>> => {
    const invoice = isUuid(id) ? await ensureInvoicePdf(ctx.organizationId, id) : null;
    if (!invoice) return err(notFound('invoice'));
    const [view] = await loadInvoiceViews(db, ctx.organizationId, [invoice]);
    return ok(view!);
  };

  /**
   * Renders and stores a credit note's PDF unless it has one, as for invoices: rendered outside any transaction, stored
   * under a lock, `credit_note.generated` reported. Returns the note as it then is.
   */
  const ensureCreditNotePdf = async (organizationId: string, creditNoteId: string): Promise<CreditNoteRow | null> => {
    const seen = await findCreditNote(db, organizationId, creditNoteId);
    if (!seen) return null;
    if (seen.fileUrl) return seen;
    const organization = await findOrganization(db, organizationId);
    if (!organization) return null;
    const now = clock.now();
    const [view] = await loadCreditNoteViews(db, organizationId, [seen]);
    const pdf = await renderCreditNotePdf({ creditNote: serializeCreditNote(view!), organization: documentOrganization(organization) });
    return inTransaction(db, async (tx) => {
      const note = await findCreditNote(tx, organizationId, creditNoteId, true);
      if (!note) return null;
      if (note.fileUrl) return note;
      const token = randomBytes(24).toString('base64url');
      await tx.execute(
        sql`INSERT INTO documents (organization_id, id, object_type, object_id, token, content, created_at)
          VALUES (${organizationId}, ${newId()}, 'credit_note', ${creditNoteId}, ${token}, ${pdf}, ${instantToDate(now).toISOString()}::timestamptz)`,
      );
      const fileUrl = documentUrl(organizationId, token);
      await tx.execute(sql`UPDATE credit_notes SET file_url = ${fileUrl} WHERE organization_id = ${organizationId} AND id = ${creditNoteId}`);
      await recordDomainEvent(tx, { organizationId, type: 'credit_note.generated', objectType: 'credit_note', objectId: creditNoteId, at: now });
      return { ...note, fileUrl };
    });
  };

  /** POST /credit_notes/{id}/download: the credit note with its `file_url`, rendered now if it was not yet. */
  const downloadCreditNote = async (ctx: Ctx, id: string): Promise<Result<CreditNoteView>> => {
    const note = isUuid(id) ? await ensureCreditNotePdf(ctx.organizationId, id) : null;
    if (!note) return err(notFound('credit_note'));
    const [view] = await loadCreditNoteViews(db, ctx.organizationId, [note]);
    return ok(view!);
  };

  // Invoices whose PDF could not be rendered: skipped by this process's background renderer (a download still tries),
  // so that one of them does not hold up the others.
  const failed = new Set<string>();

  /**
   * Renders the PDFs of finalized invoices that have none yet, oldest first, one at a time (each render holds the
   * event loop for tens of milliseconds); returns how many it tried.
   */
  const renderPending = async (limit = 10, onError: (error: unknown) => void = () => {}): Promise<number> => {
    const pending = (
      await queryRows<{ organization_id: string; id: string }>(
        db,
        sql`SELECT organization_id, id FROM invoices WHERE status = 'finalized' AND file_url IS NULL ORDER BY finalized_at LIMIT ${limit + failed.size}`,
      )
    ).filter((i) => !failed.has(i.id));
    for (const invoice of pending.slice(0, limit)) {
      try {
        await ensureInvoicePdf(invoice.organization_id, invoice.id);
      } catch (error) {
        failed.add(invoice.id);
        onError(error);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Credit notes get theirs the same way, after the invoices.
    const notes = (
      await queryRows<{ organization_id: string; id: string }>(
        db,
        sql`SELECT organization_id, id FROM credit_notes WHERE file_url IS NULL ORDER BY created_at LIMIT ${limit + failed.size}`,
      )
    ).filter((n) => !failed.has(n.id));
    for (const note of notes.slice(0, limit)) {
      try {
        await ensureCreditNotePdf(note.organization_id, note.id);
      } catch (error) {
        failed.add(note.id);
        onError(error);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Math.min(pending.length, limit) + Math.min(notes.length, limit);
  };

  /** The stored PDF a `file_url` names (its organization and token). */
  const fileByToken = async (organizationId: string, token: string): Promise<Buffer | null> => {
    if (!isUuid(organizationId)) return null;
    const [row] = await queryRows<{ content: Uint8Array }>(
      db,
      sql`SELECT content FROM documents WHERE organization_id = ${organizationId} AND token = ${token}`,
    );
    return row ? Buffer.from(row.content) : null;
  };

  /**
   * Renders pending PDFs in the background, every `intervalMs`, the first time one interval after start (by then the
   * server listens, and links carry its address); returns a stop function.
   */
  const start = (intervalMs: number, onError: (error: unknown) => void): (() => Promise<void>) =>
    repeatEvery(
      intervalMs,
      async (stopped) => {
        while (!stopped() && (await renderPending(10, onError)) > 0);
      },
      onError,
      { delayFirst: true },
    );

  return { downloadInvoice, downloadCreditNote, renderPending, fileByToken, start };
};

export type DocumentService = ReturnType<typeof createDocumentService>;
