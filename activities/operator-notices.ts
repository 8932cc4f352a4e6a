/**
 * Notices the operator workflows send: an incident's notice to each affected subscriber (CP 4.9.1: the CA revokes on
 * its own; the subscriber must replace the certificate), key-changeover reminders and the self-audit report to the
 * operators (BR 8.7). One small port, so that the notices outbox (issue #15: PostgreSQL outbox, exactly-once SMTP)
 * plugs in without touching the workflows or their activities.
 */
import type { Db } from '../db/client';
import { appendAudit } from '../db/repositories/audit';

export interface Notice {
  readonly kind: 'incident' | 'key-changeover-reminder' | 'self-audit-report';
  /** A subscriber (the account's contact) or the operators' mailbox. */
  readonly recipient: { readonly accountId: string } | { readonly email: string };
  /** One notice per key, however often the activity that sends it is retried. */
  readonly idempotencyKey: string;
  /** What the template needs (serials, names, deadlines, links); ids and short lists only. */
  readonly data: Record<string, unknown>;
}

export interface NoticePort {
  enqueue(notice: Notice): Promise<void>;
}

/** Tests: every notice, in order, deduplicated by idempotency key as the outbox will. */
export function recordingNotices(): NoticePort & { readonly sent: Notice[] } {
  const sent: Notice[] = [];
  return {
    sent,
    async enqueue(notice) {
      if (!sent.some((n) => n.idempotencyKey === notice.idempotencyKey)) sent.push(notice);
    },
  };
}

/**
 * Workers until the outbox exists: each notice is written to the hash-chained audit log (event `notice.recorded`),
 * so what should have been sent is on record; nothing is sent by e-mail yet, and a retried activity may record the
 * same idempotency key twice. TODO(#15): enqueue into the notices outbox (idempotent by key) instead.
 */
export function auditedNotices(db: Db): NoticePort {
  return {
    async enqueue(notice) {
      await appendAudit(db, { actor: 'notices', event: 'notice.recorded', data: { ...notice } });
    },
  };
}
