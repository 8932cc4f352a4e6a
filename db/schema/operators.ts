/**
 * The CA's operators (CP 5.2: trusted roles) who vet organizations for OV (CP 3.2.2.1, 3.2.5): a vetting agent records
 * evidence, an approver decides (four-eyes, domain/vetting.ts). Passwords are stored as scrypt hashes only; a
 * session of the vetting-queue page is stored as the SHA-256 of its cookie value, with its CSRF token.
 */
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accountStatuses } from '../../domain/statuses';
import { operatorRoles } from '../../domain/vetting';
import { bytea, oneOf, ts } from './columns';

export const operators = pgTable('operators', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The login name; also how the audit log names the operator (`operator:<name>`). */
  name: text('name').notNull(),
  roles: text('roles', { enum: operatorRoles }).array().notNull(),
  /** scrypt$N$r$p$<salt b64url>$<hash b64url> */
  passwordHash: text('password_hash').notNull(),
  status: text('status', { enum: accountStatuses }).notNull().default('active'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('operators_name_uq').on(t.name),
  oneOf('operators_status_ck', sql`${t.status}`, accountStatuses),
  // Every role is one of the closed list: the array is contained in the allowed values.
  check('operators_roles_ck', sql`${t.roles} <@ array[${sql.raw(operatorRoles.map((r) => `'${r}'`).join(', '))}]::text[]`),
]);

export const operatorSessions = pgTable('operator_sessions', {
  /** SHA-256 of the cookie value: a copy of the database does not give working sessions. */
  tokenSha256: bytea('token_sha256').primaryKey(),
  operatorId: uuid('operator_id').notNull().references(() => operators.id),
  /** The synchronizer token every form of the page carries back (OWASP CSRF prevention). */
  csrfToken: text('csrf_token').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  endedAt: ts('ended_at'),
}, (t) => [index('operator_sessions_operator_idx').on(t.operatorId)]);
