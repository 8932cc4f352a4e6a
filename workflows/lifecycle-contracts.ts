/**
 * The contract of the life-cycle workflows after issuance (CP 4.3.2, 4.6–4.9): the expiry reminders' input and the
 * signal that ends them once the certificate is renewed. Pure: imported by workflow code and Node code alike.
 */
import { defineSignal } from '@temporalio/workflow';

export { expiryRemindersWorkflowId, noticeWorkflowId } from '../domain/workflow-ids';

export interface ExpiryRemindersInput {
  readonly serial: string;
  /** ISO-8601: the certificate's notAfter; the reminders count back from it. */
  readonly notAfter: string;
  /** Days before notAfter, e.g. [30, 7] (domain/notices.ts `expiryReminderDays`). */
  readonly daysBefore: readonly number[];
}

export interface ExpiryRemindersResult {
  readonly serial: string;
  /** The day counts whose reminder was enqueued and handed to its delivery. */
  readonly reminded: readonly number[];
  /** Why the reminders ended early (renewed, revoked, expired), or null when every one was sent or had passed. */
  readonly stoppedBecause: string | null;
}

/** CP 4.6–4.8: the certificate was superseded by its successor: no further reminder. */
export const certificateRenewedSignal = defineSignal<[{ successorSerial: string }]>('certificateRenewed');
