import { Type } from '@sinclair/typebox';
import { currencyExponent } from '../../lib/currencies.ts';
import { Decimal } from '../../lib/money.ts';
import { isoMillis, isoSeconds } from '../../lib/time.ts';
import { Nullable } from '../../http/schemas.ts';
import type { RuleRow, TransactionRow, WalletRow, WalletView } from './types.ts';

/** A Ruby BigDecimal as Rails renders it in JSON: a string, with at least one decimal (`"10.0"`, `"3.33333"`). */
export const decimalText = (value: string | Decimal | null): string | null => {
  if (value === null) return null;
  const text = new Decimal(value.toString()).toFixed();
  return text.includes('.') ? text : `${text}.0`;
};

/** A Ruby Float's `to_s`, for the values Lago computes with `fdiv` (`"10.0"`, `"3.3333333333333335"`). */
const floatText = (value: number): string => {
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
};

const PaymentMethod = Type.Object({ payment_method_id: Nullable(Type.String()), payment_method_type: Type.String() });
const paymentMethod = () => ({ payment_method_id: null, payment_method_type: 'provider' });

export const RuleObject = Type.Object({
  lago_id: Type.String(),
  paid_credits: Type.String(),
  granted_credits: Type.String(),
  grants_target_top_up: Type.Boolean(),
  interval: Nullable(Type.String()),
  method: Type.String(),
  started_at: Nullable(Type.String()),
  expiration_at: Nullable(Type.String()),
  status: Type.String(),
  target_ongoing_balance: Nullable(Type.String()),
  threshold_credits: Nullable(Type.String()),
  trigger: Type.String(),
  created_at: Type.String(),
  invoice_requires_successful_payment: Type.Boolean(),
  transaction_metadata: Type.Array(Type.Unknown()),
  transaction_name: Nullable(Type.String()),
  purchase_order_number: Nullable(Type.String()),
  ignore_paid_top_up_limits: Type.Boolean(),
  applied_invoice_custom_sections: Type.Array(Type.Unknown()),
  payment_method: PaymentMethod,
});

export const serializeRule = (rule: RuleRow) => ({
  lago_id: rule.id,
  paid_credits: decimalText(rule.paidCredits)!,
  granted_credits: decimalText(rule.grantedCredits)!,
  grants_target_top_up: rule.grantsTargetTopUp === true,
  interval: rule.interval,
  method: rule.method,
  started_at: isoSeconds(rule.startedAt),
  expiration_at: isoSeconds(rule.expirationAt),
  status: rule.status,
  target_ongoing_balance: decimalText(rule.targetOngoingBalance),
  threshold_credits: decimalText(rule.thresholdCredits),
  trigger: rule.trigger,
  created_at: isoSeconds(rule.createdAt)!,
  invoice_requires_successful_payment: rule.invoiceRequiresSuccessfulPayment,
  transaction_metadata: rule.transactionMetadata,
  transaction_name: rule.transactionName,
  purchase_order_number: rule.purchaseOrderNumber,
  ignore_paid_top_up_limits: rule.ignorePaidTopUpLimits,
  applied_invoice_custom_sections: [] as unknown[],
  payment_method: paymentMethod(),
});

export const WalletObject = Type.Object({
  lago_id: Type.String(),
  lago_customer_id: Type.String(),
  external_customer_id: Type.String(),
  billing_entity_code: Type.String(),
  status: Type.String(),
  currency: Type.String(),
  name: Nullable(Type.String()),
  code: Type.String(),
  purchase_order_number: Nullable(Type.String()),
  rate_amount: Type.String(),
  credits_balance: Type.String(),
  credits_ongoing_balance: Type.String(),
  credits_ongoing_usage_balance: Type.String(),
  balance_cents: Type.Integer(),
  ongoing_balance_cents: Type.Integer(),
  ongoing_usage_balance_cents: Type.Integer(),
  consumed_credits: Type.String(),
  created_at: Type.String(),
  expiration_at: Nullable(Type.String()),
  last_balance_sync_at: Nullable(Type.String()),
  last_consumed_credit_at: Nullable(Type.String()),
  terminated_at: Nullable(Type.String()),
  invoice_requires_successful_payment: Type.Boolean(),
  paid_top_up_min_amount_cents: Nullable(Type.Integer()),
  paid_top_up_max_amount_cents: Nullable(Type.Integer()),
  priority: Type.Integer(),
  // Required: the serializer writes required properties first, and these come before `payment_method`.
  recurring_transaction_rules: Type.Array(RuleObject),
  applies_to: Type.Object({ fee_types: Type.Array(Type.String()), billable_metric_codes: Type.Array(Type.String()) }),
  applied_invoice_custom_sections: Type.Array(Type.Unknown()),
  payment_method: PaymentMethod,
  metadata: Type.Optional(Type.Record(Type.String(), Nullable(Type.String()))),
});

/** Which of Lago's serializer `includes` a wallet answer carries: the API shows all three, webhooks fewer. */
export type WalletIncludes = 'api' | 'rules' | 'none';

/** Lago's `currently_active?`: active and not past its expiration. */
const currentlyActive = (rule: RuleRow, nowMs: number) => rule.status === 'active' && (rule.expirationAt === null || rule.expirationAt.getTime() > nowMs);

/** Lago's `V1::WalletSerializer`, field for field and in its order. */
export const serializeWallet = (view: WalletView, includes: WalletIncludes, nowMs: number): Record<string, unknown> => {
  const w: WalletRow = view.wallet;
  const ongoing = view.ongoing ?? {
    ongoingBalanceCents: w.ongoingBalanceCents,
    ongoingUsageBalanceCents: w.ongoingUsageBalanceCents,
    creditsOngoingBalance: w.creditsOngoingBalance,
    creditsOngoingUsageBalance: w.creditsOngoingUsageBalance,
  };
  const json: Record<string, unknown> = {
    lago_id: w.id,
    lago_customer_id: w.customerId,
    external_customer_id: view.externalCustomerId,
    billing_entity_code: view.billingEntityCode,
    status: w.status,
    currency: w.currency,
    name: w.name,
    code: w.code,
    purchase_order_number: w.purchaseOrderNumber,
    rate_amount: decimalText(w.rateAmount),
    credits_balance: decimalText(w.creditsBalance),
    credits_ongoing_balance: decimalText(ongoing.creditsOngoingBalance),
    credits_ongoing_usage_balance: decimalText(ongoing.creditsOngoingUsageBalance),
    balance_cents: Number(w.balanceCents),
    ongoing_balance_cents: Number(ongoing.ongoingBalanceCents),
    ongoing_usage_balance_cents: Number(ongoing.ongoingUsageBalanceCents),
    consumed_credits: decimalText(w.consumedCredits),
    created_at: isoSeconds(w.createdAt),
    expiration_at: isoSeconds(w.expirationAt),
    last_balance_sync_at: isoSeconds(w.lastBalanceSyncAt),
    last_consumed_credit_at: isoSeconds(w.lastConsumedCreditAt),
    // Lago renders this one time without `iso8601`: Rails' JSON form, with milliseconds.
    terminated_at: isoMillis(w.terminatedAt),
    invoice_requires_successful_payment: w.invoiceRequiresSuccessfulPayment,
    paid_top_up_min_amount_cents: w.paidTopUpMinAmountCents === null ? null : Number(w.paidTopUpMinAmountCents),
    paid_top_up_max_amount_cents: w.paidTopUpMaxAmountCents === null ? null : Number(w.paidTopUpMaxAmountCents),
    priority: w.priority,
  };
  if (includes !== 'none') json.recurring_transaction_rules = view.rules.filter((r) => currentlyActive(r, nowMs)).map(serializeRule);
  if (includes === 'api') {
    json.applies_to = { fee_types: w.allowedFeeTypes, billable_metric_codes: view.billableMetricCodes };
    json.applied_invoice_custom_sections = [];
  }
  json.payment_method = paymentMethod();
  if (w.metadata !== null) json.metadata = w.metadata;
  return json;
};

const transactionProperties = {
  lago_id: Type.String(),
  lago_wallet_id: Type.String(),
  lago_invoice_id: Nullable(Type.String()),
  lago_credit_note_id: Nullable(Type.String()),
  lago_voided_invoice_id: Nullable(Type.String()),
  billing_entity_code: Nullable(Type.String()),
  status: Type.String(),
  source: Type.String(),
  transaction_status: Type.String(),
  transaction_type: Type.String(),
  amount: Type.String(),
  credit_amount: Type.String(),
  remaining_amount_cents: Nullable(Type.Integer()),
  remaining_credit_amount: Nullable(Type.String()),
  priority: Type.Integer(),
  purchase_order_number: Nullable(Type.String()),
  settled_at: Nullable(Type.String()),
  failed_at: Nullable(Type.String()),
  created_at: Type.String(),
  invoice_requires_successful_payment: Type.Boolean(),
  metadata: Type.Array(Type.Unknown()),
  name: Nullable(Type.String()),
};

/** A transaction as lists and creations show it. */
export const TransactionObject = Type.Object({ ...transactionProperties, payment_method: PaymentMethod });
/** A transaction as GET /wallet_transactions/{id} shows it. */
export const TransactionDetailObject = Type.Object({
  ...transactionProperties,
  applied_invoice_custom_sections: Type.Array(Type.Unknown()),
  payment_method: PaymentMethod,
});

/** Lago's `V1::WalletTransactionSerializer`; `wallet` is the wallet's JSON for webhooks, `details` adds the show-only part. */
export const serializeTransaction = (
  t: TransactionRow,
  wallet: { row: WalletRow; billingEntityCode: string; json?: Record<string, unknown> },
  options: { details?: boolean } = {},
): Record<string, unknown> => {
  const subunit = 10 ** currencyExponent(wallet.row.currency);
  const json: Record<string, unknown> = {
    lago_id: t.id,
    lago_wallet_id: t.walletId,
    lago_invoice_id: t.invoiceId,
    lago_credit_note_id: t.creditNoteId,
    lago_voided_invoice_id: t.voidedInvoiceId,
    billing_entity_code: wallet.billingEntityCode,
    status: t.status,
    source: t.source,
    transaction_status: t.transactionStatus,
    transaction_type: t.transactionType,
    amount: decimalText(t.amount),
    credit_amount: decimalText(t.creditAmount),
    remaining_amount_cents: t.remainingAmountCents === null ? null : Number(t.remainingAmountCents),
    remaining_credit_amount:
      t.remainingAmountCents === null ? null : floatText(Number(t.remainingAmountCents) / subunit / Number(wallet.row.rateAmount)),
    priority: t.priority,
    purchase_order_number: t.purchaseOrderNumber || wallet.row.purchaseOrderNumber,
    settled_at: isoSeconds(t.settledAt),
    failed_at: isoSeconds(t.failedAt),
    created_at: isoSeconds(t.createdAt),
    invoice_requires_successful_payment: t.invoiceRequiresSuccessfulPayment,
    metadata: t.metadata,
    name: t.name,
  };
  if (wallet.json) json.wallet = wallet.json;
  if (options.details) json.applied_invoice_custom_sections = [];
  json.payment_method = paymentMethod();
  return json;
};
