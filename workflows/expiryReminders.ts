/**
 * expiryReminders — one workflow per issued certificate (id `expiry-reminders-<serial>`): durable timers until each
 * reminder instant (30 and 7 days before notAfter), then the reminder notice through the outbox — unless the
 * certificate was renewed (the `certificateRenewed` signal from its successor's issuance, or superseded in the
 * database), revoked or expired, which ends the workflow. A reminder whose instant had already passed when the
 * certificate was issued is skipped (a certificate issued with less than 30 days left gets only the 7-day one).
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import { storage as storageOptions } from './activity-options';
import { certificateRenewedSignal, type ExpiryRemindersInput, type ExpiryRemindersResult } from './lifecycle-contracts';
import { deliver } from './notices';

const DAY_MS = 86_400_000;

export async function expiryReminders(input: ExpiryRemindersInput): Promise<ExpiryRemindersResult> {
  const notices = proxyActivities<ReturnType<typeof createNoticeActivities>>(storageOptions);
  let renewedBy: string | null = null;
  setHandler(certificateRenewedSignal, ({ successorSerial }) => {
    renewedBy = successorSerial;
  });
  const reminded: number[] = [];
  const renewed = () => renewedBy !== null;
  for (const days of [...input.daysBefore].sort((a, b) => b - a)) {
    const waitMs = Date.parse(input.notAfter) - days * DAY_MS - Date.now();
    if (waitMs <= 0) continue;
    if (await condition(renewed, waitMs)) break;
    const r = await notices.enqueueExpiryReminder({ serial: input.serial, daysBefore: days });
    if (r.stop) return { serial: input.serial, reminded, stoppedBecause: r.reason ?? 'stopped' };
    // Delivered here: this workflow has weeks to wait anyway, and the next reminder comes after this one.
    if (r.noticeId) await deliver(r.noticeId);
    reminded.push(days);
  }
  return { serial: input.serial, reminded, stoppedBecause: renewedBy ? `renewed by ${renewedBy as string}` : null };
}
