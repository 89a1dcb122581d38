import { Type, type Static } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import { OptionalNullable, QueryValue } from '../../http/schemas.ts';
import { isCurrency } from '../../lib/currencies.ts';
import { FieldErrorsBuilder } from '../../lib/errors.ts';
import { parseIsoDateTime } from '../../lib/time.ts';
import type { FeeAppliedTaxRow, FeeRow } from '../invoices/repository.ts';

export type { FeeAppliedTaxRow, FeeRow } from '../invoices/repository.ts';

/** Lago's `Fee::FEE_TYPES` and `Fee::PAYMENT_STATUS`. */
export const FEE_TYPES = ['charge', 'add_on', 'subscription', 'credit', 'commitment', 'fixed_charge', 'product'] as const;
export const FEE_PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'refunded'] as const;

const oneOf = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);

/**
 * A fee with what its Lago JSON names beside its own columns: the subscription and customer it bills, and the item it
 * prices (the plan for subscription and commitment fees, the metric, charge and filter for charge fees, the add-on).
 * Objects deleted since are still named, as Lago names them.
 */
export interface FeeView {
  fee: FeeRow;
  appliedTaxes: FeeAppliedTaxRow[];
  customer: { id: string; externalId: string } | null;
  subscription: { id: string; externalId: string; name: string | null; planId: string } | null;
  plan: { id: string; code: string; name: string; description: string | null; invoiceDisplayName: string | null; payInAdvance: boolean } | null;
  metric: { id: string; code: string; name: string; description: string | null } | null;
  charge: { id: string; invoiceDisplayName: string | null; invoiceable: boolean } | null;
  filter: { id: string; invoiceDisplayName: string | null; values: Record<string, string[]> } | null;
  addOn: { id: string; code: string; name: string; description: string | null; invoiceDisplayName: string | null } | null;
  /** The true-up fee a spending minimum added for this fee, if any. */
  trueUpFeeId: string | null;
}

export const FeeListQuery = Type.Object({
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
  external_customer_id: Type.Optional(QueryValue),
  external_subscription_id: Type.Optional(QueryValue),
  event_transaction_id: Type.Optional(QueryValue),
  currency: Type.Optional(QueryValue),
  fee_type: Type.Optional(QueryValue),
  billable_metric_code: Type.Optional(QueryValue),
  payment_status: Type.Optional(QueryValue),
  created_at_from: Type.Optional(QueryValue),
  created_at_to: Type.Optional(QueryValue),
  succeeded_at_from: Type.Optional(QueryValue),
  succeeded_at_to: Type.Optional(QueryValue),
  failed_at_from: Type.Optional(QueryValue),
  failed_at_to: Type.Optional(QueryValue),
  refunded_at_from: Type.Optional(QueryValue),
  refunded_at_to: Type.Optional(QueryValue),
});
export type FeeListQueryInput = Static<typeof FeeListQuery>;

export const FeeUpdateBody = Type.Object({
  fee: Type.Object({ payment_status: OptionalNullable(Type.String()) }, { minProperties: 1 }),
});
export type FeeUpdateInput = Static<typeof FeeUpdateBody>['fee'];

const RANGES = ['created_at', 'succeeded_at', 'failed_at', 'refunded_at'] as const;
export type FeeTimeRange = (typeof RANGES)[number];

export interface FeeFilters {
  externalCustomerId?: string;
  externalSubscriptionId?: string;
  eventTransactionId?: string;
  currency?: string;
  feeType?: string;
  billableMetricCode?: string;
  paymentStatus?: string;
  ranges: { column: FeeTimeRange; from: Temporal.Instant | null; to: Temporal.Instant | null }[];
}

/** A scalar query parameter; a list in its place is dropped, as Rails' `permit` drops it. */
const scalar = (value: string | string[] | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Reads Lago's fee list filters. As Lago answers: an unknown fee type or payment status is `value_is_invalid` and a
 * date that does not parse is `invalid_date`; the currency is compared upper-cased, and an unknown currency is refused
 * rather than silently matching nothing.
 */
export const parseFeeFilters = (query: FeeListQueryInput): { filters: FeeFilters; errors: FieldErrorsBuilder } => {
  const errors = new FieldErrorsBuilder();
  const filters: FeeFilters = { ranges: [] };
  const text = (key: keyof FeeListQueryInput): string | undefined => {
    const value = scalar(query[key]);
    return value === undefined || value === '' ? undefined : value;
  };
  const externalCustomerId = text('external_customer_id');
  if (externalCustomerId !== undefined) filters.externalCustomerId = externalCustomerId;
  const externalSubscriptionId = text('external_subscription_id');
  if (externalSubscriptionId !== undefined) filters.externalSubscriptionId = externalSubscriptionId;
  const eventTransactionId = text('event_transaction_id');
  if (eventTransactionId !== undefined) filters.eventTransactionId = eventTransactionId;
  const billableMetricCode = text('billable_metric_code');
  if (billableMetricCode !== undefined) filters.billableMetricCode = billableMetricCode;
  const currency = text('currency')?.toUpperCase();
  if (currency !== undefined) {
    if (isCurrency(currency)) filters.currency = currency;
    else errors.add('currency', 'value_is_invalid');
  }
  const feeType = text('fee_type');
  if (feeType !== undefined) {
    if (oneOf(FEE_TYPES, feeType)) filters.feeType = feeType;
    else errors.add('fee_type', 'value_is_invalid');
  }
  const paymentStatus = text('payment_status');
  if (paymentStatus !== undefined) {
    if (oneOf(FEE_PAYMENT_STATUSES, paymentStatus)) filters.paymentStatus = paymentStatus;
    else errors.add('payment_status', 'value_is_invalid');
  }
  for (const column of RANGES) {
    const bound = (side: 'from' | 'to'): Temporal.Instant | null => {
      const key = `${column}_${side}` as const;
      const value = text(key);
      if (value === undefined) return null;
      const at = parseIsoDateTime(value);
      if (at === null) errors.add(key, 'invalid_date');
      return at;
    };
    const from = bound('from');
    const to = bound('to');
    if (from !== null || to !== null) filters.ranges.push({ column, from, to });
  }
  return { filters, errors };
};

/** The payment status Lago's `Fees::UpdateService` accepts for a fee not on an invoice. */
export const isFeePaymentStatus = (value: unknown): value is (typeof FEE_PAYMENT_STATUSES)[number] => oneOf(FEE_PAYMENT_STATUSES, value);
