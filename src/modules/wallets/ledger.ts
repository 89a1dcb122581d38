import type { Temporal } from 'temporal-polyfill';
import { creditFromCents, creditOf, type WalletCredit, type WalletRate } from '../../billing/wallets/credits.ts';
import { drawInbounds } from '../../billing/wallets/rules.ts';
import type { Db } from '../../db/database.ts';
import { newId } from '../../lib/ids.ts';
import { Decimal } from '../../lib/money.ts';
import { instantToDate } from '../../lib/time.ts';
import { recordDomainEvent } from '../domain-events/record.ts';
import * as repo from './repository.ts';
import type { TransactionRow, WalletRow } from './types.ts';

/**
 * The wallet ledger: every credit that goes in or out is a transaction row, and the wallet's balance moves with it in
 * the same transaction, under the wallet's row lock. A settled inbound transaction keeps what is left of it
 * (`remaining_amount_cents`, Lago's traceable wallets): outbound transactions draw on those in consumption order, so the
 * balance always equals what settled inbound transactions have left.
 */

export const rateOf = (wallet: WalletRow): WalletRate => ({ rateAmount: new Decimal(wallet.rateAmount), currency: wallet.currency });

/** What a wallet's webhooks carry: the row as the change left it (the rest is read when the webhook is built). */
export interface WalletEventView {
  wallet: WalletRow;
}
export interface TransactionEventView {
  transaction: TransactionRow;
  wallet: WalletRow;
}

export const reportWallet = (tx: Db, type: 'wallet.created' | 'wallet.updated' | 'wallet.terminated' | 'wallet.depleted_ongoing_balance', wallet: WalletRow, at: Temporal.Instant) =>
  recordDomainEvent(tx, { organizationId: wallet.organizationId, type, objectType: 'wallet', objectId: wallet.id, at, view: { wallet } satisfies WalletEventView });

export const reportTransaction = (tx: Db, type: 'wallet_transaction.created' | 'wallet_transaction.updated', transaction: TransactionRow, wallet: WalletRow, at: Temporal.Instant) =>
  recordDomainEvent(tx, {
    organizationId: transaction.organizationId,
    type,
    objectType: 'wallet_transaction',
    objectId: transaction.id,
    at,
    view: { transaction, wallet } satisfies TransactionEventView,
  });

/** The optional parts of a transaction a caller chooses. */
export interface TransactionOptions {
  source: 'manual' | 'interval' | 'threshold';
  priority: number;
  name: string | null;
  metadata: { key: string; value: string }[];
  purchaseOrderNumber: string | null;
  invoiceRequiresSuccessfulPayment: boolean;
}

export const MANUAL: TransactionOptions = {
  source: 'manual',
  priority: 50,
  name: null,
  metadata: [],
  purchaseOrderNumber: null,
  invoiceRequiresSuccessfulPayment: false,
};

const insert = (
  tx: Db,
  wallet: WalletRow,
  credit: WalletCredit,
  fields: Pick<TransactionRow, 'status' | 'transactionStatus' | 'transactionType'> & Partial<TransactionRow>,
  options: TransactionOptions,
  at: Temporal.Instant,
) => {
  const stamp = instantToDate(at);
  return repo.insertTransaction(tx, {
    organizationId: wallet.organizationId,
    id: newId(),
    walletId: wallet.id,
    source: options.source,
    amount: credit.amount.toFixed(),
    creditAmount: credit.creditAmount.toFixed(),
    amountCents: credit.amountCents,
    priority: options.priority,
    name: options.name,
    metadata: options.metadata,
    purchaseOrderNumber: options.purchaseOrderNumber,
    invoiceRequiresSuccessfulPayment: options.invoiceRequiresSuccessfulPayment,
    createdAt: stamp,
    updatedAt: stamp,
    ...fields,
  });
};

/** Credits in: the balance grows and the wallet reports it (`wallet.updated`). */
const credit = async (tx: Db, wallet: WalletRow, transaction: TransactionRow, at: Temporal.Instant): Promise<WalletRow> => {
  const updated = await repo.moveBalance(tx, wallet, { direction: 'in', cents: transaction.amountCents, credits: transaction.creditAmount }, instantToDate(at));
  await reportWallet(tx, 'wallet.updated', updated, at);
  return updated;
};

/**
 * Granted credits: settled at once. The caller holds the wallet's lock. `origin` names the voided invoice whose
 * consumption they give back, if any.
 */
export const grantCredits = async (
  tx: Db,
  wallet: WalletRow,
  credits: Decimal,
  options: TransactionOptions,
  at: Temporal.Instant,
  origin: Pick<TransactionRow, 'voidedInvoiceId'> = { voidedInvoiceId: null },
) => {
  const c = creditOf(rateOf(wallet), credits);
  const transaction = await insert(
    tx,
    wallet,
    c,
    {
      status: 'settled',
      transactionStatus: 'granted',
      transactionType: 'inbound',
      settledAt: instantToDate(at),
      remainingAmountCents: c.amountCents,
      invoiceRequiresSuccessfulPayment: false,
      voidedInvoiceId: origin.voidedInvoiceId,
    },
    options,
    at,
  );
  return { transaction, wallet: await credit(tx, wallet, transaction, at) };
};

/** Paid credits: a pending purchase, settled once its credit invoice is paid (the caller bills it). */
export const purchaseCredits = async (tx: Db, wallet: WalletRow, credits: Decimal, options: TransactionOptions, at: Temporal.Instant) =>
  insert(tx, wallet, creditOf(rateOf(wallet), credits), { status: 'pending', transactionStatus: 'purchased', transactionType: 'inbound' }, options, at);

/** A purchase whose invoice was paid: settled, its credits in the balance. Nothing happens to one already settled. */
export const settlePurchase = async (tx: Db, transaction: TransactionRow, at: Temporal.Instant): Promise<TransactionRow> => {
  const wallet = await repo.findWallet(tx, transaction.organizationId, transaction.walletId, true);
  const current = await repo.findTransaction(tx, transaction.organizationId, transaction.id);
  if (!wallet || !current || current.status === 'settled') return current ?? transaction;
  const settled = await repo.updateTransaction(tx, current.organizationId, current.id, {
    status: 'settled',
    settledAt: instantToDate(at),
    remainingAmountCents: current.amountCents,
    updatedAt: instantToDate(at),
  });
  await reportTransaction(tx, 'wallet_transaction.updated', settled, wallet, at);
  await credit(tx, wallet, settled, at);
  return settled;
};

/** A purchase whose payment failed (Lago leaves a settled one alone: its credits must be voided by hand). */
export const failPurchase = async (tx: Db, transaction: TransactionRow, at: Temporal.Instant): Promise<TransactionRow> => {
  if (transaction.status !== 'pending') return transaction;
  const failed = await repo.updateTransaction(tx, transaction.organizationId, transaction.id, {
    status: 'failed',
    failedAt: instantToDate(at),
    updatedAt: instantToDate(at),
  });
  const wallet = (await repo.findWallet(tx, transaction.organizationId, transaction.walletId))!;
  await reportTransaction(tx, 'wallet_transaction.updated', failed, wallet, at);
  return failed;
};

/**
 * Credits out of a wallet (consumed by an invoice, or voided): an outbound settled transaction, drawn from the settled
 * inbound credits in consumption order, and the balance lowered. The caller holds the wallet's lock and never takes
 * more than the balance.
 */
const debit = async (
  tx: Db,
  wallet: WalletRow,
  c: WalletCredit,
  fields: Pick<TransactionRow, 'transactionStatus'> & Partial<TransactionRow>,
  options: TransactionOptions,
  at: Temporal.Instant,
) => {
  if (c.amountCents > wallet.balanceCents) throw new Error(`wallet ${wallet.id}: ${c.amountCents} out of a balance of ${wallet.balanceCents}`);
  const transaction = await insert(
    tx,
    wallet,
    c,
    { status: 'settled', transactionType: 'outbound', settledAt: instantToDate(at), invoiceRequiresSuccessfulPayment: false, ...fields },
    options,
    at,
  );
  const inbounds = await repo.availableInbounds(tx, wallet.organizationId, wallet.id);
  const draws = drawInbounds(
    inbounds.map((i) => ({
      id: i.id,
      priority: i.priority,
      granted: i.transactionStatus === 'granted',
      createdAtMs: i.createdAt.getTime(),
      remainingCents: i.remainingAmountCents ?? 0n,
    })),
    c.amountCents,
  );
  if (!draws) throw new Error(`wallet ${wallet.id}: its inbound credits do not cover ${c.amountCents}`);
  for (const draw of draws) {
    await repo.recordConsumption(tx, {
      organizationId: wallet.organizationId,
      id: newId(),
      inboundWalletTransactionId: draw.id,
      outboundWalletTransactionId: transaction.id,
      consumedAmountCents: draw.cents,
      createdAt: instantToDate(at),
    });
  }
  const updated = await repo.moveBalance(tx, wallet, { direction: 'out', cents: c.amountCents, credits: c.creditAmount.toFixed() }, instantToDate(at));
  await reportWallet(tx, 'wallet.updated', updated, at);
  return { transaction, wallet: updated };
};

/** Prepaid credits paying for an invoice: an outbound `invoiced` transaction of the amount. */
export const consumeForInvoice = (tx: Db, wallet: WalletRow, amountCents: bigint, invoiceId: string, at: Temporal.Instant) =>
  debit(tx, wallet, creditFromCents(rateOf(wallet), amountCents), { transactionStatus: 'invoiced', invoiceId }, MANUAL, at);

/** Voided credits (Lago keeps the credit amount asked, not one taken back from the rounded money). */
export const voidCredits = (tx: Db, wallet: WalletRow, credits: Decimal, options: TransactionOptions, at: Temporal.Instant) => {
  const c = creditOf(rateOf(wallet), credits, { invoiceable: false });
  // The whole credit balance, rounded up to money, may come to a cent more than the balance holds.
  const capped = c.amountCents > wallet.balanceCents ? { ...c, amountCents: wallet.balanceCents } : c;
  return debit(tx, wallet, capped, { transactionStatus: 'voided' }, options, at);
};
