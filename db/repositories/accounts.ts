/**
 * Accounts (applicants and designated providers). The API key is shown once at creation and stored only as its
 * SHA-256: a database leak does not hand out working keys. Lookup is by the hash through a unique index, so there
 * is no secret-dependent comparison in our code to time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { accounts, acmeAccounts } from '../schema';
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

/**
 * Enables or disables a CA account. Disabling also revokes every ACME account bound to it (RFC 8555 §7.1.6: `revoked`
 * is the server's deactivation, for good — re-enabling the CA account does not bring them back), so neither door
 * takes a new order from it; in-flight orders are stopped by the signer's gate (domain/issuance-gate.ts).
 */
export async function setAccountStatus(
  db: DbOrTx,
  id: string,
  status: Account['status'],
  opts: { actor: string },
): Promise<Account | null> {
  if (!isUuid(id)) return null;
  return db.transaction(async (tx) => {
    const [row] = await tx.update(accounts).set({ status }).where(eq(accounts.id, id)).returning();
    if (!row) return null;
    const revoked =
      status === 'disabled'
        ? await tx
            .update(acmeAccounts)
            .set({ status: 'revoked', updatedAt: new Date() })
            .where(and(eq(acmeAccounts.accountId, id), ne(acmeAccounts.status, 'revoked')))
            .returning({ id: acmeAccounts.id })
        : [];
    await appendAudit(tx, { actor: opts.actor, event: 'account.status', data: { accountId: id, status, acmeAccountsRevoked: revoked.map((r) => r.id) } });
    return row;
  });
}

/**
 * The order intake's last word (both doors, db/repositories/orders.ts createOrder): the applicant account, and the
 * designated provider relaying for it, must be active when the order is stored. Rows are share-locked until the
 * order commits, so a concurrent disable waits for it (and then the signer's gate stops the order).
 */
export async function requireActiveApplicant(tx: DbOrTx, input: { accountId: string; providerAccountId?: string | null }): Promise<void> {
  const ids = [input.accountId, ...(input.providerAccountId ? [input.providerAccountId] : [])];
  const rows = await tx.select({ id: accounts.id, status: accounts.status }).from(accounts).where(inArray(accounts.id, ids)).for('share');
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (row?.status !== 'active') {
      const who = id === input.accountId ? 'the applicant account' : 'the relaying provider account';
      throw new CaError('unauthorized', `${who} ${id} is ${row?.status ?? 'unknown'}: no new orders`, { rule: id === input.accountId ? 'CP 4.1' : 'CP 1.3, 3.4 (1)' });
    }
  }
}
