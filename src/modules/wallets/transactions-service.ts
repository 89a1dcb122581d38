import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { FieldErrorsBuilder, notFound } from '../../lib/errors.ts';
import { Decimal } from '../../lib/money.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { roundsToZero } from '../../billing/wallets/credits.ts';
import { rateOf } from './ledger.ts';
import * as repo from './repository.ts';
import { topUp } from './top-up.ts';
import { castBoolean, castInteger, isAmountText, metadataError, type TransactionFilters, type TransactionInput, type TransactionRow, type WalletRow } from './types.ts';
import { loadWalletViews } from './views.ts';

/** Lago's ceiling on a credit amount (`WalletTransactions::ValidateService::MAX_AMOUNT`). */
const MAX_AMOUNT = new Decimal(10).pow(25).sub(1);

const isUuid = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export interface TransactionView {
  transaction: TransactionRow;
  wallet: WalletRow;
  billingEntityCode: string;
}

export const createWalletTransactionService = ({ db }: { db: Db }) => {
  const views = async (tx: Db, organizationId: string, rows: readonly TransactionRow[]): Promise<TransactionView[]> => {
    const walletIds = [...new Set(rows.map((r) => r.walletId))];
    const wallets = (await Promise.all(walletIds.map((id) => repo.findWallet(tx, organizationId, id)))).filter((w): w is WalletRow => w !== null);
    const walletViews = await loadWalletViews(tx, organizationId, wallets);
    return rows.map((transaction) => {
      const view = walletViews.find((v) => v.wallet.id === transaction.walletId)!;
      return { transaction, wallet: view.wallet, billingEntityCode: view.billingEntityCode };
    });
  };

  /**
   * POST /wallet_transactions (Lago's `WalletTransactions::CreateFromParamsService`): paid credits (pending until their
   * credit invoice is paid), granted credits (settled) and voided credits (out at once), each optional.
   */
  const create = async (ctx: Ctx, input: TransactionInput): Promise<Result<TransactionView[]>> => {
    const now = ctx.clock.now();
    return transact(db, async (tx) => {
      const errors = new FieldErrorsBuilder();
      const wallet = isUuid(input.wallet_id) ? await repo.findWallet(tx, ctx.organizationId, input.wallet_id as string, true) : null;
      if (!wallet) errors.add('wallet_id', 'wallet_not_found');
      else if (wallet.status === 'terminated') errors.add('wallet_id', 'wallet_is_terminated');
      const amount = (field: 'paid_credits' | 'granted_credits' | 'voided_credits'): Decimal | null => {
        const value = input[field];
        if (value === undefined || value === null) return null;
        if (!isAmountText(value) || new Decimal(value.trim()).gt(MAX_AMOUNT)) {
          errors.add(field, `invalid_${field}`).add(field, 'invalid_amount');
          return null;
        }
        return new Decimal(value.trim());
      };
      const paid = amount('paid_credits');
      const granted = amount('granted_credits');
      if (wallet) {
        for (const [field, credits] of [['paid_credits', paid], ['granted_credits', granted]] as const) {
          if (credits && roundsToZero(rateOf(wallet), credits)) errors.add(field, 'amount_rounds_to_zero');
        }
      }
      const voided = wallet ? amount('voided_credits') : null;
      if (wallet && voided && voided.gt(new Decimal(wallet.creditsBalance))) errors.add('voided_credits', 'insufficient_credits');
      const metadata = input.metadata === undefined ? undefined : Array.isArray(input.metadata) || input.metadata === null ? input.metadata : Object.keys(input.metadata as object).length === 0 ? [] : input.metadata;
      if (metadata !== undefined) {
        const problem = metadataError(metadata, 15);
        if (problem) errors.add('metadata', problem);
      }
      if (input.name != null && input.name !== '') {
        if (typeof input.name !== 'string') errors.add('name', 'invalid_value');
        else if (input.name.length > 255) errors.add('name', 'too_long');
      }
      const priority = input.priority == null ? 50 : castInteger(input.priority);
      if (!Number.isInteger(priority) || priority < 1 || priority > 50) errors.add('priority', 'value_is_invalid');
      if (!errors.empty) return err(errors.toError());
      const w = wallet!;
      const requiresPayment = castBoolean(input.invoice_requires_successful_payment);
      const done = await topUp(
        tx,
        w,
        {
          paidCredits: paid,
          grantedCredits: granted,
          voidedCredits: voided,
          ignorePaidTopUpLimits: castBoolean(input.ignore_paid_top_up_limits) === true,
          options: {
            source: 'manual',
            priority,
            name: typeof input.name === 'string' && input.name !== '' ? input.name : null,
            metadata: (metadata ?? []) as { key: string; value: string }[],
            purchaseOrderNumber: typeof input.purchase_order_number === 'string' && input.purchase_order_number !== '' ? input.purchase_order_number : null,
            invoiceRequiresSuccessfulPayment: requiresPayment ?? w.invoiceRequiresSuccessfulPayment,
          },
        },
        now,
      );
      if (!done.ok) return done;
      return ok(await views(tx, ctx.organizationId, done.value.transactions));
    });
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<TransactionView>> => {
    const found = isUuid(id) ? await repo.findTransaction(db, ctx.organizationId, id) : null;
    if (!found) return err(notFound('wallet_transaction'));
    return ok((await views(db, ctx.organizationId, [found]))[0]!);
  };

  /** GET /wallets/{id}/wallet_transactions, newest first; an unknown wallet is a 404. */
  const list = async (ctx: Ctx, walletId: string, filters: TransactionFilters, page: PageRequest): Promise<Result<Page<TransactionView>>> => {
    const wallet = isUuid(walletId) ? await repo.findWallet(db, ctx.organizationId, walletId) : null;
    if (!wallet) return err(notFound('wallet'));
    const { rows, total } = await repo.listTransactions(db, ctx.organizationId, wallet.id, filters, page);
    return ok({ items: await views(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  return { create, get, list };
};

export type WalletTransactionService = ReturnType<typeof createWalletTransactionService>;
