/** The audit log (BR 5.4.1; CP 5.4): every state change of every aggregate, in the same transaction as the change. */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, ts } from './columns';

/**
 * Append-only, hash-chained audit log (BR 5.4.1; CP 5.4.3): hash = SHA-256(prevHash || canonical JSON of the
 * entry). A trigger (migration 0001) refuses UPDATE and DELETE; `npm run admin -- audit verify` walks the chain.
 */
export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  event: text('event').notNull(),
  orderId: uuid('order_id'),
  serial: text('serial'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  prevHash: bytea('prev_hash').notNull(),
  hash: bytea('hash').notNull(),
}, (t) => [
  index('audit_log_order_idx').on(t.orderId),
  check('audit_log_hash_len_ck', sql`octet_length(${t.hash}) = 32 and octet_length(${t.prevHash}) = 32`),
]);

/**
 * Signed checkpoints of the audit chain (CP 5.4.3, POLICY-2026 "Records": tamper-evident): the head of the chain
 * (its sequence number — the audit_log id — and hash) and the time, signed in the HSM by the signing worker with a
 * key used for nothing else. A chain rewritten and re-hashed from some row on, or cut short, no longer reaches a
 * signed head: `npm run admin -- audit verify` reports the first sequence number it can no longer vouch for.
 * Append-only like the log (trigger in the roles migration); one checkpoint per head.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** The audit_log id of the chain head that was signed. */
  sequence: bigint('sequence', { mode: 'number' }).notNull(),
  /** That entry's hash. */
  hash: bytea('hash').notNull(),
  signedAt: ts('signed_at').notNull(),
  keyLabel: text('key_label').notNull(),
  /** SHA-256 of the signing key's SubjectPublicKeyInfo: which key a verifier must hold. */
  spkiSha256: bytea('spki_sha256').notNull(),
  /** sha256WithRSAEncryption over domain/audit-checkpoint.ts `checkpointMessage`. */
  signature: bytea('signature').notNull(),
}, (t) => [
  uniqueIndex('audit_checkpoints_sequence_uq').on(t.sequence),
  check('audit_checkpoints_hash_len_ck', sql`octet_length(${t.hash}) = 32 and octet_length(${t.spkiSha256}) = 32`),
]);
