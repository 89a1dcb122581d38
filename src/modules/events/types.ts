import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../http/schemas.ts';
import { Decimal } from '../../lib/money.ts';
import { MAX_KEY_LENGTH } from '../../lib/text.ts';

/** Lago takes at most 100 events per batch (LAGO_EVENTS_BATCH_MAX_LENGTH). */
export const MAX_BATCH = 100;

export const EventBody = Type.Object({ event: Type.Object({}, { additionalProperties: true }) });
// Lago answers a batch without `events` with 422 no_events, not 400: the list is checked by the service.
export const EventBatchBody = Type.Object({ events: Type.Optional(Type.Unknown()) });

/** An event checked and ready to store. */
export interface ParsedEvent {
  transactionId: string;
  /** '' when the event names no subscription (Lago accepts that). */
  externalSubscriptionId: string;
  code: string;
  timestampMs: number;
  properties: Record<string, unknown>;
  preciseTotalAmountCents: Decimal | null;
  /** False when the timestamp was not sent (it is then the organization's now, and a resend may differ in it). */
  timestampGiven: boolean;
}

export type FieldErrorMap = Record<string, string[]>;

// Unix seconds from 1970 to the end of year 9999: anything else cannot be a usage timestamp.
const MAX_SECONDS = new Decimal(253_402_300_799);
const MAX_WHOLE_SECONDS = MAX_SECONDS.toNumber();
const SECONDS_TEXT = /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/;

/** Lago's event timestamp: Unix seconds as an integer, a float or a numeric string ("1651240791.123"). */
export const parseTimestamp = (raw: unknown): number | null => {
  // Whole seconds, the usual case, are exact in a double: no decimal arithmetic needed.
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && !Object.is(raw, -0)) return raw <= MAX_WHOLE_SECONDS ? raw * 1000 : null;
  let seconds: Decimal;
  if (typeof raw === 'number' && Number.isFinite(raw)) seconds = new Decimal(raw);
  else if (typeof raw === 'string' && SECONDS_TEXT.test(raw)) seconds = new Decimal(raw.trim());
  else return null;
  if (seconds.isNegative() || seconds.greaterThan(MAX_SECONDS)) return null;
  return seconds.mul(1000).toDecimalPlaces(0, Decimal.ROUND_FLOOR).toNumber();
};

/** Ids may be sent as numbers, as Lago reads them with to_s. */
const idText = (raw: unknown): string | null | undefined => {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return null;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON with object keys sorted at every level, so that a resend with reordered keys is the same payload. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/**
 * Checks one event as Lago does (transaction_id and code required, a numeric timestamp, properties an object) and
 * gives it its defaults: the organization's now for a missing timestamp.
 */
export const parseEvent = (raw: unknown, nowMs: number): { ok: true; value: ParsedEvent } | { ok: false; errors: FieldErrorMap } => {
  const errors: FieldErrorMap = {};
  const add = (field: string, code: string) => (errors[field] ??= []).push(code);
  if (!isPlainObject(raw)) return { ok: false, errors: { event: ['invalid_format'] } };

  const transactionId = idText(raw.transaction_id);
  if (transactionId === null) add('transaction_id', 'invalid_format');
  else if (!transactionId) add('transaction_id', 'value_is_mandatory');
  else if (transactionId.length > MAX_KEY_LENGTH) add('transaction_id', 'value_is_too_long');

  const code = idText(raw.code);
  if (code === null) add('code', 'invalid_format');
  else if (!code) add('code', 'value_is_mandatory');
  else if (code.length > MAX_KEY_LENGTH) add('code', 'value_is_too_long');

  const subscription = idText(raw.external_subscription_id);
  if (subscription === null) add('external_subscription_id', 'invalid_format');
  else if (subscription && subscription.length > MAX_KEY_LENGTH) add('external_subscription_id', 'value_is_too_long');

  let timestampMs = nowMs;
  let givenTimestamp: number | null = null;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const parsed = parseTimestamp(raw.timestamp);
    if (parsed === null) add('timestamp', 'invalid_format');
    else timestampMs = givenTimestamp = parsed;
  }

  let properties: Record<string, unknown> = {};
  if (raw.properties !== undefined && raw.properties !== null) {
    if (isPlainObject(raw.properties)) properties = raw.properties;
    else add('properties', 'invalid_format');
  }

  let preciseTotalAmountCents: Decimal | null = null;
  const amount = raw.precise_total_amount_cents;
  if (amount !== undefined && amount !== null) {
    if ((typeof amount === 'number' && Number.isFinite(amount)) || (typeof amount === 'string' && SECONDS_TEXT.test(amount))) {
      preciseTotalAmountCents = new Decimal(typeof amount === 'number' ? amount : amount.trim());
    } else add('precise_total_amount_cents', 'value_is_not_valid_number');
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      transactionId: transactionId!,
      externalSubscriptionId: subscription ?? '',
      code: code!,
      timestampMs,
      properties,
      preciseTotalAmountCents,
      timestampGiven: givenTimestamp !== null,
    },
  };
};

/** An event as stored, for comparing a resend with it. */
export interface StoredPayload {
  code: string;
  timestampMs: number;
  properties: Record<string, unknown>;
  preciseTotalAmountCents: string | null;
}

/**
 * Whether an event sent again under a stored key is the same event: same code, properties (key order aside) and amount,
 * and the same timestamp unless the resend leaves it out (then the first reception's time stands).
 */
export const samePayload = (sent: ParsedEvent, stored: StoredPayload): boolean =>
  sent.code === stored.code &&
  (!sent.timestampGiven || sent.timestampMs === stored.timestampMs) &&
  canonicalJson(sent.properties) === canonicalJson(stored.properties) &&
  (sent.preciseTotalAmountCents === null
    ? stored.preciseTotalAmountCents === null
    : stored.preciseTotalAmountCents !== null && sent.preciseTotalAmountCents.eq(stored.preciseTotalAmountCents));

export const EventListQuery = Type.Object({
  ...PageQuery.properties,
  external_subscription_id: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  timestamp_from: Type.Optional(Type.String()),
  timestamp_to: Type.Optional(Type.String()),
  timestamp_from_started_at: Type.Optional(Type.String()),
});
