import { Type, type Static } from '@sinclair/typebox';
import type { Temporal } from 'temporal-polyfill';
import { RULE_INTERVALS } from '../../billing/wallets/rules.ts';
import type { recurringTransactionRules, walletTransactions, wallets } from '../../db/schema/wallets.ts';
import { Decimal, isDecimalString } from '../../lib/money.ts';
import { parseIsoDateTime } from '../../lib/time.ts';

export type WalletRow = typeof wallets.$inferSelect;
export type TransactionRow = typeof walletTransactions.$inferSelect;
export type RuleRow = typeof recurringTransactionRules.$inferSelect;

/** Lago's `Wallet::LOWEST_PRIORITY`: priorities run from 1 (applied first) to 50 (the default). */
export const LOWEST_PRIORITY = 50;
/** Lago's default limit of active wallets per customer (`Wallets::ValidateService::MAXIMUM_WALLETS_PER_CUSTOMER`). */
export const MAXIMUM_WALLETS_PER_CUSTOMER = 6;
/** Fee types a wallet may be limited to (Lago's `Fee.fee_types`). */
export const FEE_TYPES = ['charge', 'add_on', 'subscription', 'credit', 'commitment', 'fixed_charge'] as const;
export const TRANSACTION_STATUSES = ['purchased', 'granted', 'voided', 'invoiced'] as const;
export const TRANSACTION_TYPES = ['inbound', 'outbound'] as const;
export const STATUSES = ['pending', 'settled', 'failed'] as const;

/** A wallet with what it shows beside its row. */
export interface WalletView {
  wallet: WalletRow;
  externalCustomerId: string;
  billingEntityCode: string;
  rules: RuleRow[];
  billableMetricCodes: string[];
  /** The ongoing balance computed for this answer; absent: the one last stored. */
  ongoing?: OngoingBalance;
}

export interface OngoingBalance {
  ongoingUsageBalanceCents: bigint;
  ongoingBalanceCents: bigint;
  creditsOngoingUsageBalance: string;
  creditsOngoingBalance: string;
}

export interface TransactionFilters {
  status?: string;
  transactionType?: string;
  transactionStatus?: string;
  metadata: Record<string, string>;
}

/** Any JSON value: Lago checks these fields itself and answers with its own error codes. */
const Loose = Type.Optional(Type.Unknown());

const RuleInput = Type.Object(
  {
    lago_id: Loose,
    trigger: Loose,
    method: Loose,
    interval: Loose,
    threshold_credits: Loose,
    paid_credits: Loose,
    granted_credits: Loose,
    target_ongoing_balance: Loose,
    grants_target_top_up: Loose,
    started_at: Loose,
    expiration_at: Loose,
    invoice_requires_successful_payment: Loose,
    ignore_paid_top_up_limits: Loose,
    transaction_metadata: Loose,
    transaction_name: Loose,
    purchase_order_number: Loose,
    invoice_custom_section: Loose,
    payment_method: Loose,
  },
  { additionalProperties: true },
);
export type RuleInput = Static<typeof RuleInput>;

const WalletFields = {
  external_customer_id: Loose,
  name: Loose,
  code: Loose,
  rate_amount: Loose,
  currency: Loose,
  priority: Loose,
  paid_credits: Loose,
  granted_credits: Loose,
  expiration_at: Loose,
  invoice_requires_successful_payment: Loose,
  paid_top_up_min_amount_cents: Loose,
  paid_top_up_max_amount_cents: Loose,
  ignore_paid_top_up_limits_on_creation: Loose,
  purchase_order_number: Loose,
  transaction_name: Loose,
  transaction_priority: Loose,
  transaction_metadata: Loose,
  metadata: Loose,
  recurring_transaction_rules: Type.Optional(Type.Union([Type.Array(RuleInput), Type.Null()])),
  applies_to: Loose,
  invoice_custom_section: Loose,
  payment_method: Loose,
  billing_entity_code: Loose,
};

export const WalletBody = Type.Object({ wallet: Type.Object(WalletFields, { additionalProperties: true }) });
export type WalletInput = Static<typeof WalletBody>['wallet'];

export const TransactionBody = Type.Object({
  wallet_transaction: Type.Object(
    {
      wallet_id: Loose,
      paid_credits: Loose,
      granted_credits: Loose,
      voided_credits: Loose,
      invoice_requires_successful_payment: Loose,
      name: Loose,
      purchase_order_number: Loose,
      ignore_paid_top_up_limits: Loose,
      priority: Loose,
      metadata: Loose,
      payment_method: Loose,
      invoice_custom_section: Loose,
    },
    { additionalProperties: true },
  ),
});
export type TransactionInput = Static<typeof TransactionBody>['wallet_transaction'];

export const present = (value: unknown): boolean => value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');

/** Lago's `DecimalAmountService#valid_decimal?`: only a string holding a finite decimal. */
export const isDecimalText = (value: unknown): value is string => typeof value === 'string' && isDecimalString(value);
/** `valid_amount?`: a decimal string, zero or more. */
export const isAmountText = (value: unknown): value is string => isDecimalText(value) && !new Decimal(value.trim()).isNegative();

/** Rails' boolean cast: "true", "1", "t", true… are true; nil and "" stay nil. */
export const castBoolean = (value: unknown): boolean | null => {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value;
  return !['false', 'f', '0', 'off', 'no', 'n'].includes(String(value).trim().toLowerCase());
};

/** An integer given as a number or a numeric string (Rails casts both); NaN when it is neither. */
export const castInteger = (value: unknown): number => {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.trunc(value);
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Math.trunc(Number(value));
  return Number.NaN;
};

/** Lago's `ExpirationDateValidator`: blank, or a date-time in the future. */
export const validExpiration = (value: unknown, now: Temporal.Instant): boolean => {
  if (!present(value)) return true;
  const at = parseIsoDateTime(value);
  return at !== null && at.epochMilliseconds > now.epochMilliseconds;
};

/** Lago's `Validators::MetadataValidator`: an array of `{key, value}` (value not nested), within the limits. */
export const metadataError = (value: unknown, maxKeys = 5): string | null => {
  const list = value ?? [];
  if (!Array.isArray(list)) return 'invalid_type';
  if (list.length === 0) return null;
  let error: string | null = list.length > maxKeys ? 'too_many_keys' : null;
  for (const item of list) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      error = 'invalid_key_value_pair';
      continue;
    }
    const keys = Object.keys(item).sort();
    const { key, value: v } = item as { key?: unknown; value?: unknown };
    if (keys.join(',') !== 'key,value' || !present(key) || !present(v)) {
      error = 'invalid_key_value_pair';
      continue;
    }
    if (String(key).length > 20) error = 'key_too_long';
    if (typeof v === 'string' && v.length > 100) error = 'value_too_long';
    if (typeof v === 'object') error = 'nested_structure_not_allowed';
  }
  return error;
};

/** Lago's `Wallets::RecurringTransactionRules::ValidateService`: true when the rule can be stored. */
export const validRule = (rule: RuleInput, now: Temporal.Instant): boolean => {
  const trigger = rule.trigger == null ? null : String(rule.trigger);
  const method = rule.method == null ? 'fixed' : String(rule.method);
  const validInterval = trigger === 'interval' && typeof rule.interval === 'string' && (RULE_INTERVALS as readonly string[]).includes(rule.interval);
  const validThreshold = trigger === 'threshold' && isDecimalText(rule.threshold_credits);
  if (!validInterval && !validThreshold) return false;
  if (method !== 'fixed' && method !== 'target') return false;
  if (method === 'target' && !isDecimalText(rule.target_ongoing_balance)) return false;
  if (method === 'target' && trigger === 'threshold' && isDecimalText(rule.target_ongoing_balance) && isDecimalText(rule.threshold_credits)) {
    if (new Decimal(rule.target_ongoing_balance.trim()).lt(new Decimal(rule.threshold_credits.trim()))) return false;
  }
  if ((rule.paid_credits != null || rule.granted_credits != null) && !(isDecimalText(rule.paid_credits) || isDecimalText(rule.granted_credits))) return false;
  if (metadataError(rule.transaction_metadata) !== null) return false;
  if (!validExpiration(rule.expiration_at, now)) return false;
  if (rule.started_at != null && rule.started_at !== '' && parseIsoDateTime(rule.started_at) === null) return false;
  if (rule.grants_target_top_up != null && method !== 'target') return false;
  return true;
};

/** Lago's `String#parameterize(separator: "_")`: ASCII, lower case, runs of anything else made one separator. */
export const parameterize = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9\-_]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '');
