import type { Db } from '../../db/database.ts';
import { refusingDuplicates } from '../../db/errors.ts';
import type { Ctx } from '../../lib/context.ts';
import type { Result } from '../../lib/result.ts';
import { instantToDate } from '../../lib/time.ts';

/** What every write of the module needs: the transaction, the organization, and one "now" for the whole request. */
export interface Writer {
  tx: Db;
  organizationId: string;
  now: Date;
}

export const writer = (tx: Db, ctx: Ctx): Writer => ({ tx, organizationId: ctx.organizationId, now: instantToDate(ctx.clock.now()) });

/** Amounts travel as JSON numbers: anything beyond 2^53 could not be echoed back exactly, so it is out of range. */
export const isSafeAmount = (value: number): boolean => Number.isSafeInteger(value);

/** Runs a write and answers a lost race on a plan or charge code the way the code checks would have. */
export const guarded = <T>(work: () => Promise<Result<T>>): Promise<Result<T>> => refusingDuplicates('code', work);
