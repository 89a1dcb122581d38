import { Type, type Static } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import { OptionalNullable, QueryValue } from '../../http/schemas.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { parseIsoDate } from '../../lib/time.ts';
import type { CustomerView } from '../customers/service.ts';
import type { FeeView } from '../fees/service.ts';
import type { SubscriptionView } from '../subscriptions/serialize.ts';
import type { CreditRow, InvoiceAppliedTaxRow, InvoiceRow, InvoiceSubscriptionRow } from './repository.ts';
import type { invoiceMetadata } from '../../db/schema/index.ts';
import type { AppliedUsageThresholdRow } from '../progressive-billing/repository.ts';

export type { InvoiceRow } from './repository.ts';
export type InvoiceMetadataRow = typeof invoiceMetadata.$inferSelect;

/** Statuses the API shows; `generating`, `closed` and `deleted` invoices exist only inside Billow. */
export const VISIBLE_STATUSES = ['draft', 'finalized', 'voided', 'failed', 'pending'] as const;
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export const INVOICE_TYPES = ['subscription', 'add_on', 'credit', 'one_off', 'advance_charges', 'progressive_billing'] as const;

/** Lago's `Metadata::InvoiceMetadata` limits. */
export const METADATA_PER_INVOICE = 5;
const METADATA_KEY_MAX = 20;
const METADATA_VALUE_MAX = 140;

const oneOf = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);

/** A credit with what it came from: a coupon (deleted ones included) or a credit note consumed by the invoice. */
export interface CreditView {
  credit: CreditRow;
  coupon: { id: string; code: string; name: string; description: string | null } | null;
  creditNote?: { id: string; number: string; description: string | null; invoiceNumber: string } | null;
  /** A progressive-billing credit: the progressive invoice of the same period whose amount it gives back. */
  progressiveInvoice?: { id: string; number: string } | null;
}

/** What every invoice JSON shows beside its own row (lists included). */
export interface InvoiceView {
  invoice: InvoiceRow;
  billingEntityCode: string;
  customer: CustomerView;
  metadata: InvoiceMetadataRow[];
  appliedTaxes: InvoiceAppliedTaxRow[];
  /** What the invoice's credit notes offset (Lago's `Invoice#offset_amount_cents`); absent is 0. */
  offsetAmountCents?: bigint;
  /** A progressive_billing invoice's thresholds (Lago shows them on every form of such an invoice). */
  appliedUsageThresholds?: AppliedUsageThresholdRow[];
}

/** The single-invoice view: also what it bills (subscriptions and their periods, fees) and what reduced it. */
export interface InvoiceDetailView extends InvoiceView {
  subscriptions: SubscriptionView[];
  billingPeriods: { row: InvoiceSubscriptionRow; externalSubscriptionId: string | null; planId: string | null }[];
  fees: FeeView[];
  credits: CreditView[];
}

const Q = Type.Optional(QueryValue);

export const InvoiceListQuery = Type.Object({
  page: Q,
  per_page: Q,
  external_customer_id: Q,
  issuing_date_from: Q,
  issuing_date_to: Q,
  status: Q,
  'status[]': Q,
  statuses: Q,
  'statuses[]': Q,
  payment_status: Q,
  'payment_status[]': Q,
  payment_statuses: Q,
  'payment_statuses[]': Q,
  invoice_type: Q,
  currency: Q,
  amount_from: Q,
  amount_to: Q,
  payment_overdue: Q,
  payment_dispute_lost: Q,
  partially_paid: Q,
  self_billed: Q,
  purchase_order_number: Q,
  search_term: Q,
  'billing_entity_codes[]': Q,
});
export type InvoiceListQueryInput = Static<typeof InvoiceListQuery> & Record<string, unknown>;

const MetadataEntry = Type.Object({
  id: OptionalNullable(Type.String()),
  key: OptionalNullable(Type.String()),
  value: OptionalNullable(Type.String()),
});

export const InvoiceUpdateBody = Type.Object({
  invoice: Type.Object(
    {
      payment_status: OptionalNullable(Type.String()),
      metadata: OptionalNullable(Type.Array(MetadataEntry)),
    },
    { minProperties: 1 },
  ),
});
export type InvoiceUpdateInput = Static<typeof InvoiceUpdateBody>['invoice'];
export type MetadataEntryInput = Static<typeof MetadataEntry>;

const OneOffFee = Type.Object({
  add_on_code: OptionalNullable(Type.String()),
  units: OptionalNullable(Type.Union([Type.String(), Type.Number()])),
  unit_amount_cents: OptionalNullable(Type.Union([Type.Integer(), Type.String()])),
  description: OptionalNullable(Type.String()),
  invoice_display_name: OptionalNullable(Type.String()),
  tax_codes: OptionalNullable(Type.Array(Type.String())),
});

/** POST /invoices: a one-off invoice of add-on fees (Lago's `Invoices::CreateOneOffService`). */
export const InvoiceCreateBody = Type.Object({
  invoice: Type.Object({
    external_customer_id: OptionalNullable(Type.String()),
    currency: OptionalNullable(Type.String()),
    fees: OptionalNullable(Type.Array(OneOffFee)),
  }),
});

export const InvoiceVoidBody = Type.Object({
  generate_credit_note: OptionalNullable(Type.Union([Type.Boolean(), Type.String()])),
  refund_amount: OptionalNullable(Type.Union([Type.Integer(), Type.String()])),
  credit_amount: OptionalNullable(Type.Union([Type.Integer(), Type.String()])),
});
export type InvoiceVoidInput = Static<typeof InvoiceVoidBody>;

export interface InvoiceFilters {
  /** Scopes the list to one customer (also turns off searching customers, as Lago does). */
  externalCustomerId?: string;
  issuingDateFrom?: Temporal.PlainDate;
  issuingDateTo?: Temporal.PlainDate;
  statuses: string[];
  paymentStatuses?: string[];
  invoiceType?: string;
  currency?: string;
  amountFrom?: bigint;
  amountTo?: bigint;
  paymentOverdue?: boolean;
  paymentDisputeLost?: boolean;
  partiallyPaid?: boolean;
  selfBilled?: boolean;
  purchaseOrderNumber?: string;
  searchTerm?: string;
  billingEntityCodes?: string[];
  /** `metadata[key]=value`: a value must be held under the key; a blank value: the key must be absent. */
  metadata: { key: string; value: string }[];
}

/** A scalar query parameter; a list in its place is dropped, as Rails' `permit` drops it. */
const scalar = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const list = (value: unknown): string[] | undefined =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

/** The booleans Rails' parameter casting reads. */
const TRUE = ['1', 't', 'true', 'y', 'yes', 'on'];
const FALSE = ['0', 'f', 'false', 'n', 'no', 'off'];

/**
 * Reads Lago's invoice list filters. Where Lago's contract refuses a value (a status, payment status or boolean that is
 * not one) the answer is the same 422; where Lago would silently match nothing (an unknown invoice type or currency, a
 * date or amount that does not parse) Billow refuses too, so a typo never reads as "no invoices".
 */
export const parseInvoiceFilters = (query: InvoiceListQueryInput): { filters: InvoiceFilters; errors: FieldErrorsBuilder } => {
  const errors = new FieldErrorsBuilder();
  const filters: InvoiceFilters = { statuses: [...VISIBLE_STATUSES], metadata: [] };
  const text = (key: string): string | undefined => {
    const value = scalar(query[key])?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const firstList = (...keys: string[]): string[] | undefined => {
    for (const key of keys) {
      const values = list(query[key])?.filter((v) => v !== '');
      if (values && values.length > 0) return values;
    }
    return undefined;
  };
  const bool = (key: string): boolean | undefined => {
    const value = text(key)?.toLowerCase();
    if (value === undefined) return undefined;
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value)) return false;
    errors.add(key, 'value_is_invalid');
    return undefined;
  };

  const externalCustomerId = text('external_customer_id');
  if (externalCustomerId !== undefined) filters.externalCustomerId = externalCustomerId;
  for (const [key, field] of [
    ['issuing_date_from', 'issuingDateFrom'],
    ['issuing_date_to', 'issuingDateTo'],
  ] as const) {
    const value = text(key);
    if (value === undefined) continue;
    const date = parseIsoDate(value);
    if (date) filters[field] = date;
    else errors.add(key, 'invalid_date');
  }
  const statuses = firstList('status', 'status[]', 'statuses', 'statuses[]');
  if (statuses) {
    if (statuses.every((s) => oneOf(VISIBLE_STATUSES, s))) filters.statuses = [...new Set(statuses)];
    else errors.add('status', 'value_is_invalid');
  }
  const paymentStatuses = firstList('payment_status', 'payment_status[]', 'payment_statuses', 'payment_statuses[]');
  if (paymentStatuses) {
    if (paymentStatuses.every((s) => oneOf(PAYMENT_STATUSES, s))) filters.paymentStatuses = [...new Set(paymentStatuses)];
    else errors.add('payment_status', 'value_is_invalid');
  }
  const invoiceType = text('invoice_type');
  if (invoiceType !== undefined) {
    if (oneOf(INVOICE_TYPES, invoiceType)) filters.invoiceType = invoiceType;
    else errors.add('invoice_type', 'value_is_invalid');
  }
  const currency = text('currency');
  if (currency !== undefined) {
    if (isCurrency(currency)) filters.currency = currency;
    else errors.add('currency', 'value_is_invalid');
  }
  for (const [key, field] of [
    ['amount_from', 'amountFrom'],
    ['amount_to', 'amountTo'],
  ] as const) {
    const value = text(key);
    if (value === undefined) continue;
    if (/^-?\d{1,18}$/.test(value)) filters[field] = BigInt(value);
    else errors.add(key, 'value_is_invalid');
  }
  const paymentOverdue = bool('payment_overdue');
  if (paymentOverdue !== undefined) filters.paymentOverdue = paymentOverdue;
  const paymentDisputeLost = bool('payment_dispute_lost');
  if (paymentDisputeLost !== undefined) filters.paymentDisputeLost = paymentDisputeLost;
  const partiallyPaid = bool('partially_paid');
  if (partiallyPaid !== undefined) filters.partiallyPaid = partiallyPaid;
  const selfBilled = bool('self_billed');
  if (selfBilled !== undefined) filters.selfBilled = selfBilled;
  const purchaseOrderNumber = text('purchase_order_number');
  if (purchaseOrderNumber !== undefined) filters.purchaseOrderNumber = purchaseOrderNumber;
  const searchTerm = text('search_term');
  if (searchTerm !== undefined) filters.searchTerm = searchTerm;
  const codes = firstList('billing_entity_codes[]', 'billing_entity_codes');
  if (codes) filters.billingEntityCodes = codes;
  for (const [name, value] of Object.entries(query)) {
    const key = /^metadata\[(.+)\]$/.exec(name)?.[1];
    if (key === undefined) continue;
    const given = scalar(value);
    if (given !== undefined) filters.metadata.push({ key, value: given.trim() });
  }
  return { filters, errors };
};

export const isPaymentStatus = (value: unknown): value is (typeof PAYMENT_STATUSES)[number] => oneOf(PAYMENT_STATUSES, value);

/** Lago's metadata record rules, per entry in the order given, with the code a violation gives. */
export const checkMetadataEntry = (entry: { key: string | null; value: string | null }, keyTaken: boolean): FieldErrorsBuilder => {
  const errors = new FieldErrorsBuilder();
  if (entry.key === null || entry.key.trim() === '') errors.add('key', 'value_is_mandatory');
  else if ([...entry.key].length > METADATA_KEY_MAX) errors.add('key', 'value_is_too_long');
  else if (keyTaken) errors.add('key', 'value_already_exist');
  if (entry.value === null || entry.value.trim() === '') errors.add('value', 'value_is_mandatory');
  else if ([...entry.value].length > METADATA_VALUE_MAX) errors.add('value', 'value_is_too_long');
  return errors;
};
