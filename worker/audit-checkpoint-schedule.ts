/**
 * The `audit-checkpoint` Temporal Schedule (workflows/auditCheckpoint.ts): every CA_AUDIT_CHECKPOINT_INTERVAL_SECONDS
 * (default 10 minutes) the signing worker signs the audit chain's head (CP 5.4.3). Created at main-worker start and
 * updated in place when the configuration changed — idempotent, like the CRL and OCSP schedules. Overlap SKIP: one
 * checkpoint at a time.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { CaConfig } from '../config';
import { auditCheckpointScheduleId, auditCheckpointWorkflowId } from '../domain/workflow-ids';
import type { CheckpointAuditInput } from '../workflows/auditCheckpoint';
import { upsertSchedule } from './schedules';

export async function ensureAuditCheckpointSchedule(config: Pick<CaConfig, 'temporal' | 'audit'>, opts: { client: Client }): Promise<void> {
  const { client } = opts;
  const spec = { intervals: [{ every: `${config.audit.checkpointIntervalSeconds}s` }] };
  const input: CheckpointAuditInput = { signingTaskQueue: config.temporal.signingTaskQueue };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'checkpointAudit',
    workflowId: auditCheckpointWorkflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
  };
  await upsertSchedule(client, {
    scheduleId: auditCheckpointScheduleId,
    spec,
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  });
}
