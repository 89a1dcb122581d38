import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { arrayParam, queryRows } from '../../db/query.ts';
import { appliedUsageThresholds, lifetimeUsages, subscriptionUsageThresholds } from '../../db/schema/progressive-billing.ts';
import { selectRows } from '../../db/select.ts';
import { insertRows } from '../../db/write.ts';
import { newId } from '../../lib/ids.ts';
import type { Subscription } from '../subscriptions/types.ts';
import type { AppliedThresholdRecord } from './thresholds.ts';

export type SubscriptionThresholdRow = typeof subscriptionUsageThresholds.$inferSelect;
export type LifetimeUsageRow = typeof lifetimeUsages.$inferSelect;
export type AppliedUsageThresholdRow = typeof appliedUsageThresholds.$inferSelect;

const uuids = (ids: readonly string[]) => sql`${arrayParam(ids)}::uuid[]`;
const iso = (d: Date) => d.toISOString();

// ---- a subscription's own thresholds ---------------------------------------------------------------------------

/** The live thresholds set on each subscription, in the order they were written. */
export const thresholdsOfSubscriptions = async (db: Db, organizationId: string, subscriptionIds: readonly string[]): Promise<Map<string, SubscriptionThresholdRow[]>> => {
  const out = new Map<string, SubscriptionThresholdRow[]>();
  if (subscriptionIds.length === 0) return out;
  const rows = await selectRows<SubscriptionThresholdRow>(
    db,
    subscriptionUsageThresholds,
    sql`subscription_usage_thresholds WHERE organization_id = ${organizationId} AND subscription_id = ANY(${uuids(subscriptionIds)})
      AND deleted_at IS NULL ORDER BY created_at, id`,
  );
  for (const row of rows) (out.get(row.subscriptionId) ?? out.set(row.subscriptionId, []).get(row.subscriptionId)!).push(row);
  return out;
};

export const softDeleteSubscriptionThresholds = async (db: Db, organizationId: string, subscriptionId: string, now: Date): Promise<void> => {
  await db.execute(
    sql`UPDATE subscription_usage_thresholds SET deleted_at = ${iso(now)}::timestamptz, updated_at = ${iso(now)}::timestamptz
      WHERE organization_id = ${organizationId} AND subscription_id = ${subscriptionId} AND deleted_at IS NULL`,
  );
};

export const insertSubscriptionThresholds = async (db: Db, rows: (typeof subscriptionUsageThresholds.$inferInsert)[]): Promise<void> => {
  await insertRows(db, subscriptionUsageThresholds, rows);
};

// ---- lifetime usage --------------------------------------------------------------------------------------------

export const findLifetimeUsage = async (db: Db, organizationId: string, subscriptionId: string, lock: '' | 'FOR UPDATE' | 'FOR UPDATE SKIP LOCKED' = ''): Promise<LifetimeUsageRow | null> => {
  const [row] = await selectRows<LifetimeUsageRow>(
    db,
    lifetimeUsages,
    sql`lifetime_usages WHERE organization_id = ${organizationId} AND subscription_id = ${subscriptionId} ${sql.raw(lock)}`,
  );
  return row ?? null;
};

/**
 * Hands the lifetime usage of a subscription's chain (the subscriptions it replaced by plan changes) to it, as Lago
 * hands it over when the new subscription starts. Null when none of them has one.
 */
export const takeOverChainLifetimeUsage = async (db: Db, subscription: Subscription, now: Date): Promise<LifetimeUsageRow | null> => {
  if (!subscription.previousSubscriptionId) return null;
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`WITH RECURSIVE chain AS (
        SELECT id, previous_subscription_id FROM subscriptions WHERE organization_id = ${subscription.organizationId} AND id = ${subscription.previousSubscriptionId}
        UNION ALL
        SELECT s.id, s.previous_subscription_id FROM subscriptions s JOIN chain c ON s.organization_id = ${subscription.organizationId} AND s.id = c.previous_subscription_id
      )
      UPDATE lifetime_usages SET subscription_id = ${subscription.id}, updated_at = ${iso(now)}::timestamptz
      WHERE organization_id = ${subscription.organizationId} AND subscription_id IN (SELECT id FROM chain)
        AND NOT EXISTS (SELECT 1 FROM lifetime_usages o WHERE o.organization_id = ${subscription.organizationId} AND o.subscription_id = ${subscription.id})
      RETURNING id`,
  );
  return row ? findLifetimeUsage(db, subscription.organizationId, subscription.id) : null;
};

export const insertLifetimeUsage = async (db: Db, subscription: Subscription, now: Date): Promise<void> => {
  await insertRows(
    db,
    lifetimeUsages,
    [
      {
        organizationId: subscription.organizationId,
        id: newId(),
        subscriptionId: subscription.id,
        historicalUsageAmountCents: 0n,
        invoicedUsageAmountCents: 0n,
        currentUsageAmountCents: 0n,
        createdAt: now,
        updatedAt: now,
      },
    ],
    { suffix: 'ON CONFLICT DO NOTHING' },
  );
};

export const updateLifetimeUsage = async (db: Db, row: LifetimeUsageRow, changes: Partial<LifetimeUsageRow>): Promise<LifetimeUsageRow> => {
  const next = { ...row, ...changes };
  await db.execute(
    sql`UPDATE lifetime_usages SET historical_usage_amount_cents = ${next.historicalUsageAmountCents.toString()}::bigint,
        invoiced_usage_amount_cents = ${next.invoicedUsageAmountCents.toString()}::bigint,
        current_usage_amount_cents = ${next.currentUsageAmountCents.toString()}::bigint,
        invoiced_usage_amount_refreshed_at = ${next.invoicedUsageAmountRefreshedAt ? iso(next.invoicedUsageAmountRefreshedAt) : null}::timestamptz,
        current_usage_amount_refreshed_at = ${next.currentUsageAmountRefreshedAt ? iso(next.currentUsageAmountRefreshedAt) : null}::timestamptz,
        updated_at = ${iso(next.updatedAt)}::timestamptz
      WHERE organization_id = ${row.organizationId} AND id = ${row.id}`,
  );
  return next;
};

/** The subscriptions of a chain, as Lago counts them: same external id and start, not canceled. */
const chainIds = (subscription: Subscription) =>
  sql`SELECT id FROM subscriptions WHERE organization_id = ${subscription.organizationId} AND external_id = ${subscription.externalId}
    AND subscription_at = ${iso(subscription.subscriptionAt)}::timestamptz AND canceled_at IS NULL`;

/**
 * What subscription invoices (drafts included) billed for the chain's in-arrears charges: Lago's invoiced usage.
 * Progressive invoices are not counted: the period's subscription invoice bills their usage again and credits them.
 */
export const invoicedUsageCents = async (db: Db, subscription: Subscription): Promise<bigint> => {
  const [row] = await queryRows<{ total: string }>(
    db,
    sql`SELECT coalesce(sum(f.amount_cents), 0)::text AS total FROM fees f
      JOIN invoices i ON i.organization_id = f.organization_id AND i.id = f.invoice_id
      WHERE f.organization_id = ${subscription.organizationId} AND f.subscription_id IN (${chainIds(subscription)})
        AND f.fee_type = 'charge' AND NOT f.pay_in_advance AND i.invoice_type = 'subscription' AND i.status IN ('finalized', 'draft')`,
  );
  return BigInt(row!.total);
};

// ---- progressive invoices and what they billed -------------------------------------------------------------------

/** A charge fee of a progressive invoice, as the invoice that credits it matches it. */
export interface ProgressiveFee {
  chargeId: string | null;
  chargeFilterId: string | null;
  groupedBy: Record<string, string | null>;
  amountCents: bigint;
}

export interface ProgressiveInvoice {
  id: string;
  feesAmountCents: bigint;
  couponsAmountCents: bigint;
  /** What later invoices already took off it (those not voided). */
  creditedCents: bigint;
  fees: ProgressiveFee[];
}

/**
 * The latest progressive invoice (finalized or failed) of a subscription whose charges window holds `at` (Lago's
 * `Subscriptions::ProgressiveBilledAmount`): it billed the whole period's usage up to then, earlier ones included.
 */
export const latestProgressiveInvoice = async (db: Db, organizationId: string, subscriptionId: string, at: Date): Promise<ProgressiveInvoice | null> => {
  const [row] = await queryRows<{ id: string; fees: string; coupons: string; credited: string; charge_fees: ProgressiveFee[] | null }>(
    db,
    sql`SELECT i.id, i.fees_amount_cents::text AS fees, i.coupons_amount_cents::text AS coupons,
        (SELECT coalesce(sum(c.amount_cents), 0) FROM credits c JOIN invoices ci ON ci.organization_id = c.organization_id AND ci.id = c.invoice_id
          WHERE c.organization_id = i.organization_id AND c.progressive_billing_invoice_id = i.id AND ci.status NOT IN ('voided', 'closed'))::text AS credited,
        (SELECT json_agg(json_build_object('chargeId', f.charge_id, 'chargeFilterId', f.charge_filter_id, 'groupedBy', f.grouped_by,
            'amountCents', f.amount_cents::text) ORDER BY f.position)
          FROM fees f WHERE f.organization_id = i.organization_id AND f.invoice_id = i.id AND f.fee_type = 'charge') AS charge_fees
      FROM invoice_subscriptions s JOIN invoices i ON i.organization_id = s.organization_id AND i.id = s.invoice_id
      WHERE s.organization_id = ${organizationId} AND s.subscription_id = ${subscriptionId} AND s.invoicing_reason = 'progressive_billing'
        AND s.charges_from_datetime <= ${iso(at)}::timestamptz AND s.charges_to_datetime > ${iso(at)}::timestamptz
        AND i.status IN ('finalized', 'failed')
      ORDER BY i.issuing_date DESC, i.created_at DESC, i.id DESC LIMIT 1`,
  );
  if (!row) return null;
  return {
    id: row.id,
    feesAmountCents: BigInt(row.fees),
    couponsAmountCents: BigInt(row.coupons),
    creditedCents: BigInt(row.credited),
    fees: (row.charge_fees ?? []).map((f) => ({ ...f, amountCents: BigInt(f.amountCents as unknown as string) })),
  };
};

export interface ProgressiveCreditRow {
  organizationId: string;
  invoiceId: string;
  progressiveBillingInvoiceId: string;
  amountCents: bigint;
  amountCurrency: string;
  createdAt: Date;
}

export const insertProgressiveCredits = async (db: Db, rows: readonly ProgressiveCreditRow[]): Promise<void> => {
  for (const r of rows) {
    await db.execute(
      sql`INSERT INTO credits (organization_id, id, invoice_id, applied_coupon_id, progressive_billing_invoice_id, amount_cents, amount_currency, before_taxes, created_at)
        VALUES (${r.organizationId}, ${newId()}, ${r.invoiceId}, NULL, ${r.progressiveBillingInvoiceId}, ${r.amountCents.toString()}::bigint,
          ${r.amountCurrency}, true, ${iso(r.createdAt)}::timestamptz)`,
    );
  }
};

/** The progressive invoices credited on an invoice, with their numbers (the credits' items). */
export const progressiveCreditsOf = async (
  db: Db,
  organizationId: string,
  invoiceId: string,
): Promise<{ creditId: string; invoiceId: string; number: string }[]> =>
  queryRows(
    db,
    sql`SELECT c.id AS "creditId", p.id AS "invoiceId", p.number FROM credits c
      JOIN invoices p ON p.organization_id = c.organization_id AND p.id = c.progressive_billing_invoice_id
      WHERE c.organization_id = ${organizationId} AND c.invoice_id = ${invoiceId}`,
  );

// ---- applied thresholds ----------------------------------------------------------------------------------------

export const insertAppliedThresholds = async (db: Db, rows: (typeof appliedUsageThresholds.$inferInsert)[]): Promise<void> => {
  await insertRows(db, appliedUsageThresholds, rows);
};

export const appliedThresholdsOfInvoices = async (db: Db, organizationId: string, invoiceIds: readonly string[]): Promise<AppliedUsageThresholdRow[]> =>
  invoiceIds.length === 0
    ? []
    : selectRows<AppliedUsageThresholdRow>(
        db,
        appliedUsageThresholds,
        sql`applied_usage_thresholds WHERE organization_id = ${organizationId} AND invoice_id = ANY(${uuids(invoiceIds)}) ORDER BY created_at, id`,
      );

/** The thresholds applied to the invoices of a subscription's chain, for when each was reached. */
export const appliedThresholdsOfChain = async (db: Db, subscription: Subscription): Promise<AppliedThresholdRecord[]> => {
  const rows = await queryRows<{ usage_threshold_id: string; lifetime: string; created_at: Date | string }>(
    db,
    sql`SELECT a.usage_threshold_id, a.lifetime_usage_amount_cents::text AS lifetime, a.created_at FROM applied_usage_thresholds a
      WHERE a.organization_id = ${subscription.organizationId} AND a.invoice_id IN (
        SELECT s.invoice_id FROM invoice_subscriptions s WHERE s.organization_id = ${subscription.organizationId}
          AND s.subscription_id IN (${chainIds(subscription)}))`,
  );
  return rows.map((r) => ({ usageThresholdId: r.usage_threshold_id, lifetimeUsageAmountCents: BigInt(r.lifetime), createdAt: new Date(r.created_at) }));
};

// ---- who is watched --------------------------------------------------------------------------------------------

/**
 * The active subscriptions of an organization that thresholds apply to (their own, their plan's, or their override
 * plan's parent's), progressive billing not disabled. Driven from the thresholds, so that an organization without
 * any costs an index probe.
 */
export const watchedSubscriptions = async (db: Db, organizationId: string): Promise<{ id: string; external_id: string }[]> =>
  queryRows(
    db,
    sql`WITH plan_ids AS (
        SELECT t.plan_id AS id FROM usage_thresholds t WHERE t.organization_id = ${organizationId} AND t.deleted_at IS NULL
        UNION
        SELECT c.id FROM plans c JOIN usage_thresholds t ON t.organization_id = c.organization_id AND t.plan_id = c.parent_id
          WHERE c.organization_id = ${organizationId} AND t.deleted_at IS NULL
      )
      SELECT s.id, s.external_id FROM subscriptions s WHERE s.organization_id = ${organizationId} AND s.status = 'active'
        AND NOT s.progressive_billing_disabled AND s.plan_id IN (SELECT id FROM plan_ids)
      UNION
      SELECT s.id, s.external_id FROM subscriptions s JOIN subscription_usage_thresholds t ON t.organization_id = s.organization_id AND t.subscription_id = s.id
        WHERE s.organization_id = ${organizationId} AND s.status = 'active' AND NOT s.progressive_billing_disabled AND t.deleted_at IS NULL`,
  );

/** Subscriptions that were progressively billed at least once (their period's invoice may owe a credit). */
export const progressivelyBilledSubscriptions = async (db: Db, organizationId: string): Promise<string[]> =>
  (
    await queryRows<{ id: string }>(
      db,
      sql`SELECT DISTINCT subscription_id AS id FROM invoice_subscriptions WHERE organization_id = ${organizationId} AND invoicing_reason = 'progressive_billing'`,
    )
  ).map((r) => r.id);

/** Organizations on the live clock with a subscription that thresholds apply to. */
export const liveOrganizationsWithThresholds = async (db: Db): Promise<string[]> =>
  (
    await queryRows<{ id: string }>(
      db,
      sql`SELECT o.id FROM organizations o WHERE o.test_clock_frozen_at IS NULL AND (
          EXISTS (SELECT 1 FROM usage_thresholds t WHERE t.organization_id = o.id AND t.deleted_at IS NULL)
          OR EXISTS (SELECT 1 FROM subscription_usage_thresholds t WHERE t.organization_id = o.id AND t.deleted_at IS NULL))`,
    )
  ).map((r) => r.id);
