import { createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto';

export type SignatureAlgo = 'jwt' | 'hmac';

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/**
 * Lago's `hmac` signature: the base64 of HMAC-SHA256 over the exact body, keyed with the organization's HMAC key.
 * A receiver recomputes it over the raw body it got.
 */
export const hmacSignature = (hmacKey: string, body: string): string => createHmac('sha256', hmacKey).update(body).digest('base64');

/**
 * Lago's `jwt` signature: an RS256 JSON Web Token whose `data` claim is the exact body and whose `iss` is the API's
 * URL, signed with the organization's RSA key. A receiver verifies it with GET /webhooks/public_key and checks that
 * `data` equals the body it got.
 */
export const jwtSignature = (privateKey: KeyObject | string, body: string, issuer: string): string => {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const signingInput = `${base64url(JSON.stringify({ alg: 'RS256' }))}.${base64url(JSON.stringify({ data: body, iss: issuer }))}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key).toString('base64url')}`;
};
