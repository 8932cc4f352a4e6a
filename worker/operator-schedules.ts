/**
 * The operator's Temporal Schedules, created at main-worker start and updated in place when the configuration changed
 * (idempotent, like the CRL and OCSP schedules):
 * - `key-changeover-check`, daily (CP 5.6): looks for issuing CA certificates whose remaining validity nears
 *   policy(now)'s maximum subscriber validity and starts their changeover (workflows/keyChangeover.ts);
 * - `self-audit`, quarterly at 03:00 UTC on the first day of January, April, July and October (BR 8.7: at least every
 *   quarter) — workflows/selfAudit.ts.
 * Overlap SKIP: a run still going when the next is due lets it pass.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import type { CaConfig } from '../config';
import { keyChangeoverCheckScheduleId, keyChangeoverCheckWorkflowId, selfAuditScheduleId, selfAuditWorkflowId } from '../domain/workflow-ids';
import { operatorInputs } from '../temporal/operator';

/** BR 8.7 "at least every quarter": 03:00 UTC on the first day of each calendar quarter. */
export const selfAuditCalendar: ScheduleSpec = {
  calendars: [{ month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], dayOfMonth: 1, hour: 3, minute: 0, second: 0, comment: 'BR 8.7: at least every quarter' }],
};

async function ensureSchedule(client: Client, scheduleId: string, spec: ScheduleSpec, action: ScheduleOptionsAction): Promise<void> {
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } });
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}

export async function ensureOperatorSchedules(config: Pick<CaConfig, 'temporal' | 'crl' | 'operator'>, opts: { client: Client }): Promise<void> {
  const inputs = operatorInputs(config);
  const taskQueue = config.temporal.taskQueue;
  await ensureSchedule(opts.client, keyChangeoverCheckScheduleId, { intervals: [{ every: '1 day' }] }, {
    type: 'startWorkflow',
    workflowType: 'checkKeyChangeover',
    workflowId: keyChangeoverCheckWorkflowId,
    taskQueue,
    args: [inputs.keyChangeoverCheck()],
  });
  await ensureSchedule(opts.client, selfAuditScheduleId, selfAuditCalendar, {
    type: 'startWorkflow',
    workflowType: 'selfAudit',
    workflowId: selfAuditWorkflowId,
    taskQueue,
    args: [inputs.selfAudit()],
  });
}
