/**
 * MPIC rounds and their per-perspective evidence (BR 3.2.2.9; BR 5.4.1 from 2026-07-15: each perspective's result
 * and the quorum are recorded). One call stores one round atomically: the corroborations row, one validation_evidence
 * row per perspective (primary included) pointing at it, and the audit entry. A failed round also marks the
 * authorization invalid so that it can never be reused (BR 4.2.1 reuse, db/repositories/reuse.ts) — unless the
 * workflow runs it again (`retrying`).
 */
import { and, eq } from 'drizzle-orm';
import { authorizations, corroborations, validationEvidence } from '../schema';
import { appendAudit } from './audit';
import { storedRawAnswers } from './challenges';
import type { DbOrTx } from './types';

export interface PerspectiveEvidenceInput {
  readonly perspective: string;
  readonly region: string;
  readonly resolver: string;
  readonly outcome: string;
  readonly detail: string;
  readonly query: string;
  readonly authorizationDomainName: string;
  readonly raw: unknown;
  readonly checkedAt: string;
}

export interface CorroborationInput {
  readonly orderId: string;
  readonly authorizationId: string;
  readonly challengeId: string;
  readonly fqdn: string;
  readonly check: 'dcv' | 'caa';
  readonly method: string;
  readonly passed: boolean;
  readonly quorum: Record<string, unknown>;
  readonly evidence: readonly PerspectiveEvidenceInput[];
  /** Idempotency: the workflow passes a key unique to the round (a retried activity stores the round once). */
  readonly roundKey: string;
  /** CAA rounds: the primary's check time + max(TTL, 8 h) (BR 3.2.2.8), ISO; what the signer's gate holds it to. */
  readonly caaValidUntil?: string | null;
  /**
   * A failed round the workflow runs again because perspectives could not answer (no result, not a negative one):
   * stored as failed like any round, but the authorization stays open for the next round.
   */
  readonly retrying?: boolean;
}

export async function recordCorroboration(db: DbOrTx, input: CorroborationInput): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const quorum = { ...input.quorum, roundKey: input.roundKey };
    const existing = await tx
      .select({ id: corroborations.id, quorum: corroborations.quorum })
      .from(corroborations)
      .where(and(eq(corroborations.orderId, input.orderId), eq(corroborations.fqdn, input.fqdn), eq(corroborations.check, input.check)));
    const same = existing.find((r) => r.quorum.roundKey === input.roundKey);
    if (same) return { id: same.id };
    const [row] = await tx
      .insert(corroborations)
      .values({
        orderId: input.orderId,
        authorizationId: input.authorizationId,
        fqdn: input.fqdn,
        check: input.check,
        method: input.method,
        result: input.passed ? 'pass' : 'fail',
        quorum,
        caaValidUntil: input.check === 'caa' && input.caaValidUntil ? new Date(input.caaValidUntil) : null,
      })
      .returning({ id: corroborations.id });
    if (input.evidence.length > 0) {
      await tx.insert(validationEvidence).values(
        input.evidence.map((e) => ({
          challengeId: input.challengeId,
          fqdn: input.fqdn,
          authorizationDomainName: e.authorizationDomainName,
          method: input.method,
          perspective: e.perspective,
          region: e.region,
          resolver: e.resolver,
          query: e.query,
          // An unreachable perspective returned nothing: its unavailability is the evidence (BR 3.2.2.9).
          rawAnswers: storedRawAnswers(e.raw, e.detail),
          result: e.outcome === 'corroborates' ? ('success' as const) : ('failure' as const),
          detail: `${e.outcome}: ${e.detail}`,
          check: input.check,
          corroborationId: row!.id,
          checkedAt: new Date(e.checkedAt),
        })),
      );
    }
    if (!input.passed && !input.retrying) {
      await tx.update(authorizations).set({ status: 'invalid' }).where(eq(authorizations.id, input.authorizationId));
    }
    await appendAudit(tx, {
      actor: 'workflow',
      event: input.passed ? 'mpic.corroborated' : 'mpic.failed',
      orderId: input.orderId,
      data: {
        corroborationId: row!.id,
        fqdn: input.fqdn,
        check: input.check,
        method: input.method,
        perspectives: input.evidence.map((e) => ({ perspective: e.perspective, region: e.region, outcome: e.outcome })),
        reason: input.quorum.reason,
        ...(input.retrying ? { retrying: true } : {}),
      },
    });
    return { id: row!.id };
  });
}
