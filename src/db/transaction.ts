import { RollbackError } from '../lib/errors.ts';
import { err, type Result } from '../lib/result.ts';
import type { Db } from './database.ts';
import { retryingConflicts } from './errors.ts';

/**
 * Runs a use case in one transaction. An error Result rolls everything back, so a rejected request never leaves half
 * its writes behind; a thrown exception (a bug) rolls back too and propagates. A transaction PostgreSQL aborted to
 * break a deadlock is run again (nothing of it was kept).
 */
export const transact = async <T>(db: Db, work: (tx: Db) => Promise<Result<T>>): Promise<Result<T>> => {
  try {
    return await retryingConflicts(() =>
      db.transaction(async (tx) => {
        const result = await work(tx as unknown as Db);
        if (!result.ok) throw new RollbackError(result.error);
        return result;
      }),
    );
  } catch (error) {
    if (error instanceof RollbackError) return err(error.error);
    throw error;
  }
};
