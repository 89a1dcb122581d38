import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.ts';
import { organizationSigningKeys } from '../../db/schema/index.ts';

const generateRsaKeyPair = promisify(generateKeyPair);

export interface SigningKeys {
  /** PKCS#8 PEM; signs `jwt` endpoints' webhooks (RS256). */
  privateKeyPem: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), what GET /webhooks/public_key hands out. */
  publicKeyPem: string;
}

const readKeys = async (db: Db, organizationId: string): Promise<SigningKeys | null> => {
  const rows = await db
    .select({ privateKeyPem: organizationSigningKeys.privateKeyPem, publicKeyPem: organizationSigningKeys.publicKeyPem })
    .from(organizationSigningKeys)
    .where(eq(organizationSigningKeys.organizationId, organizationId))
    .limit(1);
  return rows[0] ?? null;
};

/**
 * The organization's RSA key pair (2048 bits) that signs its `jwt` webhooks, made and stored the first time it is asked
 * for. Where Lago has one key for the whole installation, Billow gives each organization its own, so one tenant's key
 * can never vouch for a webhook about another's data.
 *
 * Two first calls at once may both generate a pair; only the first insert is kept (ON CONFLICT DO NOTHING) and both
 * return the stored one. The pair is generated on libuv's thread pool, not on the event loop.
 */
export const loadSigningKeys = async (db: Db, organizationId: string, now: Date): Promise<SigningKeys> => {
  const existing = await readKeys(db, organizationId);
  if (existing) return existing;
  const pair = await generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await db
    .insert(organizationSigningKeys)
    .values({ organizationId, privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey, createdAt: now })
    .onConflictDoNothing({ target: organizationSigningKeys.organizationId });
  const stored = await readKeys(db, organizationId);
  if (!stored) throw new Error(`signing keys of organization ${organizationId} were neither stored nor found`);
  return stored;
};
