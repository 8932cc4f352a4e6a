/**
 * The `ocsp-refresh` Temporal Schedule (workflows/refreshOcsp.ts), created at worker start and updated in place when
 * the configuration or the signing keys changed (a key changeover adds one, a retirement removes one, CP 5.6) — idempotent, so every start of every main worker may call it.
 * Overlap SKIP: one refresh at a time; a run that is still going when the next is due simply lets it pass.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { signingIssuerKeys } from '../db/repositories/issuers';
import { ocspRefreshScheduleId, ocspRefreshWorkflowId } from '../domain/workflow-ids';
import type { RefreshOcspInput } from '../workflows/refreshOcsp';
import { upsertSchedule } from './schedules';

/** `issuerIds`: the issuing keys whose responder certificates the refresh renews (every key that still signs, CP 5.6). */
export function ocspRefreshInput(config: Pick<CaConfig, 'temporal'>, issuerIds: readonly string[]): RefreshOcspInput {
  return { signingTaskQueue: config.temporal.signingTaskQueue, issuerIds, batchSize: 500, maxBatchesPerRun: 200 };
}

export async function ensureOcspRefreshSchedule(config: Pick<CaConfig, 'temporal' | 'ocsp'>, db: Db, opts: { client: Client }): Promise<void> {
  const { client } = opts;
  const issuerIds = (await signingIssuerKeys(db)).map((k) => k.id);
  const spec = { intervals: [{ every: `${config.ocsp.timing.scheduleIntervalSeconds}s` }] };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'refreshOcsp',
    workflowId: ocspRefreshWorkflowId,
    taskQueue: config.temporal.taskQueue,
    args: [ocspRefreshInput(config, issuerIds)],
  };
  await upsertSchedule(client, {
    scheduleId: ocspRefreshScheduleId,
    spec,
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    // A fresh CA gets its responder certificates and any missing responses at once, not an interval later.
    state: { triggerImmediately: true },
  });
}
