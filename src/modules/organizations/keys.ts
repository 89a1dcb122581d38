import { randomUUID, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new API key: 32 random bytes, prefixed so that secret scanners can recognise a leaked Billow key. */
export const generateApiKey = (): string => `billow_${randomBytes(32).toString('base64url')}`;

/** Keys are high-entropy random strings, so one SHA-256 is enough to store them safely (no slow KDF needed). */
export const digestApiKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export const digestsMatch = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** What is kept to let a person recognise a key without storing it: its last four characters. */
export const keyHint = (key: string): string => key.slice(-4);

/** Reads the key from `Authorization: Bearer <key>`; like Lago, the key is the header's second word. */
export const bearerToken = (header: string | undefined): string | null => {
  if (!header) return null;
  const [scheme, token] = header.trim().split(/\s+/, 2);
  if (!scheme || scheme.toLowerCase() !== 'bearer' || !token) return null;
  return token;
};

/** The shared secret that signs an organization's `hmac` webhooks (HMAC-SHA256): a random UUID, as Lago's. */
export const generateHmacKey = (): string => randomUUID();
