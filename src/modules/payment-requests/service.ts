import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { notAllowed, notFound } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { findCustomerByExternalId } from '../customers/service.ts';
import { sanitizeEmail } from '../customers/types.ts';
import { billingEntityCode } from '../customers/views.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { findOrganization } from '../organizations/repository.ts';
import { offsetsOfInvoices } from '../credit-notes/repository.ts';
import * as repo from './repository.ts';
import type { PaymentRequestCreateInput, PaymentRequestFilters, PaymentRequestListQueryInput, PaymentRequestView } from './types.ts';
import { loadPaymentRequestView, loadPaymentRequestViews } from './views.ts';

/** A scalar parameter as Rails stores it in a string column; lists and objects are not permitted (none given). */
const asText = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);

/** A query parameter given once; a repeated one (a list) is dropped, as Rails' `permit` drops it. */
const scalar = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const createPaymentRequestService = ({ db }: { db: Db }) => {
  /**
   * POST /payment_requests, as Lago's `PaymentRequests::CreateService`: a request that the customer pay some of its
   * overdue invoices at once. The customer must exist (404), and the invoices named are the customer's (ids of other
   * customers' invoices are left out; none left: 404 `invoice_not_found`), all overdue (405 `invoices_not_overdue`) and
   * in one currency (405 `invoices_have_different_currencies`). It asks for what they have left to pay (total, less
   * what was paid and what credit notes offset), is sent to `email` or the customer's email, and reports
   * `payment_request.created`. Billow has no payment provider to charge it: the invoices are paid one by one (POST
   * /payments, PUT /invoices), and the request itself stays `pending`, as Lago leaves it without a provider.
   */
  const create = (ctx: Ctx, input: PaymentRequestCreateInput): Promise<Result<PaymentRequestView>> =>
    transact(db, async (tx) => {
      const externalId = asText(input.external_customer_id);
      const customer = externalId === null ? null : await findCustomerByExternalId(tx, ctx.organizationId, externalId);
      if (!customer) return err(notFound('customer'));
      const ids = Array.isArray(input.lago_invoice_ids) ? input.lago_invoice_ids.filter(isUuid) : [];
      const invoices = await repo.lockCustomerInvoices(tx, ctx.organizationId, customer.id, [...new Set(ids.map((id) => id.toLowerCase()))]);
      if (invoices.length === 0) return err(notFound('invoice'));
      if (invoices.some((i) => !i.paymentOverdue)) return err(notAllowed('invoices_not_overdue'));
      if (new Set(invoices.map((i) => i.currency)).size > 1) return err(notAllowed('invoices_have_different_currencies'));

      const offsets = await offsetsOfInvoices(tx, ctx.organizationId, invoices.map((i) => i.id));
      const amount = invoices.reduce((sum, i) => sum + i.totalAmountCents - i.totalPaidAmountCents - (offsets.get(i.id) ?? 0n), 0n);
      const given = asText(input.email);
      const email = given === null ? customer.email : sanitizeEmail(given);
      const now = ctx.clock.now();
      const request = await repo.insertPaymentRequest(
        tx,
        {
          organizationId: ctx.organizationId,
          id: newId(),
          customerId: customer.id,
          amountCents: amount,
          amountCurrency: invoices[0]!.currency,
          email,
          paymentStatus: 'pending',
          createdAt: instantToDate(now),
          updatedAt: instantToDate(now),
        },
        invoices.map((i) => i.id),
      );
      await recordDomainEvent(tx, { organizationId: ctx.organizationId, type: 'payment_request.created', objectType: 'payment_request', objectId: request.id, at: now });
      return ok((await loadPaymentRequestView(tx, ctx.organizationId, request.id))!);
    });

  /**
   * Lago's payment request filters. A filter given empty still filters (it matches nothing), as Lago's query tests
   * presence, not blankness. `billing_entity_codes[]` must all name the organization's one billing entity (404).
   */
  const listWith = async (ctx: Ctx, query: PaymentRequestListQueryInput, page: PageRequest, externalCustomerId?: string): Promise<Result<Page<PaymentRequestView>>> => {
    const codes = query['billing_entity_codes[]'];
    const codeList = (typeof codes === 'string' ? [codes] : (codes ?? [])).filter((c) => c !== '');
    if (codeList.length > 0) {
      const organization = await findOrganization(db, ctx.organizationId);
      const code = organization ? billingEntityCode(organization) : null;
      if ([...new Set(codeList)].some((c) => c !== code)) return err(notFound('billing_entity'));
    }
    const filters: PaymentRequestFilters = {};
    const external = externalCustomerId ?? scalar(query.external_customer_id);
    if (external !== undefined) filters.externalCustomerId = external;
    const status = scalar(query.payment_status);
    if (status !== undefined) filters.paymentStatus = status;
    const currency = scalar(query.currency);
    if (currency !== undefined) filters.currency = currency;
    const { rows, total } = await repo.listPaymentRequests(db, ctx.organizationId, filters, page);
    return ok({ items: await loadPaymentRequestViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  /** GET /payment_requests. */
  const list = (ctx: Ctx, query: PaymentRequestListQueryInput, page: PageRequest) => listWith(ctx, query, page);

  /** GET /customers/{external_customer_id}/payment_requests: the same list for one customer, who must exist. */
  const listForCustomer = async (ctx: Ctx, externalCustomerId: string, query: PaymentRequestListQueryInput, page: PageRequest) => {
    const customer = await findCustomerByExternalId(db, ctx.organizationId, externalCustomerId);
    if (!customer) return err(notFound('customer'));
    return listWith(ctx, query, page, customer.externalId);
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<PaymentRequestView>> => {
    const view = isUuid(id) ? await loadPaymentRequestView(db, ctx.organizationId, id) : null;
    return view ? ok(view) : err(notFound('payment_request'));
  };

  return { create, list, listForCustomer, get };
};

export type PaymentRequestService = ReturnType<typeof createPaymentRequestService>;
