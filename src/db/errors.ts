/** PostgreSQL error details, found on the error or on a wrapped cause (Drizzle wraps driver errors). */
const pgErrorField = (error: unknown, field: 'code' | 'constraint'): string | undefined => {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
};

/** True when a write lost a race on a unique key: the caller answers as if its own check had seen the duplicate. */
export const isUniqueViolation = (error: unknown): boolean => pgErrorField(error, 'code') === '23505';
