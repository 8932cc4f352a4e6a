/**
 * refreshOcsp — started by the `ocsp-refresh` Temporal Schedule (worker/ocsp-schedule.ts), every
 * CA_OCSP_SCHEDULE_INTERVAL_SECONDS (default hourly):
 * 1. renews each issuing CA's delegated responder certificate when it has fewer than renewBefore seconds left
 *    (CP 7.3; the renewal margin covers a whole response validity, so no response outlives its signer);
 * 2. re-signs, in batches, every served response older than refreshAfter, missing, or whose status disagrees with
 *    the database — so each response is refreshed ≥ 8 h before nextUpdate and within 4 days of thisUpdate (BR 4.9.10,
 *    checked by domain/ocsp.ts when the configuration loads).
 * Only orchestration: the DB query runs on the main queue, the HSM work on the signing queue.
 */
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { createOcspActivities, createOcspStorageActivities } from '../activities/ocsp';
import { signingBatch, storageBatch } from './activity-options';

type OcspSigningActivities = ReturnType<typeof createOcspActivities>;
type OcspStorageActivities = ReturnType<typeof createOcspStorageActivities>;

export { ocspRefreshScheduleId, ocspRefreshWorkflowId } from '../domain/workflow-ids';

export interface RefreshOcspInput {
  readonly signingTaskQueue: string;
  readonly issuerIds: readonly string[];
  /** Serials per signing activity (one audit entry each). */
  readonly batchSize: number;
  /** Batches per run before continuing as new (keeps the history short on large refreshes). */
  readonly maxBatchesPerRun: number;
}

export interface RefreshOcspResult {
  readonly respondersRenewed: readonly string[];
  readonly responsesSigned: number;
}

export async function refreshOcsp(input: RefreshOcspInput): Promise<RefreshOcspResult> {
  // Proxies are made inside the workflow so that importing this module (for the ids above) has no side effect.
  const storage = proxyActivities<OcspStorageActivities>(storageBatch);
  // A batch is batchSize HSM signatures (SoftHSM: ~700/s per session).
  const signing = proxyActivities<OcspSigningActivities>(signingBatch(input.signingTaskQueue));

  const respondersRenewed: string[] = [];
  for (const issuerId of input.issuerIds) {
    const r = await signing.ensureOcspResponder({ issuerId });
    if (r.renewed) respondersRenewed.push(issuerId);
  }

  let responsesSigned = 0;
  let previous = '';
  for (let batch = 0; batch < input.maxBatchesPerRun; batch++) {
    const serials = await storage.listOcspRefreshDue({ limit: input.batchSize });
    if (serials.length === 0) return { respondersRenewed, responsesSigned };
    // The same batch twice means those serials cannot be signed now (the activity skipped them); the next run retries.
    const key = serials.join(',');
    if (key === previous) return { respondersRenewed, responsesSigned };
    previous = key;
    await signing.signOcspResponses({ serials });
    responsesSigned += serials.length;
  }
  // More is due than one run should carry in its history: go on in a fresh run.
  return continueAsNew<typeof refreshOcsp>(input);
}
