/**
 * Accounts (applicants and designated providers). The API key is shown once at creation and stored only as its
 * SHA-256: a database leak does not hand out working keys. Lookup is by the hash through a unique index, so there
 * is no secret-dependent comparison in our code to time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { accounts } from '../schema';
import { appendAudit } from './audit';
import type { Account, DbOrTx } from './types';

export const API_KEY_PREFIX = 'ca_';

/**
 * Whether a caller-supplied id can name a row at all (ids are UUIDs): lookups answer "unknown" for anything else
 * instead of letting PostgreSQL's uuid parser turn a client's typo into a server error.
 */
export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

export function hashApiKey(apiKey: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(apiKey, 'utf8').digest());
}

/** 'ca_' + base64url of 32 bytes from the CSPRNG (256 bits). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Designated providers: `providerAccountId` makes the new account a subscriber managed by that provider (CP 1.3,
 * 3.4 (1)), which may then relay its applications. Refused unless it names an active account of kind 'provider'
 * (checked under a row lock, so a concurrent disable cannot slip in between), and a provider cannot itself be managed.
 */
export async function createAccount(
  db: DbOrTx,
  input: {
    name: string;
    kind?: Account['kind'];
    actor?: string;
    providerAccountId?: string;
    /** Where the CA's notices go (CP 4.3.2, 4.9, expiry reminders), and in which language. */
    email?: string | null;
    language?: Account['language'];
  },
): Promise<{ account: Account; apiKey: string }> {
  const apiKey = generateApiKey();
  const kind = input.kind ?? 'subscriber';
  const account = await db.transaction(async (tx) => {
    if (input.providerAccountId !== undefined) {
      if (kind !== 'subscriber') throw new CaError('malformed', 'only a subscriber account can be managed by a designated provider');
      const [provider] = isUuid(input.providerAccountId) ? await tx.select().from(accounts).where(eq(accounts.id, input.providerAccountId)).for('share') : [];
      if (!provider || provider.kind !== 'provider' || provider.status !== 'active') {
        throw new CaError('notFound', `${input.providerAccountId} is not an active designated provider account`, { rule: 'CP 1.3' });
      }
    }
    const [row] = await tx
      .insert(accounts)
      .values({
        name: input.name,
        kind,
        apiKeySha256: hashApiKey(apiKey),
        providerAccountId: input.providerAccountId ?? null,
        email: input.email ?? null,
        language: input.language ?? 'ja',
      })
      .returning();
    await appendAudit(tx, {
      actor: input.actor ?? 'admin',
      event: 'account.created',
      data: {
        accountId: row!.id,
        name: row!.name,
        kind: row!.kind,
        ...(row!.providerAccountId ? { providerAccountId: row!.providerAccountId } : {}),
        ...(row!.email ? { email: row!.email } : {}),
        language: row!.language,
      },
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

/** The account with this id, or null (unknown, or not a UUID). */
export async function getAccount(db: DbOrTx, id: string): Promise<Account | null> {
  if (!isUuid(id)) return null;
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
