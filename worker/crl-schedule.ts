/**
 * The CRL Temporal Schedules `crl-schedule-<issuer>` (workflows/publishCrl.ts, mode 'schedule'): one per issuing CA,
 * every CA_CRL_INTERVAL_SECONDS (default daily; config refuses more than 7 days, CP 4.9.7 / BR 4.9.7). Created at
 * main-worker start and updated in place when the configuration changed — idempotent, so every start may call it.
 * An issuer without any CRL yet gets one at once (the CRL DP must answer from the first certificate on).
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { listIssuers } from '../db/repositories/issuers';
import { latestCrlMeta } from '../db/repositories/revocation';
import { crlScheduledWorkflowId, crlScheduleId } from '../domain/workflow-ids';
import type { PublishCrlInput } from '../workflows/revocation-contracts';
import { upsertSchedule } from './schedules';

export async function ensureCrlSchedules(
  config: Pick<CaConfig, 'temporal' | 'crl'>,
  db: Db,
  opts: { client: Client; intervalSeconds?: number },
): Promise<string[]> {
  const { client } = opts;
  // The issuing CAs (not the offline root): those with a certificate and a parent.
  const issuerIds = (await listIssuers(db)).filter((i) => i.parentId && i.certDer).map((i) => i.id);
  for (const issuerId of issuerIds) {
    const spec = { intervals: [{ every: `${opts.intervalSeconds ?? config.crl.intervalSeconds}s` }] };
    const input: PublishCrlInput = {
      issuerId,
      signingTaskQueue: config.temporal.signingTaskQueue,
      mode: 'schedule',
      quietSeconds: config.crl.quietSeconds,
      maxDelaySeconds: config.crl.maxDelaySeconds,
    };
    const action: ScheduleOptionsAction = {
      type: 'startWorkflow',
      workflowType: 'publishCrl',
      workflowId: crlScheduledWorkflowId(issuerId),
      taskQueue: config.temporal.taskQueue,
      args: [input],
    };
    const handle = await upsertSchedule(client, {
      scheduleId: crlScheduleId(issuerId),
      spec,
      action,
      // SKIP: a run still signing when the next is due lets it pass; the per-issuer lock serializes the rest.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
    if (!(await latestCrlMeta(db, issuerId))) await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  }
  return issuerIds;
}
