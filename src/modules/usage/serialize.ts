import { Type, type Static } from '@sinclair/typebox';
import { decimalText } from '../../billing/charge-models/pricing.ts';
import type { FilterTotals, GroupTotals, UsageTotals } from '../../billing/usage/summary.ts';
import { AnyObject, Nullable } from '../../http/schemas.ts';
import { instantToDate, isoSeconds } from '../../lib/time.ts';
import type { ChargeUsageReport, UsageReport } from './service.ts';

// Key order in these schemas is the order Lago's serializers emit, which the response keeps.

/** Filter values as the charge filter stores them (`{"region": ["eu"]}`); null for the default bucket. */
const FilterValues = Nullable(Type.Record(Type.String(), Type.Array(Type.String())));
/** `{"region": "eu"}`: a missing or empty group value is null. */
const GroupedBy = Type.Record(Type.String(), Nullable(Type.String()));
/** Billow has no pricing units (`applied_pricing_unit` is always null), so there are no pricing unit details. */
const PricingUnitDetails = Nullable(AnyObject);
/** Presentation breakdowns need presentation keys in the aggregates; none are shown yet. */
const Breakdowns = Type.Array(AnyObject);

const FilterUsageObject = Type.Object({
  units: Type.String(),
  total_aggregated_units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  pricing_unit_details: PricingUnitDetails,
  invoice_display_name: Nullable(Type.String()),
  values: FilterValues,
  presentation_breakdowns: Breakdowns,
});

const GroupedUsageObject = Type.Object({
  units: Type.String(),
  total_aggregated_units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  pricing_unit_details: PricingUnitDetails,
  grouped_by: GroupedBy,
  filters: Type.Array(FilterUsageObject),
  presentation_breakdowns: Breakdowns,
});

const MetricSummary = Type.Object({
  lago_id: Type.String(),
  name: Type.String(),
  code: Type.String(),
  aggregation_type: Type.String(),
});

export const ChargeUsageObject = Type.Object({
  units: Type.String(),
  total_aggregated_units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  pricing_unit_details: PricingUnitDetails,
  charge: Type.Object({
    lago_id: Type.String(),
    code: Type.String(),
    charge_model: Type.String(),
    invoice_display_name: Nullable(Type.String()),
  }),
  billable_metric: MetricSummary,
  filters: Type.Array(FilterUsageObject),
  grouped_usage: Type.Array(GroupedUsageObject),
  presentation_breakdowns: Breakdowns,
});

export const CustomerUsageObject = Type.Object({
  from_datetime: Type.String(),
  to_datetime: Type.String(),
  issuing_date: Type.String(),
  currency: Type.String(),
  amount_cents: Type.Integer(),
  total_amount_cents: Type.Integer(),
  taxes_amount_cents: Type.Integer(),
  lago_invoice_id: Type.Null(),
  charges_usage: Type.Array(ChargeUsageObject),
});
export type CustomerUsageJson = Static<typeof CustomerUsageObject>;

const ProjectedFilterUsageObject = Type.Object({
  units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  projected_units: Type.String(),
  projected_amount_cents: Type.Integer(),
  projected_presentation_breakdowns: Breakdowns,
  pricing_unit_details: PricingUnitDetails,
  invoice_display_name: Nullable(Type.String()),
  values: FilterValues,
  presentation_breakdowns: Breakdowns,
});

const ProjectedGroupedUsageObject = Type.Object({
  units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  projected_units: Type.String(),
  projected_amount_cents: Type.Integer(),
  projected_presentation_breakdowns: Breakdowns,
  pricing_unit_details: PricingUnitDetails,
  grouped_by: GroupedBy,
  filters: Type.Array(ProjectedFilterUsageObject),
  presentation_breakdowns: Breakdowns,
});

export const ProjectedChargeUsageObject = Type.Object({
  units: Type.String(),
  events_count: Type.Integer(),
  amount_cents: Type.Integer(),
  amount_currency: Type.String(),
  projected_units: Type.String(),
  projected_amount_cents: Type.Integer(),
  projected_presentation_breakdowns: Breakdowns,
  pricing_unit_details: PricingUnitDetails,
  charge: Type.Object({
    lago_id: Type.String(),
    charge_model: Type.String(),
    invoice_display_name: Nullable(Type.String()),
  }),
  billable_metric: MetricSummary,
  filters: Type.Array(ProjectedFilterUsageObject),
  grouped_usage: Type.Array(ProjectedGroupedUsageObject),
  presentation_breakdowns: Breakdowns,
});

export const CustomerProjectedUsageObject = Type.Object({
  from_datetime: Type.String(),
  to_datetime: Type.String(),
  issuing_date: Type.String(),
  currency: Type.String(),
  amount_cents: Type.Integer(),
  /**
   * An integer, as Lago's OpenAPI document and clients type it (Lago's Rails itself prints a BigDecimal there, a text
   * such as "31000.0", as soon as one charge's metric is not recurring).
   */
  projected_amount_cents: Type.Integer(),
  total_amount_cents: Type.Integer(),
  taxes_amount_cents: Type.Integer(),
  lago_invoice_id: Type.Null(),
  charges_usage: Type.Array(ProjectedChargeUsageObject),
});
export type CustomerProjectedUsageJson = Static<typeof CustomerProjectedUsageObject>;

const cents = (value: bigint): number => Number(value);

const usageFields = (t: UsageTotals) => ({
  units: decimalText(t.units),
  total_aggregated_units: decimalText(t.totalAggregatedUnits),
  events_count: t.eventsCount,
  amount_cents: cents(t.amountCents),
});

const projectedUsageFields = (t: UsageTotals) => ({
  units: decimalText(t.units),
  events_count: t.eventsCount,
  amount_cents: cents(t.amountCents),
});

const projectionFields = (t: UsageTotals) => ({
  projected_units: decimalText(t.projectedUnits),
  projected_amount_cents: cents(t.projectedAmountCents),
  projected_presentation_breakdowns: [],
});

const filterInfo = (charge: ChargeUsageReport, entry: FilterTotals) => {
  const filter = entry.filterId === null ? undefined : charge.filters.get(entry.filterId);
  return { invoice_display_name: filter?.invoiceDisplayName ?? null, values: filter?.values ?? null };
};

const filterEntry = (charge: ChargeUsageReport, entry: FilterTotals) => ({
  ...usageFields(entry),
  pricing_unit_details: null,
  ...filterInfo(charge, entry),
  presentation_breakdowns: [],
});

const groupEntry = (charge: ChargeUsageReport, entry: GroupTotals) => ({
  ...usageFields(entry),
  pricing_unit_details: null,
  grouped_by: entry.groupedBy,
  filters: entry.filters.map((f) => filterEntry(charge, f)),
  presentation_breakdowns: [],
});

const period = (report: UsageReport) => ({
  from_datetime: isoSeconds(instantToDate(report.fromDatetime))!,
  to_datetime: isoSeconds(instantToDate(report.toDatetime))!,
  issuing_date: report.issuingDate.toString(),
  currency: report.currency,
});

/** Lago's `V1::Customers::UsageSerializer` with its charges (`ChargeUsageSerializer`). */
export const serializeCurrentUsage = (report: UsageReport): CustomerUsageJson => ({
  ...period(report),
  amount_cents: cents(report.amountCents),
  total_amount_cents: cents(report.totalAmountCents),
  taxes_amount_cents: cents(report.taxesAmountCents),
  lago_invoice_id: null,
  charges_usage: report.charges.map((charge) => ({
    ...usageFields(charge.totals),
    amount_currency: report.currency,
    pricing_unit_details: null,
    charge: {
      lago_id: charge.charge.id,
      code: charge.charge.code,
      charge_model: charge.charge.chargeModel,
      invoice_display_name: charge.charge.invoiceDisplayName,
    },
    billable_metric: metricSummary(charge),
    filters: charge.totals.filters.map((f) => filterEntry(charge, f)),
    grouped_usage: charge.totals.groups.map((g) => groupEntry(charge, g)),
    presentation_breakdowns: [],
  })),
});

const metricSummary = (charge: ChargeUsageReport) => ({
  lago_id: charge.metric.id,
  name: charge.metric.name,
  code: charge.metric.code,
  aggregation_type: charge.metric.aggregationType,
});

const projectedFilterEntry = (charge: ChargeUsageReport, entry: FilterTotals) => ({
  ...projectedUsageFields(entry),
  ...projectionFields(entry),
  pricing_unit_details: null,
  ...filterInfo(charge, entry),
  presentation_breakdowns: [],
});

/** Lago's `V1::Customers::ProjectedUsageSerializer` with its charges (`ProjectedChargeUsageSerializer`). */
export const serializeProjectedUsage = (report: UsageReport): CustomerProjectedUsageJson => {
  return {
    ...period(report),
    amount_cents: cents(report.amountCents),
    projected_amount_cents: cents(report.projectedAmountCents ?? 0n),
    total_amount_cents: cents(report.totalAmountCents),
    taxes_amount_cents: cents(report.taxesAmountCents),
    lago_invoice_id: null,
    charges_usage: report.charges.map((charge) => ({
      ...projectedUsageFields(charge.totals),
      amount_currency: report.currency,
      ...projectionFields(charge.totals),
      pricing_unit_details: null,
      charge: {
        lago_id: charge.charge.id,
        charge_model: charge.charge.chargeModel,
        invoice_display_name: charge.charge.invoiceDisplayName,
      },
      billable_metric: metricSummary(charge),
      filters: charge.totals.filters.map((f) => projectedFilterEntry(charge, f)),
      grouped_usage: charge.totals.groups.map((g) => ({
        ...projectedUsageFields(g),
        ...projectionFields(g),
        pricing_unit_details: null,
        grouped_by: g.groupedBy,
        filters: g.filters.map((f) => projectedFilterEntry(charge, f)),
        presentation_breakdowns: [],
      })),
      presentation_breakdowns: [],
    })),
  };
};
