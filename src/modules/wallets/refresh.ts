import { sql } from 'drizzle-orm';
import type { Temporal } from 'temporal-polyfill';
import { grantedCreditsOf, paidCreditsOf, type TopUpLimits, type TopUpRule } from '../../billing/wallets/rules.ts';
import { creditFromCents } from '../../billing/wallets/credits.ts';
import type { Db } from '../../db/database.ts';
import { queryRows } from '../../db/query.ts';
import { Decimal } from '../../lib/money.ts';
import { instantToDate } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { rateOf, reportWallet } from './ledger.ts';
import { liveThresholdRule, ongoingBalances, unbilledUsage } from './ongoing.ts';
import * as repo from './repository.ts';
import { topUp } from './top-up.ts';
import type { RuleRow, WalletRow } from './types.ts';

/** Lago waits this long after a declined automatic purchase before buying again (`ThresholdTopUpService`). */
const DECLINE_BACKOFF_MS = 3_600_000;
/** Rounds of top-ups one refresh may chain (a granted top-up that still leaves the wallet under its threshold). */
const MAX_ROUNDS = 10;

export const topUpRuleOf = (rule: RuleRow): TopUpRule => ({
  trigger: rule.trigger === 'threshold' ? 'threshold' : 'interval',
  method: rule.method === 'target' ? 'target' : 'fixed',
  paidCredits: new Decimal(rule.paidCredits),
  grantedCredits: new Decimal(rule.grantedCredits),
  thresholdCredits: new Decimal(rule.thresholdCredits),
  targetOngoingBalance: rule.targetOngoingBalance === null ? null : new Decimal(rule.targetOngoingBalance),
  grantsTargetTopUp: rule.grantsTargetTopUp === true,
  ignorePaidTopUpLimits: rule.ignorePaidTopUpLimits,
});

export const limitsOf = (wallet: WalletRow): TopUpLimits => ({
  minCredits: wallet.paidTopUpMinAmountCents === null ? null : creditFromCents(rateOf(wallet), wallet.paidTopUpMinAmountCents).creditAmount,
  maxCredits: wallet.paidTopUpMaxAmountCents === null ? null : creditFromCents(rateOf(wallet), wallet.paidTopUpMaxAmountCents).creditAmount,
});

/** The transaction options of a rule's top-ups. */
export const ruleOptions = (rule: RuleRow, source: 'interval' | 'threshold') => ({
  source,
  priority: 50,
  name: rule.transactionName,
  metadata: rule.transactionMetadata,
  purchaseOrderNumber: rule.purchaseOrderNumber,
  invoiceRequiresSuccessfulPayment: rule.invoiceRequiresSuccessfulPayment,
});

/** Tops up a wallet by one of its rules, at an ongoing balance in credits; true when credits settled at once. */
export const topUpByRule = async (tx: Db, wallet: WalletRow, rule: RuleRow, ongoingCredits: Decimal, source: 'interval' | 'threshold', at: Temporal.Instant, pending = new Decimal(0)) => {
  const r = topUpRuleOf(rule);
  const paid = paidCreditsOf(r, limitsOf(wallet), ongoingCredits, pending);
  const granted = grantedCreditsOf(r, limitsOf(wallet), ongoingCredits);
  if (paid.lte(0) && granted.lte(0)) return false;
  const result = await topUp(
    tx,
    wallet,
    { paidCredits: paid, grantedCredits: granted, voidedCredits: null, ignorePaidTopUpLimits: r.method === 'target' || r.ignorePaidTopUpLimits, options: ruleOptions(rule, source) },
    at,
  );
  // A rule's purchase outside the wallet's limits is not made (Lago's job fails the same way); its grant still is not.
  return result.ok && granted.gt(0);
};

/** Lago's backoff: an automatic purchase declined within the hour, and no purchase settled since. */
const backingOff = async (tx: Db, wallet: WalletRow, at: Temporal.Instant): Promise<boolean> => {
  const rows = await queryRows<{ declined: Date | string | null; settled: Date | string | null }>(
    tx,
    sql`SELECT max(failed_at) FILTER (WHERE source = 'threshold' AND status = 'failed') AS declined,
        max(settled_at) FILTER (WHERE status = 'settled') AS settled
      FROM wallet_transactions WHERE organization_id = ${wallet.organizationId} AND wallet_id = ${wallet.id}
        AND transaction_type = 'inbound' AND transaction_status = 'purchased'`,
  );
  const declined = rows[0]?.declined ? new Date(rows[0].declined).getTime() : null;
  if (declined === null || declined < at.epochMilliseconds - DECLINE_BACKOFF_MS) return false;
  const settled = rows[0]?.settled ? new Date(rows[0].settled).getTime() : null;
  return settled === null || settled < declined;
};

/**
 * Refreshes the ongoing balances of a customer's active wallets at an instant (Lago's `RefreshWalletsService` and
 * `UpdateOngoingService`): stores them, reports a wallet whose ongoing balance just reached 0 or less
 * (`wallet.depleted_ongoing_balance`, once until it is positive again), and lets a threshold rule top up a wallet whose
 * ongoing balance changed and is at or under its threshold, pending purchases counted. Wallet rows are locked first.
 */
export const refreshCustomerWallets = async (tx: Db, metering: MeteringService, organizationId: string, customerId: string, at: Temporal.Instant): Promise<void> => {
  let wallets = await repo.activeWalletsOf(tx, organizationId, customerId, { lock: true });
  const stamp = instantToDate(at);
  await tx.execute(
    sql`UPDATE wallets SET refresh_due_at = NULL WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND refresh_due_at IS NOT NULL`,
  );
  if (wallets.length === 0) return;
  const rules = await repo.rulesOf(tx, organizationId, wallets.map((w) => w.id));
  const usage = await unbilledUsage(tx, metering, organizationId, customerId, at);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const balances = ongoingBalances(wallets, rules, usage, at);
    let again = false;
    for (const wallet of wallets) {
      const ongoing = balances.get(wallet.id)!;
      const changed = ongoing.ongoingBalanceCents !== wallet.ongoingBalanceCents || ongoing.ongoingUsageBalanceCents !== wallet.ongoingUsageBalanceCents;
      const depleted = ongoing.ongoingBalanceCents <= 0n;
      const updated = await repo.updateWallet(tx, organizationId, wallet.id, {
        ...ongoing,
        depletedOngoingBalance: depleted,
        lastOngoingBalanceSyncAt: stamp,
        refreshDueAt: null,
      });
      if (depleted && !wallet.depletedOngoingBalance) await reportWallet(tx, 'wallet.depleted_ongoing_balance', updated, at);
      const rule = liveThresholdRule(rules, wallet.id, at);
      if (!rule || !changed) continue;
      const credits = new Decimal(ongoing.creditsOngoingBalance);
      const threshold = new Decimal(rule.thresholdCredits);
      if (credits.gt(threshold)) continue;
      const pending = new Decimal(await repo.pendingCredits(tx, organizationId, wallet.id));
      if (pending.add(credits).gt(threshold)) continue;
      const paid = paidCreditsOf(topUpRuleOf(rule), limitsOf(updated), credits, pending);
      if (paid.gt(0) && (await backingOff(tx, updated, at))) continue;
      if (await topUpByRule(tx, updated, rule, credits, 'threshold', at, pending)) again = true;
    }
    wallets = await repo.activeWalletsOf(tx, organizationId, customerId, { lock: true });
    if (!again) break;
  }
  // What the refresh itself changed is now current: only later balance moves call for another one.
  await tx.execute(
    sql`UPDATE wallets SET refresh_due_at = NULL WHERE organization_id = ${organizationId} AND customer_id = ${customerId} AND refresh_due_at IS NOT NULL`,
  );
};
