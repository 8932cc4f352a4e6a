/**
 * The ACME nonces already used (RFC 8555 §6.5), shared by every ACME process through PostgreSQL. Nonces themselves
 * are never stored (api/acme/nonces.ts: they carry their issue time and an HMAC); a row exists only from a nonce's
 * one use until the time it would have expired, after which pruning removes it.
 */
import { lt } from 'drizzle-orm';
import { acmeUsedNonces } from '../schema';
import type { DbOrTx } from './types';

/** Records the use of a nonce; true the first time, false for a replay (the row is already there). */
export async function markNonceUsed(db: DbOrTx, nonceSha256: Uint8Array, expiresAt: Date): Promise<boolean> {
  const rows = await db.insert(acmeUsedNonces).values({ nonceSha256, expiresAt }).onConflictDoNothing().returning({ at: acmeUsedNonces.expiresAt });
  return rows.length === 1;
}

/** Forgets the uses of nonces that have expired (an expired nonce is refused for its age anyway). */
export async function pruneUsedNonces(db: DbOrTx, now: Date): Promise<number> {
  const result = await db.delete(acmeUsedNonces).where(lt(acmeUsedNonces.expiresAt, now));
  return result.count;
}
