import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { BillowError, FieldErrors } from '../lib/errors.ts';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export const reason = (status: number): string => REASONS[status] ?? 'Error';

/** Lago's error body for each kind of BillowError. */
export const errorBody = (error: BillowError): { status: number; body: Record<string, unknown> } => {
  switch (error.kind) {
    case 'bad_request':
      return { status: 400, body: { status: 400, error: `BadRequest: ${error.message}` } };
    case 'forbidden':
      return { status: 403, body: { status: 403, error: 'Forbidden', code: error.code } };
    case 'not_found':
      return { status: 404, body: { status: 404, error: 'Not Found', code: `${error.resource}_not_found` } };
    case 'not_allowed':
      return { status: 405, body: { status: 405, error: 'Method Not Allowed', code: error.code } };
    case 'validation':
      return {
        status: 422,
        body: { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: error.details },
      };
  }
};

export const sendError = (reply: FastifyReply, error: BillowError): FastifyReply => {
  const { status, body } = errorBody(error);
  return reply.status(status).send(body);
};

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
}

/** The error code Lago gives for what the schema found wrong with a field. */
const codeFor = (e: AjvError): string => {
  switch (e.keyword) {
    case 'required':
      return 'value_is_mandatory';
    case 'maxLength':
      return 'value_is_too_long';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return 'value_is_out_of_range';
    default:
      return 'value_is_invalid';
  }
};

/**
 * Turns JSON-Schema failures into Lago's answers. For a body wrapped in its resource key (`{"plan": {...}}`), a missing
 * or non-object wrapper is a 400 as in Rails' `params.require`, and anything wrong inside it is a 422 keyed by field
 * name. Like Lago, a field inside a nested record (a charge of a plan) is reported by its own name, not by its path.
 * An unwrapped body (`wrapper` undefined) reports its top-level fields as 422s too; only a body that is not an object
 * at all is a 400.
 */
export const schemaErrorToBillow = (errors: AjvError[], context: string, wrapper?: string): BillowError => {
  const details: Record<string, string[]> = {};
  const wrapped = context === 'body' && wrapper !== undefined;
  // A union (a nullable field) fails as a whole and in each branch; when a branch points deeper, at the item or field
  // that is wrong, that deeper error says it all.
  const deeper = (path: string) => errors.some((other) => other.instancePath.startsWith(`${path}/`));
  for (const e of errors) {
    if (e.keyword === 'anyOf' && deeper(e.instancePath)) continue;
    const segments = e.instancePath.split('/').filter((s) => s !== '').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
    if (context === 'body' && segments.length <= (wrapped ? 1 : 0)) {
      // `anyOf`/`type` failures at the root or on the wrapper key mean the wrapper is missing or unusable.
      return { kind: 'bad_request', message: `param is missing or the value is empty or invalid: ${wrapper ?? 'body'}` };
    }
    const named = segments.slice(wrapped ? 1 : 0).filter((s) => !/^\d+$/.test(s));
    const field = named.length > 0 ? named[named.length - 1]! : (segments[segments.length - 1] ?? 'base');
    if (e.keyword === 'anyOf' && details[field]) continue;
    const list = (details[field] ??= []);
    const code = codeFor(e);
    if (!list.includes(code)) list.push(code);
  }
  return { kind: 'validation', details: details as FieldErrors };
};

type ObjectSchema = { type?: string; required?: string[]; properties?: Record<string, ObjectSchema> };

/** The resource key a body schema wraps its fields in (`plan` for `{"plan": {...}}`), if it is such a wrapper. */
const wrapperKey = (schema: unknown): string | undefined => {
  const s = schema as ObjectSchema | undefined;
  const key = s?.required?.length === 1 ? s.required[0]! : undefined;
  return key !== undefined && s?.properties?.[key]?.type === 'object' ? key : undefined;
};

/** The last word on any error a route throws: Lago's shapes for what the client did wrong, a logged 500 otherwise. */
export const handleError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
  if (error.validation) {
    return sendError(
      reply,
      schemaErrorToBillow(error.validation as AjvError[], error.validationContext ?? 'body', wrapperKey(request.routeOptions.schema?.body)),
    );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    request.log.info({ code: error.code, message: error.message }, 'client error');
    return reply.status(status).send({ status, error: reason(status) });
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply.status(500).send({ status: 500, error: reason(500), request_id: request.id });
};
