/**
 * The notices outbox (db/schema/notices.ts). `enqueueNotice` is the one way in — any part of the CA that must tell a
 * subscriber something (issuance, revocation, reminders, incidents) calls it, inside the transaction of the change
 * when it has one — and the delivery workflow records each attempt and the outcome here. Every write is idempotent:
 * the callers are retried activities.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { NoticeKind } from '../../domain/notices';
import type { Language, NoticeStatus } from '../../domain/statuses';
import { notices } from '../schema';
import { appendAudit, insertOnce } from './audit';
import type { DbOrTx, Notice } from './types';

export interface NewNotice {
  readonly kind: NoticeKind;
  /** The e-mail address, or null when none is known (the delivery then fails and shows in `notices failed`). */
  readonly recipient: string | null;
  readonly language: Language;
  /** One notice per key: a second enqueue with the same key returns the first notice unchanged. */
  readonly idempotencyKey: string;
  /** The template's data (domain/notices.ts). */
  readonly data: Record<string, unknown>;
  readonly accountId?: string | null;
  readonly orderId?: string | null;
  readonly serial?: string | null;
  /** Audit actor; defaults to 'system'. */
  readonly actor?: string;
}

/** Writes the notice once (ON CONFLICT on the idempotency key DO NOTHING) and returns it, new or existing. */
export function enqueueNotice(db: DbOrTx, input: NewNotice): Promise<Notice> {
  const { actor: _actor, ...values } = input;
  return db.transaction((tx) =>
    insertOnce(tx, notices, {
      values,
      conflictTarget: notices.idempotencyKey,
      existing: eq(notices.idempotencyKey, input.idempotencyKey),
      audit: {
        actor: input.actor ?? 'system',
        event: 'notice.enqueued',
        orderId: input.orderId ?? null,
        serial: input.serial ?? null,
        data: { kind: input.kind, idempotencyKey: input.idempotencyKey, recipient: input.recipient, language: input.language, accountId: input.accountId ?? null },
      },
    }),
  );
}

export async function getNotice(db: DbOrTx, id: string): Promise<Notice | null> {
  const [row] = await db.select().from(notices).where(eq(notices.id, id)).limit(1);
  return row ?? null;
}

/** Counts an attempt before the SMTP transaction starts, with the Message-ID it will carry. */
export async function recordNoticeAttempt(db: DbOrTx, id: string, input: { at: Date; messageId: string }): Promise<Notice> {
  const [row] = await db
    .update(notices)
    .set({ attempts: sql`${notices.attempts} + 1`, lastAttemptAt: input.at, messageId: input.messageId })
    .where(eq(notices.id, id))
    .returning();
  if (!row) throw new CaError('invariantViolated', `notice ${id} not found`);
  return row;
}

/**
 * A pending notice settles once — sent or failed — with its audit entry in the same transaction; a repeat (a retried
 * activity) changes nothing and returns the notice as it is.
 */
async function settleNotice(
  db: DbOrTx,
  id: string,
  outcome: { set: Partial<typeof notices.$inferInsert> & { status: 'sent' | 'failed' }; data: Record<string, unknown> },
): Promise<Notice> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(notices).set(outcome.set).where(and(eq(notices.id, id), eq(notices.status, 'pending'))).returning();
    if (!row) return (await getNotice(tx, id))!;
    await appendAudit(tx, {
      actor: 'system',
      event: `notice.${outcome.set.status}`,
      orderId: row.orderId,
      serial: row.serial,
      data: { noticeId: id, kind: row.kind, recipient: row.recipient, attempts: row.attempts, ...outcome.data },
    });
    return row;
  });
}

/** The relay accepted the message: the notice is sent. */
export function markNoticeSent(db: DbOrTx, id: string, input: { at: Date; messageId: string; smtpResponse: string }): Promise<Notice> {
  return settleNotice(db, id, {
    set: { status: 'sent', sentAt: input.at, messageId: input.messageId, smtpResponse: input.smtpResponse, lastError: null },
    data: { messageId: input.messageId, smtpResponse: input.smtpResponse },
  });
}

/** The delivery gave up (retries exhausted, or nothing to retry): failed, for an operator (`npm run admin -- notices failed`). */
export function markNoticeFailed(db: DbOrTx, id: string, input: { at: Date; error: string }): Promise<Notice> {
  return settleNotice(db, id, { set: { status: 'failed', failedAt: input.at, lastError: input.error }, data: { error: input.error } });
}

/** Notices in a status, oldest first: `failed` is the operators' query of CP 4.3.2 notices that never went out. */
export async function listNotices(db: DbOrTx, opts: { status: NoticeStatus; limit?: number }): Promise<Notice[]> {
  return db.select().from(notices).where(eq(notices.status, opts.status)).orderBy(asc(notices.createdAt), asc(notices.id)).limit(opts.limit ?? 100);
}

export async function noticesOf(db: DbOrTx, where: { orderId?: string; serial?: string }): Promise<Notice[]> {
  const cond = where.orderId ? eq(notices.orderId, where.orderId) : where.serial ? eq(notices.serial, where.serial) : sql`false`;
  return db.select().from(notices).where(cond).orderBy(asc(notices.createdAt), asc(notices.id));
}
