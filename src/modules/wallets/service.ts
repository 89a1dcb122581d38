import type { Temporal } from 'temporal-polyfill';
import { roundsToZero } from '../../billing/wallets/credits.ts';
import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import { transact } from '../../db/transaction.ts';
import { isCurrency } from '../../lib/currencies.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, invalid, notFound } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal } from '../../lib/money.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate, parseIsoDateTime } from '../../lib/time.ts';
import { assignCustomerCurrency } from '../customers/currency.ts';
import { findCustomerByExternalId } from '../customers/repository.ts';
import type { Customer } from '../customers/types.ts';
import type { MeteringService } from '../metering/service.ts';
import { rateOf, reportWallet } from './ledger.ts';
import { computeOngoing } from './ongoing.ts';
import * as repo from './repository.ts';
import { checkRuleLimits, createRule, replaceRules } from './rules.ts';
import { checkPaidLimits, topUp } from './top-up.ts';
import {
  castBoolean,
  castInteger,
  FEE_TYPES,
  isAmountText,
  isDecimalText,
  LOWEST_PRIORITY,
  MAXIMUM_WALLETS_PER_CUSTOMER,
  metadataError,
  parameterize,
  present,
  validExpiration,
  validRule,
  type OngoingBalance,
  type RuleInput,
  type WalletInput,
  type WalletRow,
  type WalletView,
} from './types.ts';
import { loadWalletViews } from './views.ts';

/** Who addresses a wallet: its id (`/wallets/{id}`) or its customer and code (`/customers/{id}/wallets/{code}`). */
export type WalletRef = { id: string } | { externalCustomerId: string; code: string };

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

const text = (value: unknown): string | null => (present(value) ? String(value) : null);

/** `applies_to`, as given: fee types and metric codes (nulls dropped, duplicates once). */
const limitationsOf = (input: WalletInput) => {
  const appliesTo = (input.applies_to ?? null) as { fee_types?: unknown; billable_metric_codes?: unknown } | null;
  if (appliesTo === null || typeof appliesTo !== 'object') return null;
  const list = (value: unknown): string[] | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? [...new Set(value.filter((v) => v !== null && v !== '').map(String))] : [];
  return { feeTypes: list(appliesTo.fee_types), metricCodes: list(appliesTo.billable_metric_codes) };
};

/** Lago's metadata of a wallet: a JSON object of texts. */
const walletMetadata = (value: unknown): Record<string, string | null> | null | 'invalid' => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.some(([, v]) => v !== null && typeof v === 'object')) return 'invalid';
  return Object.fromEntries(entries.map(([k, v]) => [k, v === null ? null : String(v)]));
};

export const createWalletService = ({ db, metering, changed = () => {} }: { db: Db; metering: MeteringService; changed?: (organizationId: string) => void }) => {
  /** Wallet answers show the ongoing balance as of now (Billow computes it on read, where Lago refreshes it in the background). */
  const withOngoing = async (tx: Db, organizationId: string, wallets: readonly WalletRow[], at: Temporal.Instant): Promise<WalletView[]> => {
    const ongoing = new Map<string, OngoingBalance>();
    for (const customerId of new Set(wallets.filter((w) => w.status === 'active').map((w) => w.customerId))) {
      for (const [id, balance] of await computeOngoing(tx, metering, organizationId, customerId, at)) ongoing.set(id, balance);
    }
    return loadWalletViews(tx, organizationId, wallets, ongoing);
  };
  const one = async (tx: Db, ctx: Ctx, wallet: WalletRow) => (await withOngoing(tx, ctx.organizationId, [wallet], ctx.clock.now()))[0]!;

  const findRef = async (tx: Db, ctx: Ctx, ref: WalletRef, lock = false): Promise<Result<WalletRow>> => {
    if ('id' in ref) {
      const wallet = isUuid(ref.id) ? await repo.findWallet(tx, ctx.organizationId, ref.id, lock) : null;
      return wallet ? ok(wallet) : err(notFound('wallet'));
    }
    const customer = await findCustomerByExternalId(tx, ctx.organizationId, ref.externalCustomerId);
    if (!customer) return err(notFound('customer'));
    const found = await repo.findWalletByCode(tx, ctx.organizationId, customer.id, ref.code);
    if (!found) return err(notFound('wallet'));
    return lock ? ok((await repo.findWallet(tx, ctx.organizationId, found.id, true))!) : ok(found);
  };

  /** Resolves metric codes to the organization's live metrics; null when one is unknown. */
  const resolveMetrics = async (tx: Db, organizationId: string, codes: string[] | undefined): Promise<string[] | null | undefined> => {
    if (codes === undefined) return undefined;
    const found = await repo.metricsByCodes(tx, organizationId, codes);
    if (found.length !== codes.length) return null;
    return codes.map((code) => found.find((m) => m.code === code)!.id);
  };

  /** The model rules Lago checks when the wallet is saved, all reported together. */
  const modelErrors = (fields: Pick<WalletRow, 'rateAmount' | 'currency' | 'priority' | 'paidTopUpMinAmountCents' | 'paidTopUpMaxAmountCents'>, errors: FieldErrorsBuilder) => {
    if (!isDecimalText(fields.rateAmount) || !new Decimal(fields.rateAmount.trim()).gt(0)) errors.add('rate_amount', 'value_is_out_of_range');
    if (!isCurrency(fields.currency)) errors.add('currency', 'value_is_invalid');
    if (!Number.isInteger(fields.priority) || fields.priority < 1 || fields.priority > LOWEST_PRIORITY) errors.add('priority', 'value_is_invalid');
    if (fields.paidTopUpMinAmountCents !== null && fields.paidTopUpMinAmountCents <= 0n) errors.add('paid_top_up_min_amount_cents', 'value_is_out_of_range');
    if (fields.paidTopUpMaxAmountCents !== null && fields.paidTopUpMaxAmountCents <= 0n) errors.add('paid_top_up_max_amount_cents', 'value_is_out_of_range');
    if (
      fields.paidTopUpMinAmountCents !== null &&
      fields.paidTopUpMaxAmountCents !== null &&
      fields.paidTopUpMaxAmountCents < fields.paidTopUpMinAmountCents
    ) {
      errors.add('paid_top_up_max_amount_cents', 'must_be_greater_than_or_equal_min');
    }
  };

  const centsOf = (value: unknown): bigint | null | 'invalid' => {
    if (value === undefined || value === null || value === '') return null;
    const n = castInteger(value);
    // Beyond what a bigint column holds (or a double can count exactly) is out of range, not a failed write.
    return Number.isSafeInteger(n) ? BigInt(n) : 'invalid';
  };

  /** POST /wallets (and /customers/{id}/wallets): Lago's `Wallets::CreateService`, its checks in its order. */
  const create = async (ctx: Ctx, input: WalletInput, externalCustomerId?: string): Promise<Result<WalletView>> => {
    const now = ctx.clock.now();
    const stamp = instantToDate(now);
    const result = await refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const externalId = externalCustomerId ?? text(input.external_customer_id);
        const customer = externalId ? await findCustomerByExternalId(tx, ctx.organizationId, externalId, { lock: true }) : null;
        if (externalCustomerId !== undefined && !customer) return err(notFound('customer'));
        const errors = new FieldErrorsBuilder();
        if (!customer) errors.add('customer', 'customer_not_found');
        if (input.paid_credits != null && !isAmountText(input.paid_credits)) errors.add('paid_credits', 'invalid_paid_credits').add('paid_credits', 'invalid_amount');
        if (input.granted_credits != null && !isAmountText(input.granted_credits)) errors.add('granted_credits', 'invalid_granted_credits').add('granted_credits', 'invalid_amount');
        if (!validExpiration(input.expiration_at, now)) errors.add('expiration_at', 'invalid_date');
        const rules = (input.recurring_transaction_rules ?? []) as RuleInput[];
        if (rules.length > 1) errors.add('recurring_transaction_rules', 'invalid_number_of_recurring_rules');
        else if (rules.length === 1 && !validRule(rules[0]!, now)) errors.add('recurring_transaction_rules', 'invalid_recurring_rule');
        const metadataProblem = input.transaction_metadata !== undefined ? metadataError(input.transaction_metadata) : null;
        if (metadataProblem) errors.add('metadata', metadataProblem);
        const limitations = limitationsOf(input);
        const metricIds = await resolveMetrics(tx, ctx.organizationId, limitations?.metricCodes);
        if (limitations && ((limitations.feeTypes ?? []).some((t) => !(FEE_TYPES as readonly string[]).includes(t)) || metricIds === null)) {
          errors.add('applies_to', 'invalid_limitations');
        }
        if (customer && (await repo.countActiveWallets(tx, ctx.organizationId, customer.id)) >= MAXIMUM_WALLETS_PER_CUSTOMER) {
          errors.add('customer', 'wallet_limit_reached');
        }
        if (!errors.empty) return err(errors.toError());
        const owner = customer!;

        const currency = text(input.currency) ?? owner.currency ?? '';
        const priority = input.priority == null || input.priority === '' ? LOWEST_PRIORITY : castInteger(input.priority);
        const min = centsOf(input.paid_top_up_min_amount_cents);
        const max = centsOf(input.paid_top_up_max_amount_cents);
        const metadata = walletMetadata(input.metadata);
        const model = new FieldErrorsBuilder();
        const rateAmount = typeof input.rate_amount === 'number' ? String(input.rate_amount) : (text(input.rate_amount) ?? '0');
        modelErrors(
          { rateAmount, currency, priority, paidTopUpMinAmountCents: min === 'invalid' ? -1n : min, paidTopUpMaxAmountCents: max === 'invalid' ? -1n : max },
          model,
        );
        if (metadata === 'invalid') model.add('metadata', 'invalid_value');
        let code = text(input.code);
        if (code === null) {
          // Lago derives the code from the name, and makes it unique with the time only when it is taken.
          code = parameterize(text(input.name) ?? '') || 'default';
          if (await repo.activeCodeTaken(tx, ctx.organizationId, owner.id, code, null)) code += `_${Math.floor(now.epochMilliseconds / 1000)}`;
        } else if (await repo.activeCodeTaken(tx, ctx.organizationId, owner.id, code, null)) model.add('code', 'value_already_exist');
        if (!model.empty) return err(model.toError());
        const assigned = await assignCustomerCurrency(tx, ctx, owner as Customer, currency);
        if (!assigned.ok) return assigned;

        let wallet = await repo.insertWallet(tx, {
          organizationId: ctx.organizationId,
          id: newId(),
          customerId: owner.id,
          status: 'active',
          name: text(input.name),
          code,
          currency,
          rateAmount: new Decimal(rateAmount.trim()).toFixed(),
          balanceCents: 0n,
          creditsBalance: '0',
          consumedCredits: '0',
          consumedAmountCents: 0n,
          ongoingBalanceCents: 0n,
          ongoingUsageBalanceCents: 0n,
          creditsOngoingBalance: '0',
          creditsOngoingUsageBalance: '0',
          depletedOngoingBalance: false,
          priority,
          allowedFeeTypes: limitations?.feeTypes ?? [],
          billableMetricIds: metricIds ?? [],
          invoiceRequiresSuccessfulPayment: castBoolean(input.invoice_requires_successful_payment) === true,
          paidTopUpMinAmountCents: min as bigint | null,
          paidTopUpMaxAmountCents: max as bigint | null,
          purchaseOrderNumber: text(input.purchase_order_number),
          metadata: metadata as Record<string, string | null> | null,
          expirationAt: present(input.expiration_at) ? instantToDate(parseIsoDateTime(input.expiration_at)!) : null,
          createdAt: stamp,
          updatedAt: stamp,
        });

        // The initial top-up: credits worth less than a cent are refused; a purchase must fit the paid limits.
        const rate = rateOf(wallet);
        for (const field of ['paid_credits', 'granted_credits'] as const) {
          const value = input[field];
          if (isAmountText(value) && roundsToZero(rate, new Decimal(value.trim()))) return err(invalid(field, 'amount_rounds_to_zero'));
        }
        const paid = isAmountText(input.paid_credits) ? new Decimal(input.paid_credits.trim()) : null;
        if (paid && paid.gt(0)) {
          const limits = checkPaidLimits(wallet, paid, castBoolean(input.ignore_paid_top_up_limits_on_creation) === true);
          if (!limits.ok) return limits;
        }
        let rulePurchaseOrder: string | null = null;
        if (rules.length === 1) {
          const rule = await createRule(tx, wallet, rules[0]!, { paid: input.paid_credits, granted: input.granted_credits }, now);
          if (!rule.ok) return rule;
          rulePurchaseOrder = rule.value.purchaseOrderNumber;
        }
        await reportWallet(tx, 'wallet.created', wallet, now);
        const granted = isAmountText(input.granted_credits) ? new Decimal(input.granted_credits.trim()) : null;
        if ((paid && paid.gt(0)) || (granted && granted.gt(0))) {
          const priorityOfTransactions = input.transaction_priority == null ? 50 : castInteger(input.transaction_priority);
          if (!Number.isInteger(priorityOfTransactions) || priorityOfTransactions < 1 || priorityOfTransactions > 50) {
            return err(invalid('transaction_priority', 'value_is_invalid'));
          }
          const done = await topUp(
            tx,
            wallet,
            {
              paidCredits: paid,
              grantedCredits: granted,
              voidedCredits: null,
              ignorePaidTopUpLimits: castBoolean(input.ignore_paid_top_up_limits_on_creation) === true,
              options: {
                source: 'manual',
                priority: priorityOfTransactions,
                name: text(input.transaction_name),
                metadata: (Array.isArray(input.transaction_metadata) ? input.transaction_metadata : []) as { key: string; value: string }[],
                purchaseOrderNumber: rulePurchaseOrder ?? wallet.purchaseOrderNumber,
                invoiceRequiresSuccessfulPayment: wallet.invoiceRequiresSuccessfulPayment,
              },
            },
            now,
          );
          if (!done.ok) return done;
          wallet = done.value.wallet;
        }
        return ok(await one(tx, ctx, wallet));
      }),
    );
    if (result.ok) changed(ctx.organizationId);
    return result;
  };

  const get = async (ctx: Ctx, ref: WalletRef): Promise<Result<WalletView>> =>
    db.transaction(async (raw) => {
      const tx = raw as unknown as Db;
      const found = await findRef(tx, ctx, ref);
      return found.ok ? ok(await one(tx, ctx, found.value)) : found;
    });

  /** GET /wallets: filters `external_customer_id` (404 when unknown) and `currency`. */
  const list = async (ctx: Ctx, filters: { externalCustomerId?: string; currency?: string }, page: PageRequest): Promise<Result<Page<WalletView>>> =>
    db.transaction(async (raw) => {
      const tx = raw as unknown as Db;
      let customerId: string | undefined;
      if (filters.externalCustomerId !== undefined) {
        const customer = await findCustomerByExternalId(tx, ctx.organizationId, filters.externalCustomerId);
        if (!customer) return err(notFound('customer'));
        customerId = customer.id;
      }
      const { rows, total } = await repo.listWallets(tx, ctx.organizationId, { ...(customerId && { customerId }), ...(filters.currency && { currency: filters.currency }) }, page);
      return ok({ items: await withOngoing(tx, ctx.organizationId, rows, ctx.clock.now()), meta: paginationMeta(page, total) });
    });

  /** PUT /wallets/{id}: Lago's `Wallets::UpdateService`. */
  const update = async (ctx: Ctx, ref: WalletRef, input: WalletInput): Promise<Result<WalletView>> => {
    const now = ctx.clock.now();
    const stamp = instantToDate(now);
    const result = await refusingDuplicates('code', () =>
      transact(db, async (tx) => {
        const found = await findRef(tx, ctx, ref, true);
        if (!found.ok) return found;
        const wallet = found.value;
        if (wallet.status === 'terminated') return err(invalid('wallet_id', 'wallet_is_terminated'));
        if (!validExpiration(input.expiration_at, now)) return err(invalid('expiration_at', 'invalid_date'));
        const rules = input.recurring_transaction_rules as RuleInput[] | null | undefined;
        if (rules) {
          if (rules.length > 1) return err(invalid('recurring_transaction_rules', 'invalid_number_of_recurring_rules'));
          if (rules.length === 1 && !validRule(rules[0]!, now)) return err(invalid('recurring_transaction_rules', 'invalid_recurring_rule'));
        }
        const limitations = limitationsOf(input);
        const metricIds = await resolveMetrics(tx, ctx.organizationId, limitations?.metricCodes);
        if (limitations && (limitations.feeTypes ?? []).some((t) => !(FEE_TYPES as readonly string[]).includes(t))) {
          return err(invalid('allowed_fee_types', 'invalid_fee_types'));
        }
        if (metricIds === null) return err(invalid('billable_metrics', 'invalid_identifier'));

        const changes: Partial<WalletRow> = { updatedAt: stamp };
        if (input.name !== undefined) changes.name = text(input.name);
        if (present(input.code)) changes.code = String(input.code);
        if (present(input.priority)) changes.priority = castInteger(input.priority);
        if (input.expiration_at !== undefined) changes.expirationAt = present(input.expiration_at) ? instantToDate(parseIsoDateTime(input.expiration_at)!) : null;
        if (input.purchase_order_number !== undefined) changes.purchaseOrderNumber = text(input.purchase_order_number);
        if (input.invoice_requires_successful_payment != null) changes.invoiceRequiresSuccessfulPayment = castBoolean(input.invoice_requires_successful_payment) === true;
        const min = centsOf(input.paid_top_up_min_amount_cents);
        const max = centsOf(input.paid_top_up_max_amount_cents);
        if (input.paid_top_up_min_amount_cents !== undefined) changes.paidTopUpMinAmountCents = min === 'invalid' ? -1n : min;
        if (input.paid_top_up_max_amount_cents !== undefined) changes.paidTopUpMaxAmountCents = max === 'invalid' ? -1n : max;
        if (limitations?.feeTypes !== undefined) changes.allowedFeeTypes = limitations.feeTypes;
        // Lago keeps the wallet's metrics in line with the codes given: none given (or none at all) clears them.
        if (limitations) changes.billableMetricIds = metricIds ?? [];
        const metadata = input.metadata !== undefined ? walletMetadata(input.metadata) : undefined;
        if (metadata === 'invalid') return err(invalid('metadata', 'invalid_value'));
        if (metadata !== undefined) changes.metadata = metadata;
        const next = { ...wallet, ...changes };
        const model = new FieldErrorsBuilder();
        modelErrors(next, model);
        if (changes.code !== undefined && (await repo.activeCodeTaken(tx, ctx.organizationId, wallet.customerId, next.code, wallet.id))) model.add('code', 'value_already_exist');
        if (!model.empty) return err(model.toError());
        if (rules) {
          const replaced = await replaceRules(tx, next, rules, now);
          if (!replaced.ok) return replaced;
        }
        for (const rule of await repo.rulesOf(tx, ctx.organizationId, [wallet.id])) {
          if (rule.status !== 'active') continue;
          const fits = checkRuleLimits(next, rule);
          if (!fits.ok) return fits;
        }
        const updated = await repo.updateWallet(tx, ctx.organizationId, wallet.id, changes);
        await reportWallet(tx, 'wallet.updated', updated, now);
        return ok(await one(tx, ctx, updated));
      }),
    );
    if (result.ok) changed(ctx.organizationId);
    return result;
  };

  /** DELETE /wallets/{id}: terminates the wallet and its rules (a terminated wallet answers as it is). */
  const terminate = async (ctx: Ctx, ref: WalletRef): Promise<Result<WalletView>> => {
    const now = ctx.clock.now();
    const result = await transact(db, async (tx) => {
      const found = await findRef(tx, ctx, ref, true);
      if (!found.ok) return found;
      const wallet = found.value.status === 'terminated' ? found.value : await terminateWallet(tx, found.value, now);
      return ok(await one(tx, ctx, wallet));
    });
    if (result.ok) changed(ctx.organizationId);
    return result;
  };

  return { create, get, list, update, terminate, findRef };
};

/** Ends a wallet (Lago's `Wallets::TerminateService`): terminated with its rules, `wallet.terminated` reported. */
export const terminateWallet = async (tx: Db, wallet: WalletRow, at: Temporal.Instant): Promise<WalletRow> => {
  const stamp = instantToDate(at);
  const terminated = await repo.updateWallet(tx, wallet.organizationId, wallet.id, { status: 'terminated', terminatedAt: wallet.terminatedAt ?? stamp, updatedAt: stamp });
  for (const rule of await repo.rulesOf(tx, wallet.organizationId, [wallet.id])) {
    if (rule.status === 'active') await repo.updateRule(tx, wallet.organizationId, rule.id, { status: 'terminated', terminatedAt: stamp, updatedAt: stamp });
  }
  await reportWallet(tx, 'wallet.terminated', terminated, at);
  return terminated;
};

export type WalletService = ReturnType<typeof createWalletService>;
