/**
 * issueCertificate — one durable workflow per order, following docs/ISSUANCE-CYCLE.md step by step.
 * It only orchestrates: every effect (DNS, PostgreSQL, the HSM) is an activity, idempotent by order id and serial,
 * so a worker that dies at any point resumes here without issuing twice.
 *
 * Implemented: 1 (accepted by the API before start), 2 (method 3.2.2.4.7), 5, 6 (lint), 7, 8 (CT), 10, 11.
 * Seams left for other issues, marked "Step N": 3 corroboration (MPIC) and CAA, 9 CAA re-check.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  log,
  patched,
} from '@temporalio/workflow';
import type { createLintActivities } from '../activities/lint';
import type { createOcspActivities } from '../activities/ocsp';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createSigningActivities } from '../activities/signing';
import type { createStorageActivities } from '../activities/storage';
import type { createDnsValidationActivities } from '../activities/validation/dns-change';
import type { createWebValidationActivities } from '../activities/validation/web-check';
import type { createEmailValidationActivities } from '../activities/validation/email';
import type { createRdapActivities } from '../activities/validation/rdap';
import type { createReuseActivities } from '../activities/reuse';
import {
  challengeReadySignal,
  emailConfirmedSignal,
  finalizeSignal,
  failureTypes,
  progressQuery,
  searchAttributes,
  type IssuanceProgress,
  type IssuanceStep,
  type IssueCertificateInput,
  type IssueCertificateResult,
} from './contracts';
import { collectScts, planCt } from './ct-submission';
import { corroborate, corroborationFailure, type AuthorizationToCorroborate } from './corroborate';

type StorageActivities = ReturnType<typeof createStorageActivities>;
type DnsValidationActivities = ReturnType<typeof createDnsValidationActivities>;
type WebValidationActivities = ReturnType<typeof createWebValidationActivities>;
type SigningActivities = ReturnType<typeof createSigningActivities>;
type OcspActivities = ReturnType<typeof createOcspActivities>;
type CrlPublicationActivities = ReturnType<typeof createCrlPublicationActivities>;
type LintActivities = ReturnType<typeof createLintActivities>;

/** Database bookkeeping: short, retried until it works (a DB outage delays, never loses, the order). */
const storage = proxyActivities<StorageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Pre-issuance linting (steps 6 and 10): runs zlint/pkilint as external programs. A lint refusal is final; a crashed
 * linter is retried a few times, then the order fails (before step 7 nothing was signed: no compensation needed).
 */
const lint = proxyActivities<LintActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: [failureTypes.lintFailed, failureTypes.policyViolation, failureTypes.ctPolicyNotMet, failureTypes.ctSctInvalid],
  },
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
  /** Web file / http-01 fetches (issue #3): the same retry window and backoff as the DNS change. */
  const webValidation = proxyActivities<WebValidationActivities & ReturnType<typeof createRdapActivities>>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: `${input.dcvCheckWindowSeconds} seconds`,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['PolicyViolation'] },
  });
  /** Reuse of earlier validations (issue #3): a database lookup, retried like the storage activities. */
  const reuseActivities = proxyActivities<ReturnType<typeof createReuseActivities>>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  /** Constructed e-mail (issue #3): sending is retried for a while (the relay may be down), never endlessly. */
  const emailValidation = proxyActivities<ReturnType<typeof createEmailValidationActivities>>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['PolicyViolation'] },
  });
  /** HSM signatures run on the signing task queue, where the only worker holding the PKCS#11 session lives. */
  const signing = proxyActivities<SigningActivities>({
    taskQueue: input.signingTaskQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['PolicyViolation', 'CorrespondenceMismatch'] },
  });

  /** Step 2: the check of the challenge the applicant answered, by its method (BR 3.2.2.4.7 DNS change; .19 http-01). */
  const checkChallenge = async (pick: { challengeId: string; method: string }) => {
    if (pick.method === '3.2.2.4.7') return validation.checkDnsChange({ challengeId: pick.challengeId });
    // Issue #3: the web-based methods through the one careful HTTP fetcher (activities/validation/http-fetch.ts).
    if (pick.method === '3.2.2.4.18' || pick.method === '3.2.2.4.19') return webValidation.checkWebValidation({ challengeId: pick.challengeId });
    if (pick.method === '3.2.2.4.12') return webValidation.checkRegistrant({ challengeId: pick.challengeId });
    if (pick.method === '3.2.2.4.4') {
      // Issue #3: constructed e-mail — send, then wait for the recipient's confirmation until the value expires.
      await emailValidation.sendConstructedEmails({ challengeId: pick.challengeId });
      const expiresAt = Date.parse(input.authorizations.find((a) => a.challengeId === pick.challengeId || a.alternatives?.some((x) => x.challengeId === pick.challengeId))!.expiresAt);
      const confirmed = await condition(() => confirmedEmails.has(pick.challengeId), Math.max(1, expiresAt - Date.now()));
      if (!confirmed) throw ApplicationFailure.nonRetryable('the e-mail was not confirmed before the random value expired (CP 3.2.2.4.4)', failureTypes.policyViolation);
      return emailValidation.completeEmailValidation({ challengeId: pick.challengeId });
    }
    throw ApplicationFailure.nonRetryable(`no check is wired for DCV method ${pick.method}`, failureTypes.policyViolation);
  };

  let step: IssuanceStep = 'awaiting-validation';
  let serial: string | null = null;
  /** Issue #5: whose CRL the compensation of step 11 republishes. */
  let reservationIssuerId: string | null = null;
  let error: string | null = null;
  const authz: Record<string, AuthorizationState> = Object.fromEntries(
    input.authorizations.map((a) => [a.fqdn, 'pending' as AuthorizationState]),
  );
  const readyChallenges = new Set<string>();
  const knownChallenges = new Set(input.authorizations.flatMap((a) => [a.challengeId, ...(a.alternatives ?? []).map((x) => x.challengeId)]));
  /** Issue #6: the challenge each authorization was validated with (ACME offers alternatives, RFC 8555 §7.1.4). */
  const chosen = new Map<string, { challengeId: string; method: string }>();
  let finalizeRequested = false;
  /** Issue #6: ACME orders corroborate each authorization inside step 2 (see there). */
  const acmeCorroborations: Array<Awaited<ReturnType<typeof corroborate>>> = [];
  let acmeCorroborationFailed = false;

  setHandler(progressQuery, () => ({ orderId: input.orderId, step, serial, authorizations: { ...authz }, error }));
  setHandler(finalizeSignal, () => {
    finalizeRequested = true;
  });
  setHandler(challengeReadySignal, ({ challengeId }) => {
    // Unknown ids are ignored: the API checks ownership, this guards against stray signals.
    if (knownChallenges.has(challengeId)) readyChallenges.add(challengeId);
  });
  // Issue #3 (CP 3.2.2.4.4): the recipient of a constructed e-mail confirmed it through the API link.
  const confirmedEmails = new Set<string>();
  setHandler(emailConfirmedSignal, ({ challengeId }) => {
    if (knownChallenges.has(challengeId)) confirmedEmails.add(challengeId);
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
  const dcvSpecs = new Map<string, AuthorizationToCorroborate['dcv']>();
  const outcomes = await Promise.all(
    input.authorizations.map(async (a): Promise<AuthorizationState> => {
      // Issue #3 (BR 4.2.1): an earlier validation of the same applicant and FQDN that policy(now) lets us reuse
      // satisfies the authorization at once; step 3 then corroborates CAA only (the DCV was corroborated back then).
      // Not for ACME orders yet: there a reused authorization must be presented valid at newOrder and the order
      // `ready` at once (RFC 8555 §7.1.6), with CAA checked after finalize — TODO(#6) with the ACME door.
      if (!input.viaAcme && patched('issue3-reuse')) {
        const reuse = await reuseActivities.reuseValidation({ authorizationId: a.authorizationId });
        if (reuse.reused) {
          chosen.set(a.authorizationId, { challengeId: a.challengeId, method: reuse.method });
          authz[a.fqdn] = 'valid';
          return 'valid';
        }
      }
      const msLeft = Date.parse(a.expiresAt) - Date.now();
      const options = [{ challengeId: a.challengeId, method: '3.2.2.4.7' }, ...(a.alternatives ?? [])];
      const ready = msLeft > 0 && (await condition(() => acmeCorroborationFailed || options.some((o) => readyChallenges.has(o.challengeId)), msLeft));
      if (acmeCorroborationFailed && !options.some((o) => readyChallenges.has(o.challengeId))) {
        authz[a.fqdn] = 'invalid';
        return 'invalid';
      }
      if (!ready) {
        authz[a.fqdn] = 'expired';
        return 'expired';
      }
      const pick = options.find((o) => readyChallenges.has(o.challengeId))!;
      chosen.set(a.authorizationId, pick);
      authz[a.fqdn] = 'processing';
      if (step === 'awaiting-validation') setStep('validating', 'validating');
      await storage.startChallengeCheck({ challengeId: pick.challengeId });
      try {
        const checked = await checkChallenge(pick);
        dcvSpecs.set(pick.challengeId, checked.spec);
        if (input.viaAcme && patched('issue3-mpic-caa')) {
          // Issue #6: an ACME client removes its record (or stops its http-01 server) as soon as it sees the
          // authorization valid, and solves the next one only then: so each ACME authorization is corroborated
          // (step 3, BR 3.2.2.9) right after its own check, while the evidence is still published; the API
          // presents it valid only once corroborated (api/acme/app.ts). A failure ends the whole order at once.
          const c = await corroborate(input, [
            { authorizationId: a.authorizationId, challengeId: pick.challengeId, fqdn: a.fqdn, method: pick.method as AuthorizationToCorroborate['method'], dcv: checked.spec },
          ]);
          acmeCorroborations.push(c);
          if (!c.passed) acmeCorroborationFailed = true;
        }
        authz[a.fqdn] = 'valid';
        return 'valid';
      } catch (err) {
        const detail = failureMessage(err);
        await storage.failChallenge({ challengeId: pick.challengeId, detail });
        authz[a.fqdn] = 'invalid';
        return 'invalid';
      }
    }),
  );

  const acmeFailure = acmeCorroborations.find((c) => !c.passed);
  if (acmeFailure?.error) {
    error = acmeFailure.error.detail;
    setStep('failed', 'invalid');
    await storage.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: acmeFailure.error });
    return { orderId: input.orderId, status: 'invalid', serial: null };
  }
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

  // Step 3 (issue #3): corroborate the DCV result and the CAA permission from the primary and every remote
  // perspective (BR 3.2.2.9, 3.2.2.8), quorum of policy(now); every perspective's evidence is stored.
  const toCorroborate: AuthorizationToCorroborate[] = input.authorizations.map((a) => ({
    authorizationId: a.authorizationId,
    challengeId: chosen.get(a.authorizationId)?.challengeId ?? a.challengeId,
    fqdn: a.fqdn,
    method: (chosen.get(a.authorizationId)?.method ?? '3.2.2.4.7') as AuthorizationToCorroborate['method'],
    dcv: dcvSpecs.get(chosen.get(a.authorizationId)?.challengeId ?? a.challengeId) ?? null,
  }));
  let caaValidUntil: string | null = null;
  if (patched('issue3-mpic-caa')) {
    setStep('corroborating');
    // ACME orders were corroborated per authorization in step 2 (issue #6): here their rounds are only merged.
    const acmeUntil = acmeCorroborations.map((c) => c.caaValidUntil).filter((u): u is string => u !== null).sort()[0] ?? null;
    const corroboration = input.viaAcme ? { passed: true, error: null, caaValidUntil: acmeUntil } : await corroborate(input, toCorroborate);
    if (!corroboration.passed) {
      error = corroboration.error!.detail;
      setStep('failed', 'invalid');
      await storage.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: corroboration.error! });
      return { orderId: input.orderId, status: 'invalid', serial: null };
    }
    caaValidUntil = corroboration.caaValidUntil;
  }
  // Step 4 (OV only): vetting by an operator — not offered yet.

  // Step 4a (issue #6, ACME): the authorizations are valid, so the order is `ready` (RFC 8555 §7.1.6); ACME sends the
  // CSR only now (finalize, §7.4). The API checks it like step 1 and writes it to the order, then signals; until
  // then the order waits, at most until its random values expire (CP 3.2.2.4: 25 days).
  if (input.viaAcme) {
    await storage.setOrderStatus({ orderId: input.orderId, status: 'ready' });
    const msLeft = Math.min(...input.authorizations.map((a) => Date.parse(a.expiresAt))) - Date.now();
    if (!(msLeft > 0 && (await condition(() => finalizeRequested, msLeft)))) {
      setStep('failed', 'expired');
      error = 'the order was not finalized before its authorizations expired (RFC 8555 §7.4, CP 3.2.2.4)';
      await storage.expireOrder({ orderId: input.orderId });
      return { orderId: input.orderId, status: 'expired', serial: null };
    }
  }

  // Step 5: reserve the serial and the certificate row BEFORE anything is signed.
  setStep('reserving-serial', 'processing');
  await storage.setOrderStatus({ orderId: input.orderId, status: 'processing' });
  const reservation = await storage.reserveCertificate({ orderId: input.orderId });
  serial = reservation.serial;
  reservationIssuerId = reservation.issuerId;
  upsertSearchAttributes([{ key: searchAttributes.serial, value: serial }]);

  // Step 7: the precertificate, signed by the issuing CA in the HSM. From here on the serial is a binding commitment.
  let ctPlan: Awaited<ReturnType<typeof planCt>>;
  try {
    // Step 6: lint the precertificate TBS, signed by a throwaway key, with zlint and pkilint; refuse on any error
    // (POLICY-2026.md "Pre-issuance linting"). The signing worker checks that a passing report exists for the exact TBS.
    setStep('linting');
    await lint.lintToBeSigned({ orderId: input.orderId, serial, kind: 'precertificate' });
    // Step 8 is planned before anything is signed: a log list that cannot meet the CT policy fails the order here.
    ctPlan = await planCt(serial);
    setStep('signing-precertificate');
    await signing.signPrecertificate({ orderId: input.orderId, serial });
  } catch (err) {
    // Nothing was signed if the activity never succeeded; the reservation stays as evidence.
    return await failOrder(err, false);
  }
  // Step 7 (issue #5): pre-sign the serial's OCSP response (good) at once: a precertificate's serial is answered
  // authoritatively within 15 minutes (BR 4.9.10), even if the final certificate never issues.
  await presignOcsp(serial);

  try {
    // Step 8: add-pre-chain to the configured logs in parallel, verify each SCT, stop when the CT policy is met;
    // past the deadline the order fails and the presumed certificate is revoked (failOrder below).
    setStep('submitting-to-ct');
    const sctLogIds = await collectScts(input.orderId, serial, ctPlan);
    // Step 9 (issue #3): CAA again (primary and remote perspectives) when the check is older than max(TTL, 8 h)
    // (BR 3.2.2.8) — e.g. CT took long, or the worker was down. A refusal now revokes the presumed certificate.
    if (caaValidUntil !== null && Date.now() > Date.parse(caaValidUntil)) {
      setStep('rechecking-caa');
      const recheck = await corroborate(input, toCorroborate, { onlyCaa: true });
      if (!recheck.passed) throw corroborationFailure(recheck);
    }
    // Step 10: the final certificate: the precertificate's TBS without the poison, plus the SCT list — linted
    // first like the precertificate, then signed after the byte-for-byte correspondence check.
    setStep('linting');
    await lint.lintToBeSigned({ orderId: input.orderId, serial, kind: 'final', sctLogIds });
    setStep('signing-certificate');
    await signing.signFinalCertificate({ orderId: input.orderId, serial, sctLogIds });
  } catch (err) {
    return await failOrder(err, true);
  }
  // Step 10 (issue #5): re-sign the OCSP response now that the certificate itself is issued (RFC 5019 pre-signing).
  await presignOcsp(serial);

  // Step 11: complete (the e-mail notice of CP 4.3.2 is a seam: no SMTP yet; ACME orders, input.viaAcme, get none).
  setStep('notifying');
  await storage.completeOrder({ orderId: input.orderId, serial });
  setStep('done', 'valid');
  log.info('certificate issued', { orderId: input.orderId, serial });
  return { orderId: input.orderId, status: 'valid', serial };

  /**
   * Issue #5: OCSP pre-signing on the signing queue. A failure never fails the order: the ocsp-refresh schedule signs
   * every served serial without a response at its next run. patched(): histories recorded before this step replay.
   */
  async function presignOcsp(forSerial: string): Promise<void> {
    if (!patched('ocsp-presign')) return;
    const ocsp = proxyActivities<OcspActivities>({
      taskQueue: input.signingTaskQueue,
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
    });
    try {
      await ocsp.signOcspResponses({ serials: [forSerial] });
    } catch (err) {
      log.warn('OCSP pre-signing failed; the ocsp-refresh schedule will sign it', { serial: forSerial, error: failureMessage(err) });
    }
  }

  async function failOrder(err: unknown, presumedIssued: boolean): Promise<IssueCertificateResult> {
    error = failureMessage(err);
    setStep('failed', 'invalid');
    if (presumedIssued && serial) {
      // A precertificate exists: the presumed certificate must be revoked (BR 7.1.2.9 / issuance cycle step 11).
      await storage.revokePresumedCertificate({ orderId: input.orderId, serial, detail: error });
      // Issue #5: its OCSP response (pre-signed "good" at step 7) is re-signed as revoked at once.
      await presignOcsp(serial);
      // Issue #5: and the issuer's debounced CRL publisher is asked for a new CRL (CP 4.9.5; workflows/publishCrl.ts).
      if (patched('crl-on-compensation')) {
        const crl = proxyActivities<CrlPublicationActivities>({
          startToCloseTimeout: '30 seconds',
          retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
        });
        await crl.requestCrlPublication({ issuerId: reservationIssuerId ?? 'dv', trigger: `compensation:${serial}` });
      }
    }
    await storage.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: { type: failureKind(err), title: 'Issuance failed', detail: error } });
    return { orderId: input.orderId, status: 'invalid', serial };
  }
}

/** The order error's type: the failure type of the refusing activity (LintFailed, CtPolicyNotMet, ...) or 'internal'. */
function failureKind(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof ApplicationFailure && e.type ? e.type : 'internal';
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return e.message;
  return e instanceof Error ? e.message : String(e);
}
