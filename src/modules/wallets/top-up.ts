import type { Temporal } from 'temporal-polyfill';
import { creditOf, floorCredits } from '../../billing/wallets/credits.ts';
import type { Db } from '../../db/database.ts';
import { invalid } from '../../lib/errors.ts';
import type { Decimal } from '../../lib/money.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { billPurchase } from './credit-invoice.ts';
import { grantCredits, purchaseCredits, rateOf, reportTransaction, voidCredits, type TransactionOptions } from './ledger.ts';
import type { TransactionRow, WalletRow } from './types.ts';

const MAX_CENTS = 2n ** 63n - 1n;

export interface TopUpRequest {
  paidCredits: Decimal | null;
  grantedCredits: Decimal | null;
  voidedCredits: Decimal | null;
  ignorePaidTopUpLimits: boolean;
  options: TransactionOptions;
}

/**
 * Lago's `WalletTransactionAmountLimitsValidator`: a purchase must be worth at least the wallet's paid minimum and at
 * most its maximum, unless told to ignore them.
 */
export const checkPaidLimits = (wallet: WalletRow, credits: Decimal, ignore: boolean, field = 'paid_credits'): Result<true> => {
  if (!credits.gt(0)) return err(invalid(field, 'invalid_amount'));
  if (ignore) return ok(true);
  const cents = creditOf(rateOf(wallet), floorCredits(credits)).amountCents;
  if (wallet.paidTopUpMinAmountCents !== null && cents < wallet.paidTopUpMinAmountCents) return err(invalid(field, 'amount_below_minimum'));
  if (wallet.paidTopUpMaxAmountCents !== null && cents > wallet.paidTopUpMaxAmountCents) return err(invalid(field, 'amount_above_maximum'));
  return ok(true);
};

/**
 * Credits in (paid, granted) and out (voided) of a wallet whose row the caller has locked, as Lago's
 * `WalletTransactions::CreateFromParamsService` does them: in that order, zero amounts skipped, each transaction
 * reported, then the purchase billed. Answers the transactions as they stand.
 */
export const topUp = async (tx: Db, locked: WalletRow, request: TopUpRequest, at: Temporal.Instant): Promise<Result<{ transactions: TransactionRow[]; wallet: WalletRow }>> => {
  // Credits worth more money than a bigint column holds (with what the wallet has) are refused, not a failed write.
  for (const [field, credits] of [['paid_credits', request.paidCredits], ['granted_credits', request.grantedCredits]] as const) {
    if (credits && creditOf(rateOf(locked), floorCredits(credits)).amountCents > MAX_CENTS - locked.balanceCents) return err(invalid(field, 'invalid_amount'));
  }
  let wallet = locked;
  const created: { transaction: TransactionRow; wallet: WalletRow }[] = [];
  let purchase: TransactionRow | null = null;
  const paid = request.paidCredits ? floorCredits(request.paidCredits) : null;
  if (paid && !paid.isZero()) {
    const limits = checkPaidLimits(wallet, paid, request.ignorePaidTopUpLimits);
    if (!limits.ok) return limits;
    purchase = await purchaseCredits(tx, wallet, paid, request.options, at);
    created.push({ transaction: purchase, wallet });
  }
  const granted = request.grantedCredits ? floorCredits(request.grantedCredits) : null;
  if (granted && !granted.isZero()) {
    const result = await grantCredits(tx, wallet, granted, request.options, at);
    wallet = result.wallet;
    created.push(result);
  }
  const voided = request.voidedCredits ? floorCredits(request.voidedCredits) : null;
  if (voided && !voided.isZero()) {
    const result = await voidCredits(tx, wallet, voided, request.options, at);
    wallet = result.wallet;
    created.push(result);
  }
  for (const c of created) await reportTransaction(tx, 'wallet_transaction.created', c.transaction, c.wallet, at);
  const transactions = created.map((c) => c.transaction);
  if (purchase) {
    const invoice = await billPurchase(tx, wallet, purchase, at);
    transactions[0] = { ...purchase, invoiceId: invoice.id };
  }
  return ok({ transactions, wallet });
};
