import { sql } from 'drizzle-orm';
import { Temporal } from 'temporal-polyfill';
import { localDateAt, startOfLocalDay } from '../../billing/periods/index.ts';
import { isRuleAnniversary, RULE_INTERVALS, type RuleInterval } from '../../billing/wallets/rules.ts';
import type { Db } from '../../db/database.ts';
import { retryingConflicts } from '../../db/errors.ts';
import { queryRows } from '../../db/query.ts';
import { inTransaction } from '../../db/transaction.ts';
import { Decimal } from '../../lib/money.ts';
import { instantToDate } from '../../lib/time.ts';
import type { MeteringService } from '../metering/service.ts';
import { refreshCustomerWallets, topUpByRule } from './refresh.ts';
import * as repo from './repository.ts';
import { terminateWallet } from './service.ts';

/**
 * The wallets' share of the clock, as Lago's hourly jobs do it: wallets past their `expiration_at` are terminated (at
 * minute 45 of the hour), recurring rules past theirs end (minute 50), interval rules top up on their anniversary day
 * in the customer's zone (minute 55), and ongoing balances due for a refresh (a consumption, a top-up) are refreshed,
 * which sends `wallet.depleted_ongoing_balance` and fires threshold rules. A test clock does each piece at the instant
 * it fell due, in time order, interleaved with billing; the live clock does what is due when it ticks.
 */

const HOUR_MS = 3_600_000;
const compare = Temporal.Instant.compare;
const instantOf = (value: Date | string): Temporal.Instant => Temporal.Instant.fromEpochMilliseconds(new Date(value).getTime());

/** The first instant at or after `at` whose minute (UTC) is `minute`: when an hourly job at that minute sees it. */
export const nextRunAt = (at: Temporal.Instant, minute: number): Temporal.Instant => {
  const hourStart = Math.floor(at.epochMilliseconds / HOUR_MS) * HOUR_MS;
  let run = hourStart + minute * 60_000;
  if (run < at.epochMilliseconds) run += HOUR_MS;
  return Temporal.Instant.fromEpochMilliseconds(run);
};

export type WalletStamp = (at: Temporal.Instant) => Temporal.Instant;

type Work =
  | { kind: 'refresh'; at: Temporal.Instant; customerId: string }
  | { kind: 'expire_wallet'; at: Temporal.Instant; walletId: string }
  | { kind: 'expire_rule'; at: Temporal.Instant; ruleId: string }
  | { kind: 'interval'; at: Temporal.Instant; ruleId: string; walletId: string; day: Temporal.PlainDate; timeZone: string };

const ORDER: Record<Work['kind'], number> = { refresh: 0, expire_wallet: 1, expire_rule: 2, interval: 3 };
const idOf = (w: Work) => ('customerId' in w ? w.customerId : 'ruleId' in w ? w.ruleId : w.walletId);

export const createWalletClock = ({ db, metering, changed = () => {} }: { db: Db; metering: MeteringService; changed?: (organizationId: string) => void }) => {
  /** Interval rules' due anniversaries up to `upTo`, after the instant each rule was last looked at. */
  const intervalWork = async (organizationId: string, upTo: Temporal.Instant): Promise<Work[]> => {
    const rules = await queryRows<{
      id: string;
      wallet_id: string;
      interval: string;
      started_at: Date | string | null;
      expiration_at: Date | string | null;
      interval_run_at: Date | string | null;
      created_at: Date | string;
      wallet_created_at: Date | string;
      time_zone: string;
    }>(
      db,
      sql`SELECT r.id, r.wallet_id, r.interval, r.started_at, r.expiration_at, r.interval_run_at, r.created_at, w.created_at AS wallet_created_at,
          coalesce(c.timezone, o.timezone, 'UTC') AS time_zone
        FROM recurring_transaction_rules r
          JOIN wallets w ON w.organization_id = r.organization_id AND w.id = r.wallet_id
          JOIN customers c ON c.organization_id = w.organization_id AND c.id = w.customer_id
          JOIN organizations o ON o.id = r.organization_id
        WHERE r.organization_id = ${organizationId} AND r.status = 'active' AND r.trigger = 'interval' AND w.status = 'active'
          AND (r.interval_run_at IS NULL OR r.interval_run_at < ${instantToDate(upTo).toISOString()}::timestamptz)`,
    );
    const work: Work[] = [];
    for (const rule of rules) {
      if (!(RULE_INTERVALS as readonly string[]).includes(rule.interval)) continue;
      const tz = rule.time_zone;
      const createdAt = instantOf(rule.created_at);
      const start = localDateAt(rule.started_at ? instantOf(rule.started_at) : instantOf(rule.wallet_created_at), tz);
      const walletDay = localDateAt(instantOf(rule.wallet_created_at), tz);
      const expiresAt = rule.expiration_at ? instantOf(rule.expiration_at) : null;
      // Runs before the rule existed, or at or before the instant it was last looked at, are not due.
      const checked = rule.interval_run_at ? instantOf(rule.interval_run_at) : null;
      const from = localDateAt(checked ?? createdAt, tz);
      for (let day = Temporal.PlainDate.compare(from, start) < 0 ? start : from; ; day = day.add({ days: 1 })) {
        const at = nextRunAt(startOfLocalDay(day, tz), 55);
        if (compare(at, upTo) > 0) break;
        if (expiresAt && compare(expiresAt, at) <= 0) break;
        if (compare(at, createdAt) < 0 || (checked && compare(at, checked) <= 0) || day.equals(walletDay)) continue;
        if (isRuleAnniversary(rule.interval as RuleInterval, start, day)) {
          work.push({ kind: 'interval', at, ruleId: rule.id, walletId: rule.wallet_id, day, timeZone: tz });
        }
      }
    }
    return work;
  };

  const dueWork = async (organizationId: string, upTo: Temporal.Instant): Promise<Work[]> => {
    const limit = instantToDate(upTo).toISOString();
    const refreshes = await queryRows<{ customer_id: string; at: Date | string }>(
      db,
      sql`SELECT customer_id, min(refresh_due_at) AS at FROM wallets WHERE organization_id = ${organizationId} AND refresh_due_at <= ${limit}::timestamptz
        GROUP BY customer_id`,
    );
    const expiring = await queryRows<{ id: string; expiration_at: Date | string }>(
      db,
      sql`SELECT id, expiration_at FROM wallets WHERE organization_id = ${organizationId} AND status = 'active' AND expiration_at <= ${limit}::timestamptz`,
    );
    const endingRules = await queryRows<{ id: string; expiration_at: Date | string }>(
      db,
      sql`SELECT id, expiration_at FROM recurring_transaction_rules WHERE organization_id = ${organizationId} AND status = 'active'
        AND expiration_at <= ${limit}::timestamptz`,
    );
    return [
      ...refreshes.map((r): Work => ({ kind: 'refresh', at: instantOf(r.at), customerId: r.customer_id })),
      ...expiring.map((w): Work => ({ kind: 'expire_wallet', at: nextRunAt(instantOf(w.expiration_at), 45), walletId: w.id })),
      ...endingRules.map((r): Work => ({ kind: 'expire_rule', at: nextRunAt(instantOf(r.expiration_at), 50), ruleId: r.id })),
      ...(await intervalWork(organizationId, upTo)),
    ];
  };

  const expireWallet = (organizationId: string, walletId: string, at: Temporal.Instant, stampAt: Temporal.Instant) =>
    inTransaction(db, async (tx) => {
      const wallet = await repo.findWallet(tx, organizationId, walletId, true);
      if (!wallet || wallet.status !== 'active' || !wallet.expirationAt || wallet.expirationAt.getTime() > at.epochMilliseconds) return;
      await terminateWallet(tx, wallet, stampAt);
      changed(organizationId);
    });

  const expireRule = (organizationId: string, ruleId: string, stampAt: Temporal.Instant) =>
    db.execute(
      sql`UPDATE recurring_transaction_rules SET status = 'terminated', terminated_at = ${instantToDate(stampAt).toISOString()}::timestamptz,
          updated_at = ${instantToDate(stampAt).toISOString()}::timestamptz
        WHERE organization_id = ${organizationId} AND id = ${ruleId} AND status = 'active'`,
    );

  /**
   * One anniversary of an interval rule: a top-up, once per wallet and day (a wallet is not topped up on the day it was
   * created). A target rule tops up to its target from the ongoing balance refreshed first.
   */
  const intervalTopUp = (organizationId: string, work: Extract<Work, { kind: 'interval' }>, stampAt: Temporal.Instant) =>
    inTransaction(db, async (tx) => {
      const wallet = await repo.findWallet(tx, organizationId, work.walletId, true);
      const [rule] = (await repo.rulesOf(tx, organizationId, [work.walletId])).filter((r) => r.id === work.ruleId);
      if (!wallet || !rule) return;
      await repo.updateRule(tx, organizationId, rule.id, { intervalRunAt: instantToDate(work.at) });
      if (wallet.status !== 'active' || rule.status !== 'active') return;
      const [done] = await queryRows<{ n: string | number }>(
        tx,
        sql`SELECT count(*) AS n FROM wallet_transactions t JOIN wallets w ON w.organization_id = t.organization_id AND w.id = t.wallet_id
            JOIN customers c ON c.organization_id = w.organization_id AND c.id = w.customer_id JOIN organizations o ON o.id = t.organization_id
          WHERE t.organization_id = ${organizationId} AND t.wallet_id = ${wallet.id} AND t.source = 'interval' AND t.transaction_type = 'inbound'
            AND (t.created_at AT TIME ZONE coalesce(c.timezone, o.timezone, 'UTC'))::date = ${work.day.toString()}::date`,
      );
      if (Number(done!.n) > 0) return;
      let current = wallet;
      if (rule.method === 'target') {
        await refreshCustomerWallets(tx, metering, organizationId, wallet.customerId, stampAt);
        current = (await repo.findWallet(tx, organizationId, wallet.id, true))!;
      }
      await topUpByRule(tx, current, rule, new Decimal(current.creditsOngoingBalance), 'interval', stampAt);
    });

  const refresh = (organizationId: string, customerId: string, stampAt: Temporal.Instant) =>
    inTransaction(db, (tx) => refreshCustomerWallets(tx, metering, organizationId, customerId, stampAt));

  /**
   * Does an organization's wallet work due up to `upTo` (only what fell due before it, with `before`), oldest first,
   * each piece in its own transaction. A live clock that was not running on an anniversary day has missed it, as
   * Lago's would have.
   */
  const runDue = async (organizationId: string, upTo: Temporal.Instant, stamp: WalletStamp = (at) => at, options: { before?: boolean } = {}): Promise<void> => {
    // A piece can make more work due (a refresh after a top-up): look again until nothing is left.
    for (let pass = 0; pass < 100; pass++) {
      const due = (await dueWork(organizationId, upTo))
        .filter((w) => (options.before ? compare(w.at, upTo) < 0 : compare(w.at, upTo) <= 0))
        .sort((a, b) => compare(a.at, b.at) || ORDER[a.kind] - ORDER[b.kind] || idOf(a).localeCompare(idOf(b)));
      const next = due[0];
      if (!next) {
        // Every anniversary up to here was seen: interval rules are looked at again only after this instant.
        if (!options.before) {
          await db.execute(
            sql`UPDATE recurring_transaction_rules SET interval_run_at = ${instantToDate(upTo).toISOString()}::timestamptz
              WHERE organization_id = ${organizationId} AND status = 'active' AND trigger = 'interval'
                AND (interval_run_at IS NULL OR interval_run_at < ${instantToDate(upTo).toISOString()}::timestamptz)`,
          );
        }
        return;
      }
      const stampAt = stamp(next.at);
      switch (next.kind) {
        case 'refresh':
          await retryingConflicts(() => refresh(organizationId, next.customerId, stampAt));
          break;
        case 'expire_wallet':
          await retryingConflicts(() => expireWallet(organizationId, next.walletId, next.at, stampAt));
          break;
        case 'expire_rule':
          await expireRule(organizationId, next.ruleId, stampAt);
          break;
        case 'interval':
          if (!localDateAt(stampAt, next.timeZone).equals(next.day)) {
            // Missed by a live clock: only the rule's cursor moves.
            await repo.updateRule(db, organizationId, next.ruleId, { intervalRunAt: instantToDate(next.at) });
            break;
          }
          await retryingConflicts(() => intervalTopUp(organizationId, next, stampAt));
          break;
      }
    }
  };

  /** The live clock's pass: the wallet work of every organization without a test clock, up to now. */
  const runLive = async (now: Temporal.Instant, stamp: WalletStamp): Promise<void> => {
    const limit = instantToDate(now).toISOString();
    const organizations = await queryRows<{ id: string }>(
      db,
      sql`SELECT o.id FROM organizations o WHERE o.test_clock_frozen_at IS NULL AND (
          EXISTS (SELECT 1 FROM wallets w WHERE w.organization_id = o.id AND w.refresh_due_at <= ${limit}::timestamptz)
          OR EXISTS (SELECT 1 FROM wallets w WHERE w.organization_id = o.id AND w.status = 'active' AND w.expiration_at <= ${limit}::timestamptz)
          OR EXISTS (SELECT 1 FROM recurring_transaction_rules r WHERE r.organization_id = o.id AND r.status = 'active'
            AND (r.expiration_at <= ${limit}::timestamptz OR (r.trigger = 'interval' AND (r.interval_run_at IS NULL OR r.interval_run_at < ${limit}::timestamptz - interval '1 hour')))))`,
    );
    for (const { id } of organizations) await runDue(id, now, stamp);
  };

  return { runDue, runLive };
};

export type WalletClock = ReturnType<typeof createWalletClock>;
