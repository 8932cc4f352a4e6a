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
import { condition, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createOcspActivities } from '../activities/ocsp';
import type { createRevocationActivities } from '../activities/revocation';
import { signingBatch, storageBatch } from './activity-options';
import { searchAttributes } from './contracts';
import { failureOf } from './failures';
import { keyCompromiseProgressQuery, type KeyCompromiseInput, type KeyCompromiseProgress } from './revocation-contracts';

type RevocationActivities = ReturnType<typeof createRevocationActivities>;
type CrlPublicationActivities = ReturnType<typeof createCrlPublicationActivities>;
type OcspSigningActivities = ReturnType<typeof createOcspActivities>;

const BATCH = 200;

export async function keyCompromise(input: KeyCompromiseInput): Promise<KeyCompromiseProgress> {
  // A batch revokes up to BATCH certificates in the database, and signs as many OCSP responses in the HSM.
  const storage = proxyActivities<RevocationActivities & CrlPublicationActivities>(storageBatch);
  const ocsp = proxyActivities<OcspSigningActivities>(signingBatch(input.signingTaskQueue));

  let progress: KeyCompromiseProgress = {
    reportId: input.reportId,
    status: 'verifying',
    certificatesFound: null,
    certificatesRevoked: 0,
    deadline: input.deadline,
    overdue: false,
    error: null,
  };
  const update = (p: Partial<KeyCompromiseProgress>) => {
    progress = { ...progress, ...p };
  };
  setHandler(keyCompromiseProgressQuery, () => progress);
  upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-verifying' }]);

  try {
    await storage.verifyKeyCompromiseProof({ reportId: input.reportId });
  } catch (err) {
    update({ status: 'rejected', error: failureOf(err).message });
    upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-rejected' }]);
    return progress;
  }

  let finished = false;
  const work = (async () => {
    update({ status: 'blocking' });
    const { certificatesFound } = await storage.blockCompromisedKey({ reportId: input.reportId });
    update({ status: 'revoking', certificatesFound });
    upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-revoking' }]);
    const publications: Promise<unknown>[] = [];
    for (;;) {
      const batch = await storage.revokeNextBatchForKeyCompromise({ reportId: input.reportId, limit: BATCH });
      if (batch.serials.length === 0) break;
      update({ certificatesRevoked: progress.certificatesRevoked + batch.serials.length });
      // OCSP and CRL publication run beside the next batches: the revocations themselves are already stored.
      publications.push(ocsp.signOcspResponses({ serials: batch.serials }));
      for (const issuerId of batch.issuerIds) {
        publications.push(storage.requestCrlPublication({ issuerId, trigger: `key-compromise:${input.reportId}` }));
      }
    }
    await Promise.all(publications);
  })().finally(() => {
    finished = true;
  });

  const msLeft = Date.parse(input.deadline) - Date.now();
  if (!(msLeft > 0 && (await condition(() => finished, msLeft)))) {
    update({ overdue: true });
    upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-overdue' }]);
    log.error('key-compromise revocation deadline passed (CP 4.9.12: 24 hours)', { reportId: input.reportId });
  }
  try {
    await work;
  } catch (err) {
    update({ status: 'failed', error: failureOf(err).message });
    upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-failed' }]);
    return progress;
  }
  await storage.completeKeyCompromiseReport({ reportId: input.reportId, overdue: progress.overdue });
  update({ status: 'completed' });
  upsertSearchAttributes([{ key: searchAttributes.status, value: 'key-compromise-completed' }]);
  return progress;
}
