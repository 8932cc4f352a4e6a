/**
 * Issuance cycle step 11, after the order is complete (docs/ISSUANCE-CYCLE.md): the certificate's life cycle begins.
 *  1. CP 4.6–4.8: the certificate this order renews, re-keys or modifies is superseded; its expiry reminders stop;
 *     its revocation with reason superseded starts only if the subscriber asked for it.
 *  2. CP 4.3.2: the issuance notice, to the designated provider or the subscriber — never for ACME issuance.
 *  3. The expiry reminders (30 and 7 days before notAfter), a workflow of their own on durable timers.
 * Notices go through the outbox (activities/notices.ts) and are delivered by their own workflows (notices.ts).
 */
import { getExternalWorkflowHandle, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import type { createRenewalActivities } from '../activities/renewal';
import { expiryReminderDays } from '../domain/notices';
import { expiryRemindersWorkflowId, revocationWorkflowId } from '../domain/workflow-ids';
import { bookkeeping, storage as storageOptions } from './activity-options';
import type { IssueCertificateInput } from './contracts';
import { startDetached } from './detached';
import { expiryReminders } from './expiryReminders';
import { certificateRenewedSignal } from './lifecycle-contracts';
import { startNoticeDelivery } from './notices';
import { revokeCertificate } from './revokeCertificate';

/**
 * `lean` (issuance histories since the `cost-per-certificate` patch): the bookkeeping as local activities, and the
 * notice's delivery and the expiry reminders started together rather than one after the other.
 */
export async function afterIssuance(input: IssueCertificateInput, serial: string, lean = false): Promise<void> {
  type Bookkeeping = ReturnType<typeof createRenewalActivities> & ReturnType<typeof createNoticeActivities>;
  const records = lean ? proxyLocalActivities<Bookkeeping>(bookkeeping) : proxyActivities<Bookkeeping>(storageOptions);

  const succession = await records.recordSuccession({ orderId: input.orderId, serial });
  if (succession.predecessorSerial) {
    try {
      await getExternalWorkflowHandle(expiryRemindersWorkflowId(succession.predecessorSerial)).signal(certificateRenewedSignal, { successorSerial: serial });
    } catch {
      // No reminders are running for it (they ended, or it was issued before reminders existed): nothing to stop.
    }
    if (succession.revocation) {
      const revocation = { ...succession.revocation, signingTaskQueue: input.signingTaskQueue };
      await startDetached(revokeCertificate, revocationWorkflowId(revocation.serial), [revocation], 'after-close');
      log.info('predecessor revocation requested (superseded)', { serial: revocation.serial, successor: serial });
    }
  }

  const notify = async () => {
    if (input.viaAcme) return;
    const { noticeId } = await records.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    if (noticeId) await startNoticeDelivery(noticeId);
  };
  const remind = () =>
    startDetached(expiryReminders, expiryRemindersWorkflowId(serial), [{ serial, notAfter: succession.notAfter, daysBefore: expiryReminderDays }], 'once');
  if (lean) {
    await Promise.all([notify(), remind()]);
  } else {
    await notify();
    await remind();
  }
}
