/**
 * keyCompromise — one workflow per key-compromise report (CP 4.9.12; BR 4.9.1.1 (3), 4.9.12), id
 * `key-compromise-<reportId>`. The report row holds the proof (a CSR, or a statement the API signed with the
 * submitted private key — the key itself was never stored, nor is it in this workflow's input).
 *
 * 1. verify the proof: a signature by the reported key; otherwise the report is rejected.
 * 2. block the key: it goes on the blocklist, so new CSRs with it are refused (BR 6.1.1.3).
 * 3. revoke, in batches, every unexpired certificate with the key with reason keyCompromise; re-sign their OCSP
 *    responses and ask each issuer's publisher for a new CRL.
 * Deadline: 24 hours after the report — a durable timer; past it the workflow flags itself overdue
 * (CaStatus=key-compromise-overdue) and keeps going. Progress: query `keyCompromiseProgress`.
 */
import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import { signingBatch, storageBatch } from './activity-options';
import { failureOf } from './failures';
import { startNoticeDelivery } from './notices';
import { keyCompromiseProgressQuery, type KeyCompromiseInput, type KeyCompromiseProgress } from './revocation-contracts';
import { queryableProgress, revocationActivities, setCaStatus, settledBy } from './revocation-steps';

const BATCH = 200;

export async function keyCompromise(input: KeyCompromiseInput): Promise<KeyCompromiseProgress> {
  // A batch revokes up to BATCH certificates in the database, and signs as many OCSP responses in the HSM.
  const { storage, ocsp } = revocationActivities({ storage: storageBatch, signing: signingBatch(input.signingTaskQueue) });
  const notices = proxyActivities<ReturnType<typeof createNoticeActivities>>(storageBatch);
  const notifyRevoked = async (serials: string[]) => {
    const { noticeIds } = await notices.enqueueRevocationNotices({ serials });
    for (const id of noticeIds) await startNoticeDelivery(id);
  };

  const progress = queryableProgress<KeyCompromiseProgress>(keyCompromiseProgressQuery, {
    reportId: input.reportId,
    status: 'verifying',
    certificatesFound: null,
    certificatesRevoked: 0,
    deadline: input.deadline,
    overdue: false,
    error: null,
  });
  setCaStatus('key-compromise-verifying');

  try {
    await storage.verifyKeyCompromiseProof({ reportId: input.reportId });
  } catch (err) {
    progress.update({ status: 'rejected', error: failureOf(err).message });
    setCaStatus('key-compromise-rejected');
    return progress.current;
  }

  const work = (async () => {
    progress.update({ status: 'blocking' });
    const { certificatesFound } = await storage.blockCompromisedKey({ reportId: input.reportId });
    progress.update({ status: 'revoking', certificatesFound });
    setCaStatus('key-compromise-revoking');
    const publications: Promise<unknown>[] = [];
    for (;;) {
      const batch = await storage.revokeNextBatchForKeyCompromise({ reportId: input.reportId, limit: BATCH });
      if (batch.serials.length === 0) break;
      progress.update({ certificatesRevoked: progress.current.certificatesRevoked + batch.serials.length });
      // OCSP and CRL publication run beside the next batches: the revocations themselves are already stored.
      publications.push(ocsp.signOcspResponses({ serials: batch.serials }));
      // CP 4.9: each subscriber is told, through the notices outbox.
      if (patched('lifecycle-revocation-notice')) publications.push(notifyRevoked(batch.serials));
      for (const issuerId of batch.issuerIds) {
        publications.push(storage.requestCrlPublication({ issuerId, trigger: `key-compromise:${input.reportId}` }));
      }
    }
    await Promise.all(publications);
  })();

  if (!(await settledBy(work, input.deadline))) {
    progress.update({ overdue: true });
    setCaStatus('key-compromise-overdue');
    log.error('key-compromise revocation deadline passed (CP 4.9.12: 24 hours)', { reportId: input.reportId });
  }
  try {
    await work;
  } catch (err) {
    progress.update({ status: 'failed', error: failureOf(err).message });
    setCaStatus('key-compromise-failed');
    return progress.current;
  }
  await storage.completeKeyCompromiseReport({ reportId: input.reportId, overdue: progress.current.overdue });
  progress.update({ status: 'completed' });
  setCaStatus('key-compromise-completed');
  return progress.current;
}
