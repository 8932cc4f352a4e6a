/**
 * The CRL Temporal Schedules `crl-schedule-<issuer>` (workflows/publishCrl.ts, mode 'schedule'): one per issuing key
 * that still signs (a CA has several over time, CP 5.6; a retired key's schedule is deleted),
 * every CA_CRL_INTERVAL_SECONDS (default daily; config refuses more than 7 days, CP 4.9.7 / BR 4.9.7). Created at
 * main-worker start and updated in place when the configuration changed — idempotent, so every start may call it.
 * An issuer without any CRL yet gets one at once (the CRL DP must answer from the first certificate on).
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { listIssuers, signingIssuerKeys } from '../db/repositories/issuers';
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
  // The issuing keys that still sign (not the offline root, not a retired key, CP 5.6): those with a certificate and a parent.
  const issuerIds = (await signingIssuerKeys(db)).map((i) => i.id);
  // A retired key's schedule goes: its last CRL was published when it retired.
  for (const retired of (await listIssuers(db)).filter((i) => i.retiredAt)) {
    await client.schedule
      .getHandle(crlScheduleId(retired.id))
      .delete()
      .catch((e: unknown) => {
        if (!(e instanceof ScheduleNotFoundError)) throw e;
      });
  }
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
