/**
 * issueCertificate — one durable workflow per order, following docs/ISSUANCE-CYCLE.md step by step.
 * It only orchestrates: every effect (DNS, PostgreSQL, the HSM) is an activity, idempotent by order id and serial,
 * so a worker that dies at any point resumes here without issuing twice.
 *
 * Implemented: 1 (accepted by the API before start), 2 (method 3.2.2.4.7), 5, 7, 10, 11.
 * Seams left for other issues, marked "Step N": 3 corroboration (MPIC) and CAA, 6 linting, 8 CT, 9 CAA re-check.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  log,
} from '@temporalio/workflow';
import type { createSigningActivities } from '../activities/signing';
import type { createStorageActivities } from '../activities/storage';
import type { createDnsValidationActivities } from '../activities/validation/dns-change';
import {
  challengeReadySignal,
  progressQuery,
  searchAttributes,
  type IssuanceProgress,
  type IssuanceStep,
  type IssueCertificateInput,
  type IssueCertificateResult,
} from './contracts';

type StorageActivities = ReturnType<typeof createStorageActivities>;
type DnsValidationActivities = ReturnType<typeof createDnsValidationActivities>;
type SigningActivities = ReturnType<typeof createSigningActivities>;

/** Database bookkeeping: short, retried until it works (a DB outage delays, never loses, the order). */
const storage = proxyActivities<StorageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type AuthorizationState = IssuanceProgress['authorizations'][string];

export async function issueCertificate(input: IssueCertificateInput): Promise<IssueCertificateResult> {
  /** DCV lookups: retried with exponential backoff for the configured window after "ready" (step 2). */
  const validation = proxyActivities<DnsValidationActivities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: `${input.dcvCheckWindowSeconds} seconds`,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['PolicyViolation'],
    },
  });
  /** HSM signatures run on the signing task queue, where the only worker holding the PKCS#11 session lives. */
  const signing = proxyActivities<SigningActivities>({
    taskQueue: input.signingTaskQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['PolicyViolation', 'CorrespondenceMismatch'] },
  });

  let step: IssuanceStep = 'awaiting-validation';
  let serial: string | null = null;
  let error: string | null = null;
  const authz: Record<string, AuthorizationState> = Object.fromEntries(
    input.authorizations.map((a) => [a.fqdn, 'pending' as AuthorizationState]),
  );
  const readyChallenges = new Set<string>();
  const knownChallenges = new Set(input.authorizations.map((a) => a.challengeId));

  setHandler(progressQuery, () => ({ orderId: input.orderId, step, serial, authorizations: { ...authz }, error }));
  setHandler(challengeReadySignal, ({ challengeId }) => {
    // Unknown ids are ignored: the API checks ownership, this guards against stray signals.
    if (knownChallenges.has(challengeId)) readyChallenges.add(challengeId);
  });

  const setStep = (next: IssuanceStep, status?: string): void => {
    step = next;
    if (status) upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
  };
  upsertSearchAttributes([
    { key: searchAttributes.orderId, value: input.orderId },
    { key: searchAttributes.fqdns, value: [...input.fqdns] },
    { key: searchAttributes.status, value: 'pending' },
  ]);

  // Step 2: authorize each FQDN. Each waits for its "ready" signal or the random value's expiry (CP 3.2.2.4: 25 days),
  // then checks the TXT record with retries and backoff. The authorizations proceed in parallel.
  const outcomes = await Promise.all(
    input.authorizations.map(async (a): Promise<AuthorizationState> => {
      const msLeft = Date.parse(a.expiresAt) - Date.now();
      const ready = msLeft > 0 && (await condition(() => readyChallenges.has(a.challengeId), msLeft));
      if (!ready) {
        authz[a.fqdn] = 'expired';
        return 'expired';
      }
      authz[a.fqdn] = 'processing';
      if (step === 'awaiting-validation') setStep('validating', 'validating');
      await storage.startChallengeCheck({ challengeId: a.challengeId });
      try {
        await validation.checkDnsChange({ challengeId: a.challengeId });
        authz[a.fqdn] = 'valid';
        return 'valid';
      } catch (err) {
        const detail = failureMessage(err);
        await storage.failChallenge({ challengeId: a.challengeId, detail });
        authz[a.fqdn] = 'invalid';
        return 'invalid';
      }
    }),
  );

  if (outcomes.includes('expired') && !outcomes.includes('invalid')) {
    setStep('failed', 'expired');
    error = 'the random value expired before every FQDN was validated (CP 3.2.2.4: 25 days)';
    await storage.expireOrder({ orderId: input.orderId });
    return { orderId: input.orderId, status: 'expired', serial: null };
  }
  if (outcomes.some((o) => o !== 'valid')) {
    setStep('failed', 'invalid');
    error = 'domain validation failed for: ' + input.authorizations.filter((a) => authz[a.fqdn] !== 'valid').map((a) => a.fqdn).join(', ');
    await storage.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: { type: 'validationFailed', title: 'Domain validation failed', detail: error } });
    return { orderId: input.orderId, status: 'invalid', serial: null };
  }

  // Step 3 (issue #3): corroborate DCV and CAA from remote perspectives (BR 3.2.2.9, 3.2.2.8) — seam.
  // Step 4 (OV only): vetting by an operator — not offered yet.

  // Step 5: reserve the serial and the certificate row BEFORE anything is signed.
  setStep('reserving-serial', 'processing');
  await storage.setOrderStatus({ orderId: input.orderId, status: 'processing' });
  const reservation = await storage.reserveCertificate({ orderId: input.orderId });
  serial = reservation.serial;
  upsertSearchAttributes([{ key: searchAttributes.serial, value: serial }]);

  // Step 6 (issue #4): lint the TBS signed by a throwaway key — seam.

  // Step 7: the precertificate, signed by the issuing CA in the HSM. From here on the serial is a binding commitment.
  setStep('signing-precertificate');
  try {
    await signing.signPrecertificate({ orderId: input.orderId, serial });
  } catch (err) {
    // Nothing was signed if the activity never succeeded; the reservation stays as evidence.
    return await failOrder(err, false);
  }

  try {
    // Step 8 (issue #4): submit the precertificate to CT logs and collect SCTs — seam (no SCT list yet).
    // Step 9 (issue #3): re-check CAA when the check is older than max(TTL, 8 h) — seam.
    // Step 10: the final certificate: the precertificate's TBS without the poison (plus the SCT list).
    setStep('signing-certificate');
    await signing.signFinalCertificate({ orderId: input.orderId, serial });
  } catch (err) {
    return await failOrder(err, true);
  }

  // Step 11: complete (the e-mail notice of CP 4.3.2 is a seam: no SMTP yet).
  setStep('notifying');
  await storage.completeOrder({ orderId: input.orderId, serial });
  setStep('done', 'valid');
  log.info('certificate issued', { orderId: input.orderId, serial });
  return { orderId: input.orderId, status: 'valid', serial };

  async function failOrder(err: unknown, presumedIssued: boolean): Promise<IssueCertificateResult> {
    error = failureMessage(err);
    setStep('failed', 'invalid');
    if (presumedIssued && serial) {
      // A precertificate exists: the presumed certificate must be revoked (BR 7.1.2.9 / issuance cycle step 11).
      await storage.revokePresumedCertificate({ orderId: input.orderId, serial, detail: error });
    }
    await storage.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: { type: 'internal', title: 'Issuance failed', detail: error } });
    return { orderId: input.orderId, status: 'invalid', serial };
  }
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return e.message;
  return e instanceof Error ? e.message : String(e);
}
