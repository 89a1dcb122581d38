import type { Temporal } from 'temporal-polyfill';
import { creditNoteErrors, itemAmounts, itemError, settleAmounts, type CreditNoteItemInput, type RequestedAmounts } from '../../billing/credit-notes/index.ts';
import { localDateAt } from '../../billing/periods/index.ts';
import type { Db } from '../../db/database.ts';
import { invalid, notAllowed, notFound, validation, type BillowError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import { setInvoicePaymentStatus } from '../invoices/payment-status.ts';
import type { InvoiceRow } from '../invoices/repository.ts';
import { customerTimeZone, loadInvoiceCreditContext, type InvoiceCreditContext } from './context.ts';
import * as repo from './repository.ts';
import { METADATA_MAX_KEY_LENGTH, METADATA_MAX_KEYS, METADATA_MAX_VALUE_LENGTH, REASONS, type CreditNoteRow } from './types.ts';

/** A credit note to issue on an invoice, with amounts already read from the request. */
export interface IssueRequest extends RequestedAmounts {
  reason: string;
  description: string | null;
  /** Anything but a list is refused with Lago's `items: ["must_be_an_array"]`. */
  items: unknown;
  metadata: Record<string, string | null> | null;
  /** Issued by Billow itself (a termination): any invoice type. */
  automatic: boolean;
}

/** Lago's invoice statuses a credit note can be issued on (a voided invoice's notes are issued finalized too). */
const CREDITABLE_STATUSES = ['finalized', 'voided'];

/** An item's amount as Lago reads it: a number (or numeric text); anything else is refused. */
export const parseAmount = (value: unknown): Decimal | null => {
  if (value === null || value === undefined) return new Decimal(0);
  if (typeof value === 'number' && Number.isFinite(value)) return new Decimal(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return new Decimal(value.trim());
  return null;
};

export const metadataErrors = (metadata: Record<string, string | null> | null): BillowError | null => {
  if (metadata === null) return null;
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_MAX_KEYS) return invalid('value', `cannot have more than ${METADATA_MAX_KEYS} keys`);
  for (const [key, value] of entries) {
    if (key.length > METADATA_MAX_KEY_LENGTH) return invalid('value', `key '${key}' must be a String up to ${METADATA_MAX_KEY_LENGTH} characters`);
    if (value !== null && value.length > METADATA_MAX_VALUE_LENGTH) {
      return invalid('value', `value for key '${key}' must be empty or a String up to ${METADATA_MAX_VALUE_LENGTH} characters`);
    }
  }
  return null;
};

/**
 * Reads a request's items against the invoice's fees, as Lago's `create_items` does: in order, each fee must be one of
 * the invoice's (404 `fee_not_found`), each amount not negative and within what is left of the fee (422 on
 * `amount_cents`). The first bad item stops the reading.
 */
export const readItems = (context: InvoiceCreditContext, items: unknown): Result<CreditNoteItemInput[]> => {
  if (!Array.isArray(items)) return err(invalid('items', 'must_be_an_array'));
  const read: CreditNoteItemInput[] = [];
  const taken = new Map<string, bigint>();
  for (const raw of items as unknown[]) {
    const item = (raw ?? {}) as { fee_id?: unknown; amount_cents?: unknown };
    const fee = typeof item.fee_id === 'string' && isUuid(item.fee_id) ? context.fees.get(item.fee_id) : undefined;
    if (!fee) return err(notFound('fee'));
    const amount = parseAmount(item.amount_cents);
    if (amount === null) return err(invalid('amount_cents', 'invalid_value'));
    const rounded = BigInt(amount.toDecimalPlaces(0).toFixed(0));
    const problem = itemError(rounded, fee.creditable, taken.get(fee.row.id) ?? 0n);
    if (problem) return err(invalid('amount_cents', problem));
    taken.set(fee.row.id, (taken.get(fee.row.id) ?? 0n) + rounded);
    read.push({ fee: fee.creditable, preciseAmountCents: amount });
  }
  return ok(read);
};

/**
 * Issues a credit note on a (locked) invoice, as Lago's `CreditNotes::CreateService`: the invoice must be one that can
 * be credited, the items are read against its fees, the amounts and taxes computed, every rule checked; then the note
 * is numbered `<invoice number>-CN<n>`, dated today in the customer's zone, its credit available and its refund
 * pending; an offset settles the invoice when nothing is left due; `credit_note.created` is reported.
 */
export const issueCreditNote = async (tx: Db, invoice: InvoiceRow, request: IssueRequest, now: Temporal.Instant): Promise<Result<CreditNoteRow>> => {
  if (!CREDITABLE_STATUSES.includes(invoice.status)) return err(notAllowed('invalid_type_or_status'));
  // Credit invoices (wallet top-ups) are credited through their wallet, which Billow's credit notes do not reach.
  if (!request.automatic && invoice.invoiceType === 'credit') return err(notAllowed('invalid_type_or_status'));
  if (!(REASONS as readonly string[]).includes(request.reason)) return err(invalid('reason', 'value_is_invalid'));
  const metadataProblem = metadataErrors(request.metadata);
  if (metadataProblem) return err(metadataProblem);

  const context = await loadInvoiceCreditContext(tx, invoice);
  const items = readItems(context, request.items);
  if (!items.ok) return items;
  const amounts = itemAmounts(context.creditable, context.taxes, items.value);
  const problems = creditNoteErrors(context.creditable, amounts, request);
  if (problems) return err(validation(problems));
  const settled = settleAmounts(amounts, request);

  const organizationId = invoice.organizationId;
  const stamp = instantToDate(now);
  const sequentialId = await repo.nextSequentialId(tx, organizationId, invoice.id);
  const zone = await customerTimeZone(tx, organizationId, invoice.customerId);
  const note = await repo.insertCreditNote(tx, {
    organizationId,
    id: newId(),
    customerId: invoice.customerId,
    invoiceId: invoice.id,
    sequentialId,
    number: `${invoice.number}-CN${String(sequentialId).padStart(3, '0')}`,
    status: 'finalized',
    issuingDate: localDateAt(now, zone).toString(),
    reason: request.reason,
    description: request.description,
    currency: invoice.currency,
    creditStatus: 'available',
    refundStatus: settled.refundAmountCents > 0n ? 'pending' : null,
    creditAmountCents: settled.creditAmountCents,
    refundAmountCents: settled.refundAmountCents,
    offsetAmountCents: settled.offsetAmountCents,
    balanceAmountCents: settled.balanceAmountCents,
    totalAmountCents: settled.totalAmountCents,
    subTotalExcludingTaxesAmountCents: amounts.subTotalExcludingTaxesAmountCents,
    taxesAmountCents: amounts.taxesAmountCents,
    preciseTaxesAmountCents: amounts.preciseTaxesAmountCents.toFixed(),
    couponsAdjustmentAmountCents: amounts.couponsAdjustmentAmountCents,
    preciseCouponsAdjustmentAmountCents: amounts.preciseCouponsAdjustmentAmountCents.toFixed(),
    preciseTotalAmountCents: amounts.preciseTotalAmountCents.toFixed(),
    taxesRate: amounts.taxesRate.toFixed(),
    metadata: request.metadata,
    createdAt: stamp,
    updatedAt: stamp,
  });
  await repo.insertItems(
    tx,
    items.value.map((item) => ({
      organizationId,
      id: newId(),
      creditNoteId: note.id,
      feeId: item.fee.id,
      amountCents: BigInt(item.preciseAmountCents.toDecimalPlaces(0).toFixed(0)),
      preciseAmountCents: item.preciseAmountCents.toDecimalPlaces(5).toFixed(),
      amountCurrency: invoice.currency,
      createdAt: stamp,
    })),
  );
  await repo.insertAppliedTaxes(
    tx,
    amounts.appliedTaxes.map((t) => ({
      organizationId,
      id: newId(),
      creditNoteId: note.id,
      taxId: t.tax.taxId,
      taxCode: t.tax.code,
      taxName: t.tax.name,
      taxRate: t.tax.rate.toFixed(),
      taxDescription: t.tax.description,
      baseAmountCents: t.baseAmountCents,
      amountCents: t.amountCents,
      amountCurrency: invoice.currency,
      createdAt: stamp,
    })),
  );
  if (settled.offsetAmountCents > 0n) {
    // An offset settles the invoice (Lago's `InvoiceSettlements::CreateService`): once nothing is due, it is paid.
    const due = invoice.totalAmountCents - invoice.totalPaidAmountCents - context.creditable.credited.offsetAmountCents - settled.offsetAmountCents;
    if (due <= 0n && invoice.status === 'finalized') await setInvoicePaymentStatus(tx, invoice, 'succeeded', now);
  }
  await recordDomainEvent(tx, { organizationId, type: 'credit_note.created', objectType: 'credit_note', objectId: note.id, at: now });
  return ok(note);
};
