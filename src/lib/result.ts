import type { BillowError } from './errors.ts';

/** The outcome of a use case: services return this instead of throwing for anything a user can cause. */
export type Result<T, E = BillowError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
