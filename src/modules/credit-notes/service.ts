import { sql, type SQL } from 'drizzle-orm';
import { estimate as estimateAmounts, itemAmounts } from '../../billing/credit-notes/index.ts';
import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder, invalid, notAllowed, notFound, type BillowError } from '../../lib/errors.ts';
import { pageOffset, paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { likeContains } from '../../lib/text.ts';
import { instantToDate, parseIsoDate } from '../../lib/time.ts';
import { billingEntityCode } from '../customers/views.ts';
import { findCustomerByExternalId } from '../customers/service.ts';
import { findVisibleInvoice } from '../invoices/queries.ts';
import { VISIBLE_STATUSES } from '../invoices/types.ts';
import { findOrganization } from '../organizations/repository.ts';
import { loadInvoiceCreditContext } from './context.ts';
import { issueCreditNote, metadataErrors, readItems } from './issue.ts';
import * as repo from './repository.ts';
import {
  CREDIT_STATUSES,
  REASONS,
  REFUND_STATUSES,
  TYPES,
  type CreditNoteCreateInput,
  type CreditNoteEstimateInput,
  type CreditNoteEstimateView,
  type CreditNoteListQueryInput,
  type CreditNoteUpdateInput,
  type CreditNoteView,
} from './types.ts';
import { loadCreditNoteViews } from './views.ts';

/** A whole amount in cents from a request: absent is 0, a negative amount is out of range, anything else invalid. */
const readCents = (field: string, value: unknown, errors: FieldErrorsBuilder): bigint => {
  if (value === null || value === undefined) return 0n;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^-?\d{1,18}$/.test(text)) {
    errors.add(field, 'value_is_invalid');
    return 0n;
  }
  const cents = BigInt(text);
  if (cents < 0n) errors.add(field, 'value_is_out_of_range');
  return cents;
};

const scalar = (value: unknown): string | undefined => {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};
const listOf = (query: CreditNoteListQueryInput, key: string): string[] => {
  const values = [query[key], query[`${key}[]`]].flatMap((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]));
  return values.filter((v): v is string => typeof v === 'string' && v !== '');
};

export const createCreditNoteService = ({ db }: { db: Db }) => {
  const view = async (tx: Db, ctx: Ctx, row: repo.CreditNoteRow): Promise<CreditNoteView> => (await loadCreditNoteViews(tx, ctx.organizationId, [row]))[0]!;

  /** POST /credit_notes (Lago's `CreditNotes::CreateService` for an API request). */
  const create = async (ctx: Ctx, input: CreditNoteCreateInput): Promise<Result<CreditNoteView>> => {
    const errors = new FieldErrorsBuilder();
    const creditAmountCents = readCents('credit_amount_cents', input.credit_amount_cents, errors);
    const refundAmountCents = readCents('refund_amount_cents', input.refund_amount_cents, errors);
    const offsetAmountCents = readCents('offset_amount_cents', input.offset_amount_cents, errors);
    if (!errors.empty) return err(errors.toError());
    return transact(db, async (tx) => {
      const invoice = input.invoice_id ? await findVisibleInvoice(tx, ctx.organizationId, input.invoice_id, VISIBLE_STATUSES, true) : null;
      if (!invoice) return err(notFound('invoice'));
      const issued = await issueCreditNote(
        tx,
        invoice,
        {
          reason: input.reason ?? 'other',
          description: input.description ?? null,
          creditAmountCents,
          refundAmountCents,
          offsetAmountCents,
          items: input.items,
          metadata: input.metadata ?? null,
          automatic: false,
        },
        ctx.clock.now(),
      );
      return issued.ok ? ok(await view(tx, ctx, issued.value)) : issued;
    });
  };

  /**
   * POST /credit_notes/estimate (Lago's `CreditNotes::EstimateService`): the items are read and checked as for a
   * credit note, and the amounts it would have are answered; nothing is written.
   */
  const estimate = async (ctx: Ctx, input: CreditNoteEstimateInput): Promise<Result<CreditNoteEstimateView>> => {
    const invoice = input.invoice_id ? await findVisibleInvoice(db, ctx.organizationId, input.invoice_id, VISIBLE_STATUSES) : null;
    if (!invoice) return err(notFound('invoice'));
    if (!['finalized', 'voided'].includes(invoice.status) || invoice.invoiceType === 'credit') return err(notAllowed('invalid_type_or_status'));
    const context = await loadInvoiceCreditContext(db, invoice);
    // The estimate reads item amounts as whole cents (Lago's `to_i`).
    const items = Array.isArray(input.items)
      ? input.items.map((raw) => {
          const item = (raw ?? {}) as { amount_cents?: unknown };
          const n = typeof item.amount_cents === 'number' || typeof item.amount_cents === 'string' ? Number(item.amount_cents) : 0;
          return { ...item, amount_cents: Number.isFinite(n) ? Math.trunc(n) : item.amount_cents };
        })
      : input.items;
    const read = readItems(context, items);
    if (!read.ok) return read;
    const amounts = itemAmounts(context.creditable, context.taxes, read.value);
    const result = estimateAmounts(context.creditable, amounts);
    return ok({
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      currency: invoice.currency,
      taxesAmountCents: result.taxesAmountCents,
      preciseTaxesAmountCents: amounts.preciseTaxesAmountCents.toFixed(),
      subTotalExcludingTaxesAmountCents: amounts.subTotalExcludingTaxesAmountCents,
      maxCreditableAmountCents: result.maxCreditableAmountCents,
      maxRefundableAmountCents: result.maxRefundableAmountCents,
      couponsAdjustmentAmountCents: amounts.couponsAdjustmentAmountCents,
      preciseCouponsAdjustmentAmountCents: amounts.preciseCouponsAdjustmentAmountCents.toFixed(),
      taxesRate: Number(amounts.taxesRate.toFixed()),
      items: read.value.map((i) => ({ feeId: i.fee.id, amountCents: BigInt(i.preciseAmountCents.toDecimalPlaces(0).toFixed(0)) })),
      appliedTaxes: amounts.appliedTaxes.map((t) => ({
        taxId: t.tax.taxId,
        name: t.tax.name,
        code: t.tax.code,
        rate: t.tax.rate.toFixed(),
        description: t.tax.description,
        baseAmountCents: t.baseAmountCents,
        amountCents: t.amountCents,
        currency: invoice.currency,
      })),
    });
  };

  /** Lago's `CreditNotesQuery` filters as SQL; a filter value Lago ignores (an unknown status) is ignored too. */
  const conditions = async (ctx: Ctx, query: CreditNoteListQueryInput, customerId: string | null): Promise<Result<SQL>> => {
    const c: SQL[] = [sql`credit_notes.organization_id = ${ctx.organizationId}`, sql`credit_notes.status = 'finalized'`];
    const errors = new FieldErrorsBuilder();
    const codes = listOf(query, 'billing_entity_codes');
    if (codes.length > 0) {
      const organization = await findOrganization(db, ctx.organizationId);
      if (!organization || codes.some((code) => code !== billingEntityCode(organization))) return err(notFound('billing_entity'));
    }
    if (customerId !== null) c.push(sql`credit_notes.customer_id = ${customerId}`);
    const external = scalar(query.external_customer_id);
    if (customerId === null && external !== undefined) {
      c.push(sql`credit_notes.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${ctx.organizationId} AND cu.external_id = ${external})`);
    }
    const currency = scalar(query.currency);
    if (currency !== undefined) {
      if (isCurrency(currency)) c.push(sql`credit_notes.currency = ${currency}`);
      else errors.add('currency', 'value_is_invalid');
    }
    const within = (key: string, allowed: readonly string[], column: SQL) => {
      const values = listOf(query, key).filter((v) => allowed.includes(v));
      if (values.length > 0) c.push(sql`${column} IN (${sql.join(values.map((v) => sql`${v}`), sql`, `)})`);
    };
    within('reason', REASONS, sql`credit_notes.reason`);
    within('credit_status', CREDIT_STATUSES, sql`credit_notes.credit_status`);
    within('refund_status', REFUND_STATUSES, sql`credit_notes.refund_status`);
    const types = listOf(query, 'types').filter((t) => (TYPES as readonly string[]).includes(t));
    if (types.length > 0) c.push(sql`(${sql.join(types.map((t) => sql.raw(`credit_notes.${t}_amount_cents > 0`)), sql` OR `)})`);
    const invoiceNumber = scalar(query.invoice_number);
    if (invoiceNumber !== undefined) {
      c.push(sql`credit_notes.invoice_id IN (SELECT i.id FROM invoices i WHERE i.organization_id = ${ctx.organizationId} AND i.number = ${invoiceNumber})`);
    }
    // Billow records no purchase order numbers and no self-billed invoices.
    if (scalar(query.purchase_order_number) !== undefined || ['true', '1', 't'].includes(scalar(query.self_billed) ?? '')) c.push(sql`false`);
    for (const [key, op] of [
      ['issuing_date_from', '>='],
      ['issuing_date_to', '<='],
    ] as const) {
      const value = scalar(query[key]);
      if (value === undefined) continue;
      // Lago drops a date it cannot read.
      const date = parseIsoDate(value);
      if (date) c.push(sql`credit_notes.issuing_date ${sql.raw(op)} ${date.toString()}::date`);
    }
    for (const [key, op] of [
      ['amount_from', '>='],
      ['amount_to', '<='],
    ] as const) {
      const value = scalar(query[key]);
      if (value === undefined) continue;
      if (/^-?\d{1,18}$/.test(value)) c.push(sql`credit_notes.total_amount_cents ${sql.raw(op)} ${value}::bigint`);
      else errors.add(key, 'value_is_invalid');
    }
    const term = scalar(query.search_term);
    if (term !== undefined) {
      // Lago's search: the id and the number contain the term; unless the list is one customer's, the customer's names,
      // external id and email too.
      const like = likeContains(term);
      const branches: SQL[] = [sql`credit_notes.id::text ILIKE ${like}`, sql`credit_notes.number ILIKE ${like}`];
      if (customerId === null) {
        branches.push(sql`credit_notes.customer_id IN (SELECT cu.id FROM customers cu WHERE cu.organization_id = ${ctx.organizationId}
          AND (cu.name ILIKE ${like} OR cu.firstname ILIKE ${like} OR cu.lastname ILIKE ${like} OR cu.external_id ILIKE ${like} OR cu.email ILIKE ${like}))`);
      }
      c.push(sql`(${sql.join(branches, sql` OR `)})`);
    }
    if (!errors.empty) return err(errors.toError());
    return ok(sql.join(c, sql` AND `));
  };

  const listWhere = async (ctx: Ctx, query: CreditNoteListQueryInput, page: PageRequest, customerId: string | null): Promise<Result<Page<CreditNoteView>>> => {
    const where = await conditions(ctx, query, customerId);
    if (!where.ok) return where;
    const { rows, total } = await repo.listCreditNotes(db, where.value, page.perPage, pageOffset(page));
    return ok({ items: await loadCreditNoteViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /** GET /credit_notes: the organization's credit notes, newest first, with Lago's filters. */
  const list = (ctx: Ctx, query: CreditNoteListQueryInput, page: PageRequest) => listWhere(ctx, query, page, null);

  /** GET /customers/{external_customer_id}/credit_notes. */
  const listForCustomer = async (ctx: Ctx, externalCustomerId: string, query: CreditNoteListQueryInput, page: PageRequest) => {
    const customer = await findCustomerByExternalId(db, ctx.organizationId, externalCustomerId);
    if (!customer) return err(notFound('customer'));
    return listWhere(ctx, query, page, customer.id);
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<CreditNoteView>> => {
    const row = await repo.findCreditNote(db, ctx.organizationId, id);
    return row ? ok(await view(db, ctx, row)) : err(notFound('credit_note'));
  };

  /**
   * PUT /credit_notes/{id} (Lago's `CreditNotes::UpdateService`): `refund_status` (a succeeded refund is dated) and
   * `metadata`, merged into what the note holds (a new key is added, a given key replaced).
   */
  const update = async (ctx: Ctx, id: string, input: CreditNoteUpdateInput): Promise<Result<CreditNoteView>> =>
    transact(db, async (tx) => {
      const row = await repo.findCreditNote(tx, ctx.organizationId, id, true);
      if (!row) return err(notFound('credit_note'));
      const changes: Partial<repo.CreditNoteRow> = {};
      if (input.refund_status !== undefined) {
        if (input.refund_status !== null && !(REFUND_STATUSES as readonly string[]).includes(input.refund_status)) {
          return err(invalid('refund_status', 'value_is_invalid'));
        }
        if (input.refund_status !== row.refundStatus) {
          changes.refundStatus = input.refund_status;
          if (input.refund_status === 'succeeded') changes.refundedAt = instantToDate(ctx.clock.now());
        }
      }
      if (input.metadata !== undefined && input.metadata !== null) {
        const merged = { ...(row.metadata ?? {}), ...input.metadata };
        const problem: BillowError | null = metadataErrors(merged);
        if (problem) return err(problem);
        if (JSON.stringify(merged) !== JSON.stringify(row.metadata)) changes.metadata = merged;
      }
      if (Object.keys(changes).length === 0) return ok(await view(tx, ctx, row));
      const updated = await repo.updateCreditNote(tx, ctx.organizationId, row.id, { ...changes, updatedAt: instantToDate(ctx.clock.now()) });
      return ok(await view(tx, ctx, updated));
    });

  /** PUT /credit_notes/{id}/void (Lago's `CreditNotes::VoidService`): the credit left is given up. */
  const voidCreditNote = async (ctx: Ctx, id: string): Promise<Result<CreditNoteView>> =>
    transact(db, async (tx) => {
      const row = await repo.findCreditNote(tx, ctx.organizationId, id, true);
      if (!row) return err(notFound('credit_note'));
      if (row.creditStatus === 'voided' || row.balanceAmountCents <= 0n) return err(notAllowed('no_voidable_amount'));
      const now = instantToDate(ctx.clock.now());
      const voided = await repo.updateCreditNote(tx, ctx.organizationId, row.id, { creditStatus: 'voided', voidedAt: now, balanceAmountCents: 0n, updatedAt: now });
      return ok(await view(tx, ctx, voided));
    });

  return { create, estimate, list, listForCustomer, get, update, void: voidCreditNote };
};

export type CreditNoteService = ReturnType<typeof createCreditNoteService>;
