import { Type, type Static } from '@sinclair/typebox';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { decimalText } from '../../billing/charge-models/pricing.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { billableMetrics, chargeFilters, charges, fees } from '../../db/schema/index.ts';
import { PaginationMeta, QueryValue } from '../../http/schemas.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, notFound } from '../../lib/errors.ts';
import { Decimal } from '../../lib/money.ts';
import { paginationMeta, parsePageRequest, type PaginationMeta as Meta } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { isoSeconds } from '../../lib/time.ts';
import { findMetricByCode } from '../billable-metrics/repository.ts';
import type { FeeRow } from '../invoices/repository.ts';
import { ChargeUsageObject } from './serialize.ts';
import { lastValue } from './types.ts';

export const PastUsageQuery = Type.Object({
  external_subscription_id: Type.Optional(QueryValue),
  billable_metric_code: Type.Optional(QueryValue),
  periods_count: Type.Optional(QueryValue),
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
});
export type PastUsageQuery = Static<typeof PastUsageQuery>;

/**
 * Invoices that bill nothing of a period: one still being computed (never seen outside its transaction) and a
 * deleted draft, whose fees are gone. Every other invoice's period counts, drafts and voided ones included, as in Lago.
 */
const UNBILLED_STATUSES = ['generating', 'deleted'];

/** One billed period of the subscription: an invoice's charges window for it, with the invoice's totals. */
interface PeriodRow {
  id: string;
  invoice_id: string;
  charges_from_datetime: Date | string;
  charges_to_datetime: Date | string;
  issuing_date: string;
  currency: string;
  fees_amount_cents: string;
  taxes_amount_cents: string;
}

interface ChargeInfo {
  id: string;
  code: string;
  chargeModel: string;
  invoiceDisplayName: string | null;
  /** Lago lists a charge's usage per filter only when the charge has (live) filters. */
  hasFilters: boolean;
}

interface FilterInfo {
  id: string;
  invoiceDisplayName: string | null;
  values: Record<string, string[]>;
}

interface MetricInfo {
  id: string;
  name: string;
  code: string;
  aggregationType: string;
}

/** A period with the charge fees it billed for the subscription, and what they name. */
export interface PastUsagePeriod {
  period: PeriodRow;
  fees: FeeRow[];
  charges: Map<string, ChargeInfo>;
  filters: Map<string, FilterInfo>;
  metrics: Map<string, MetricInfo>;
}

export interface PastUsagePage {
  periods: PastUsagePeriod[];
  meta: Meta;
}

const scalar = (value: string | string[] | undefined): string => (lastValue(value) ?? '').trim();

/**
 * GET /customers/{external_customer_id}/past_usage (Lago's `PastUsageQuery`): the periods a subscription (every
 * subscription that carried its external id, across plan changes) was billed for, latest first, each with the charge
 * fees its invoice holds for that external id. Amounts are the invoice's: `amount_cents` is its fees' total and the
 * taxes are those of all its fees, as Lago prints them. `periods_count` caps the number of periods a page holds;
 * pages still step by `per_page`. An unknown customer or subscription has no periods (an empty list, as in Lago).
 */
export const createPastUsageService = ({ db }: { db: Db }) => {
  const past = async (ctx: Ctx, externalCustomerId: string, query: PastUsageQuery): Promise<Result<PastUsagePage>> => {
    const organizationId = ctx.organizationId;
    const externalSubscriptionId = scalar(query.external_subscription_id);
    if (externalSubscriptionId === '') return err(new FieldErrorsBuilder().add('external_subscription_id', 'value_is_mandatory').toError());
    const countText = scalar(query.periods_count);
    let periodsCount: number | null = null;
    if (countText !== '') {
      // Lago's paginator cannot show pages of no period (a division by zero); a count that is no number is refused
      // rather than read as zero.
      if (!/^\d{1,9}$/.test(countText) || Number(countText) === 0) {
        return err(new FieldErrorsBuilder().add('periods_count', 'value_is_invalid').toError());
      }
      periodsCount = Number(countText);
    }
    const metricCode = scalar(query.billable_metric_code);
    const metric = metricCode === '' ? null : await findMetricByCode(db, organizationId, metricCode);
    if (metricCode !== '' && !metric) return err(notFound('billable_metric'));

    const page = parsePageRequest({ page: query.page, per_page: query.per_page });
    const offset = Math.min((page.page - 1) * page.perPage, Number.MAX_SAFE_INTEGER);
    const limit = periodsCount ?? page.perPage;
    const where = sql`isub.organization_id = ${organizationId} AND isub.charges_from_datetime IS NOT NULL
      AND s.external_id = ${externalSubscriptionId} AND c.external_id = ${externalCustomerId}
      AND i.status NOT IN (${sql.join(UNBILLED_STATUSES.map((s) => sql`${s}`), sql`, `)})`;
    const from = sql`invoice_subscriptions isub
      JOIN subscriptions s ON s.organization_id = isub.organization_id AND s.id = isub.subscription_id
      JOIN customers c ON c.organization_id = s.organization_id AND c.id = s.customer_id
      JOIN invoices i ON i.organization_id = isub.organization_id AND i.id = isub.invoice_id`;
    const rows = await queryRows<PeriodRow>(
      db,
      sql`SELECT isub.id, isub.invoice_id, isub.charges_from_datetime, isub.charges_to_datetime, i.issuing_date::text AS issuing_date,
          i.currency, i.fees_amount_cents::text AS fees_amount_cents,
          (SELECT coalesce(sum(f.taxes_amount_cents), 0) FROM fees f WHERE f.organization_id = i.organization_id AND f.invoice_id = i.id)::text AS taxes_amount_cents
        FROM ${from} WHERE ${where}
        ORDER BY isub.charges_from_datetime DESC, isub.created_at DESC, isub.id ASC LIMIT ${limit} OFFSET ${offset}`,
    );
    const [total] = await queryRows<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM ${from} WHERE ${where}`);

    const invoiceIds = [...new Set(rows.map((r) => r.invoice_id))];
    const feeRows =
      invoiceIds.length === 0
        ? []
        : await db
            .select()
            .from(fees)
            .where(
              and(
                eq(fees.organizationId, organizationId),
                inArray(fees.invoiceId, invoiceIds),
                eq(fees.feeType, 'charge'),
                sql`${fees.subscriptionId} IN (SELECT id FROM subscriptions WHERE organization_id = ${organizationId} AND external_id = ${externalSubscriptionId})`,
                ...(metric ? [eq(fees.billableMetricId, metric.id)] : []),
              ),
            )
            .orderBy(asc(fees.position), asc(fees.id));
    const named = await namesOf(db, organizationId, feeRows);
    // Lago's paginator: the page is the offset over the number of periods a page holds.
    const meta = paginationMeta({ page: Math.floor(offset / limit) + 1, perPage: limit }, total!.count);
    return ok({
      periods: rows.map((period) => ({ period, fees: feeRows.filter((f) => f.invoiceId === period.invoice_id), ...named })),
      meta,
    });
  };

  return { past };
};

export type PastUsageService = ReturnType<typeof createPastUsageService>;

/** The charges, filters and metrics the fees name, deleted ones included (a past period names what it billed). */
const namesOf = async (db: Db, organizationId: string, feeRows: readonly FeeRow[]) => {
  const ids = (pick: (f: FeeRow) => string | null) => [...new Set(feeRows.map(pick).filter((id): id is string => id !== null))];
  const chargeIds = ids((f) => f.chargeId);
  const filterIds = ids((f) => f.chargeFilterId);
  const metricIds = ids((f) => f.billableMetricId);
  const chargeRows =
    chargeIds.length === 0
      ? []
      : await db
          .select({ id: charges.id, code: charges.code, chargeModel: charges.chargeModel, invoiceDisplayName: charges.invoiceDisplayName })
          .from(charges)
          .where(and(eq(charges.organizationId, organizationId), inArray(charges.id, chargeIds)));
  const liveFilterOwners =
    chargeIds.length === 0
      ? []
      : await db
          .selectDistinct({ chargeId: chargeFilters.chargeId })
          .from(chargeFilters)
          .where(and(eq(chargeFilters.organizationId, organizationId), inArray(chargeFilters.chargeId, chargeIds), isNull(chargeFilters.deletedAt)));
  const filterRows =
    filterIds.length === 0
      ? []
      : await db
          .select({ id: chargeFilters.id, invoiceDisplayName: chargeFilters.invoiceDisplayName, values: chargeFilters.values })
          .from(chargeFilters)
          .where(and(eq(chargeFilters.organizationId, organizationId), inArray(chargeFilters.id, filterIds)));
  const metricRows =
    metricIds.length === 0
      ? []
      : await db
          .select({ id: billableMetrics.id, name: billableMetrics.name, code: billableMetrics.code, aggregationType: billableMetrics.aggregationType })
          .from(billableMetrics)
          .where(and(eq(billableMetrics.organizationId, organizationId), inArray(billableMetrics.id, metricIds)));
  const withFilters = new Set(liveFilterOwners.map((r) => r.chargeId));
  return {
    charges: new Map(chargeRows.map((c) => [c.id, { ...c, hasFilters: withFilters.has(c.id) }])),
    filters: new Map(filterRows.map((f) => [f.id, f])),
    metrics: new Map(metricRows.map((m) => [m.id, m])),
  };
};

// ---- Lago's `V1::Customers::PastUsageSerializer`, its charges by `ChargeUsageSerializer` (key order kept). ----

export const PastUsagePeriodObject = Type.Object({
  from_datetime: Type.String(),
  to_datetime: Type.String(),
  issuing_date: Type.String(),
  currency: Type.String(),
  amount_cents: Type.Integer(),
  total_amount_cents: Type.Integer(),
  taxes_amount_cents: Type.Integer(),
  lago_invoice_id: Type.String({ format: 'uuid' }),
  charges_usage: Type.Array(ChargeUsageObject),
});

export const PastUsageResponse = Type.Object({ usage_periods: Type.Array(PastUsagePeriodObject), meta: PaginationMeta });
export type PastUsageJson = Static<typeof PastUsageResponse>;

/** Groups in first-seen order. */
const groupBy = <T>(items: readonly T[], key: (item: T) => string): T[][] => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(item);
  }
  return [...groups.values()];
};

const sum = (values: readonly Decimal[]): Decimal => values.reduce((a, b) => a.add(b), new Decimal(0));

/** The usage figures of some fees together, as Lago adds them up. */
const usageOf = (group: readonly FeeRow[]) => ({
  units: decimalText(sum(group.map((f) => new Decimal(f.units)))),
  total_aggregated_units: decimalText(sum(group.map((f) => new Decimal(f.totalAggregatedUnits ?? 0)))),
  events_count: group.reduce((n, f) => n + Number(f.eventsCount), 0),
  amount_cents: Number(group.reduce((n, f) => n + f.amountCents, 0n)),
});

/** Sorts a JSON object's keys, so that two `grouped_by` maps compare equal whatever their key order. */
const canonical = (value: Record<string, unknown>): string => JSON.stringify(Object.keys(value).sort().map((k) => [k, value[k]]));

const filterEntries = (period: PastUsagePeriod, group: readonly FeeRow[]) => {
  if (!period.charges.get(group[0]!.chargeId!)?.hasFilters) return [];
  return groupBy(group, (f) => f.chargeFilterId ?? '').map((byFilter) => {
    const filter = byFilter[0]!.chargeFilterId ? period.filters.get(byFilter[0]!.chargeFilterId) : undefined;
    return {
      ...usageOf(byFilter),
      pricing_unit_details: null,
      invoice_display_name: filter?.invoiceDisplayName ?? null,
      values: filter?.values ?? null,
      presentation_breakdowns: [],
    };
  });
};

const groupedEntries = (period: PastUsagePeriod, group: readonly FeeRow[]) => {
  if (!group.some((f) => Object.keys(f.groupedBy).length > 0)) return [];
  return groupBy(group, (f) => canonical(f.groupedBy)).map((byGroup) => ({
    ...usageOf(byGroup),
    pricing_unit_details: null,
    grouped_by: byGroup[0]!.groupedBy,
    filters: filterEntries(period, byGroup),
    presentation_breakdowns: [],
  }));
};

export const serializePastUsage = (page: PastUsagePage): PastUsageJson => ({
  usage_periods: page.periods.map((p) => {
    const { period } = p;
    const taxes = BigInt(period.taxes_amount_cents);
    const feesAmount = BigInt(period.fees_amount_cents);
    return {
      from_datetime: isoSeconds(new Date(period.charges_from_datetime))!,
      to_datetime: isoSeconds(new Date(period.charges_to_datetime))!,
      issuing_date: period.issuing_date,
      currency: period.currency,
      amount_cents: Number(feesAmount),
      total_amount_cents: Number(feesAmount + taxes),
      taxes_amount_cents: Number(taxes),
      lago_invoice_id: period.invoice_id,
      charges_usage: groupBy(p.fees, (f) => f.chargeId ?? '').map((group) => {
        const first = group[0]!;
        const charge = p.charges.get(first.chargeId!);
        const metric = p.metrics.get(first.billableMetricId ?? '');
        return {
          ...usageOf(group),
          amount_currency: first.amountCurrency,
          pricing_unit_details: null,
          charge: {
            lago_id: first.chargeId!,
            code: charge?.code ?? '',
            charge_model: charge?.chargeModel ?? '',
            invoice_display_name: charge?.invoiceDisplayName ?? null,
          },
          billable_metric: {
            lago_id: metric?.id ?? first.billableMetricId ?? '',
            name: metric?.name ?? '',
            code: metric?.code ?? '',
            aggregation_type: metric?.aggregationType ?? '',
          },
          filters: filterEntries(p, group),
          grouped_usage: groupedEntries(p, group),
          presentation_breakdowns: [],
        };
      }),
    };
  }),
  meta: page.meta,
});
