/**
 * After issuance (step 11), CP 4.6–4.8: the certificate this order renews, re-keys or modifies is superseded by the new
 * one; if the subscriber asked for it, its revocation with reason superseded is prepared under the same rules as any
 * subscriber request (domain/revocation.ts). Main task queue, PostgreSQL only; idempotent.
 */
import type { Db } from '../db/client';
import { getCertificateBySerial } from '../db/repositories/certificates';
import { supersedePredecessor } from '../db/repositories/lifecycle';
import { getRevocationFacts } from '../db/repositories/revocation';
import { CaError } from '../domain/errors';
import { authorizeRevocation, revocationReasons, type Requester, type RevokeCertificateInput } from '../domain/revocation';

/** What the workflow needs to start the predecessor's revocation workflow: its input, less the signing queue. */
export type PredecessorRevocation = Omit<RevokeCertificateInput, 'signingTaskQueue'>;

export interface SuccessionResult {
  /** The new certificate's notAfter (ISO-8601): the expiry reminders count back from it. */
  readonly notAfter: string;
  readonly predecessorSerial: string | null;
  /** Set when the subscriber asked for the predecessor's revocation and the rules allow it now. */
  readonly revocation: PredecessorRevocation | null;
}

export function createRenewalActivities({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    async recordSuccession({ orderId, serial }: { orderId: string; serial: string }): Promise<SuccessionResult> {
      const cert = await getCertificateBySerial(db, serial);
      if (!cert || cert.orderId !== orderId) throw new CaError('invariantViolated', `certificate ${serial} is not order ${orderId}'s`);
      const now = clock();
      const succession = await supersedePredecessor(db, { orderId, successorSerial: serial, at: now });
      const base = { notAfter: cert.notAfter.toISOString(), predecessorSerial: succession?.predecessorSerial ?? null, revocation: null };
      if (!succession?.revokePredecessor) return base;
      const facts = await getRevocationFacts(db, succession.predecessorSerial);
      if (!facts) return base;
      // The subscriber asked at renewal time (CP 4.9.1: its use ends); the same rules as its own request now.
      const requester: Requester = { kind: 'subscriber', accountId: facts.accountId };
      const decision = authorizeRevocation(requester, facts, revocationReasons.superseded, now);
      if (!decision.ok) return base; // e.g. already revoked or expired: nothing to do
      return {
        ...base,
        revocation: {
          serial: facts.serial,
          issuerId: facts.issuerId,
          reason: decision.reason,
          requester,
          actor: `account:${facts.accountId}`,
          requestedAt: now.toISOString(),
          deadline: decision.deadline.toISOString(),
          deadlineRule: decision.deadlineRule,
        },
      };
    },
  };
}
