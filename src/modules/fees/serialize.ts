import { Type, type Static } from '@sinclair/typebox';
import { decimalText } from '../../billing/charge-models/pricing.ts';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { Decimal, subunitToUnit } from '../../lib/money.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { FeeAppliedTaxRow, FeeView } from './types.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

/** Lago's charge-filter wildcard: the filter takes every value the metric declares for the key. */
const ALL_FILTER_VALUES = '__ALL_FILTER_VALUES__';

export const FeeAppliedTaxObject = Type.Object({
  lago_id: Uuid,
  lago_fee_id: Uuid,
  lago_tax_id: Nullable(Uuid),
  tax_name: Type.String(),
  tax_code: Type.String(),
  tax_rate: Type.Number(),
  tax_description: Nullable(Type.String()),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  created_at: DateTime,
});

const FeeItemObject = Type.Object({
  type: Type.String(),
  code: Nullable(Type.String()),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  invoice_display_name: Nullable(Type.String()),
  filters: Nullable(Type.Record(Type.String(), Type.Array(Type.String()))),
  filter_invoice_display_name: Nullable(Type.String()),
  lago_item_id: Nullable(Uuid),
  item_type: Type.String(),
  grouped_by: Type.Record(Type.String(), Nullable(Type.String())),
});

const feeProperties = {
  lago_id: Uuid,
  lago_charge_id: Nullable(Uuid),
  lago_charge_filter_id: Nullable(Uuid),
  lago_fixed_charge_id: Nullable(Uuid),
  lago_invoice_id: Nullable(Uuid),
  lago_true_up_fee_id: Nullable(Uuid),
  lago_true_up_parent_fee_id: Nullable(Uuid),
  lago_original_fee_id: Nullable(Uuid),
  lago_subscription_id: Nullable(Uuid),
  external_subscription_id: Nullable(Type.String()),
  lago_customer_id: Nullable(Uuid),
  external_customer_id: Nullable(Type.String()),
  item: FeeItemObject,
  pay_in_advance: Type.Boolean(),
  invoiceable: Type.Boolean(),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  precise_amount: Type.Number(),
  precise_total_amount: Type.Number(),
  taxes_amount_cents: Type.Integer(),
  taxes_precise_amount: Type.Number(),
  taxes_rate: Type.Number(),
  total_aggregated_units: Nullable(Type.String()),
  total_amount_cents: Type.Integer(),
  total_amount_currency: Type.String(),
  units: Type.String(),
  description: Nullable(Type.String()),
  precise_unit_amount: Type.String(),
  precise_coupons_amount_cents: Type.String(),
  sub_total_excluding_taxes_amount_cents: Type.Integer(),
  sub_total_excluding_taxes_precise_amount_cents: Type.String(),
  events_count: Type.Integer(),
  payment_status: Type.String(),
  created_at: DateTime,
  succeeded_at: Nullable(DateTime),
  failed_at: Nullable(DateTime),
  refunded_at: Nullable(DateTime),
  amount_details: AnyObject,
  self_billed: Type.Boolean(),
  pricing_unit_details: Type.Null(),
  presentation_breakdowns: Type.Array(AnyObject),
  from_date: Type.Optional(Nullable(DateTime)),
  to_date: Type.Optional(Nullable(DateTime)),
  event_transaction_id: Type.Optional(Nullable(Type.String())),
  applied_taxes: Type.Optional(Type.Array(FeeAppliedTaxObject)),
};

export const FeeObject = Type.Object(feeProperties, { $id: 'Fee' });
export type FeeJson = Static<typeof FeeObject>;

/** The same shape without its `$id`, for embedding in another resource's schema (an invoice's fees). */
export const FeeItemSchema = Type.Object(feeProperties);

/** A fee that was never saved (`POST /events/estimate_fees`): Lago shows it without id nor creation time. */
export const EstimatedFeeObject = Type.Object({ ...feeProperties, lago_id: Nullable(Uuid), created_at: Nullable(DateTime) });

export const serializeEstimatedFee = (view: FeeView) => ({ ...serializeFee(view), lago_id: null, created_at: null });

export const serializeFeeAppliedTax = (t: FeeAppliedTaxRow) => ({
  lago_id: t.id,
  lago_fee_id: t.feeId,
  lago_tax_id: t.taxId,
  tax_name: t.taxName,
  tax_code: t.taxCode,
  tax_rate: Number(t.taxRate),
  tax_description: t.taxDescription,
  amount_cents: Number(t.amountCents),
  amount_currency: t.amountCurrency,
  created_at: isoSeconds(t.createdAt)!,
});

/** A charge filter's name on an invoice: its own, else its values, a wildcard shown as its key (Lago's `display_name`). */
const filterDisplayName = (filter: NonNullable<FeeView['filter']>): string =>
  filter.invoiceDisplayName ||
  Object.entries(filter.values)
    .flatMap(([key, values]) => (values.length === 1 && values[0] === ALL_FILTER_VALUES ? [key] : values))
    .join(', ');

/**
 * What the fee prices, as Lago's `Fee#item_*` methods name it: the billable metric of a charge fee, the add-on of an
 * add-on fee, the subscription's plan otherwise (subscription and commitment fees).
 */
const itemOf = (view: FeeView): Static<typeof FeeItemObject> => {
  const { fee, metric, charge, addOn, plan, subscription, filter } = view;
  const common = {
    type: fee.feeType,
    filters: filter ? filter.values : null,
    filter_invoice_display_name: filter ? filterDisplayName(filter) : null,
    grouped_by: fee.groupedBy,
  };
  switch (fee.feeType) {
    case 'charge':
      return {
        ...common,
        code: metric?.code ?? null,
        name: metric?.name ?? null,
        description: metric?.description ?? null,
        invoice_display_name: fee.invoiceDisplayName || charge?.invoiceDisplayName || metric?.name || null,
        lago_item_id: metric?.id ?? fee.billableMetricId,
        item_type: 'BillableMetric',
      };
    case 'add_on':
      return {
        ...common,
        code: addOn?.code ?? null,
        name: addOn?.name ?? null,
        description: addOn?.description ?? null,
        invoice_display_name: fee.invoiceDisplayName || addOn?.invoiceDisplayName || addOn?.name || null,
        lago_item_id: addOn?.id ?? fee.addOnId,
        item_type: 'AddOn',
      };
    case 'credit':
      return {
        ...common,
        code: 'credit',
        name: 'credit',
        description: 'credit',
        invoice_display_name: fee.invoiceDisplayName || 'credit',
        // The wallet transaction the credit fee bills, named by its key (`credit:<wallet transaction id>`).
        lago_item_id: fee.feeKey.startsWith('credit:') ? fee.feeKey.slice('credit:'.length) : null,
        item_type: 'WalletTransaction',
      };
    default:
      return {
        ...common,
        code: plan?.code ?? null,
        name: plan?.name ?? null,
        description: plan?.description ?? null,
        invoice_display_name: fee.invoiceDisplayName || subscription?.name || plan?.invoiceDisplayName || plan?.name || null,
        lago_item_id: fee.subscriptionId,
        item_type: 'Subscription',
      };
  }
};

/**
 * A fee as Lago's `V1::FeeSerializer` prints it. Lago's own float columns and float divisions (`precise_amount`,
 * `taxes_rate`) are JSON numbers; its decimal columns (`units`, `precise_unit_amount`, `precise_*_cents`) are strings.
 */
export const serializeFee = (view: FeeView, options: { appliedTaxes: boolean } = { appliedTaxes: true }): FeeJson => {
  const { fee } = view;
  const subunit = subunitToUnit(fee.amountCurrency);
  const precise = new Decimal(fee.preciseAmountCents);
  const taxesPrecise = new Decimal(fee.taxesPreciseAmountCents);
  const coupons = new Decimal(fee.preciseCouponsAmountCents);
  const isCharge = fee.feeType === 'charge';
  const payInAdvance = isCharge || fee.feeType === 'fixed_charge' ? fee.payInAdvance : fee.feeType === 'subscription' ? (view.plan?.payInAdvance ?? false) : false;
  const json: FeeJson = {
    lago_id: fee.id,
    lago_charge_id: fee.chargeId,
    lago_charge_filter_id: fee.chargeFilterId,
    lago_fixed_charge_id: null,
    lago_invoice_id: fee.invoiceId,
    lago_true_up_fee_id: view.trueUpFeeId,
    lago_true_up_parent_fee_id: fee.trueUpParentFeeId,
    lago_original_fee_id: null,
    lago_subscription_id: fee.subscriptionId,
    external_subscription_id: view.subscription?.externalId ?? null,
    lago_customer_id: view.customer?.id ?? null,
    external_customer_id: view.customer?.externalId ?? null,
    item: itemOf(view),
    pay_in_advance: payInAdvance,
    invoiceable: isCharge ? (view.charge?.invoiceable ?? fee.invoiceable) : true,
    amount_cents: Number(fee.amountCents),
    amount_currency: fee.amountCurrency,
    precise_amount: Number(precise.div(subunit).toString()),
    precise_total_amount: Number(precise.plus(taxesPrecise).div(subunit).toString()),
    taxes_amount_cents: Number(fee.taxesAmountCents),
    taxes_precise_amount: Number(taxesPrecise.div(subunit).toString()),
    taxes_rate: Number(fee.taxesRate),
    total_aggregated_units: fee.totalAggregatedUnits === null ? null : decimalText(new Decimal(fee.totalAggregatedUnits)),
    total_amount_cents: Number(fee.amountCents + fee.taxesAmountCents),
    total_amount_currency: fee.amountCurrency,
    units: decimalText(new Decimal(fee.units)),
    description: fee.description,
    precise_unit_amount: decimalText(new Decimal(fee.preciseUnitAmount)),
    precise_coupons_amount_cents: decimalText(coupons),
    // Rounded half away from zero, as Lago rounds the BigDecimal difference.
    sub_total_excluding_taxes_amount_cents: Number(new Decimal(fee.amountCents.toString()).minus(coupons).toDecimalPlaces(0).toFixed(0)),
    sub_total_excluding_taxes_precise_amount_cents: decimalText(precise.minus(coupons)),
    events_count: Number(fee.eventsCount),
    payment_status: fee.paymentStatus,
    created_at: isoSeconds(fee.createdAt)!,
    succeeded_at: isoSeconds(fee.succeededAt),
    failed_at: isoSeconds(fee.failedAt),
    refunded_at: isoSeconds(fee.refundedAt),
    amount_details: fee.amountDetails,
    self_billed: false,
    pricing_unit_details: null,
    presentation_breakdowns: [],
  };
  // Lago prints the period a fee covers for the fees that have one (not commitments nor credits).
  if (['charge', 'subscription', 'add_on', 'fixed_charge'].includes(fee.feeType)) {
    json.from_date = isoSeconds(fee.fromDatetime);
    json.to_date = isoSeconds(fee.toDatetime);
  }
  if (isCharge && fee.payInAdvance) json.event_transaction_id = fee.eventTransactionId;
  if (options.appliedTaxes) json.applied_taxes = view.appliedTaxes.map(serializeFeeAppliedTax);
  return json;
};
