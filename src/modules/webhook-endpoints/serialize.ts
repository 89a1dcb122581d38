import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.ts';
import { isoSeconds } from '../../lib/time.ts';
import type { WebhookEndpoint } from './types.ts';

export const WebhookEndpointObject = Type.Object(
  {
    lago_id: Type.String({ format: 'uuid' }),
    lago_organization_id: Type.String({ format: 'uuid' }),
    webhook_url: Type.String(),
    signature_algo: Type.String({ enum: ['jwt', 'hmac'] }),
    name: Nullable(Type.String()),
    event_types: Nullable(Type.Array(Type.String(), { description: 'null: every webhook type' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'WebhookEndpoint' },
);
export type WebhookEndpointJson = Static<typeof WebhookEndpointObject>;

export const serializeWebhookEndpoint = (endpoint: WebhookEndpoint): WebhookEndpointJson => ({
  lago_id: endpoint.id,
  lago_organization_id: endpoint.organizationId,
  webhook_url: endpoint.webhookUrl,
  signature_algo: endpoint.signatureAlgo,
  name: endpoint.name,
  event_types: endpoint.eventTypes,
  created_at: isoSeconds(endpoint.createdAt)!,
});

export const WebhookPublicKeyObject = Type.Object(
  { webhook: Type.Object({ public_key: Type.String({ description: 'Base64 of the PEM text, in lines of 60 characters' }) }) },
  { $id: 'WebhookPublicKey' },
);

/**
 * The public key as Lago hands it out: Ruby's `Base64.encode64` of the PEM text, i.e. MIME base64 with a newline after
 * every 60 characters and at the end. Receivers decode it to get the PEM back.
 */
export const encodePublicKey = (pem: string): string => {
  const base64 = Buffer.from(pem, 'utf8').toString('base64');
  let lines = '';
  for (let i = 0; i < base64.length; i += 60) lines += `${base64.slice(i, i + 60)}\n`;
  return lines;
};
