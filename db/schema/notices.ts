/**
 * The notices outbox (CP 4.3.2 issuance notices, CP 4.9 revocation notices, expiry reminders, announcements, and the
 * operator workflows' notices: incidents, key-changeover reminders, self-audit reports): a notice
 * is a row before it is an e-mail. It is written once per idempotency key — in the transaction of the change it
 * reports when the caller has one — and delivered by the `deliverNotice` workflow (workflows/notices.ts), which records
 * every attempt, the SMTP relay's answer and the Message-ID. Rows are kept (CP 5.5.2: the processing history).
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { noticeKinds } from '../../domain/notices';
import { languages, noticeStatuses } from '../../domain/statuses';
import { accounts } from './accounts';
import { oneOf, ts } from './columns';

export const notices = pgTable('notices', {
  id: uuid('id').primaryKey().defaultRandom(),
  kind: text('kind', { enum: noticeKinds }).notNull(),
  /** One notice per key, however often the enqueuing step runs (e.g. `certificate-issued:<serial>`). */
  idempotencyKey: text('idempotency_key').notNull(),
  /** The e-mail address; null when the account has none (the delivery then fails, visibly). */
  recipient: text('recipient'),
  language: text('language', { enum: languages }).notNull(),
  /** What the template needs (domain/notices.ts), fixed when the notice was enqueued. */
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  accountId: uuid('account_id').references(() => accounts.id),
  orderId: uuid('order_id'),
  serial: text('serial'),
  status: text('status', { enum: noticeStatuses }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  /** RFC 5322 Message-ID, derived from the id: the same on every attempt, so a repeated delivery is recognizable. */
  messageId: text('message_id'),
  smtpResponse: text('smtp_response'),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastAttemptAt: ts('last_attempt_at'),
  sentAt: ts('sent_at'),
  failedAt: ts('failed_at'),
}, (t) => [
  uniqueIndex('notices_idempotency_key_uq').on(t.idempotencyKey),
  // `npm run admin -- notices failed` and the pending ones an operator may look for.
  index('notices_status_idx').on(t.status, t.createdAt).where(sql`${t.status} <> 'sent'`),
  index('notices_order_idx').on(t.orderId),
  index('notices_serial_idx').on(t.serial),
  oneOf('notices_kind_ck', sql`${t.kind}`, noticeKinds),
  oneOf('notices_status_ck', sql`${t.status}`, noticeStatuses),
  oneOf('notices_language_ck', sql`${t.language}`, languages),
]);
