/**
 * selfAudit — the quarterly self-audit (BR 8.7; CP 8), started by the Temporal Schedule `self-audit`
 * (worker/operator-schedules.ts) or by `npm run admin -- self-audit run`:
 * 1. draw and record the sample: max(1, 3 %) of the certificates issued since the previous self-audit, from a seed
 *    the activity draws from the CSPRNG and stores (anyone can draw the same sample again);
 * 2. check each sampled certificate, a page at a time: today's zlint and pkilint, and its DCV, MPIC and CAA evidence
 *    against the limits in force when it was issued;
 * 3. store the report and send it to the operators.
 * The audit's id is drawn here (uuid4 is replay-safe in a workflow), so a retried sampling activity stores it once.
 */
import { proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createSelfAuditActivities } from '../activities/self-audit';
import { operatorPage, storage } from './activity-options';
import { startNoticeDelivery } from './notices';
import { selfAuditProgressQuery, type SelfAuditInput, type SelfAuditResult } from './operator-contracts';
import { setCaStatus } from './revocation-steps';

type SelfAuditActivities = ReturnType<typeof createSelfAuditActivities>;

export async function selfAudit(input: SelfAuditInput): Promise<SelfAuditResult> {
  const acts = proxyActivities<SelfAuditActivities>(storage);
  const pages = proxyActivities<SelfAuditActivities>(operatorPage);
  const progress = { auditId: null as string | null, sampleSize: null as number | null, checked: 0, flagged: 0 };
  setHandler(selfAuditProgressQuery, () => ({ ...progress }));

  setCaStatus('self-audit-sampling');
  const sample = await acts.sampleSelfAudit({ auditId: uuid4(), workflowId: workflowInfo().workflowId });
  progress.auditId = sample.auditId;
  progress.sampleSize = sample.sampleSize;

  setCaStatus('self-audit-checking');
  for (;;) {
    const page = await pages.checkSelfAuditSamples({ auditId: sample.auditId, limit: input.pageSize });
    progress.checked += page.checked;
    progress.flagged += page.flagged;
    if (!page.remaining) break;
  }

  const done = await acts.completeSelfAudit({ auditId: sample.auditId });
  // The report to the operators, through the outbox (BR 8.7).
  await startNoticeDelivery(done.noticeId);
  setCaStatus(done.flagged.length > 0 ? 'self-audit-flagged' : 'self-audit-passed');
  return { auditId: sample.auditId, population: done.population, sampleSize: done.sampleSize, seed: sample.seed, flagged: done.flagged };
}
