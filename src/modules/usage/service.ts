import { Temporal } from 'temporal-polyfill';
import type { MeteringConfig } from '../../billing/aggregation/metric-config.ts';
import { currentUsageWindow, type BillingTime, type Interval, type SubscriptionTiming } from '../../billing/periods/index.ts';
import { NO_PROJECTION, periodRatio, projectLine, type LineProjection } from '../../billing/usage/projection.ts';
import { summarizeCharge, type ChargeTotals } from '../../billing/usage/summary.ts';
import { taxesAmountCents } from '../../billing/usage/taxes.ts';
import type { Db } from '../../db/database.ts';
import type { Ctx } from '../../lib/context.ts';
import { notAllowed, notFound } from '../../lib/errors.ts';
import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { dateToInstant } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { createBatchedWindowReader } from '../metering/usage-reader.ts';
import type { ChargeDetails, ChargeFilter } from '../plans/types.ts';
import { chargeUsageLines } from './charge-usage.ts';
import { loadPlanChargesForUsage } from './plan-charges.ts';
import * as repo from './repository.ts';
import type { MetricRow } from './repository.ts';
import type { UsageRequest } from './types.ts';

/** One charge's usage, ready to be shown. */
export interface ChargeUsageReport {
  charge: { id: string; code: string; chargeModel: string; invoiceDisplayName: string | null };
  metric: { id: string; name: string; code: string; aggregationType: string };
  totals: ChargeTotals;
  /** The charge's filters by id, for the `filters[]` entries (the default bucket has none). */
  filters: Map<string, ChargeFilter>;
}

/** A subscription's usage over the current period (Lago's `SubscriptionUsage`). */
export interface UsageReport {
  fromDatetime: Temporal.Instant;
  toDatetime: Temporal.Instant;
  issuingDate: Temporal.PlainDate;
  currency: string;
  amountCents: bigint;
  taxesAmountCents: bigint;
  totalAmountCents: bigint;
  /**
   * Projected usage only: Σ of the charges' projected amounts (Lago projects only each charge's first filter or group
   * there, a slip Billow does not copy: the total is the sum of what the charges show).
   */
  projectedAmountCents: bigint | null;
  charges: ChargeUsageReport[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const createUsageService = ({ db, metering }: { db: Db; metering: MeteringService }) => {
  const report = async (ctx: Ctx, externalCustomerId: string, request: UsageRequest, projected: boolean): Promise<Result<UsageReport>> =>
    // One snapshot for every read (a batch of events committed meanwhile is counted whole or not at all), taken by the
    // transaction's first statement; nothing is written, so an error answer needs no rollback.
    db.transaction(async (txRaw): Promise<Result<UsageReport>> => {
      const tx = txRaw as unknown as Db;
      const found = await repo.findUsageContext(tx, ctx.organizationId, externalCustomerId, request.externalSubscriptionId);
      if (!found) return err(notFound('customer'));
      const { customer, plan, organization } = found;
      const subscription = request.externalSubscriptionId === '' ? null : found.subscription;
      if (!subscription?.startedAt) return err(notAllowed('no_active_subscription'));
      if (!plan) throw new Error(`plan ${subscription.planId} of subscription ${subscription.id} not found`);
      const details = await loadPlanChargesForUsage(tx, ctx.organizationId, plan.id);
      const { metrics, declared } = details;

      const selector = request.charges;
      const charges = details.charges.filter(({ charge }) => {
        if (!selector) return true;
        if (selector.by === 'id') return charge.id === selector.value;
        if (selector.by === 'code') return charge.code === selector.value;
        return metrics.get(charge.billableMetricId)?.code === selector.value;
      });
      // Lago allows the whole life's usage only for some charges or groups, and never with proration.
      if (request.fullUsage && ((!selector && !request.groups) || charges.some(({ charge }) => charge.prorated))) {
        return err(notAllowed('full_usage_not_allowed'));
      }
      if (selector && charges.length === 0) return err(notFound('charge'));

      const timeZone = customer.timezone ?? organization.timezone;
      const startedAt = dateToInstant(subscription.startedAt);
      const timing: SubscriptionTiming = {
        interval: plan.interval as Interval,
        billingTime: subscription.billingTime as BillingTime,
        subscriptionAt: dateToInstant(subscription.subscriptionAt),
        startedAt,
        timeZone,
        billChargesMonthly: plan.billChargesMonthly ?? false,
      };
      const now = ctx.clock.now();
      // A subscription that starts later today is already active: its first period is the one it starts in.
      const at = Temporal.Instant.compare(now, startedAt) < 0 ? startedAt : now;
      const window = currentUsageWindow(timing, at);
      const from = request.fullUsage ? startedAt : window.chargesFromDatetime;
      const currency = plan.amountCurrency;

      const codes = [...new Set(charges.map(({ charge }) => metrics.get(charge.billableMetricId)?.code).filter((c): c is string => !!c))];
      const configs = await metering.settingsFor(tx, ctx.organizationId, codes, organization.meteringVersion);
      const ratio = projected ? periodRatio(window.fromDatetime, window.toDatetime, now, timeZone) : 0;
      // Charges ask for their windows side by side: one batch of statements reads them all, each window once.
      const readStates = createBatchedWindowReader(tx, metering, ctx.organizationId, subscription.externalId);

      const computeCharge = async (chargeDetails: ChargeDetails): Promise<{ details: ChargeDetails; metric: MetricRow; report: ChargeUsageReport } | null> => {
        const metric = metrics.get(chargeDetails.charge.billableMetricId);
        if (!metric) return null;
        const config: MeteringConfig = configs.get(metric.code) ?? { code: metric.code, metric: null, dimensionKeys: [] };
        const { lines, model } = await chargeUsageLines(
          {
            tx,
            metering,
            organizationId: ctx.organizationId,
            externalSubscriptionId: subscription.externalId,
            currency,
            timeZone,
            from,
            to: window.chargesToDatetime,
            toExclusive: window.chargesToExclusive,
            durationDays: window.chargesDurationDays,
            skipGrouping: request.skipGrouping,
            groups: request.groups,
            currentUsage: true,
            readStates,
          },
          chargeDetails,
          metric,
          config,
          declared.get(metric.id) ?? {},
        );
        const hasFilters = chargeDetails.filters.length > 0;
        const projections: LineProjection[] = projected
          ? lines.map((line) =>
              // Lago projects each filter's lines and leaves the default bucket out of a filtered charge's projection.
              hasFilters && line.filterId === null ? NO_PROJECTION : projectLine(line, model, { recurring: metric.recurring, ratio, currency }),
            )
          : [];
        const { charge } = chargeDetails;
        return {
          details: chargeDetails,
          metric,
          report: {
            charge: { id: charge.id, code: charge.code, chargeModel: charge.chargeModel, invoiceDisplayName: charge.invoiceDisplayName },
            metric: { id: metric.id, name: metric.name, code: metric.code, aggregationType: metric.aggregationType },
            totals: summarizeCharge(lines, hasFilters, projections),
            filters: new Map(chargeDetails.filters.map((f) => [f.id, f])),
          },
        };
      };
      // Side by side, so that their reads batch; every one settles before the transaction ends.
      const settled = await Promise.allSettled(charges.map(computeCharge));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const computed = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
      // Lago lists charges by metric name (case-insensitive), except when the request picks charges: then plan order.
      if (!selector) computed.sort((a, b) => compareText(a.metric.name.toLowerCase(), b.metric.name.toLowerCase()));

      const amountCents = computed.reduce((sum, c) => sum + c.report.totals.amountCents, 0n);
      let taxesCents = 0n;
      if (request.applyTaxes) {
        const taxes = await repo.usageTaxes(tx, ctx.organizationId, {
          chargeIds: computed.map(({ details: d }) => d.charge.id),
          planId: plan.id,
          customerId: customer.id,
        });
        // The taxes of a charge's usage: the charge's own, else the plan's, else the customer's, else the organization's.
        taxesCents = taxesAmountCents(
          computed.map(({ details: d, report: r }) => {
            const applied = [taxes.charges.get(d.charge.id) ?? [], taxes.plan, taxes.customer, taxes.organization].find((list) => list.length > 0) ?? [];
            return { amountCents: r.totals.amountCents, rates: applied.map((t) => new Decimal(t.rate)) };
          }),
        );
      }

      return ok({
        fromDatetime: from,
        toDatetime: window.chargesToDatetime,
        issuingDate: window.issuingDate,
        currency,
        amountCents,
        taxesAmountCents: taxesCents,
        totalAmountCents: amountCents + taxesCents,
        projectedAmountCents: projected ? computed.reduce((sum, c) => sum + c.report.totals.projectedAmountCents, 0n) : null,
        charges: computed.map((c) => c.report),
      });
    }, { isolationLevel: 'repeatable read', accessMode: 'read only' });

  /** GET /customers/{external_customer_id}/current_usage */
  const current = (ctx: Ctx, externalCustomerId: string, request: UsageRequest) => report(ctx, externalCustomerId, request, false);

  /** GET /customers/{external_customer_id}/projected_usage */
  const projectedUsage = (ctx: Ctx, externalCustomerId: string, request: UsageRequest) => report(ctx, externalCustomerId, request, true);

  return { current, projected: projectedUsage };
};

export type UsageService = ReturnType<typeof createUsageService>;
