/**
 * Operator accounts (CP 5.2 trusted roles: `vetting-agent`, `approver`) and the sessions of the vetting-queue page.
 * A password is shown once at creation and stored as an scrypt hash (RFC 7914); a session cookie is stored as its
 * SHA-256, with the CSRF token its forms carry. Every change is audited (BR 5.4.1).
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { operatorRoles, type OperatorRole } from '../../domain/vetting';
import { operators, operatorSessions } from '../schema';
import { isUuid } from './accounts';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type Operator = typeof operators.$inferSelect;

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
/** RFC 7914 §2 parameters: N = 2^15, r = 8, p = 1 (32 MiB, tens of ms: slow to guess, quick enough for a login). */
const SCRYPT = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

async function passwordMatches(stored: string, password: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), ...{ maxmem: SCRYPT.maxmem } });
  return timingSafeEqual(got, expected);
}

export function parseRoles(values: readonly string[]): OperatorRole[] {
  const bad = values.filter((v) => !(operatorRoles as readonly string[]).includes(v));
  if (bad.length > 0 || values.length === 0) throw new CaError('malformed', `roles are ${operatorRoles.join(', ')}; got ${values.join(', ') || 'none'}`);
  return [...new Set(values)] as OperatorRole[];
}

/** A new operator with a generated password (shown once). */
export async function createOperator(db: DbOrTx, input: { name: string; roles: readonly OperatorRole[]; actor: string }): Promise<{ operator: Operator; password: string }> {
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  const operator = await db.transaction(async (tx) => {
    const [row] = await tx.insert(operators).values({ name: input.name, roles: [...input.roles], passwordHash }).returning();
    await appendAudit(tx, { actor: input.actor, event: 'operator.created', data: { operatorId: row!.id, name: row!.name, roles: row!.roles } });
    return row!;
  });
  return { operator, password };
}

/** The active operator with this name and password, or null; the hash is computed even for unknown names. */
export async function authenticateOperator(db: DbOrTx, name: string, password: string): Promise<Operator | null> {
  const [row] = await db.select().from(operators).where(eq(operators.name, name)).limit(1);
  const ok = await passwordMatches(row?.passwordHash ?? 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', password);
  return row && ok && row.status === 'active' ? row : null;
}

export async function getOperator(db: DbOrTx, id: string): Promise<Operator | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(operators).where(eq(operators.id, id)).limit(1);
  return row ?? null;
}

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

export async function createOperatorSession(db: DbOrTx, input: { operatorId: string; now: Date; ttlSeconds: number }): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000);
  await db.transaction(async (tx) => {
    await tx.insert(operatorSessions).values({ tokenSha256: sha256(token), operatorId: input.operatorId, csrfToken, createdAt: input.now, expiresAt });
    await appendAudit(tx, { actor: `operator:${input.operatorId}`, event: 'operator.login', data: { operatorId: input.operatorId, expiresAt } });
  });
  return { token, csrfToken, expiresAt };
}

/** The operator and CSRF token of a live session cookie, or null (unknown, ended, expired, or the operator disabled). */
export async function findOperatorSession(db: DbOrTx, token: string, now: Date): Promise<{ operator: Operator; csrfToken: string } | null> {
  if (token.length > 100) return null;
  const [row] = await db
    .select({ operator: operators, csrfToken: operatorSessions.csrfToken })
    .from(operatorSessions)
    .innerJoin(operators, eq(operators.id, operatorSessions.operatorId))
    .where(and(eq(operatorSessions.tokenSha256, sha256(token)), isNull(operatorSessions.endedAt), gt(operatorSessions.expiresAt, now)))
    .limit(1);
  return row && row.operator.status === 'active' ? row : null;
}

export async function endOperatorSession(db: DbOrTx, token: string, now: Date): Promise<void> {
  await db.update(operatorSessions).set({ endedAt: now }).where(eq(operatorSessions.tokenSha256, sha256(token)));
}

/** The CSRF token a form sent equals the session's (constant time). */
export function csrfTokenMatches(expected: string, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}
