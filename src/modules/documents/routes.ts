import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, wrapped } from '../../http/schemas.ts';
import { InvoiceObject, serializeInvoice } from '../invoices/serialize.ts';
import type { InvoiceView } from '../invoices/types.ts';
import type { DocumentService } from './service.ts';
import { CreditNoteObject, serializeCreditNote } from '../credit-notes/serialize.ts';
import type { CreditNoteView } from '../credit-notes/types.ts';

const IdParams = Type.Object({ lago_id: Type.String() });
const one = (view: InvoiceView) => ({ invoice: serializeInvoice(view) });

/** POST /invoices/{id}/download and /credit_notes/{id}/download (and Lago's aliases /download_pdf): the object with its PDF's `file_url`. */
export const documentRoutes =
  (documents: DocumentService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const schema = { tags: ['invoices'], params: IdParams, response: { 200: wrapped('invoice', InvoiceObject), ...errorResponses } };
    for (const url of ['/invoices/:lago_id/download', '/invoices/:lago_id/download_pdf']) {
      app.post(url, { schema }, async (request, reply) => respond(reply, await documents.downloadInvoice(request.ctx, request.params.lago_id), one));
    }
    const creditNoteSchema = { tags: ['credit_notes'], params: IdParams, response: { 200: wrapped('credit_note', CreditNoteObject), ...errorResponses } };
    // Lago answers the note without its items, taxes and customer here.
    const note = (view: CreditNoteView) => ({ credit_note: serializeCreditNote(view, []) });
    for (const url of ['/credit_notes/:lago_id/download', '/credit_notes/:lago_id/download_pdf']) {
      app.post(url, { schema: creditNoteSchema }, async (request, reply) => respond(reply, await documents.downloadCreditNote(request.ctx, request.params.lago_id), note));
    }
  };

/** The documents' public links (no API key, like a storage link): GET /documents/{organization id}/{token}.pdf. */
export const documentFileRoutes =
  (documents: DocumentService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const params = Type.Object({ organization: Type.String({ maxLength: 40 }), file: Type.String({ maxLength: 80 }) });
    app.get('/documents/:organization/:file', { schema: { hide: true, params } }, async (request, reply) => {
      const token = request.params.file.replace(/\.pdf$/, '');
      const pdf = /^[A-Za-z0-9_-]+$/.test(token) ? await documents.fileByToken(request.params.organization, token) : null;
      if (!pdf) return reply.status(404).send({ status: 404, error: 'Not Found', code: 'document_not_found' });
      return reply.header('content-type', 'application/pdf').header('cache-control', 'private, max-age=3600').send(pdf);
    });
  };
