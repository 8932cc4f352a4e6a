/**
 * What the DCV activities need beyond the challenge state machine of challenges.ts: the challenge with its FQDN,
 * the workflow-side move to "processing" (idempotent: a replayed or retried activity changes nothing), and evidence
 * of attempts that did not settle the challenge (each retry is a check, BR 5.4.1 records them all).
 */
import { and, eq } from 'drizzle-orm';
import { authorizations, challenges, validationEvidence } from '../schema';
import { appendAudit } from './audit';
import { evidenceRows, type EvidenceInput } from './challenges';
import type { DbOrTx } from './types';

export interface ChallengeForCheck {
  readonly id: string;
  readonly orderId: string;
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly method: string;
  readonly recordName: string;
  readonly token: string;
  /** ACME key authorization fixed when the client answered (RFC 8555 §8.1); null outside ACME. */
  readonly keyAuthorization: string | null;
  readonly status: string;
  readonly expiresAt: Date;
}

export async function getChallengeForCheck(db: DbOrTx, challengeId: string): Promise<ChallengeForCheck | null> {
  const [row] = await db
    .select({ challenge: challenges, authz: authorizations })
    .from(challenges)
    .innerJoin(authorizations, eq(authorizations.id, challenges.authorizationId))
    .where(eq(challenges.id, challengeId))
    .limit(1);
  if (!row) return null;
  return {
    id: row.challenge.id,
    orderId: row.authz.orderId,
    fqdn: row.authz.fqdn,
    wildcard: row.authz.wildcard,
    method: row.challenge.method,
    recordName: row.challenge.recordName ?? '',
    token: row.challenge.token,
    keyAuthorization: row.challenge.keyAuthorization,
    status: row.challenge.status,
    expiresAt: row.challenge.expiresAt,
  };
}

/** pending → processing when the workflow received "ready"; a no-op in any other state. Audited once. */
export async function markChallengeProcessing(db: DbOrTx, input: { challengeId: string; at: Date }): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(challenges)
      .set({ status: 'processing', readyAt: input.at })
      .where(and(eq(challenges.id, input.challengeId), eq(challenges.status, 'pending')))
      .returning();
    if (!row) return;
    const [authz] = await tx.select().from(authorizations).where(eq(authorizations.id, row.authorizationId));
    await appendAudit(tx, {
      actor: 'workflow',
      event: 'challenge.ready',
      orderId: authz!.orderId,
      data: { challengeId: row.id, authorizationId: row.authorizationId, fqdn: authz!.fqdn },
    });
  });
}

/** Evidence of a check that did not settle the challenge (e.g. the record is not there yet; it will be retried). */
export async function recordEvidence(db: DbOrTx, challengeId: string, evidence: readonly EvidenceInput[]): Promise<void> {
  if (evidence.length === 0) return;
  await db.insert(validationEvidence).values(evidenceRows(challengeId, evidence, new Date()));
}

/** The ADN at which a validated challenge's value was found (its successful evidence row), for idempotent retries. */
export async function validatedAdn(db: DbOrTx, challengeId: string): Promise<string | null> {
  const [row] = await db
    .select({ adn: validationEvidence.authorizationDomainName })
    .from(validationEvidence)
    .where(and(eq(validationEvidence.challengeId, challengeId), eq(validationEvidence.result, 'success'), eq(validationEvidence.check, 'dcv')))
    .limit(1);
  return row?.adn ?? null;
}
