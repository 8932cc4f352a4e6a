/**
 * issueCertificate — one durable workflow per order (id `order-<orderId>`), following the numbered steps of
 * docs/ISSUANCE-CYCLE.md. It only orchestrates: every effect (DNS, HTTP, SMTP, PostgreSQL, the HSM) is an activity,
 * idempotent by order id and serial, so a worker that dies at any point resumes here without issuing twice.
 *
 * Step 1 (accept) is done by the doors before the start; 2 authorizes each FQDN (`authorizeFqdn`); 3 corroborates the
 * DCV result and CAA from every perspective, and CAA is re-checked before the precertificate (7) and before the final
 * certificate (9) once the last check is older than max(TTL, 8 h) (corroborate.ts); 4 (OV) waits for the
 * organization's vetting and pins its vetted record; 4a waits for the ACME finalize; 5 reserves the serial; 6 lints;
 * 7 signs the precertificate and pre-signs its OCSP response; 8 collects SCTs (ct-submission.ts); 10 signs the
 * certificate; 11 completes and starts the certificate's life cycle (after-issuance.ts: notices, renewal succession,
 * expiry reminders). A
 * failure after step 7 revokes the presumed certificate (presumed-certificate.ts).
 *
 * Running workflows replay this code: a change to the commands it issues is guarded with patched() and checked
 * against recorded histories (workflows/replay.test.ts).
 */
import { condition, isCancellation, log, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createLintActivities } from '../activities/lint';
import type { createReuseActivities } from '../activities/reuse';
import type { createSigningActivities } from '../activities/signing';
import type { createStorageActivities } from '../activities/storage';
import type { createVettingActivities } from '../activities/vetting';
import { caaRecheckNeeded } from '../domain/caa';
import type { DcvCheckSpec, DcvMethodId } from '../domain/dcv';
import type { FailureKind, StoredFailure } from '../domain/errors';
import { afterIssuance } from './after-issuance';
import { bookkeeping, lint as lintOptions, lintLocal as lintLocalOptions, signing as signingOptions, storage as storageOptions } from './activity-options';
import { challengeChecker, type ChallengeChoice } from './challenge-check';
import {
  challengeReadySignal,
  emailConfirmedSignal,
  finalizeSignal,
  progressQuery,
  searchAttributes,
  vettingDecidedSignal,
  type AuthorizationToValidate,
  type IssuanceProgress,
  type IssuanceStep,
  type IssueCertificateInput,
  type IssueCertificateResult,
} from './contracts';
import { corroborate, corroborationFailure, type AuthorizationToCorroborate } from './corroborate';
import { collectScts, planCt } from './ct-submission';
import { failureOf, orderValidationFailure, storedFailureOf } from './failures';
import { presignOcsp, revokePresumedCertificate } from './presumed-certificate';
import { defaultStuckAfterSeconds, StuckFlag } from './stuck';

type StorageActivities = ReturnType<typeof createStorageActivities>;

const storage = proxyActivities<StorageActivities & ReturnType<typeof createReuseActivities>>(storageOptions);
/** The same bookkeeping as local activities (histories since the `cost-per-certificate` patch). */
const storageLocal = proxyLocalActivities<StorageActivities & ReturnType<typeof createReuseActivities>>(bookkeeping);
const lint = proxyActivities<ReturnType<typeof createLintActivities>>(lintOptions);
const lintLocal = proxyLocalActivities<ReturnType<typeof createLintActivities>>(lintLocalOptions);
/** OV step 4: the organization's vetted record, pinned on the order (database only, main queue). */
const vettingGate = proxyActivities<Pick<ReturnType<typeof createVettingActivities>, 'pinVettedOrganization'>>(storageOptions);
/** OV step 4 looks at the vetting at least this often, should a vettingDecided signal never come. */
const VETTING_RECHECK = '1 hour';

type AuthorizationState = IssuanceProgress['authorizations'][string];

export async function issueCertificate(input: IssueCertificateInput): Promise<IssueCertificateResult> {
  const signing = proxyActivities<ReturnType<typeof createSigningActivities>>(signingOptions(input.signingTaskQueue));
  // Fewer round trips through Temporal per order (docs/BENCHMARKS.md, "Cost per certificate"): the bookkeeping as
  // local activities, one activity per perspective and round, the OCSP response pre-signed by the signing activities
  // themselves, fewer search-attribute updates. Histories recorded before the patch replay the old path.
  const lean = patched('cost-per-certificate');
  const db = lean ? storageLocal : storage;
  // Since the `local-lint` patch steps 6 and 10's lint (the main worker's resident linters) are local activities too:
  // two activity tasks and their workflow tasks fewer per order. Not step 2's DCV check: its retries are bounded by
  // the DCV window (scheduleToClose), which local activities here do not honour.
  const linter = lean && patched('local-lint') ? lintLocal : lint;

  let step: IssuanceStep = 'awaiting-validation';
  let serial: string | null = null;
  /** Whose CRL the compensation republishes. */
  let reservationIssuerId: string | null = null;
  let error: string | null = null;
  const authz: Record<string, AuthorizationState> = Object.fromEntries(
    input.authorizations.map((a) => [a.fqdn, 'pending' as AuthorizationState]),
  );
  const readyChallenges = new Set<string>();
  const confirmedEmails = new Set<string>();
  const checkChallenge = challengeChecker(input.dcvCheckWindowSeconds, (challengeId) => confirmedEmails.has(challengeId));
  const knownChallenges = new Set(input.authorizations.flatMap((a) => [a.challengeId, ...(a.alternatives ?? []).map((x) => x.challengeId)]));
  /** The challenge each authorization was validated with (ACME offers alternatives, RFC 8555 §7.1.4). */
  const chosen = new Map<string, ChallengeChoice>();
  /** What the primary perspective saw, per challenge: what the remote perspectives must see too (step 3). */
  const dcvSpecs = new Map<string, DcvCheckSpec>();
  /** The kind each failed check failed with, per FQDN: the order's error names it. */
  const failedKinds = new Map<string, FailureKind>();
  let finalizeRequested = false;
  /** After step 7 a failure revokes the presumed certificate; after step 10 the certificate exists. */
  let precertificateSigned = false;
  let certificateIssued = false;
  const stuck = new StuckFlag();
  /** ACME orders corroborate each authorization inside step 2 (see `authorizeFqdn`). */
  const acmeCorroborations: Array<Awaited<ReturnType<typeof corroborate>>> = [];
  let acmeCorroborationFailed = false;
  /** OV step 4: how many times the organization's vetting said it ended (workflows/vetOrganization.ts). */
  let vettingDecisions = 0;

  setHandler(progressQuery, () => ({ orderId: input.orderId, step, serial, authorizations: { ...authz }, error, stuck: stuck.value }));
  setHandler(finalizeSignal, () => {
    finalizeRequested = true;
  });
  setHandler(challengeReadySignal, ({ challengeId }) => {
    // Unknown ids are ignored: the API checks ownership, this guards against stray signals.
    if (knownChallenges.has(challengeId)) readyChallenges.add(challengeId);
  });
  // CP 3.2.2.4.4: the recipient of a constructed e-mail confirmed it through the API link.
  setHandler(emailConfirmedSignal, ({ challengeId }) => {
    if (knownChallenges.has(challengeId)) confirmedEmails.add(challengeId);
  });
  setHandler(vettingDecidedSignal, () => {
    vettingDecisions++;
  });

  const setStep = (next: IssuanceStep, status?: string): void => {
    step = next;
    stuck.moved(status);
  };
  // The doors start the workflow with these attributes (temporal/client.ts); set here only when they did not.
  if (!lean || workflowInfo().typedSearchAttributes.get(searchAttributes.orderId) === undefined) {
    upsertSearchAttributes([
      { key: searchAttributes.orderId, value: input.orderId },
      { key: searchAttributes.fqdns, value: [...input.fqdns] },
      { key: searchAttributes.status, value: 'pending' },
    ]);
  }

  if (patched('stuck-orders')) stuck.watch(() => step, input.stuckAfterSeconds ?? defaultStuckAfterSeconds);

  try {
    return await issue();
  } catch (err) {
    return await recordUnexpectedFailure(err);
  }

  /** Steps 2 to 11; any failure it does not handle itself ends in `recordUnexpectedFailure`. */
  async function issue(): Promise<IssueCertificateResult> {
    // Step 2: the authorizations proceed in parallel.
    const outcomes = await Promise.all(input.authorizations.map((a) => authorizeFqdn(a)));

    const acmeFailure = acmeCorroborations.find((c) => !c.passed);
    if (acmeFailure?.error) return failValidation(acmeFailure.error);
    if (outcomes.includes('expired') && !outcomes.includes('invalid')) {
      setStep('failed', 'expired');
      error = 'the random value expired before every FQDN was validated (CP 3.2.2.4: 25 days)';
      await db.expireOrder({ orderId: input.orderId });
      return { orderId: input.orderId, status: 'expired', serial: null };
    }
    if (outcomes.some((o) => o !== 'valid')) {
      const failed = input.authorizations.filter((a) => authz[a.fqdn] !== 'valid').map((a) => ({ fqdn: a.fqdn, kind: failedKinds.get(a.fqdn) ?? null }));
      return failValidation(orderValidationFailure(failed));
    }

    // Step 3: corroborate the DCV result and the CAA permission from the primary and every remote perspective
    // (BR 3.2.2.9, 3.2.2.8), quorum of policy(now); every perspective's evidence is stored.
    const toCorroborate: AuthorizationToCorroborate[] = input.authorizations.map((a) => {
      const pick = chosen.get(a.authorizationId);
      const challengeId = pick?.challengeId ?? a.challengeId;
      return {
        authorizationId: a.authorizationId,
        challengeId,
        fqdn: a.fqdn,
        method: (pick?.method ?? '3.2.2.4.7') as DcvMethodId,
        dcv: dcvSpecs.get(challengeId) ?? null,
      };
    });
    let caaValidUntil: string | null = null;
    if (patched('issue3-mpic-caa')) {
      setStep('corroborating');
      // ACME orders were corroborated per authorization in step 2: here their rounds are only merged.
      const acmeUntil = acmeCorroborations.map((c) => c.caaValidUntil).filter((u): u is string => u !== null).sort()[0] ?? null;
      const corroboration = input.viaAcme ? { passed: true, error: null, caaValidUntil: acmeUntil } : await corroborate(input, toCorroborate, { lean });
      if (!corroboration.passed) return failValidation(corroboration.error!);
      caaValidUntil = corroboration.caaValidUntil;
    }
    // Step 4 (OV only): the organization's vetting (CP 3.2.2.1, 3.2.5) — wait, durably, while it is in progress; fail
    // clearly if it was rejected or expired; otherwise pin the vetted record the subject is built from. Orders without
    // an organization (every DV order, and every history recorded before OV) issue no command here.
    if (input.organizationId) {
      setStep('vetting', 'vetting');
      const notVetted = await awaitVetting();
      if (notVetted) return failValidation(notVetted);
    }

    // Step 4a (ACME): the authorizations are valid, so the order is `ready` (RFC 8555 §7.1.6); ACME sends the CSR only
    // now (finalize, §7.4). The door checks it like step 1 and writes it to the order, then signals; until then the
    // order waits, at most until its random values expire (CP 3.2.2.4: 25 days).
    if (input.viaAcme) {
      // Waiting for the applicant now, not for the CA (workflows/stuck.ts).
      setStep('awaiting-finalize');
      await db.setOrderStatus({ orderId: input.orderId, status: 'ready' });
      const msLeft = Math.min(...input.authorizations.map((a) => Date.parse(a.expiresAt))) - Date.now();
      if (!(msLeft > 0 && (await condition(() => finalizeRequested, msLeft)))) {
        setStep('failed', 'expired');
        error = 'the order was not finalized before its authorizations expired (RFC 8555 §7.4, CP 3.2.2.4)';
        await db.expireOrder({ orderId: input.orderId });
        return { orderId: input.orderId, status: 'expired', serial: null };
      }
    }

    // Step 5: reserve the serial and the certificate row BEFORE anything is signed.
    // Since the patch the status and the serial go to the search attributes in one update.
    setStep('reserving-serial', lean ? undefined : 'processing');
    await db.setOrderStatus({ orderId: input.orderId, status: 'processing' });
    const reservation = await db.reserveCertificate({ orderId: input.orderId });
    serial = reservation.serial;
    reservationIssuerId = reservation.issuerId;
    upsertSearchAttributes([...(lean ? [{ key: searchAttributes.status, value: 'processing' }] : []), { key: searchAttributes.serial, value: serial }]);
    if (lean) stuck.statusWritten('processing');

    let ctPlan: Awaited<ReturnType<typeof planCt>>;
    let precertificate: { ocspPresigned?: boolean } | void;
    let certificate: { ocspPresigned?: boolean } | void;
    try {
      // Step 6: lint the precertificate TBS, signed by a throwaway key, with zlint and pkilint; refuse on any error
      // (BR 4.3.1.2). The signing worker checks that a passing report exists for the exact TBS it signs.
      setStep('linting');
      await linter.lintToBeSigned({ orderId: input.orderId, serial, kind: 'precertificate' });
      // Step 8 is planned before anything is signed: a log list that cannot meet the CT policy fails the order here.
      ctPlan = await planCt(serial, lean);
      // Step 7, first: CAA again (primary and remote perspectives) when the last check is older than max(TTL, 8 h)
      // (BR 3.2.2.8: CAA is checked within that time BEFORE issuance) — an ACME order may be finalized up to 25 days
      // after its authorizations, a REST order may have waited for a worker. A refusal now signs nothing.
      if (caaValidUntil !== null && caaRecheckNeeded(new Date(caaValidUntil), new Date()) && patched('caa-before-precertificate')) {
        setStep('rechecking-caa');
        const recheck = await corroborate(input, toCorroborate, { onlyCaa: true, phase: 'step7', lean });
        if (!recheck.passed) throw corroborationFailure(recheck);
        caaValidUntil = recheck.caaValidUntil;
      }
      // Step 7: the precertificate, signed by the issuing CA in the HSM. From here on the serial is a binding
      // commitment (BR 7.1.2.9): a failure revokes the presumed certificate.
      setStep('signing-precertificate');
      precertificate = await signing.signPrecertificate({ orderId: input.orderId, serial, ...(lean ? { presignOcsp: true } : {}) });
      precertificateSigned = true;
    } catch (err) {
      // Nothing was signed if the activity never succeeded; the reservation stays as evidence.
      return await failOrder(err, false);
    }
    // Step 7: pre-sign the serial's OCSP response (good) at once, so a precertificate's serial is answered
    // authoritatively within 15 minutes (BR 4.9.10) even if the final certificate never issues — since the patch done
    // by the signing activity itself, else (or if it could not) here.
    if (!precertificate?.ocspPresigned) await presignOcsp(input.signingTaskQueue, serial);

    try {
      // Step 8: add-pre-chain to the configured logs in parallel, verify each SCT, stop when the CT policy is met;
      // past the deadline the order fails and the presumed certificate is revoked.
      setStep('submitting-to-ct');
      const sctLogIds = await collectScts(input.orderId, serial, ctPlan);
      // Step 9: CAA again (primary and remote perspectives) when the step 3 check is older than max(TTL, 8 h)
      // (BR 3.2.2.8) — e.g. CT took long, or the worker was down. A refusal now revokes the presumed certificate.
      if (caaValidUntil !== null && caaRecheckNeeded(new Date(caaValidUntil), new Date())) {
        setStep('rechecking-caa');
        const recheck = await corroborate(input, toCorroborate, { onlyCaa: true, lean });
        if (!recheck.passed) throw corroborationFailure(recheck);
      }
      // Step 10: the final certificate: the precertificate's TBS without the poison, plus the SCT list (RFC 6962 §3.3)
      // — linted first like the precertificate, then signed after the byte-for-byte correspondence check.
      setStep('linting');
      await linter.lintToBeSigned({ orderId: input.orderId, serial, kind: 'final', sctLogIds });
      setStep('signing-certificate');
      certificate = await signing.signFinalCertificate({ orderId: input.orderId, serial, sctLogIds, ...(lean ? { presignOcsp: true } : {}) });
      certificateIssued = true;
    } catch (err) {
      return await failOrder(err, true);
    }
    // Step 10: re-sign the OCSP response now that the certificate itself is issued (RFC 5019 pre-signing).
    if (!certificate?.ocspPresigned) await presignOcsp(input.signingTaskQueue, serial);

    // Step 11: complete, then the certificate's life cycle: its predecessor superseded (CP 4.6–4.8), the e-mail notice
    // of CP 4.3.2 (never for ACME orders) through the outbox, the expiry reminders (after-issuance.ts).
    setStep('notifying');
    await db.completeOrder({ orderId: input.orderId, serial });
    if (patched('lifecycle-after-issuance')) await afterIssuance(input, serial, lean);
    setStep('done', 'valid');
    log.info('certificate issued', { orderId: input.orderId, serial });
    return { orderId: input.orderId, status: 'valid', serial };
  }

  /**
   * A failure no step handled — an activity that failed for good outside the steps' own failure paths (a write the
   * database refuses, a row in an impossible state): the order still gets an outcome, invalid with the failure's
   * kind (and the presumed certificate revoked after step 7), instead of a failed workflow behind an order that says
   * `processing` forever. When even that cannot be recorded, or the certificate was already issued, the order is
   * flagged stuck for an operator and the workflow fails.
   */
  async function recordUnexpectedFailure(err: unknown): Promise<IssueCertificateResult> {
    // A cancellation is an operator's decision about the workflow, not a failure of the order.
    if (isCancellation(err) || !patched('record-unexpected-failure')) throw err;
    log.error('order failed outside its steps', { orderId: input.orderId, step, error: failureOf(err).message });
    try {
      if (certificateIssued) throw err;
      return await failOrder(err, precertificateSigned);
    } catch (recording) {
      stuck.raise(step, `the outcome could not be recorded: ${failureOf(recording).message}`);
      throw recording;
    }
  }

  /**
   * Step 2 for one FQDN: an earlier validation policy(now) lets us reuse (BR 4.2.1), or the applicant's "ready" for
   * one of its challenges before the random value expires (CP 3.2.2.4: 25 days), then the check by the method of
   * that challenge, retried with backoff for the configured window. A failure is stored with its kind on the challenge.
   */
  async function authorizeFqdn(a: AuthorizationToValidate): Promise<AuthorizationState> {
    // A reused authorization is valid at once; step 3 then corroborates CAA only (its DCV was corroborated back
    // then). Not for ACME orders: there a reused authorization would have to be presented valid at newOrder and the
    // order `ready` at once (RFC 8555 §7.1.6), which the ACME door does not do.
    if (!input.viaAcme && patched('issue3-reuse')) {
      const reuse = await db.reuseValidation({ authorizationId: a.authorizationId });
      if (reuse.reused) {
        chosen.set(a.authorizationId, { challengeId: a.challengeId, method: reuse.method });
        return settle(a, 'valid');
      }
    }
    const msLeft = Date.parse(a.expiresAt) - Date.now();
    const options: ChallengeChoice[] = [{ challengeId: a.challengeId, method: '3.2.2.4.7' }, ...(a.alternatives ?? [])];
    const isReady = () => options.some((o) => readyChallenges.has(o.challengeId));
    const ready = msLeft > 0 && (await condition(() => acmeCorroborationFailed || isReady(), msLeft));
    // Another ACME authorization failed its corroboration: the order fails as a whole, this one is not checked.
    if (acmeCorroborationFailed && !isReady()) return settle(a, 'invalid');
    if (!ready) return settle(a, 'expired');
    const pick = options.find((o) => readyChallenges.has(o.challengeId))!;
    chosen.set(a.authorizationId, pick);
    authz[a.fqdn] = 'processing';
    if (step === 'awaiting-validation') setStep('validating', 'validating');
    await db.startChallengeCheck({ challengeId: pick.challengeId });
    try {
      const checked = await checkChallenge(a, pick);
      if (checked.spec) dcvSpecs.set(pick.challengeId, checked.spec);
      if (input.viaAcme && patched('issue3-mpic-caa')) {
        // An ACME client removes its record (or stops its http-01 server) as soon as it sees the authorization
        // valid, and solves the next one only then: so each ACME authorization is corroborated (step 3, BR 3.2.2.9)
        // right after its own check, while the evidence is still published; the door presents it valid only once
        // corroborated. A failure ends the whole order at once.
        const c = await corroborate(input, [
          { authorizationId: a.authorizationId, challengeId: pick.challengeId, fqdn: a.fqdn, method: pick.method as DcvMethodId, dcv: checked.spec },
        ], { lean });
        acmeCorroborations.push(c);
        if (!c.passed) acmeCorroborationFailed = true;
      }
      return settle(a, 'valid');
    } catch (err) {
      const failure = failureOf(err);
      failedKinds.set(a.fqdn, failure.kind);
      await db.failChallenge({ challengeId: pick.challengeId, kind: failure.kind, detail: failure.message });
      return settle(a, 'invalid');
    }
  }

  function settle(a: AuthorizationToValidate, state: AuthorizationState): AuthorizationState {
    authz[a.fqdn] = state;
    return state;
  }

  /** OV step 4: null once a valid vetted record is pinned, else the failure (rejected, expired, none). */
  async function awaitVetting(): Promise<StoredFailure | null> {
    for (;;) {
      const gate = await vettingGate.pinVettedOrganization({ orderId: input.orderId });
      if (gate.state === 'valid') return null;
      if (gate.state === 'failed') return gate.failure;
      const seen = vettingDecisions;
      await condition(() => vettingDecisions !== seen, VETTING_RECHECK, { summary: 'OV step 4: waiting for the organization vetting' });
    }
  }

  /** Steps 2, 3 and 4 failed: the order is invalid with the failure's kind; nothing was reserved or signed. */
  async function failValidation(failure: StoredFailure): Promise<IssueCertificateResult> {
    error = failure.detail;
    setStep('failed', 'invalid');
    await db.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: failure });
    return { orderId: input.orderId, status: 'invalid', serial: null };
  }

  /** Steps 5–10 failed: the order is invalid with the kind of the failure; after step 7 it is compensated. */
  async function failOrder(err: unknown, presumedIssued: boolean): Promise<IssueCertificateResult> {
    const failure = storedFailureOf(err);
    error = failure.detail;
    setStep('failed', 'invalid');
    if (presumedIssued && serial) {
      const presumed = { orderId: input.orderId, serial, detail: failure.detail, issuerId: reservationIssuerId, signingTaskQueue: input.signingTaskQueue };
      await revokePresumedCertificate(presumed, lean);
    }
    await db.setOrderStatus({ orderId: input.orderId, status: 'invalid', error: failure });
    return { orderId: input.orderId, status: 'invalid', serial };
  }
}
