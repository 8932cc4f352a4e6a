/**
 * Revocation and key-compromise activities (main task queue: PostgreSQL only). Idempotent: a retried call after a
 * crash leaves the same rows as one call (revocations keep their first date and reason, except the BR 7.2.2
 * upgrade to keyCompromise). Refusals are CaErrors of a non-retryable kind (notRevocable, proofInvalid).
 */
import type { Db } from '../db/client';
import { importBlockedKeys } from '../db/repositories/blocklist';
import {
  applyRevocation,
  certificatesToRevokeForKey,
  countKeyCompromiseRevoked,
  countUnexpiredCertificatesWithKey,
  getKeyCompromiseReport,
  getRevocationFacts,
  revokeAsRequested,
  updateKeyCompromiseReport,
} from '../db/repositories/revocation';
import { CaError } from '../domain/errors';
import { authorizeRevocation, revocationReasons, type Requester } from '../domain/revocation';
import { verifyStoredProof } from '../pki/key-compromise';

export interface RevocationDeps {
  readonly db: Db;
  readonly clock: () => Date;
}

export function createRevocationActivities({ db, clock }: RevocationDeps) {
  async function report(reportId: string) {
    const r = await getKeyCompromiseReport(db, reportId);
    if (!r) throw new CaError('invariantViolated', `key-compromise report ${reportId} not found`);
    return r;
  }

  return {
    /**
     * Re-checks the request against the rules (the API checked it too, but the workflow must not trust its input
     * blindly), audits it and stores the revocation. A certificate already revoked as asked counts as done.
     */
    async recordRevocation(input: {
      serial: string;
      reason: number;
      requester: Requester;
      actor: string;
      deadline: string;
      deadlineRule: string;
      workflowId: string;
    }): Promise<{ issuerId: string; changed: boolean }> {
      const facts = await getRevocationFacts(db, input.serial);
      if (!facts) throw new CaError('notRevocable', `certificate ${input.serial} not found`);
      const alreadyDone =
        facts.status === 'revoked' && (facts.revocationReason === input.reason || input.reason !== revocationReasons.keyCompromise);
      if (alreadyDone) return { issuerId: facts.issuerId, changed: false };
      const decision = authorizeRevocation(input.requester, facts, input.reason, clock());
      if (!decision.ok) {
        throw new CaError('notRevocable', `${decision.detail} (${decision.rule})`, { rule: decision.rule });
      }
      const { changed } = await revokeAsRequested(db, {
        serial: facts.serial,
        orderId: facts.certificate.orderId,
        actor: input.actor,
        reason: input.reason,
        at: clock(),
        deadline: new Date(input.deadline),
        deadlineRule: input.deadlineRule,
        workflowId: input.workflowId,
      });
      return { issuerId: facts.issuerId, changed };
    },

    /** CP 4.9.12 step 1: the proof is a valid signature by the reported key; otherwise the report is rejected. */
    async verifyKeyCompromiseProof({ reportId }: { reportId: string }): Promise<void> {
      const r = await report(reportId);
      if (r.status !== 'received' && r.status !== 'rejected') return; // verified before a retry or a crash
      const verdict = await verifyStoredProof(r);
      if (!verdict.ok) {
        await updateKeyCompromiseReport(db, reportId, { status: 'rejected', error: verdict.reason, completedAt: clock() }, { event: 'key_compromise.rejected' });
        throw new CaError('proofInvalid', verdict.reason, { rule: 'CP 4.9.12' });
      }
      await updateKeyCompromiseReport(db, reportId, { status: 'verified' }, { event: 'key_compromise.verified' });
    },

    /** Step 2: the key goes on the blocklist (new CSRs with it are refused, BR 6.1.1.3) and its certificates are counted. */
    async blockCompromisedKey({ reportId }: { reportId: string }): Promise<{ certificatesFound: number }> {
      const r = await report(reportId);
      await importBlockedKeys(db, [{ kind: 'spki-sha256', hash: r.spkiSha256 }], { source: `key-compromise-report:${reportId}`, actor: `key-compromise:${reportId}` });
      const found = await countUnexpiredCertificatesWithKey(db, r.spkiSha256, clock());
      await updateKeyCompromiseReport(db, reportId, { status: 'revoking', certificatesFound: found }, { event: 'key_compromise.key_blocked' });
      return { certificatesFound: found };
    },

    /**
     * Step 3, in batches: revokes up to `limit` unexpired certificates with the key that are not yet revoked for
     * keyCompromise (an earlier revocation with another reason is upgraded, BR 7.2.2). Returns what it revoked;
     * an empty batch means done.
     */
    async revokeNextBatchForKeyCompromise({ reportId, limit }: { reportId: string; limit: number }): Promise<{ serials: string[]; issuerIds: string[] }> {
      const r = await report(reportId);
      const batch = await certificatesToRevokeForKey(db, r.spkiSha256, clock(), limit);
      for (const c of batch) {
        await applyRevocation(db, {
          serial: c.serial,
          reason: revocationReasons.keyCompromise,
          at: clock(),
          actor: `key-compromise:${reportId}`,
          data: { reportId, rule: 'CP 4.9.12, BR 4.9.1.1 (3)' },
        });
      }
      // Counted, not incremented: a retried batch cannot count twice.
      await updateKeyCompromiseReport(db, reportId, { certificatesRevoked: await countKeyCompromiseRevoked(db, r.spkiSha256, clock()) });
      return { serials: batch.map((c) => c.serial), issuerIds: [...new Set(batch.map((c) => c.issuerId))] };
    },

    async completeKeyCompromiseReport({ reportId, overdue }: { reportId: string; overdue: boolean }): Promise<void> {
      await updateKeyCompromiseReport(db, reportId, { status: 'completed', completedAt: clock() }, { event: 'key_compromise.completed', data: { overdue } });
    },
  };
}
