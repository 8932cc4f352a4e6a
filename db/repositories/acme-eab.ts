/**
 * External account binding keys (RFC 8555 §7.3.4): made by the admin command for a CA account (a designated
 * provider, CP 1.3), used up by the newAccount they bind. The HMAC key is kept sealed (AES-256-GCM under the key of
 * config acme.eabEncryptionKeyFile, bound to the key id: pki/secret-box.ts); only the admin command that makes it
 * and the ACME server that verifies a binding hold that key. Every change is audited in its transaction (BR 5.4.1).
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { openSecret, sealSecret } from '../../pki/secret-box';
import { accounts, acmeEabKeys, organizations } from '../schema';
import { isUuid } from './accounts';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

/** The associated data of a sealed HMAC key: the key id it belongs to. */
const sealedFor = (keyId: string) => `acme-eab-hmac-key:${keyId}`;

/**
 * A new EAB key for a CA account (the admin command). The HMAC key (256 bits from the CSPRNG) is shown once as
 * base64url — the form certbot (--eab-hmac-key) and lego (--hmac) take — and stored sealed.
 */
export async function createEabKey(
  db: DbOrTx,
  input: { accountId: string; actor: string; encryptionKey: Uint8Array; organizationId?: string },
): Promise<{ keyId: string; hmacKey: string }> {
  const keyId = `eab_${randomBytes(12).toString('base64url')}`;
  const hmac = randomBytes(32);
  const hmacKeySealed = sealSecret(input.encryptionKey, hmac, sealedFor(keyId));
  return db.transaction(async (tx) => {
    const [account] = await tx.select().from(accounts).where(eq(accounts.id, input.accountId)).limit(1);
    if (!account) throw new CaError('notFound', `no account ${input.accountId}`);
    if (account.status !== 'active') throw new CaError('conflict', `account ${input.accountId} is ${account.status}`);
    if (input.organizationId !== undefined) {
      // OV over ACME: the organization must be the account's own, or one it registered for a subscriber (CP 1.3).
      const [org] = isUuid(input.organizationId) ? await tx.select().from(organizations).where(eq(organizations.id, input.organizationId)).limit(1) : [];
      if (!org || (org.accountId !== input.accountId && org.providerAccountId !== input.accountId)) {
        throw new CaError('notFound', `no organization ${input.organizationId} of account ${input.accountId}`);
      }
    }
    const organizationId = input.organizationId ?? null;
    await tx.insert(acmeEabKeys).values({ keyId, accountId: input.accountId, hmacKeySealed, organizationId });
    await appendAudit(tx, { actor: input.actor, event: 'acme.eab_key.created', data: { keyId, accountId: input.accountId, accountKind: account.kind, organizationId } });
    return { keyId, hmacKey: hmac.toString('base64url') };
  });
}

/**
 * The HMAC key of an EAB key id that may still bind an account (not revoked, not yet used; its CA account active),
 * opened with the encryption key; null otherwise.
 */
export async function usableEabHmacKey(db: DbOrTx, keyId: string, encryptionKey: Uint8Array): Promise<Uint8Array | null> {
  const [row] = await db
    .select({ key: acmeEabKeys, accountStatus: accounts.status })
    .from(acmeEabKeys)
    .innerJoin(accounts, eq(accounts.id, acmeEabKeys.accountId))
    .where(eq(acmeEabKeys.keyId, keyId))
    .limit(1);
  if (!row || row.key.boundAt || row.key.revokedAt || row.accountStatus !== 'active') return null;
  // A row not sealed yet (written before sealing existed, npm run db:migrate not run since) binds nothing.
  return row.key.hmacKeySealed ? openSecret(encryptionKey, row.key.hmacKeySealed, sealedFor(keyId)) : null;
}

/**
 * Seals the HMAC keys still stored in plaintext (rows written before they were encrypted at rest): run after the
 * migrations by `npm start`, the test setup and `npm run db:migrate`. Idempotent; one audit entry when it sealed any.
 */
export async function sealPlaintextEabKeys(db: DbOrTx, encryptionKey: Uint8Array, opts: { actor: string }): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ keyId: acmeEabKeys.keyId, hmacKey: acmeEabKeys.hmacKey }).from(acmeEabKeys).where(isNotNull(acmeEabKeys.hmacKey)).for('update');
    for (const row of rows) {
      await tx
        .update(acmeEabKeys)
        .set({ hmacKey: null, hmacKeySealed: sealSecret(encryptionKey, row.hmacKey!, sealedFor(row.keyId)) })
        .where(eq(acmeEabKeys.keyId, row.keyId));
    }
    if (rows.length > 0) await appendAudit(tx, { actor: opts.actor, event: 'acme.eab_keys.sealed', data: { keyIds: rows.map((r) => r.keyId) } });
    return rows.length;
  });
}

/** The EAB keys of a CA account (for the admin listing; never the HMAC keys). */
export async function listEabKeys(db: DbOrTx, accountId: string) {
  return db
    .select({ keyId: acmeEabKeys.keyId, createdAt: acmeEabKeys.createdAt, boundAt: acmeEabKeys.boundAt, acmeAccountId: acmeEabKeys.acmeAccountId, revokedAt: acmeEabKeys.revokedAt })
    .from(acmeEabKeys)
    .where(eq(acmeEabKeys.accountId, accountId))
    .orderBy(asc(acmeEabKeys.createdAt));
}

export async function revokeEabKey(db: DbOrTx, keyId: string, opts: { actor: string; now: Date }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(acmeEabKeys)
      .set({ revokedAt: opts.now })
      .where(and(eq(acmeEabKeys.keyId, keyId), isNull(acmeEabKeys.revokedAt)))
      .returning();
    if (!row) return false;
    await appendAudit(tx, { actor: opts.actor, event: 'acme.eab_key.revoked', data: { keyId } });
    return true;
  });
}
