import { isIPv6 } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import type { webhookEndpoints } from '../../db/schema/index.ts';
import { OptionalNullable } from '../../http/schemas.ts';

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;

/**
 * Every webhook type an endpoint can subscribe to: the names of Lago's config/webhook_event_types.yml, in its order.
 * `credit_note.provider_refund_failure` is the subscription name of the webhook whose payload says
 * `credit_note.refund_failure`.
 */
export const WEBHOOK_TYPES = [
  'alert.triggered',
  'billable_metric.created',
  'billable_metric.updated',
  'billable_metric.deleted',
  'customer.created',
  'customer.updated',
  'customer.accounting_provider_created',
  'customer.accounting_provider_error',
  'customer.crm_provider_created',
  'customer.crm_provider_error',
  'customer.payment_provider_created',
  'customer.payment_provider_error',
  'customer.checkout_url_generated',
  'customer.tax_provider_error',
  'customer.vies_check',
  'credit_note.created',
  'credit_note.generated',
  'credit_note.provider_refund_failure',
  'dunning_campaign.finished',
  'event.error',
  'events.errors',
  'feature.created',
  'feature.updated',
  'feature.deleted',
  'fee.created',
  'fee.tax_provider_error',
  'invoice.created',
  'invoice.one_off_created',
  'invoice.paid_credit_added',
  'invoice.generated',
  'invoice.drafted',
  'invoice.ready_to_finalize',
  'invoice.voided',
  'invoice.deleted',
  'invoice.payment_dispute_lost',
  'invoice.payment_status_updated',
  'invoice.payment_overdue',
  'invoice.payment_failure',
  'invoice.resynced',
  'integration.provider_error',
  'order.created',
  'order.executed',
  'order_form.created',
  'order_form.signed',
  'order_form.expired',
  'order_form.voided',
  'payment.succeeded',
  'payment.requires_action',
  'payment_provider.error',
  'payment_receipt.created',
  'payment_receipt.generated',
  'payment_request.created',
  'payment_request.payment_failure',
  'payment_request.payment_status_updated',
  'plan.created',
  'plan.updated',
  'plan.deleted',
  'quote.created',
  'quote.approved',
  'quote.voided',
  'subscription.canceled',
  'subscription.incomplete',
  'subscription.terminated',
  'subscription.started',
  'subscription.updated',
  'subscription.termination_alert',
  'subscription.trial_ended',
  'subscription.usage_threshold_reached',
  'wallet.created',
  'wallet.depleted_ongoing_balance',
  'wallet.terminated',
  'wallet.updated',
  'wallet_transaction.created',
  'wallet_transaction.updated',
  'wallet_transaction.payment_failure',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

const KNOWN_TYPES: ReadonlySet<string> = new Set(WEBHOOK_TYPES);
export const isWebhookType = (value: string): value is WebhookType => KNOWN_TYPES.has(value);

export const SIGNATURE_ALGOS = ['jwt', 'hmac'] as const;
export type SignatureAlgo = (typeof SIGNATURE_ALGOS)[number];
export const isSignatureAlgo = (value: unknown): value is SignatureAlgo => value === 'jwt' || value === 'hmac';

/** Lago's `WebhookEndpoint::LIMIT`: endpoints one organization may have. */
export const WEBHOOK_ENDPOINTS_LIMIT = 10;

/**
 * Longest URL Billow stores. Lago has no limit, but (organization, URL) is a unique btree key, which PostgreSQL cannot
 * build past about 2,700 bytes; a valid URL is ASCII, one byte a character.
 */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Lago's message (not a code) when the limit is reached, from its locale file. */
export const LIMIT_REACHED_MESSAGE = 'Maximum number of webhook endpoints was reached';

// The length is checked with the other URL rules, so that a long URL gets one code (a nullable schema would add a second).
export const WebhookUrl = Type.String({ description: `An http or https URL with a host, at most ${MAX_WEBHOOK_URL_LENGTH} characters.` });

export const WebhookEndpointBody = Type.Object({
  webhook_endpoint: Type.Object(
    {
      webhook_url: OptionalNullable(WebhookUrl),
      signature_algo: OptionalNullable(Type.String({ description: '`jwt` (the default) or `hmac`.', examples: ['hmac'] })),
      name: OptionalNullable(Type.String()),
      // Checked by the service, not the schema, so that a value that is not a list gets Lago's `must_be_array`.
      event_types: Type.Optional(
        Type.Unknown({
          description: 'A list of webhook types; null, or ["*"], for every type.',
          examples: [['invoice.voided', 'customer.created']],
        }),
      ),
    },
    { minProperties: 1 },
  ),
});
export type WebhookEndpointInput = Static<typeof WebhookEndpointBody>['webhook_endpoint'];

// The character classes of Ruby's RFC 3986 parser, which Lago's URL validator runs (URI.parse, then a host and an
// http or https scheme).
const PCT = '%[0-9A-Fa-f]{2}';
const USERINFO = `(?:${PCT}|[!$&-.0-;=A-Z_a-z~])*`;
const REG_NAME = `(?:${PCT}|[!$&-.0-9;=A-Z_a-z~])+`;
const IP_LITERAL = '\\[([^\\]]*)\\]';
const SEGMENT = `(?:${PCT}|[!$&-.0-;=@-Z_a-z~])*`;
// Ruby takes anything but `#` in a query; control characters are refused here, as no HTTP request can carry them.
const QUERY = '[\\x20-\\x22\\x24-\\x7e]*';
const FRAGMENT = `(?:${PCT}|[!$&-.0-;=@-Z_a-z~/?])*`;
const HTTP_URL = new RegExp(
  `^[Hh][Tt][Tt][Pp][Ss]?://(?:${USERINFO}@)?(?:${IP_LITERAL}|${REG_NAME})(?::\\d*)?(?:/${SEGMENT})*(?:\\?${QUERY})?(?:#${FRAGMENT})?$`,
);
const IP_FUTURE = /^v[0-9A-Fa-f]+\.[!$&-.0-;=A-Z_a-z~]+$/;

/** Lago's `url_is_invalid` rule: an absolute http or https URL with a host, in RFC 3986 syntax. */
export const isWebhookUrl = (value: unknown): value is string => {
  if (typeof value !== 'string') return false;
  const match = HTTP_URL.exec(value);
  if (!match) return false;
  const literal = match[1];
  return literal === undefined || IP_FUTURE.test(literal) || (isIPv6(literal) && !literal.includes('%'));
};

/** Ruby's `Array#inspect` of strings, which Lago's message prints: `["a", "b"]`. */
const inspectList = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

/**
 * Lago's normalisation and check of `event_types`: entries trimmed and lower-cased, blanks and repeats dropped, `["*"]`
 * meaning every type (null); a value that is not a list is `must_be_array`, unknown names are listed in a message.
 *
 *   normalizeEventTypes([' Invoice.Created ', 'invoice.created', '']) -> { value: ['invoice.created'] }
 *   normalizeEventTypes(['*'])                                       -> { value: null }
 *   normalizeEventTypes(['wrong.type'])  -> { errors: ['contains invalid types: ["wrong.type"]'] }
 */
export const normalizeEventTypes = (raw: unknown): { value: string[] | null } | { errors: string[] } => {
  if (raw === null || raw === undefined) return { value: null };
  if (!Array.isArray(raw)) return { errors: ['must_be_array'] };
  const names: string[] = [];
  for (const entry of raw) {
    if (entry === null || entry === undefined) continue;
    // Rails casts scalars into the string column; anything else is named as it came.
    const text = typeof entry === 'string' ? entry : typeof entry === 'object' ? JSON.stringify(entry) : String(entry);
    const name = text.trim().toLowerCase();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  if (names.length === 1 && names[0] === '*') return { value: null };
  const unknown = names.filter((name) => !isWebhookType(name));
  return unknown.length > 0 ? { errors: [`contains invalid types: ${inspectList(unknown)}`] } : { value: names };
};
