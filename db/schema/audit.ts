/** The audit log (BR 5.4.1; CP 5.4): every state change of every aggregate, in the same transaction as the change. */
import { sql } from 'drizzle-orm';
import { bigserial, check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
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
