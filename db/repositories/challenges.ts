/**
 * Challenge state (CP 3.2.2.4 / BR 3.2.2.4): pending -> processing (the applicant says the record is in place; the
 * workflow records it, validation.ts `markChallengeProcessing`) -> valid | invalid; pending/processing -> expired.
 * Every check's evidence is stored (BR 3.2.2.4, 5.4.1: what was asked, of whom, what came back), and each transition
 * is audited in the same transaction.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { authorizations, challenges, validationEvidence } from '../schema';
import { appendAudit } from './audit';
import type { Challenge, DbOrTx, ValidationEvidence } from './types';

export interface EvidenceInput {
  readonly fqdn: string;
  readonly authorizationDomainName: string;
  readonly method: string;
  readonly perspective: string;
  readonly resolver: string | null;
  readonly query: string;
  readonly rawAnswers: unknown;
  readonly result: 'success' | 'failure';
  readonly detail: string | null;
  /** When the check ran; defaults to the time of storing. */
  readonly checkedAt?: Date;
  /** RIR region of the perspective (BR 5.4.1 evidence, BR 3.2.2.9). */
  readonly region?: string | null;
}

/**
 * The raw answers column of an evidence row (NOT NULL: BR 5.4.1 keeps what came back). A check that got no answer at
 * all — a perspective that could not be reached, a server that never replied — stores that fact instead of SQL NULL,
 * which the column refuses on every attempt.
 */
export function storedRawAnswers(raw: unknown, why: string | null): unknown {
  return raw ?? { unavailable: why ?? 'no answer was received' };
}

/** The validation_evidence rows of one check's evidence (also for checks that did not settle, validation.ts). */
export function evidenceRows(challengeId: string, evidence: readonly EvidenceInput[], now: Date) {
  return evidence.map((e) => ({
    challengeId,
    fqdn: e.fqdn,
    authorizationDomainName: e.authorizationDomainName,
    method: e.method,
    perspective: e.perspective,
    resolver: e.resolver,
    query: e.query,
    rawAnswers: storedRawAnswers(e.rawAnswers, e.detail),
    result: e.result,
    detail: e.detail,
    region: e.region ?? null,
    checkedAt: e.checkedAt ?? now,
  }));
}

/**
 * Stores the outcome of a DCV check with its evidence, and moves the authorization with the challenge.
 * Idempotent for activity retries: a challenge already in the requested final state is returned unchanged
 * (no duplicate evidence); one in the opposite final state, or expired, is a conflict.
 */
export async function recordChallengeResult(
  db: DbOrTx,
  input: {
    challengeId: string;
    status: 'valid' | 'invalid';
    error?: { type: string; detail: string } | null;
    evidence: readonly EvidenceInput[];
    actor?: string;
    now?: Date;
  },
): Promise<{ challenge: Challenge; evidence: ValidationEvidence[] }> {
  const now = input.now ?? new Date();
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({ challenge: challenges, authz: authorizations })
      .from(challenges)
      .innerJoin(authorizations, eq(authorizations.id, challenges.authorizationId))
      .where(eq(challenges.id, input.challengeId))
      .for('update', { of: [challenges, authorizations] });
    if (!found) throw new CaError('notFound', `challenge ${input.challengeId} not found`);
    const { challenge, authz } = found;
    if (challenge.status === input.status) {
      const evidence = await tx
        .select()
        .from(validationEvidence)
        .where(eq(validationEvidence.challengeId, challenge.id));
      return { challenge, evidence };
    }
    if (challenge.status !== 'pending' && challenge.status !== 'processing') {
      throw new CaError('conflict', `the challenge is already ${challenge.status}`, { identifier: authz.fqdn });
    }
    const valid = input.status === 'valid';
    const [updated] = await tx
      .update(challenges)
      .set({ status: input.status, validatedAt: valid ? now : null, error: valid ? null : (input.error ?? null) })
      .where(eq(challenges.id, challenge.id))
      .returning();
    await tx
      .update(authorizations)
      .set({ status: input.status, validatedAt: valid ? now : null })
      .where(eq(authorizations.id, authz.id));
    const evidence = input.evidence.length
      ? await tx
          .insert(validationEvidence)
          .values(
            evidenceRows(challenge.id, input.evidence, now),
          )
          .returning()
      : [];
    await appendAudit(tx, {
      actor: input.actor ?? 'system',
      event: valid ? 'challenge.validated' : 'challenge.failed',
      orderId: authz.orderId,
      data: {
        challengeId: challenge.id,
        authorizationId: authz.id,
        fqdn: authz.fqdn,
        method: challenge.method,
        error: valid ? null : (input.error ?? null),
        evidenceIds: evidence.map((e) => e.id),
        perspectives: input.evidence.map((e) => ({ perspective: e.perspective, result: e.result })),
      },
    });
    return { challenge: updated!, evidence };
  });
}

/**
 * Expires the order's still-open authorizations and challenges (the 25-day challenge lifetime or the order's
 * expiry passed). Returns how many authorizations changed; audits only when something did.
 */
export async function expireOrderAuthorizations(
  db: DbOrTx,
  orderId: string,
  opts: { actor?: string } = {},
): Promise<number> {
  return db.transaction(async (tx) => {
    const authzs = await tx
      .update(authorizations)
      .set({ status: 'expired' })
      .where(and(eq(authorizations.orderId, orderId), eq(authorizations.status, 'pending')))
      .returning({ id: authorizations.id, fqdn: authorizations.fqdn });
    const allAuthz = await tx
      .select({ id: authorizations.id })
      .from(authorizations)
      .where(eq(authorizations.orderId, orderId));
    const chs = allAuthz.length
      ? await tx
          .update(challenges)
          .set({ status: 'expired' })
          .where(
            and(
              inArray(challenges.authorizationId, allAuthz.map((a) => a.id)),
              inArray(challenges.status, ['pending', 'processing']),
            ),
          )
          .returning({ id: challenges.id })
      : [];
    if (authzs.length === 0 && chs.length === 0) return 0;
    await appendAudit(tx, {
      actor: opts.actor ?? 'system',
      event: 'order.authorizations_expired',
      orderId,
      data: { authorizations: authzs.map((a) => ({ id: a.id, fqdn: a.fqdn })), challengeIds: chs.map((c) => c.id) },
    });
    return authzs.length;
  });
}
