import type { Db } from '../../db/database.ts';
import { transact } from '../../db/transaction.ts';
import type { Ctx } from '../../lib/context.ts';
import { invalid, notAllowed, notFound } from '../../lib/errors.ts';
import { paginationMeta, type Page, type PageRequest } from '../../lib/pagination.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';
import * as queries from './queries.ts';
import { isFeePaymentStatus, parseFeeFilters, type FeeListQueryInput, type FeeRow, type FeeUpdateInput, type FeeView } from './types.ts';

export { loadFeeViews } from './queries.ts';
export type { FeeView } from './types.ts';

export const createFeeService = ({ db }: { db: Db }) => {
  const view = async (tx: Db, organizationId: string, row: FeeRow): Promise<FeeView> =>
    (await queries.loadFeeViews(tx, organizationId, [row]))[0]!;

  const list = async (ctx: Ctx, query: FeeListQueryInput, page: PageRequest): Promise<Result<Page<FeeView>>> => {
    const { filters, errors } = parseFeeFilters(query);
    if (!errors.empty) return err(errors.toError());
    const { rows, total } = await queries.listFees(db, ctx.organizationId, filters, page);
    return ok({ items: await queries.loadFeeViews(db, ctx.organizationId, rows), meta: paginationMeta(page, total) });
  };

  const get = async (ctx: Ctx, id: string): Promise<Result<FeeView>> => {
    const fee = await queries.findFee(db, ctx.organizationId, id);
    return fee ? ok(await view(db, ctx.organizationId, fee)) : err(notFound('fee'));
  };

  /**
   * Lago's `Fees::UpdateService`: only a fee that is on no invoice (a pay-in-advance fee left out of invoices) has a
   * payment status of its own; an invoiced fee follows its invoice. Only the timestamp of the current status is kept,
   * as a fee may go from pending to failed to pending to succeeded.
   */
  const update = async (ctx: Ctx, id: string, input: FeeUpdateInput): Promise<Result<FeeView>> =>
    transact(db, async (tx) => {
      const fee = await queries.findFee(tx, ctx.organizationId, id, true);
      if (!fee) return err(notFound('fee'));
      if (input.payment_status === undefined) return ok(await view(tx, ctx.organizationId, fee));
      if (fee.invoiceId !== null) return err(notAllowed('invoiced_fee'));
      const status = input.payment_status;
      if (!isFeePaymentStatus(status)) return err(invalid('payment_status', 'value_is_invalid'));
      const now = instantToDate(ctx.clock.now());
      const updated = await queries.updateFee(tx, ctx.organizationId, fee.id, {
        paymentStatus: status,
        succeededAt: status === 'succeeded' ? now : null,
        failedAt: status === 'failed' ? now : null,
        refundedAt: status === 'refunded' ? now : null,
        updatedAt: now,
      });
      return ok(await view(tx, ctx.organizationId, updated));
    });

  /** Only a fee on no invoice can go (Lago's `Fees::DestroyService`); the answer is the fee as it was. */
  const destroy = async (ctx: Ctx, id: string): Promise<Result<FeeView>> =>
    transact(db, async (tx) => {
      const fee = await queries.findFee(tx, ctx.organizationId, id, true);
      if (!fee) return err(notFound('fee'));
      if (fee.invoiceId !== null) return err(notAllowed('invoiced_fee'));
      const gone = await view(tx, ctx.organizationId, fee);
      await queries.deleteFee(tx, ctx.organizationId, fee.id);
      return ok(gone);
    });

  return { list, get, update, destroy };
};

export type FeeService = ReturnType<typeof createFeeService>;
