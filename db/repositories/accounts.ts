/**
 * Accounts (applicants and designated providers). The API key is shown once at creation and stored only as its
 * SHA-256: a database leak does not hand out working keys. Lookup is by the hash through a unique index, so there
 * is no secret-dependent comparison in our code to time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { accounts } from '../schema';
import { appendAudit } from './audit';
import type { Account, DbOrTx } from './types';

export const API_KEY_PREFIX = 'ca_';

export function hashApiKey(apiKey: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(apiKey, 'utf8').digest());
}

/** 'ca_' + base64url of 32 bytes from the CSPRNG (256 bits). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export async function createAccount(
  db: DbOrTx,
  input: { name: string; kind?: Account['kind']; actor?: string },
): Promise<{ account: Account; apiKey: string }> {
  const apiKey = generateApiKey();
  const account = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(accounts)
      .values({ name: input.name, kind: input.kind ?? 'subscriber', apiKeySha256: hashApiKey(apiKey) })
      .returning();
    await appendAudit(tx, {
      actor: input.actor ?? 'admin',
      event: 'account.created',
      data: { accountId: row!.id, name: row!.name, kind: row!.kind },
    });
    return row!;
  });
  return { account, apiKey };
}

/** The active account holding this key, or null (unknown key, malformed key, disabled account). */
export async function findAccountByApiKey(db: DbOrTx, apiKey: string): Promise<Account | null> {
  if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 200) return null;
  const [row] = await db.select().from(accounts).where(eq(accounts.apiKeySha256, hashApiKey(apiKey))).limit(1);
  return row && row.status === 'active' ? row : null;
}

export async function getAccount(db: DbOrTx, id: string): Promise<Account | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id)).limit(1);
  return row ?? null;
}

export async function setAccountStatus(
  db: DbOrTx,
  id: string,
  status: Account['status'],
  opts: { actor: string },
): Promise<Account | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(accounts).set({ status }).where(eq(accounts.id, id)).returning();
    if (!row) return null;
    await appendAudit(tx, { actor: opts.actor, event: 'account.status', data: { accountId: id, status } });
    return row;
  });
}
