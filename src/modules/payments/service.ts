import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, forbidden, invalid, notFound } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import { findCustomerByExternalId } from '../customers/service.ts';
import { setInvoicePaymentStatus } from '../invoices/payment-status.ts';
import * as invoicesRepo from '../invoices/repository.ts';
import type { InvoiceRow } from '../invoices/types.ts';
import { offsetsOfInvoices } from '../credit-notes/repository.ts';
import { totalDueAmountCents } from './invoice-due.ts';
import * as repo from './repository.ts';
import {
  MANUALLY_PAYABLE_STATUSES,
  REFERENCE_MAX_LENGTH,
  type PaymentCreateInput,
  type PaymentFilters,
  type PaymentView,
} from './types.ts';

/** Ruby's `blank?` for a permitted parameter: nothing, false, or only spaces (lists and objects are not permitted). */
const blank = (value: unknown): boolean =>
  value === undefined || value === null || value === false || (typeof value === 'string' && value.trim() === '') || typeof value === 'object';

/** A scalar parameter as Rails stores it in a string column. */
const asText = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : typeof value === 'boolean' ? (value ? 't' : 'f') : null;

/** Lago's "Invalid format" message of its list filter contract, which it returns as the error code. */
const INVALID_FORMAT = 'is in invalid format';

export const createPaymentService = ({ db }: { db: Db }) => {
  /**
   * When the payment was made: `paid_at` when given (an ISO 8601 date or date-time), else now. Lago does not read
   * `paid_at` on an `advance_charges` invoice's payment beyond parsing it, so there an unreadable one means now.
   */
  const paidAt = (input: PaymentCreateInput, invoice: InvoiceRow, now: Temporal.Instant): Result<Temporal.Instant> => {
    if (blank(input.paid_at)) return ok(now);
    const parsed = parseIsoDateTime(input.paid_at);
    if (parsed) return ok(parsed);
    return invoice.invoiceType === 'advance_charges' ? ok(now) : err(invalid('paid_at', 'invalid_date'));
  };

  /**
   * The checks Lago's `Payment` model makes as it saves a manual payment, all reported at once: a reference, at most
   * 40 characters; a credit invoice (a wallet top-up) is paid in full or not at all; never more than is due.
   */
  const checkPayment = (reference: string | null, amount: bigint, invoice: InvoiceRow, due: bigint): FieldErrorsBuilder => {
    const errors = new FieldErrorsBuilder();
    if (reference === null || reference.trim() === '') errors.add('reference', 'value_is_mandatory');
    else if (reference.length > REFERENCE_MAX_LENGTH) errors.add('reference', 'value_is_too_long');
    if (invoice.invoiceType === 'credit' && amount !== invoice.totalAmountCents) errors.add('amount_cents', 'invalid_amount');
    if (amount > due) errors.add('amount_cents', 'value_is_out_of_range');
    return errors;
  };

  /**
   * POST /payments, as Lago's `Payments::ManualCreateService`: a payment recorded against an invoice of the
   * organization. The invoice's `total_paid_amount_cents` becomes the sum of its succeeded payments, and once that
   * and what credit notes offset cover its total, it is paid (`invoice.payment_status_updated`, no longer overdue, a
   * wallet top-up's credits settle). Partly paid, it stays as it was (overdue included). The invoice row is locked, so
   * two payments at once cannot both take what is due.
   */
  const create = (ctx: Ctx, input: PaymentCreateInput): Promise<Result<PaymentView>> =>
    transact(db, async (tx) => {
      if (blank(input.invoice_id)) return err(invalid('invoice_id', 'value_is_mandatory'));
      const amountInput = input.amount_cents;
      if (typeof amountInput !== 'number' || !Number.isInteger(amountInput) || amountInput <= 0) return err(invalid('amount_cents', 'invalid_value'));
      const invoiceId = asText(input.invoice_id);
      const invoice = isUuid(invoiceId) ? await invoicesRepo.findInvoice(tx, ctx.organizationId, invoiceId, true) : null;
      if (!invoice) return err(notFound('invoice'));
      // Lago takes payments of advance-charges invoices (paid fees regrouped) whatever their status.
      if (invoice.invoiceType !== 'advance_charges' && !MANUALLY_PAYABLE_STATUSES.includes(invoice.status)) return err(forbidden('feature_unavailable'));
      const now = ctx.clock.now();
      const paid = paidAt(input, invoice, now);
      if (!paid.ok) return paid;

      const amount = BigInt(amountInput);
      const offset = (await offsetsOfInvoices(tx, ctx.organizationId, [invoice.id])).get(invoice.id) ?? 0n;
      const errors = checkPayment(asText(input.reference), amount, invoice, totalDueAmountCents(invoice, offset));
      if (!errors.empty) return err(errors.toError());

      const payment = await repo.insertPayment(tx, {
        organizationId: ctx.organizationId,
        id: newId(),
        customerId: invoice.customerId,
        invoiceId: invoice.id,
        amountCents: amount,
        amountCurrency: invoice.currency,
        paymentType: 'manual',
        status: 'succeeded',
        payablePaymentStatus: 'succeeded',
        reference: asText(input.reference),
        createdAt: instantToDate(paid.value),
        updatedAt: instantToDate(now),
      });
      const totalPaid = await repo.succeededPaymentsTotal(tx, ctx.organizationId, invoice.id);
      const updated = await invoicesRepo.updateInvoice(tx, ctx.organizationId, invoice.id, { totalPaidAmountCents: totalPaid, updatedAt: instantToDate(now) });
      if (totalPaid + offset === invoice.totalAmountCents) await setInvoicePaymentStatus(tx, updated, 'succeeded', now);
      const [view] = await repo.loadPaymentViews(tx, ctx.organizationId, [payment]);
      return ok(view!);
    });

  /**
   * Reads Lago's payment list filters: `invoice_id` must look like a UUID (422 otherwise, with Lago's contract
   * message); a blank filter is no filter.
   */
  const filtersOf = (query: { invoice_id?: unknown; external_customer_id?: unknown }): Result<PaymentFilters> => {
    const filters: PaymentFilters = {};
    const invoiceId = typeof query.invoice_id === 'string' ? query.invoice_id : undefined;
    if (invoiceId !== undefined && invoiceId.trim() !== '') {
      if (!isUuid(invoiceId)) return err(invalid('invoice_id', INVALID_FORMAT));
      filters.invoiceId = invoiceId;
    }
    const external = typeof query.external_customer_id === 'string' ? query.external_customer_id : undefined;
    if (external !== undefined && external.trim() !== '') filters.externalCustomerId = external;
    return ok(filters);
  };

  const listWith = async (ctx: Ctx, filters: PaymentFilters, page: PageRequest): Promise<Result<Page<PaymentView>>> => {
    const { rows, total } = await repo.listPayments(db, ctx.organizationId, filters, page);
    return ok({ items: await repo.loadPaymentViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /** GET /payments: the organization's payments, newest first, by customer and invoice. */
  const list = async (ctx: Ctx, query: { invoice_id?: unknown; external_customer_id?: unknown }, page: PageRequest) => {
    const filters = filtersOf(query);
    return filters.ok ? listWith(ctx, filters.value, page) : filters;
  };

  /** GET /customers/{external_customer_id}/payments: the same list for one customer, who must exist. */
  const listForCustomer = async (ctx: Ctx, externalCustomerId: string, query: { invoice_id?: unknown }, page: PageRequest) => {
    const customer = await findCustomerByExternalId(db, ctx.organizationId, externalCustomerId);
    if (!customer) return err(notFound('customer'));
    const filters = filtersOf({ invoice_id: query.invoice_id, external_customer_id: customer.externalId });
    return filters.ok ? listWith(ctx, filters.value, page) : filters;
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<PaymentView>> => {
    const payment = isUuid(id) ? await repo.findVisiblePayment(db, ctx.organizationId, id) : null;
    if (!payment) return err(notFound('payment'));
    const [view] = await repo.loadPaymentViews(db, ctx.organizationId, [payment]);
    return ok(view!);
  };

  return { create, list, listForCustomer, get };
};

export type PaymentService = ReturnType<typeof createPaymentService>;
