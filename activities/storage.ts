/**
 * Storage activities: the order's bookkeeping in PostgreSQL. Every state change appends to the hash-chained audit
 * log in the same transaction (the repositories do it). All of them are idempotent: a retried or replayed call
 * after a crash leaves the same rows as a single call.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client';
import { expireOrderAuthorizations, recordChallengeResult } from '../db/repositories/challenges';
import { markChallengeProcessing } from '../db/repositories/validation';
import { getCertificateByOrder, markCertificateRevoked, reserveSerial } from '../db/repositories/certificates';
import { issuingKeyOf } from '../db/repositories/issuers';
import { getOrderDetail, setOrderStatus } from '../db/repositories/orders';
import { CaError, failureKindOf, storedFailure, type FailureKind, type StoredFailure } from '../domain/errors';
import { validityWindow, policyAt } from '../domain/policy';
import { checkProfile } from '../domain/profiles';
import { log } from '../observability/log';
import { ordersTotal } from '../observability/metrics';
import type { OrderStatus } from '../db/schema';

export interface StorageDeps {
  readonly db: Db;
  readonly clock: () => Date;
}

/**
 * Serial numbers (BR 7.1): positive, < 2^159, >= 64 bits from a CSPRNG. 18 random bytes with the top bit cleared
 * and the next one set: always 18 bytes long, positive, < 2^143, 142 bits of entropy.
 */
export function newSerialHex(): string {
  const bytes = randomBytes(18);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

const finalStatuses: ReadonlySet<OrderStatus> = new Set(['valid', 'invalid', 'expired']);

/** An order reached a final status: one event and one count in `ca_orders_total` (by outcome and failure kind). */
function orderEnded(status: OrderStatus, error: StoredFailure | null): void {
  if (!finalStatuses.has(status)) return;
  const kind = error ? failureKindOf(error.type) : '';
  ordersTotal.inc({ outcome: status, kind });
  log.info({ status, kind }, 'order ended');
}

export function createStorageActivities({ db, clock }: StorageDeps) {
  return {
    /** The applicant said "ready": the challenge moves to processing (step 2). */
    async startChallengeCheck({ challengeId }: { challengeId: string }): Promise<void> {
      await markChallengeProcessing(db, { challengeId, at: clock() });
    },

    /**
     * The DCV check failed for good (refused, or still failing when its retry window closed): challenge and
     * authorization become invalid, the challenge's error carrying the kind the check failed with. Histories
     * recorded before the kind was passed omit it: they failed as `validationFailed`.
     */
    async failChallenge({ challengeId, kind = 'validationFailed', detail }: { challengeId: string; kind?: FailureKind; detail: string }): Promise<void> {
      await recordChallengeResult(db, {
        challengeId,
        status: 'invalid',
        error: storedFailure(kind, detail),
        evidence: [],
        actor: 'workflow',
        now: clock(),
      });
    },

    async setOrderStatus(input: {
      orderId: string;
      status: OrderStatus;
      error?: StoredFailure;
    }): Promise<void> {
      await setOrderStatus(db, input.orderId, input.status, { error: input.error ?? null, actor: 'workflow' });
      orderEnded(input.status, input.error ?? null);
    },

    /** The 25-day timer fired before every FQDN was validated (CP 3.2.2.4). */
    async expireOrder({ orderId }: { orderId: string }): Promise<void> {
      await expireOrderAuthorizations(db, orderId);
      const error = storedFailure('orderExpired', 'the random values expired (25 days, CP 3.2.2.4) before every FQDN was validated');
      await setOrderStatus(db, orderId, 'expired', { error, actor: 'workflow' });
      orderEnded('expired', error);
    },

    /**
     * Step 5: reserve the serial and fix the validity window before any signature. Idempotent by order id: a retry
     * (or a replay after a crash) returns the row the first call stored, never a second serial.
     */
    async reserveCertificate({ orderId }: { orderId: string }): Promise<{ serial: string; issuerId: string }> {
      const existing = await getCertificateByOrder(db, orderId);
      if (existing) return { serial: existing.serial, issuerId: existing.issuerId };
      const order = await getOrderDetail(db, orderId);
      if (!order) throw new CaError('invariantViolated', `order ${orderId} not found`);
      // The door accepted the profile; it is checked again against what is offered when the serial is reserved.
      const profile = checkProfile(order.profile);
      if (!profile.ok) throw new CaError('unsupportedProfile', profile.reason, { rule: profile.rule });
      const now = clock();
      // Validity from policy(now) at signing time: never longer than what was accepted, never longer than the BR allow.
      const window = validityWindow(now, policyAt(now));
      const acceptedNotAfter = new Date(window.notBefore.getTime() + (order.validitySeconds - 1) * 1000);
      const notAfter = acceptedNotAfter < window.notAfter ? acceptedNotAfter : window.notAfter;
      // The CA of the profile issues under its key in use now (CP 5.6: after a changeover, the new key).
      const issuer = await issuingKeyOf(db, order.profile, now);
      const row = await reserveSerial(db, {
        orderId,
        issuerId: issuer.id,
        serialHex: newSerialHex(),
        notBefore: window.notBefore,
        notAfter,
      });
      return { serial: row.serial, issuerId: row.issuerId };
    },

    async completeOrder({ orderId }: { orderId: string; serial: string }): Promise<void> {
      await setOrderStatus(db, orderId, 'valid', { error: null, actor: 'workflow' });
      orderEnded('valid', null);
    },

    /**
     * Compensation after step 7: a precertificate was signed but the final certificate will not be: the presumed
     * certificate is revoked (BR 7.1.2.9 treats the precertificate as a promise of the certificate). The workflow then
     * re-signs its OCSP response and asks for a new CRL (workflows/presumed-certificate.ts `revokePresumedCertificate`).
     */
    async revokePresumedCertificate({ serial, detail }: { orderId: string; serial: string; detail: string }): Promise<void> {
      // RFC 5280 reason 0 (unspecified, no reasonCode in the CRL entry, CP 7.2.3) — the issuance failed, no key issue.
      await markCertificateRevoked(db, serial, { reason: 0, at: clock(), actor: `workflow: ${detail}` });
    },
  };
}
