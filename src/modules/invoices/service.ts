import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { forbidden, invalid, notAllowed, notFound } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { revertInvoiceAmounts } from '../billing/invoice-writer.ts';
import { createOneOffInvoice, type OneOffInput } from '../billing/one-off.ts';
import { findCustomerByExternalId } from '../customers/service.ts';
import { billingEntityCode } from '../customers/views.ts';
import { findOrganization } from '../organizations/repository.ts';
import * as queries from './queries.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import * as repo from './repository.ts';
import { setInvoicePaymentStatus } from './payment-status.ts';
import { readVoidRequest, voidLockedInvoice } from './void.ts';
import {
  checkMetadataEntry,
  isPaymentStatus,
  METADATA_PER_INVOICE,
  parseInvoiceFilters,
  VISIBLE_STATUSES,
  type InvoiceDetailView,
  type InvoiceListQueryInput,
  type InvoiceRow,
  type InvoiceUpdateInput,
  type InvoiceView,
  type InvoiceVoidInput,
  type MetadataEntryInput,
} from './types.ts';

export type { InvoiceDetailView, InvoiceView } from './types.ts';

/** The part of the billing engine the invoice API drives. */
export interface InvoiceBilling {
  refreshDraft(tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow>;
  refreshAndFinalize(tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow>;
  retry(tx: Db, invoice: InvoiceRow, now: Temporal.Instant): Promise<InvoiceRow | null>;
}

export const createInvoiceService = ({ db, billing }: { db: Db; billing: InvoiceBilling }) => {
  const detail = (tx: Db, ctx: Ctx, invoice: InvoiceRow): Promise<InvoiceDetailView> => queries.loadInvoiceDetail(tx, invoice, ctx.clock.now());

  /** The invoice a member route names: visible to the API, locked for the rest of the transaction. */
  const lockVisible = (tx: Db, ctx: Ctx, id: string, statuses: readonly string[] = VISIBLE_STATUSES) =>
    queries.findVisibleInvoice(tx, ctx.organizationId, id, statuses, true);

  const listScoped = async (ctx: Ctx, query: InvoiceListQueryInput, page: PageRequest, externalCustomerId?: string): Promise<Result<Page<InvoiceView>>> => {
    const { filters, errors } = parseInvoiceFilters(query);
    // Billow has one billing entity per organization; Lago answers 404 unless every code names one of its entities.
    if (filters.billingEntityCodes) {
      const organization = await findOrganization(db, ctx.organizationId);
      const code = organization ? billingEntityCode(organization) : null;
      if (filters.billingEntityCodes.length !== 1 || filters.billingEntityCodes[0] !== code) return err(notFound('billing_entity'));
    }
    if (!errors.empty) return err(errors.toError());
    if (externalCustomerId !== undefined) filters.externalCustomerId = externalCustomerId;
    const { rows, total } = await queries.listInvoices(db, ctx.organizationId, filters, page);
    return ok({ items: await queries.loadInvoiceViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /** GET /invoices: the organization's visible invoices, with Lago's filters. */
  const list = (ctx: Ctx, query: InvoiceListQueryInput, page: PageRequest) => listScoped(ctx, query, page);

  /** GET /customers/{external_customer_id}/invoices: the same list for one customer, who must exist. */
  const listForCustomer = async (ctx: Ctx, externalCustomerId: string, query: InvoiceListQueryInput, page: PageRequest) => {
    const customer = await findCustomerByExternalId(db, ctx.organizationId, externalCustomerId);
    if (!customer) return err(notFound('customer'));
    return listScoped(ctx, query, page, customer.externalId);
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<InvoiceDetailView>> => {
    const invoice = await queries.findVisibleInvoice(db, ctx.organizationId, id, VISIBLE_STATUSES);
    return invoice ? ok(await detail(db, ctx, invoice)) : err(notFound('invoice'));
  };

  /**
   * Lago's `Invoices::Metadata::UpdateService`: an entry with the id of one of the invoice's entries changes it, any
   * other entry is added, and entries the request does not name are removed. Each write is checked as Lago's model
   * checks it, in the order given, so a key can only move to an entry once the entry holding it was changed.
   */
  const replaceMetadata = async (tx: Db, invoice: InvoiceRow, entries: readonly MetadataEntryInput[], now: Date): Promise<Result<null>> => {
    const organizationId = invoice.organizationId;
    const current = new Map((await queries.metadataOfInvoices(tx, organizationId, [invoice.id])).map((m) => [m.id, { key: m.key, value: m.value }]));
    const existing = [...current.keys()];
    const kept = new Set<string>();
    const keyTaken = (key: string | null, selfId: string | null) => [...current].some(([id, m]) => id !== selfId && m.key === key);
    for (const entry of entries) {
      if (entry.id != null) kept.add(entry.id);
      const found = entry.id != null && isUuid(entry.id) ? current.get(entry.id) : undefined;
      if (found) {
        const next = { key: entry.key === undefined ? found.key : entry.key, value: entry.value === undefined ? found.value : entry.value };
        const errors = checkMetadataEntry(next, keyTaken(next.key, entry.id!));
        if (!errors.empty) return err(errors.toError());
        await queries.updateMetadata(tx, organizationId, entry.id!, next.key!, next.value!, now);
        current.set(entry.id!, { key: next.key!, value: next.value! });
        continue;
      }
      const created = { key: entry.key ?? null, value: entry.value ?? null };
      const errors = checkMetadataEntry(created, keyTaken(created.key, null));
      if (!errors.empty) return err(errors.toError());
      const id = newId();
      await queries.insertMetadata(tx, {
        organizationId,
        id,
        invoiceId: invoice.id,
        key: created.key!,
        value: created.value!,
        createdAt: now,
        updatedAt: now,
      });
      current.set(id, { key: created.key!, value: created.value! });
      kept.add(id);
    }
    await queries.deleteMetadata(
      tx,
      organizationId,
      existing.filter((id) => !kept.has(id)),
    );
    return ok(null);
  };

  /**
   * PUT /invoices/{id}, with Lago's `Invoices::UpdateService` rules in its order: a voided invoice is closed to
   * changes, a draft takes no metadata and keeps its payment status, a paid invoice is no longer overdue, and the
   * invoice's fees take its payment status.
   */
  const update = async (ctx: Ctx, id: string, input: InvoiceUpdateInput): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id);
      if (!invoice) return err(notFound('invoice'));
      if (invoice.status === 'voided') return err(notAllowed('update_on_voided_invoice'));
      const metadata = input.metadata ?? null;
      if (invoice.status === 'draft' && metadata !== null) return err(notAllowed('metadata_on_draft_invoice'));
      const statusGiven = input.payment_status !== undefined;
      if (statusGiven && !isPaymentStatus(input.payment_status)) return err(invalid('payment_status', 'value_is_invalid'));
      if (metadata !== null && metadata.length > METADATA_PER_INVOICE) return err(invalid('metadata', 'invalid_count'));
      const paymentStatus = statusGiven ? input.payment_status! : invoice.paymentStatus;
      if (invoice.status === 'draft' && paymentStatus !== invoice.paymentStatus) return err(notAllowed('payment_status_update_on_draft_invoice'));

      const now = instantToDate(ctx.clock.now());
      let updated = await setInvoicePaymentStatus(tx, invoice, paymentStatus, ctx.clock.now());
      if (metadata !== null) {
        updated = await repo.updateInvoice(tx, ctx.organizationId, invoice.id, { updatedAt: now });
        const replaced = await replaceMetadata(tx, invoice, metadata, now);
        if (!replaced.ok) return replaced;
      }
      return ok(await detail(tx, ctx, updated));
    });

  /**
   * DELETE /invoices/{id}: only a draft can go. Its coupon credits are given back, its fees and taxes removed, and it
   * becomes `deleted` (kept, hidden from the API, so the periods it billed are not billed again). The answer shows the
   * draft as it was, with its new status.
   */
  const destroy = async (ctx: Ctx, id: string): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id);
      if (!invoice) return err(notFound('invoice'));
      if (invoice.status !== 'draft') return err(notAllowed('not_deletable'));
      const before = await detail(tx, ctx, invoice);
      const now = ctx.clock.now();
      await revertInvoiceAmounts(tx, invoice, now);
      const deleted = await repo.updateInvoice(tx, ctx.organizationId, invoice.id, { status: 'deleted', finalizeAt: null, updatedAt: instantToDate(now) });
      return ok({ ...before, invoice: deleted });
    });

  /** Recomputes a draft now; fees keep the invoice's creation time, as Lago keeps them after a refresh. */
  const recompute = async (tx: Db, ctx: Ctx, invoice: InvoiceRow): Promise<InvoiceRow> => {
    const refreshed = await billing.refreshDraft(tx, invoice, ctx.clock.now());
    await queries.stampFeesCreatedAt(tx, ctx.organizationId, invoice.id, invoice.createdAt);
    return refreshed;
  };

  /**
   * PUT /invoices/{id}/refresh: a draft is recomputed from its subscriptions' usage now (late events included); any
   * other invoice is answered as it is, as Lago does. Only subscription invoices can be refreshed.
   */
  const refresh = async (ctx: Ctx, id: string): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id);
      if (!invoice) return err(notFound('invoice'));
      if (invoice.invoiceType !== 'subscription') return err(forbidden('feature_unavailable'));
      if (invoice.status !== 'draft') return ok(await detail(tx, ctx, invoice));
      return ok(await detail(tx, ctx, await recompute(tx, ctx, invoice)));
    });

  /**
   * PUT /invoices/{id}/finalize, as Lago's `Invoices::RefreshDraftAndFinalizeService`: only a draft is found (anything
   * else is a 404). The billing engine refreshes it, dates it (issued the day it is finalized, unless a periodic invoice
   * keeps its anchor; due `net_payment_term` days later) and finalizes it, or closes it when it is zero and the
   * customer does not finalize those.
   */
  const finalize = async (ctx: Ctx, id: string): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id, ['draft']);
      if (!invoice) return err(notFound('invoice'));
      if (invoice.invoiceType !== 'subscription') return err(forbidden('feature_unavailable'));
      const finalized = await billing.refreshAndFinalize(tx, invoice, ctx.clock.now());
      await queries.stampFeesCreatedAt(tx, ctx.organizationId, invoice.id, invoice.createdAt);
      return ok(await detail(tx, ctx, finalized));
    });

  /**
   * POST /invoices/{id}/retry: a `failed` invoice (billing could not compute it) is computed again and finalized, or
   * left a draft for the customer's grace period; any other invoice is Lago's 405 `invalid_status`.
   */
  const retry = async (ctx: Ctx, id: string): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id);
      if (!invoice) return err(notFound('invoice'));
      if (invoice.status !== 'failed') return err(notAllowed('invalid_status'));
      const retried = await billing.retry(tx, invoice, ctx.clock.now());
      return retried ? ok(await detail(tx, ctx, retried)) : err(notAllowed('invalid_status'));
    });

  /** POST /invoices: a one-off invoice of add-on fees, finalized at once. */
  const create = async (ctx: Ctx, input: OneOffInput): Promise<Result<InvoiceDetailView>> => {
    const created = await createOneOffInvoice(db, ctx, input);
    return created.ok ? ok(await detail(db, ctx, created.value)) : created;
  };

  /** POST /invoices/{id}/void, as Lago's `Invoices::VoidService` (see void.ts). */
  const voidInvoice = async (ctx: Ctx, id: string, input: InvoiceVoidInput | undefined): Promise<Result<InvoiceDetailView>> =>
    transact(db, async (tx) => {
      const invoice = await lockVisible(tx, ctx, id);
      if (!invoice) return err(notFound('invoice'));
      const voided = await voidLockedInvoice(tx, invoice, readVoidRequest(input), ctx.clock.now());
      return voided.ok ? ok(await detail(tx, ctx, voided.value)) : voided;
    });

  return { create, list, listForCustomer, get, update, destroy, refresh, finalize, void: voidInvoice, retry };
};

export type InvoiceService = ReturnType<typeof createInvoiceService>;
