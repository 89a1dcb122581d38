import type { Temporal } from 'temporal-polyfill';
import type { Db } from '../../db/database.ts';
import { invalid } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import * as repo from './repository.ts';
import { checkPaidLimits } from './top-up.ts';
import { castBoolean, isDecimalText, present, type RuleInput, type RuleRow, type WalletRow } from './types.ts';

const decimalOr = (value: unknown, fallback: string): string => (isDecimalText(value) ? new Decimal(value.trim()).toFixed() : fallback);
const instantOr = (value: unknown): Date | null => {
  const at = present(value) ? parseIsoDateTime(value) : null;
  return at ? instantToDate(at) : null;
};
const textOr = (value: unknown): string | null => (present(value) ? String(value) : null);

const invalidRule = () => err(invalid('recurring_transaction_rules', 'invalid_recurring_rule'));

/** A fixed rule's purchase must fit the wallet's paid limits (unless the rule ignores them). */
export const checkRuleLimits = (wallet: WalletRow, rule: Pick<RuleRow, 'method' | 'paidCredits' | 'ignorePaidTopUpLimits'>): Result<true> => {
  if (rule.method !== 'fixed') return ok(true);
  const paid = new Decimal(rule.paidCredits).toDecimalPlaces(5, Decimal.ROUND_FLOOR);
  if (paid.isZero()) return ok(true);
  return checkPaidLimits(wallet, paid, rule.ignorePaidTopUpLimits).ok ? ok(true) : invalidRule();
};

/**
 * Creates a wallet's rule (Lago's `RecurringTransactionRules::CreateService`): a fixed rule without credits of its own
 * takes the wallet's initial paid and granted credits; payment settings follow the wallet unless the rule says.
 */
export const createRule = async (
  tx: Db,
  wallet: WalletRow,
  input: RuleInput,
  walletCredits: { paid: unknown; granted: unknown },
  at: Temporal.Instant,
): Promise<Result<RuleRow>> => {
  const method = input.method == null ? 'fixed' : String(input.method);
  const inherit = method === 'fixed' && input.paid_credits == null && input.granted_credits == null;
  const stamp = instantToDate(at);
  const row = {
    organizationId: wallet.organizationId,
    id: newId(),
    walletId: wallet.id,
    trigger: String(input.trigger),
    method,
    interval: input.trigger === 'interval' ? String(input.interval) : typeof input.interval === 'string' ? input.interval : null,
    thresholdCredits: decimalOr(input.threshold_credits, '0'),
    paidCredits: decimalOr(input.paid_credits ?? (inherit ? walletCredits.paid : null), '0'),
    grantedCredits: decimalOr(input.granted_credits ?? (inherit ? walletCredits.granted : null), '0'),
    targetOngoingBalance: isDecimalText(input.target_ongoing_balance) ? new Decimal(input.target_ongoing_balance.trim()).toFixed() : null,
    grantsTargetTopUp: method === 'target' ? castBoolean(input.grants_target_top_up) === true : null,
    startedAt: instantOr(input.started_at),
    expirationAt: instantOr(input.expiration_at),
    status: 'active',
    invoiceRequiresSuccessfulPayment:
      input.invoice_requires_successful_payment !== undefined ? castBoolean(input.invoice_requires_successful_payment) === true : wallet.invoiceRequiresSuccessfulPayment,
    ignorePaidTopUpLimits: castBoolean(input.ignore_paid_top_up_limits) === true,
    transactionMetadata: (Array.isArray(input.transaction_metadata) ? input.transaction_metadata : []) as { key: string; value: string }[],
    transactionName: textOr(input.transaction_name),
    purchaseOrderNumber: textOr(input.purchase_order_number),
    createdAt: stamp,
    updatedAt: stamp,
  };
  const limits = checkRuleLimits(wallet, row);
  if (!limits.ok) return limits;
  return ok(await repo.insertRule(tx, row));
};

/**
 * Replaces a wallet's rules with the ones given (Lago's `RecurringTransactionRules::UpdateService`): a rule named by
 * its `lago_id` is changed with what is given, another one is created, and the active rules not named are terminated.
 */
export const replaceRules = async (tx: Db, wallet: WalletRow, inputs: readonly RuleInput[], at: Temporal.Instant): Promise<Result<true>> => {
  const existing = await repo.rulesOf(tx, wallet.organizationId, [wallet.id]);
  const kept = new Set<string>();
  const stamp = instantToDate(at);
  for (const input of inputs) {
    const current = existing.find((r) => r.id === input.lago_id && r.status === 'active');
    if (!current) {
      const created = await createRule(tx, wallet, input, { paid: null, granted: null }, at);
      if (!created.ok) return created;
      kept.add(created.value.id);
      continue;
    }
    kept.add(current.id);
    const method = input.method != null ? String(input.method) : current.method;
    const changes: Partial<RuleRow> = { updatedAt: stamp, method };
    if (input.trigger !== undefined) changes.trigger = String(input.trigger);
    if (input.interval !== undefined) changes.interval = input.interval === null ? null : String(input.interval);
    if (input.threshold_credits !== undefined) changes.thresholdCredits = decimalOr(input.threshold_credits, '0');
    if (input.paid_credits !== undefined) changes.paidCredits = decimalOr(input.paid_credits, '0');
    if (input.granted_credits !== undefined) changes.grantedCredits = decimalOr(input.granted_credits, '0');
    if (input.target_ongoing_balance !== undefined) changes.targetOngoingBalance = isDecimalText(input.target_ongoing_balance) ? input.target_ongoing_balance.trim() : null;
    if (input.started_at !== undefined) changes.startedAt = instantOr(input.started_at);
    if (input.expiration_at !== undefined) changes.expirationAt = instantOr(input.expiration_at);
    if (input.invoice_requires_successful_payment !== undefined) changes.invoiceRequiresSuccessfulPayment = castBoolean(input.invoice_requires_successful_payment) === true;
    if (input.ignore_paid_top_up_limits !== undefined) changes.ignorePaidTopUpLimits = castBoolean(input.ignore_paid_top_up_limits) === true;
    if (input.transaction_metadata !== undefined) changes.transactionMetadata = (input.transaction_metadata ?? []) as { key: string; value: string }[];
    if (input.transaction_name !== undefined) changes.transactionName = textOr(input.transaction_name);
    if (input.purchase_order_number !== undefined) changes.purchaseOrderNumber = textOr(input.purchase_order_number);
    // A target rule says whether it grants (false unless told); other methods have no say.
    changes.grantsTargetTopUp =
      method === 'target' ? (input.grants_target_top_up !== undefined ? castBoolean(input.grants_target_top_up) === true : (current.grantsTargetTopUp ?? false)) : null;
    const target = changes.targetOngoingBalance !== undefined ? changes.targetOngoingBalance : current.targetOngoingBalance;
    const threshold = changes.thresholdCredits ?? current.thresholdCredits;
    if (method === 'target' && (changes.trigger ?? current.trigger) === 'threshold' && target !== null && new Decimal(target).lt(new Decimal(threshold))) {
      return err(invalid('target_ongoing_balance', 'must_be_greater_than_or_equal_threshold'));
    }
    await repo.updateRule(tx, wallet.organizationId, current.id, changes);
  }
  for (const rule of existing) {
    if (kept.has(rule.id) || rule.status !== 'active') continue;
    await repo.updateRule(tx, wallet.organizationId, rule.id, { status: 'terminated', terminatedAt: stamp, updatedAt: stamp });
  }
  return ok(true);
};
