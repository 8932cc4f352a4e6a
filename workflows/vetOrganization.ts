/**
 * vetOrganization — one durable workflow per organization vetting (`vetting-<vettingId>`; CP 3.2.2.1–3.2.2.3, 3.2.5,
 * 4.2; OV-VETTING.md). It only orchestrates; the evidence and every state live in PostgreSQL (activities/vetting.ts).
 *   1. the automated match against the imported NTA registry; no match (or no legal personality) → the applicant
 *      uploads documents and a vetting agent verifies them (Update `recordDocumentCheck`);
 *   2. the authority check: a call-back to a number from a reliable source (Update `recordCallback`, CP 3.2.5);
 *   3. the final approval by a second person (Update `approve`, four-eyes) or a rejection with a reason (`reject`);
 *   4. clocks, each a durable timer visible in the Web UI: a reminder to the queue after 24 h without progress, the
 *      application's expiry after 30 days, the vetted record's reminder 30 days before its end and its end
 *      (policy(approval)'s reuse limit: 398 days, BR 4.2.1).
 * OV orders waiting for this organization (issuance step 4) are signalled when the vetting ends either way.
 */
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createVettingActivities } from '../activities/vetting';
import { acceptedIn, fourEyesRefusal, isFinalVettingStatus, vettingClocks, type VettingStatus } from '../domain/vetting';
import { orderWorkflowId } from '../domain/workflow-ids';
import { email as emailOptions, storage as storageOptions } from './activity-options';
import { vettingDecidedSignal } from './contracts';
import { failureOf, workflowFailure } from './failures';
import {
  approveUpdate,
  documentUploadedSignal,
  recordCallbackUpdate,
  recordDocumentCheckUpdate,
  rejectUpdate,
  vettingProgressQuery,
  vettingSearchAttributes,
  type EvidenceArgs,
  type VetOrganizationInput,
  type VetOrganizationResult,
} from './vetting-contracts';

type VettingActivities = ReturnType<typeof createVettingActivities>;
const vetting = proxyActivities<VettingActivities>(storageOptions);
const notices = proxyActivities<Pick<VettingActivities, 'notifyRepresentative' | 'remindQueue'>>(emailOptions);

export async function vetOrganization(input: VetOrganizationInput): Promise<VetOrganizationResult> {
  const { vettingId } = input;
  // Changed by the Update handlers too: the casts keep TypeScript from narrowing them to their first value.
  let status = 'matching' as VettingStatus;
  const recorders: string[] = [];
  /** Counts every step forward (an Update, an upload): the 24 h reminder measures from the last one. */
  let progress = 0;
  /** An Update handler is running its activities: a second one waits its turn (the validator refuses it). */
  let busy = false;
  let approved = null as { vettedOrganizationId: string; validUntil: string; reminderAt: string } | null;

  const setStatus = async (next: VettingStatus, decidedBy?: string): Promise<void> => {
    status = next;
    upsertSearchAttributes([{ key: vettingSearchAttributes.state, value: next }]);
    await vetting.setVettingStatus({ vettingId, status: next, ...(decidedBy ? { decidedBy } : {}) });
  };
  const requireTurn = (operatorId: string, wanted: VettingStatus | 'open') => {
    if (!operatorId) throw workflowFailure('malformed', 'an operator id is required');
    if (busy) throw workflowFailure('conflict', 'another action on this vetting is in progress; retry');
    if (wanted === 'open' ? isFinalVettingStatus(status) : status !== wanted) {
      throw workflowFailure('conflict', `the vetting is ${status}${wanted === 'open' ? '' : `, not ${wanted}`}`);
    }
  };
  /** Runs an Update's activities one at a time; an activity's failure fails the Update (its kind kept), not the workflow. */
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    busy = true;
    try {
      return await fn();
    } catch (err) {
      const f = failureOf(err);
      throw workflowFailure(f.kind, f.message, f.details);
    } finally {
      busy = false;
      progress++;
    }
  };
  const evidenceStep = (kind: 'document-check' | 'callback', advanceTo: VettingStatus) => async ({ operatorId, evidenceId }: EvidenceArgs) =>
    exclusive(async () => {
      const { passed } = await vetting.acceptEvidence({ vettingId, evidenceId, operatorId, kind });
      if (!recorders.includes(operatorId)) recorders.push(operatorId);
      if (passed) await setStatus(advanceTo);
      return { status };
    });

  setHandler(vettingProgressQuery, () => ({ vettingId, status, recorders: [...recorders], vettedOrganizationId: approved?.vettedOrganizationId ?? null, validUntil: approved?.validUntil ?? null }));
  setHandler(documentUploadedSignal, () => {
    progress++;
  });
  setHandler(recordDocumentCheckUpdate, evidenceStep('document-check', 'awaiting-callback'), {
    validator: ({ operatorId }) => requireTurn(operatorId, acceptedIn['document-check']),
  });
  setHandler(recordCallbackUpdate, evidenceStep('callback', 'awaiting-approval'), {
    validator: ({ operatorId }) => requireTurn(operatorId, acceptedIn.callback),
  });
  setHandler(
    approveUpdate,
    ({ operatorId }) =>
      exclusive(async () => {
        const r = await vetting.approveVetting({ vettingId, operatorId });
        approved = r;
        await setStatus('approved');
        return { status, vettedOrganizationId: r.vettedOrganizationId, validUntil: r.validUntil };
      }),
    {
      validator: ({ operatorId }) => {
        requireTurn(operatorId, acceptedIn.approve);
        const refusal = fourEyesRefusal(operatorId, recorders);
        if (refusal) throw workflowFailure('separationOfDuties', refusal, { rule: 'four-eyes (OV-VETTING.md)' });
      },
    },
  );
  setHandler(
    rejectUpdate,
    ({ operatorId, evidenceId }) =>
      exclusive(async () => {
        await vetting.acceptEvidence({ vettingId, evidenceId, operatorId, kind: 'rejection' });
        await setStatus('rejected', operatorId);
        return { status };
      }),
    { validator: ({ operatorId }) => requireTurn(operatorId, 'open') },
  );

  upsertSearchAttributes([{ key: vettingSearchAttributes.state, value: status }]);
  const deadline = Date.now() + vettingClocks.applicationExpirySeconds * 1000;

  // Step 1: the registry (CP 3.2.2.1), or documents for an agent.
  const match = await vetting.matchRegistry({ vettingId });
  await setStatus(match.matched ? 'awaiting-callback' : 'awaiting-documents');
  if (!match.matched) await notify('documents-needed');

  // Steps 2 and 3 happen in the Update handlers; here the clocks run until a decision or the 30-day expiry.
  // Decided = a final status and no Update handler still running (an approval stores its record before it returns).
  const decided = () => isFinalVettingStatus(status) && !busy;
  while (!decided()) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const seen = progress;
    const moved = await condition(() => progress !== seen || decided(), Math.min(vettingClocks.queueReminderSeconds * 1000, left), {
      summary: 'vetting: queue reminder after 24 h without progress, application expiry after 30 days',
    });
    if (!moved && Date.now() < deadline && !isFinalVettingStatus(status)) await remind();
  }
  await condition(allHandlersFinished);

  if (!isFinalVettingStatus(status)) {
    await setStatus('expired');
    await notify('application-expired');
  } else if (status === 'rejected') {
    await notify('rejected');
  }
  await wakeWaitingOrders();
  if (status !== 'approved' || !approved) return { vettingId, status, vettedOrganizationId: null };

  // Step 4: the vetted record's life (BR 4.2.1): a reminder 30 days before its end, then its end.
  const record: { vettedOrganizationId: string; validUntil: string; reminderAt: string } = approved;
  await notify('approved');
  await sleep(Math.max(0, Date.parse(record.reminderAt) - Date.now()), { summary: 'vetted record: reminder 30 days before it ends' });
  await notify('record-expiring');
  await sleep(Math.max(0, Date.parse(record.validUntil) - Date.now()), { summary: 'vetted record: end of its validity (398 days)' });
  await vetting.recordExpired({ vettingId });
  await notify('record-expired');
  return { vettingId, status, vettedOrganizationId: record.vettedOrganizationId };

  /** E-mails never decide anything: a failure is logged and the vetting goes on. */
  async function notify(notice: Parameters<VettingActivities['notifyRepresentative']>[0]['notice']): Promise<void> {
    try {
      await notices.notifyRepresentative({ vettingId, notice });
    } catch (err) {
      log.warn('vetting notice not sent', { vettingId, notice, error: failureOf(err).message });
    }
  }

  async function remind(): Promise<void> {
    try {
      await notices.remindQueue({ vettingId });
    } catch (err) {
      log.warn('queue reminder not sent', { vettingId, error: failureOf(err).message });
    }
  }

  /** OV orders of this organization in issuance step 4 re-check the vetting now rather than at their next poll. */
  async function wakeWaitingOrders(): Promise<void> {
    const { orderIds } = await vetting.ordersAwaitingVetting({ vettingId });
    for (const orderId of orderIds) {
      try {
        await getExternalWorkflowHandle(orderWorkflowId(orderId)).signal(vettingDecidedSignal);
      } catch (err) {
        // The order's workflow has ended meanwhile: nothing waits any more.
        log.info('order not signalled', { orderId, error: failureOf(err).message });
      }
    }
  }
}
