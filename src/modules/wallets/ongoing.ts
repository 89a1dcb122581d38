import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import { allocateOngoingUsage, type FeeBucket } from '../../billing/wallets/allocation.ts';
import { centsToCredits } from '../../billing/wallets/credits.ts';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { frozenClock } from '../../lib/clock.ts';
import { Decimal } from '../../lib/money.ts';
import type { MeteringService } from '../metering/service.ts';
import { createUsageService } from '../usage/service.ts';
import { rateOf } from './ledger.ts';
import * as repo from './repository.ts';
import type { OngoingBalance, RuleRow, WalletRow } from './types.ts';

/**
 * A customer's unbilled usage, by what it bills (Lago's `Customers::RefreshWalletsService`): the current period's
 * usage of every active subscription (with its taxes; pay-in-advance charges are billed as they happen, so they are
 * not waiting), plus the customer's draft invoices (after coupons, with taxes). Progressive billing is not netted out.
 */
export const unbilledUsage = async (tx: Db, metering: MeteringService, organizationId: string, customerId: string, at: Temporal.Instant): Promise<FeeBucket[]> => {
  const subscriptions = await queryRows<{ external_id: string; customer_external_id: string }>(
    tx,
    sql`SELECT s.external_id, c.external_id AS customer_external_id FROM subscriptions s
      JOIN customers c ON c.organization_id = s.organization_id AND c.id = s.customer_id
      WHERE s.organization_id = ${organizationId} AND s.customer_id = ${customerId} AND s.status = 'active' ORDER BY s.started_at, s.id`,
  );
  const buckets: FeeBucket[] = [];
  if (subscriptions.length > 0) {
    // The usage service reads in its own (nested) transaction: a savepoint of ours, so it sees what we wrote.
    const usage = createUsageService({ db: tx, metering });
    const ctx = { organizationId, clock: frozenClock(at) };
    const reports = [];
    for (const s of subscriptions) {
      const report = await usage.current(ctx, s.customer_external_id, {
        externalSubscriptionId: s.external_id,
        applyTaxes: true,
        charges: null,
        groups: null,
        skipGrouping: false,
        fullUsage: false,
      });
      if (report.ok) reports.push(report.value);
    }
    const chargeIds = reports.flatMap((r) => r.charges.map((c) => c.charge.id));
    const inAdvance = new Set(
      chargeIds.length === 0
        ? []
        : (
            await queryRows<{ id: string }>(
              tx,
              sql`SELECT id FROM charges WHERE organization_id = ${organizationId} AND id = ANY(${arrayParam(chargeIds)}::uuid[]) AND pay_in_advance`,
            )
          ).map((r) => r.id),
    );
    for (const report of reports) {
      // The report's taxes are one total: each charge carries its share of them.
      const taxes = new Decimal(report.taxesAmountCents.toString());
      const amount = new Decimal(report.amountCents.toString());
      for (const c of report.charges) {
        if (inAdvance.has(c.charge.id)) continue;
        const cents = new Decimal(c.totals.amountCents.toString());
        const share = amount.isZero() ? new Decimal(0) : taxes.mul(cents).div(amount);
        buckets.push({ feeType: 'charge', billableMetricId: c.metric.id, amountCents: cents.add(share) });
      }
    }
  }
  const drafts = await queryRows<{ fee_type: string; billable_metric_id: string | null; amount: string }>(
    tx,
    sql`SELECT f.fee_type, f.billable_metric_id, (f.amount_cents + f.taxes_amount_cents - f.precise_coupons_amount_cents)::text AS amount
      FROM fees f JOIN invoices i ON i.organization_id = f.organization_id AND i.id = f.invoice_id
      WHERE i.organization_id = ${organizationId} AND i.customer_id = ${customerId} AND i.status = 'draft' AND i.total_amount_cents <> 0
      ORDER BY i.created_at, f.position`,
  );
  for (const d of drafts) buckets.push({ feeType: d.fee_type, billableMetricId: d.billable_metric_id, amountCents: new Decimal(d.amount) });
  return buckets;
};

/** Lago's `currently_active?` for a threshold rule, at an instant. */
export const liveThresholdRule = (rules: readonly RuleRow[], walletId: string, at: Temporal.Instant): RuleRow | null =>
  rules.find(
    (r) => r.walletId === walletId && r.trigger === 'threshold' && r.status === 'active' && (r.expirationAt === null || r.expirationAt.getTime() > at.epochMilliseconds),
  ) ?? null;

/** Each active wallet's ongoing balance: its balance less its share of the unbilled usage. */
export const ongoingBalances = (wallets: readonly WalletRow[], rules: readonly RuleRow[], usage: readonly FeeBucket[], at: Temporal.Instant): Map<string, OngoingBalance> => {
  const allocations = allocateOngoingUsage(
    usage,
    wallets.map((w) => ({
      id: w.id,
      feeTypes: w.allowedFeeTypes,
      billableMetricIds: w.billableMetricIds,
      balanceCents: w.balanceCents,
      threshold: liveThresholdRule(rules, w.id, at) !== null,
    })),
  );
  return new Map(
    wallets.map((w) => {
      const usageCents = allocations.get(w.id) ?? 0n;
      const balance = w.balanceCents - usageCents;
      return [
        w.id,
        {
          ongoingUsageBalanceCents: usageCents,
          ongoingBalanceCents: balance,
          creditsOngoingUsageBalance: centsToCredits(rateOf(w), usageCents).toFixed(),
          creditsOngoingBalance: centsToCredits(rateOf(w), balance).toFixed(),
        },
      ];
    }),
  );
};

/** Ongoing balances of a customer's active wallets now, without writing anything (what the API shows). */
export const computeOngoing = async (tx: Db, metering: MeteringService, organizationId: string, customerId: string, at: Temporal.Instant) => {
  const wallets = await repo.activeWalletsOf(tx, organizationId, customerId);
  if (wallets.length === 0) return new Map<string, OngoingBalance>();
  const rules = await repo.rulesOf(tx, organizationId, wallets.map((w) => w.id));
  return ongoingBalances(wallets, rules, await unbilledUsage(tx, metering, organizationId, customerId, at), at);
};
