import { invalid } from '../lib/errors.ts';
import { err, type Result } from '../lib/result.ts';

/** PostgreSQL error details, found on the error or on a wrapped cause (Drizzle wraps driver errors). */
const pgErrorField = (error: unknown, field: 'code' | 'constraint'): string | undefined => {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
};

/**
 * True when PostgreSQL gave up a transaction to break a deadlock (40P01) or a serialization conflict (40001): nothing
 * of it was kept, and running it again is the standard answer.
 */
export const isTransientConflict = (error: unknown): boolean => {
  const code = pgErrorField(error, 'code');
  return code === '40P01' || code === '40001';
};

/** Runs a whole transaction, and again (up to `attempts` times in all) when PostgreSQL aborted it to break a conflict. */
export const retryingConflicts = async <T>(work: () => Promise<T>, attempts = 3): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
    }
  }
};

/** True when a write lost a race on a unique key: the caller answers as if its own check had seen the duplicate. */
export const isUniqueViolation = (error: unknown): boolean => pgErrorField(error, 'code') === '23505';

/**
 * Runs a write whose own check for a duplicate can lose a race with a concurrent request: the unique key then refuses
 * the write, and the answer is the one the check would have given (`field: value_already_exist`).
 */
export const refusingDuplicates = async <T>(field: string, work: () => Promise<Result<T>>): Promise<Result<T>> => {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) return err(invalid(field, 'value_already_exist'));
    throw error;
  }
};
