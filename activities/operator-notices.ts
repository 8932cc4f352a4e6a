/**
 * Notices the operator workflows send — an incident's notice to each affected subscriber (CP 4.9.1: the CA revokes on
 * its own; the subscriber must replace the certificate), key-changeover reminders and the self-audit report to the
 * operators (BR 8.7) — written to the notices outbox (db/repositories/notices.ts) like every notice of the CA: one
 * notice per idempotency key, however often the activity that enqueues it is retried. The activity returns the
 * notice's id and its workflow starts the delivery (`startNoticeDelivery`, workflows/notices.ts), which e-mails it with
 * the outbox's guarantees. Templates: domain/operator-notices.ts.
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getAccount } from '../db/repositories/accounts';
import { enqueueNotice } from '../db/repositories/notices';
import { CaError } from '../domain/errors';
import type { OperatorNoticeKind } from '../domain/operator-notices';

export interface Notice {
  readonly kind: OperatorNoticeKind;
  /** A subscriber account (its address and language), or the operators' mailbox (CA_OPERATOR_EMAIL). */
  readonly recipient: { readonly accountId: string } | 'operators';
  /** One notice per key, however often the activity that sends it is retried. */
  readonly idempotencyKey: string;
  /** What the template needs (domain/operator-notices.ts); ids and short lists only. */
  readonly data: Record<string, unknown>;
}

export interface NoticePort {
  /** The notice in the outbox (the existing one for a key already enqueued); the caller starts its delivery. */
  enqueue(notice: Notice): Promise<{ noticeId: string }>;
}

export function outboxNotices(db: Db, operators: Pick<CaConfig['operator'], 'email' | 'language'>): NoticePort {
  return {
    async enqueue(notice) {
      let to: { email: string | null; language: typeof operators.language; accountId: string | null };
      if (notice.recipient === 'operators') {
        to = { email: operators.email, language: operators.language, accountId: null };
      } else {
        const account = await getAccount(db, notice.recipient.accountId);
        if (!account) throw new CaError('invariantViolated', `account ${notice.recipient.accountId} not found`);
        // No address on file: the notice is still written, and its delivery fails visibly (`notices failed`).
        to = { email: account.email, language: account.language, accountId: account.id };
      }
      const row = await enqueueNotice(db, {
        kind: notice.kind,
        recipient: to.email,
        language: to.language,
        idempotencyKey: notice.idempotencyKey,
        data: notice.data,
        accountId: to.accountId,
        actor: 'workflow',
      });
      return { noticeId: row.id };
    },
  };
}
