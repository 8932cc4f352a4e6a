/**
 * checkpointAudit — started by the `audit-checkpoint` Temporal Schedule (worker/audit-checkpoint-schedule.ts, every
 * 10 minutes) and on demand by `npm run admin -- audit checkpoint`: the signing worker signs the head of the audit
 * chain with its dedicated HSM key (activities/audit-checkpoint.ts). The result — sequence, hash, time, signature — is
 * also the workflow's result, so Temporal's history keeps a second copy of every checkpoint outside PostgreSQL.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createAuditCheckpointActivities } from '../activities/audit-checkpoint';
import type { AuditCheckpointResult } from '../domain/audit-checkpoint';
import { signingBatch } from './activity-options';

export interface CheckpointAuditInput {
  readonly signingTaskQueue: string;
}

export async function checkpointAudit(input: CheckpointAuditInput): Promise<AuditCheckpointResult> {
  // The first checkpoint walks the whole chain before it signs: the batch preset's longer attempt.
  const signing = proxyActivities<ReturnType<typeof createAuditCheckpointActivities>>(signingBatch(input.signingTaskQueue));
  return signing.signAuditCheckpoint();
}
