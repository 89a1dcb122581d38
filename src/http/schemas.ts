import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_INT4, MAX_KEY_LENGTH } from '../lib/text.ts';

/** A field that may hold null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An optional input field that also accepts an explicit null (Lago treats both as "not given" or "clear"). */
export const OptionalNullable = <T extends TSchema>(schema: T) => Type.Optional(Nullable(schema));

/** A code or external id: what users address objects by, unique per organization, so it must fit in an index. */
export const Code = (options: { description?: string } = {}) => Type.String({ maxLength: MAX_KEY_LENGTH, ...options });

/**
 * An amount in cents as a JSON integer. Amounts travel as JSON numbers, so only safe integers (up to 2^53) can be
 * echoed back exactly; anything larger is out of range rather than silently changed.
 */
export const Cents = (options: { minimum?: number } = {}) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...options });

/** A count of days or the like, stored in an `integer` column. */
export const Int4 = () => Type.Integer({ minimum: 0, maximum: MAX_INT4 });

/** ISO-8601 date-time text, as Lago prints it. */
export const DateTime = Type.String({ format: 'date-time' });

/** Free-form JSON objects stored and echoed as given (charge properties, provider settings). */
export const AnyObject = Type.Object({}, { additionalProperties: true });

export const PaginationMeta = Type.Object({
  current_page: Type.Integer(),
  next_page: Nullable(Type.Integer()),
  prev_page: Nullable(Type.Integer()),
  total_pages: Type.Integer(),
  total_count: Type.Integer(),
});

/** A query parameter as Fastify hands it over: a string, or a list when the parameter is repeated. */
export const QueryValue = Type.Union([Type.String(), Type.Array(Type.String())]);

/** Query parameters are read leniently, as Lago reads them: anything that is not a positive integer is the default. */
export const PageQuery = Type.Object({
  page: Type.Optional(QueryValue),
  per_page: Type.Optional(QueryValue),
});

export const ErrorBody = Type.Object(
  {
    status: Type.Integer(),
    error: Type.String(),
    code: Type.Optional(Type.String()),
    error_details: Type.Optional(Type.Unknown()),
  },
  { $id: 'ErrorBody' },
);

/** The error answers every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
  405: Type.Ref('ErrorBody'),
  422: Type.Ref('ErrorBody'),
} as const;

/** A list response: `{"<plural>": [...], "meta": {...}}`. */
export const listOf = <K extends string, T extends TSchema>(key: K, item: T) =>
  Type.Object({ [key]: Type.Array(item), meta: PaginationMeta } as { [P in K]: ReturnType<typeof Type.Array<T>> } & {
    meta: typeof PaginationMeta;
  });

/** A single-object response or request body: `{"<singular>": {...}}`. */
export const wrapped = <K extends string, T extends TSchema>(key: K, item: T) =>
  Type.Object({ [key]: item } as { [P in K]: T });
