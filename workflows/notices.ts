/**
 * deliverNotice — one workflow per notice of the outbox (id `notice-<noticeId>`, domain/workflow-ids.ts): it sends the
 * notice through the relay with retries (activities/notices.ts `sendNotice`) and, when they are exhausted or the
 * notice cannot be sent at all (no address), marks it failed for an operator. Started by the workflow that enqueued
 * the notice (`startNoticeDelivery`), it outlives that workflow; the id makes a second delivery of the same notice
 * impossible while the first runs or after it ended.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import { noticeWorkflowId } from '../domain/workflow-ids';
import { noticeDelivery, storage as storageOptions } from './activity-options';
import { startDetached } from './detached';
import { failureOf } from './failures';

type NoticeActivities = ReturnType<typeof createNoticeActivities>;

export interface DeliverNoticeResult {
  readonly noticeId: string;
  readonly status: 'sent' | 'failed';
}

/**
 * The delivery of one notice, in the calling workflow: the relay with retries, else the notice is failed. A workflow
 * with nothing else to do meanwhile (the expiry reminders) delivers its notices itself; the others start
 * `deliverNotice`, so that neither an issuance nor a revocation waits for a relay that is down.
 */
export async function deliver(noticeId: string): Promise<DeliverNoticeResult> {
  const delivery = proxyActivities<NoticeActivities>(noticeDelivery);
  const bookkeeping = proxyActivities<NoticeActivities>(storageOptions);
  try {
    const { status } = await delivery.sendNotice({ noticeId });
    return { noticeId, status: status === 'failed' ? 'failed' : 'sent' };
  } catch (err) {
    const f = failureOf(err);
    await bookkeeping.failNotice({ noticeId, error: `${f.kind}: ${f.message}` });
    return { noticeId, status: 'failed' };
  }
}

export async function deliverNotice({ noticeId }: { noticeId: string }): Promise<DeliverNoticeResult> {
  return deliver(noticeId);
}

/**
 * Starts the delivery of an enqueued notice as its own workflow, abandoned by the caller (it runs on after the caller
 * ends). A delivery already started for this notice (a replayed or repeated call) is left alone: never two.
 */
export function startNoticeDelivery(noticeId: string): Promise<void> {
  return startDetached(deliverNotice, noticeWorkflowId(noticeId), [{ noticeId }], 'once');
}
