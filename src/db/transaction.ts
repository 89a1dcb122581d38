import { RollbackError } from '../lib/errors.ts';
import { err, type Result } from '../lib/result.ts';
import type { Db } from './database.ts';
import { retryingConflicts } from './errors.ts';

/**
 * Something a transaction reports to the world (a webhook-worthy change). Records are gathered while the transaction
 * runs and handed to the database's outbox writer just before it commits, so what they report is the state that
 * commits, and nothing is reported of a transaction that rolls back.
 */
export type OutboxWriter<R> = (tx: Db, records: R[]) => Promise<void>;

interface Scope {
  root: Db;
  records: unknown[];
  /** A transaction that is always rolled back (a preview) reports nothing. */
  discard: boolean;
  /** Writes put off to the end of the outermost transaction (see `atCommit`). */
  lastSteps: ((tx: Db) => Promise<void>)[];
}

const scopes = new WeakMap<object, Scope>();
const writers = new WeakMap<object, OutboxWriter<unknown>>();

/** Sets what turns a database's outbox records into rows, once, where the application is put together. */
export const setOutboxWriter = <R>(db: Db, writer: OutboxWriter<R>): void => {
  writers.set(db, writer as OutboxWriter<unknown>);
};

/**
 * Adds a record to the outbox of the transaction `tx`. Throws (a bug) when `tx` was not opened by `inTransaction` or
 * `transact`: a record made there would be lost silently.
 */
export const addOutboxRecord = <R>(tx: Db, record: R): void => {
  const scope = scopes.get(tx);
  if (!scope) throw new Error('an outbox record needs a transaction opened by inTransaction or transact');
  if (!scope.discard) scope.records.push(record);
};

/**
 * Runs `step` as the last work of the outermost transaction, after its outbox records are written. For a write to a
 * row that many transactions queue on (an organization's invoice counter): the row then stays locked only while the
 * transaction commits, not while the rest of it runs.
 */
export const atCommit = (tx: Db, step: (tx: Db) => Promise<void>): void => {
  const scope = scopes.get(tx);
  if (!scope) throw new Error('a step at commit needs a transaction opened by inTransaction or transact');
  scope.lastSteps.push(step);
};

/**
 * Runs `work` in a transaction whose outbox records are written just before it commits. Inside another such
 * transaction (a savepoint), the records join the outer transaction's when the savepoint is kept.
 */
export const inTransaction = async <T>(db: Db, work: (tx: Db) => Promise<T>, options: { discard?: boolean } = {}): Promise<T> =>
  db.transaction(async (raw) => {
    const tx = raw as unknown as Db;
    const outer = scopes.get(db);
    const scope: Scope = { root: outer?.root ?? db, records: [], discard: (options.discard ?? false) || (outer?.discard ?? false), lastSteps: [] };
    scopes.set(tx, scope);
    const result = await work(tx);
    if (outer) {
      outer.records.push(...scope.records);
      outer.lastSteps.push(...scope.lastSteps);
      return result;
    }
    if (scope.records.length > 0) {
      const writer = writers.get(scope.root);
      if (!writer) throw new Error('this database has no outbox writer');
      await writer(tx, scope.records);
    }
    for (const step of scope.lastSteps) await step(tx);
    return result;
  });

/**
 * Runs a use case in one transaction. An error Result rolls everything back, so a rejected request never leaves half
 * its writes behind; a thrown exception (a bug) rolls back too and propagates. A transaction PostgreSQL aborted to
 * break a deadlock is run again (nothing of it was kept).
 */
export const transact = async <T>(db: Db, work: (tx: Db) => Promise<Result<T>>): Promise<Result<T>> => {
  try {
    return await retryingConflicts(() =>
      inTransaction(db, async (tx) => {
        const result = await work(tx);
        if (!result.ok) throw new RollbackError(result.error);
        return result;
      }),
    );
  } catch (error) {
    if (error instanceof RollbackError) return err(error.error);
    throw error;
  }
};
