/**
 * revokeCertificate — one workflow per revocation request (CP 4.9.3–4.9.5; BR 4.9.1.1), id `revoke-<serial>`.
 * The API (or the admin CLI) has authenticated the requester and checked the rules (domain/revocation.ts); the
 * first activity checks them again against the current row before anything changes.
 *
 * 1. record: audit the request, store the revocation (time, reason) in PostgreSQL.
 * 2. publish: re-sign the serial's OCSP response on the signing queue (activities/ocsp.ts) and ask the issuer's
 *    debounced CRL publisher for a new CRL (publishCrl) — in parallel: neither waits for the other.
 * 3. notify: the revocation notice to the subscriber or its designated provider, through the outbox (CP 4.9).
 * The BR deadline (24 h / 5 days) is a durable timer: if it fires before both are done the workflow flags itself
 * (search attribute CaStatus=revocation-overdue, query `revocationProgress`) for the operators, and keeps going.
 */
import { log, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import { signing, storage as storageOptions } from './activity-options';
import { searchAttributes } from './contracts';
import { failureOf } from './failures';
import { startNoticeDelivery } from './notices';
import {
  revocationProgressQuery,
  type RevocationProgress,
  type RevokeCertificateInput,
  type RevokeCertificateResult,
} from './revocation-contracts';
import { queryableProgress, revocationActivities, setCaStatus, settledBy } from './revocation-steps';

export async function revokeCertificate(input: RevokeCertificateInput): Promise<RevokeCertificateResult> {
  const { storage, ocsp } = revocationActivities({ storage: storageOptions, signing: signing(input.signingTaskQueue) });
  const notices = proxyActivities<ReturnType<typeof createNoticeActivities>>(storageOptions);

  const progress = queryableProgress<RevocationProgress>(revocationProgressQuery, {
    serial: input.serial,
    step: 'recording',
    reason: input.reason,
    deadline: input.deadline,
    overdue: false,
    ocsp: 'pending',
    crl: 'pending',
    error: null,
  });
  upsertSearchAttributes([
    { key: searchAttributes.serial, value: input.serial },
    { key: searchAttributes.status, value: 'revoking' },
  ]);

  const work = (async () => {
    await storage.recordRevocation({
      serial: input.serial,
      reason: input.reason,
      requester: input.requester,
      actor: input.actor,
      deadline: input.deadline,
      deadlineRule: input.deadlineRule,
      workflowId: workflowInfo().workflowId,
    });
    progress.update({ step: 'publishing' });
    await Promise.all([
      ocsp.signOcspResponses({ serials: [input.serial] }).then(() => progress.update({ ocsp: 'signed' })),
      storage.requestCrlPublication({ issuerId: input.issuerId, trigger: `revocation:${input.serial}` }).then(() => progress.update({ crl: 'requested' })),
    ]);
  })();

  if (!(await settledBy(work, input.deadline))) {
    progress.update({ overdue: true });
    setCaStatus('revocation-overdue');
    log.error('revocation deadline passed', { serial: input.serial, deadline: input.deadline, rule: input.deadlineRule });
  }
  try {
    await work;
  } catch (err) {
    const error = failureOf(err).message;
    progress.update({ step: 'failed', error });
    setCaStatus('revocation-failed');
    return { serial: input.serial, status: 'failed', overdue: progress.current.overdue };
  }
  // CP 4.9: the subscriber (or its designated provider) is told, through the notices outbox.
  if (patched('lifecycle-revocation-notice')) {
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-revoked', serial: input.serial });
    if (noticeId) await startNoticeDelivery(noticeId);
  }
  progress.update({ step: 'done' });
  setCaStatus('revoked');
  return { serial: input.serial, status: 'revoked', overdue: progress.current.overdue };
}
