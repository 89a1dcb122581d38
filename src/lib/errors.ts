/**
 * The closed list of errors a request can end in, in Lago's vocabulary. One mapper (src/http/errors.ts) turns them into
 * Lago's JSON bodies; services never build HTTP responses themselves.
 */
export type FieldErrors = { [field: string]: string[] | FieldErrors };

export type BillowError =
  | { kind: 'bad_request'; message: string }
  | { kind: 'forbidden'; code: string }
  | { kind: 'not_found'; resource: string }
  | { kind: 'not_allowed'; code: string }
  | { kind: 'validation'; details: FieldErrors };

export const badRequest = (message: string): BillowError => ({ kind: 'bad_request', message });
export const forbidden = (code: string): BillowError => ({ kind: 'forbidden', code });
/** 404 `<resource>_not_found`, e.g. notFound('plan'). */
export const notFound = (resource: string): BillowError => ({ kind: 'not_found', resource });
export const notAllowed = (code: string): BillowError => ({ kind: 'not_allowed', code });
export const validation = (details: FieldErrors): BillowError => ({ kind: 'validation', details });
/** The common single-field case: invalid('code', 'value_already_exist'). */
export const invalid = (field: string, code: string): BillowError => validation({ [field]: [code] });

/** Collects field errors while a use case checks its input, in the order the fields were checked. */
export class FieldErrorsBuilder {
  private readonly details: Record<string, string[]> = {};

  add(field: string, code: string): this {
    (this.details[field] ??= []).push(code);
    return this;
  }

  get empty(): boolean {
    return Object.keys(this.details).length === 0;
  }

  toError(): BillowError {
    return validation(this.details);
  }
}

/**
 * Thrown inside a transaction to roll it back with a user-facing error; `transact` turns it back into a Result.
 * Never escapes a service.
 */
export class RollbackError extends Error {
  constructor(readonly error: BillowError) {
    super(`rollback: ${error.kind}`);
  }
}
