/**
 * Reuse of domain validations (BR 4.2.1, 3.2.2.4): an authorization of a new order is satisfied by an
 * earlier VALID authorization of the same account for the same name (and wildcard-ness) while policy(now) allows it.
 * Only validations that were corroborated by the perspectives (a passing DCV round, BR 3.2.2.9) — or made by a method
 * that is not corroborated (3.2.2.4.4 e-mail, 3.2.2.4.12 registrant) — qualify; a failed round made the earlier
 * authorization invalid anyway.
 */
import { and, desc, eq, gt, ne, notInArray, sql } from 'drizzle-orm';
import { mpicCorroboratedMethods } from '../../domain/dcv';
import { authorizations, challenges, corroborations } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export interface EarlierValidation {
  readonly authorizationId: string;
  readonly challengeId: string;
  readonly method: string;
  readonly validatedAt: Date;
}

/** Candidates, newest first, validated after `since` (the caller applies the policy with domain/dcv.ts). */
export async function findEarlierValidations(
  db: DbOrTx,
  input: { authorizationId: string; since: Date },
): Promise<{ self: { orderId: string; accountId: string; fqdn: string; wildcard: boolean } | null; candidates: EarlierValidation[] }> {
  const [self] = await db
    .select({ orderId: authorizations.orderId, accountId: authorizations.accountId, fqdn: authorizations.fqdn, wildcard: authorizations.wildcard })
    .from(authorizations)
    .where(eq(authorizations.id, input.authorizationId));
  if (!self) return { self: null, candidates: [] };
  const rows = await db
    .select({ authorizationId: authorizations.id, challengeId: challenges.id, method: challenges.method, validatedAt: authorizations.validatedAt })
    .from(authorizations)
    .innerJoin(challenges, and(eq(challenges.authorizationId, authorizations.id), eq(challenges.status, 'valid')))
    .where(
      and(
        eq(authorizations.accountId, self.accountId),
        eq(authorizations.fqdn, self.fqdn),
        eq(authorizations.wildcard, self.wildcard),
        eq(authorizations.status, 'valid'),
        ne(authorizations.id, input.authorizationId),
        gt(authorizations.validatedAt, input.since),
        sql`(${notInArray(challenges.method, [...mpicCorroboratedMethods])} or exists (select 1 from ${corroborations} c
              where c.authorization_id = ${authorizations.id} and c."check" = 'dcv' and c.result = 'pass'))`,
      ),
    )
    .orderBy(desc(authorizations.validatedAt))
    .limit(5);
  return { self, candidates: rows.map((r) => ({ ...r, validatedAt: r.validatedAt! })) };
}

/**
 * Marks the new authorization valid by reuse (validatedAt = the original's: the reuse period counts from there) and
 * links it to the original, whose method and DCV corroboration the signer's issuance gate checks again.
 */
export async function markAuthorizationReused(
  db: DbOrTx,
  input: { authorizationId: string; orderId: string; from: EarlierValidation; fqdn: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(authorizations)
      .set({ status: 'valid', validatedAt: input.from.validatedAt, reusedFromAuthorizationId: input.from.authorizationId })
      .where(and(eq(authorizations.id, input.authorizationId), eq(authorizations.status, 'pending')))
      .returning({ id: authorizations.id });
    if (!row) return;
    await appendAudit(tx, {
      actor: 'workflow',
      event: 'authorization.reused',
      orderId: input.orderId,
      data: {
        authorizationId: input.authorizationId,
        fqdn: input.fqdn,
        reusedAuthorizationId: input.from.authorizationId,
        reusedChallengeId: input.from.challengeId,
        method: input.from.method,
        validatedAt: input.from.validatedAt,
      },
    });
  });
}
