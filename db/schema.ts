/**
 * PostgreSQL schema (drizzle-orm). Migrations in db/migrations are generated from this file with
 * `npm run db:generate` (drizzle-kit) and committed; start and test apply them.
 *
 * Records retention: CP 5.4.3 / 5.5.2 demand >= 7 years for applications and their processing history, so rows
 * are never deleted by the application; audit_log is append-only and hash-chained (BR 5.4, POLICY-2026 "Records").
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (v) => v,
  fromDriver: (v) => new Uint8Array(v),
});

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A CHECK that the text column holds one of the enum values: drizzle's text enums are TypeScript-only, so without
 * it a bad UPDATE (a psql session, a future bug) could store a state no code knows about.
 */
const oneOf = (name: string, column: SQL, values: readonly string[]) =>
  check(name, sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`);

/** Applicants (subscribers) and designated providers. The API key is stored only as its SHA-256. */
export const accounts = pgTable('accounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['subscriber', 'provider'] }).notNull().default('subscriber'),
  apiKeySha256: bytea('api_key_sha256').notNull(),
  status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('accounts_api_key_sha256_uq').on(t.apiKeySha256),
  oneOf('accounts_kind_ck', sql`${t.kind}`, ['subscriber', 'provider']),
  oneOf('accounts_status_ck', sql`${t.status}`, ['active', 'disabled']),
]);

/** Issuing CAs and the (stand-in) root: the key lives in the HSM under keyLabel, the certificate here. */
export const issuers = pgTable('issuers', {
  id: text('id').primaryKey(), // 'root' | 'dv' | 'ov'
  keyLabel: text('key_label').notNull(),
  subjectDer: bytea('subject_der').notNull(),
  spkiSha256: bytea('spki_sha256').notNull(),
  /** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2 method 1): the AKI of what it signs. */
  keyIdentifier: bytea('key_identifier').notNull(),
  certDer: bytea('cert_der'), // null while a production CSR awaits the external root's certificate
  csrDer: bytea('csr_der'),
  parentId: text('parent_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const orderStatuses = ['pending', 'ready', 'processing', 'valid', 'invalid', 'expired'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const orders = pgTable('orders', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  profile: text('profile', { enum: ['dv', 'ov'] }).notNull(),
  status: text('status', { enum: orderStatuses }).notNull().default('pending'),
  csrDer: bytea('csr_der').notNull(),
  spkiSha256: bytea('spki_sha256').notNull(),
  /** The FQDNs of the certificate, in CSR order (CN first when it is also a SAN). */
  dnsNames: jsonb('dns_names').$type<string[]>().notNull(),
  /** Validity chosen from policy(now) at acceptance (BR 6.3.2), in seconds, inclusive count. */
  validitySeconds: integer('validity_seconds').notNull(),
  workflowId: text('workflow_id').notNull(),
  error: jsonb('error').$type<{ type: string; title: string; detail: string; [k: string]: unknown } | null>(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('orders_account_idx').on(t.accountId),
  uniqueIndex('orders_workflow_id_uq').on(t.workflowId),
  oneOf('orders_status_ck', sql`${t.status}`, orderStatuses),
  oneOf('orders_profile_ck', sql`${t.profile}`, ['dv', 'ov']),
]);

export const authorizationStatuses = ['pending', 'valid', 'invalid', 'expired'] as const;

/** One per FQDN of an order (CP 3.2.2.4: every FQDN in the SAN is validated). */
export const authorizations = pgTable('authorizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  fqdn: text('fqdn').notNull(),
  wildcard: boolean('wildcard').notNull().default(false),
  status: text('status', { enum: authorizationStatuses }).notNull().default('pending'),
  validatedAt: ts('validated_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  index('authorizations_order_idx').on(t.orderId),
  index('authorizations_account_fqdn_idx').on(t.accountId, t.fqdn),
  oneOf('authorizations_status_ck', sql`${t.status}`, authorizationStatuses),
]);

export const challengeStatuses = ['pending', 'processing', 'valid', 'invalid', 'expired'] as const;

export const challenges = pgTable('challenges', {
  id: uuid('id').primaryKey().defaultRandom(),
  authorizationId: uuid('authorization_id').notNull().references(() => authorizations.id, { onDelete: 'cascade' }),
  /** BR 3.2.2.4 method: e.g. '3.2.2.4.7'; ACME label e.g. 'dns-01'. */
  method: text('method').notNull(),
  /** DNS name the value must be published at (3.2.2.4.7: _acme-challenge.<FQDN>, wildcard label replaced). */
  recordName: text('record_name'),
  /** The random value (>= 112 bits from a CSPRNG, CP 3.2.2.4), unique across all challenges. */
  token: text('token').notNull(),
  status: text('status', { enum: challengeStatuses }).notNull().default('pending'),
  expiresAt: ts('expires_at').notNull(),
  readyAt: ts('ready_at'),
  validatedAt: ts('validated_at'),
  error: jsonb('error').$type<{ type: string; detail: string } | null>(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('challenges_token_uq').on(t.token),
  index('challenges_authorization_idx').on(t.authorizationId),
  oneOf('challenges_status_ck', sql`${t.status}`, challengeStatuses),
]);

/** Evidence of every DCV check (BR 3.2.2.4, 5.4.1): what was asked, of whom, what came back. */
export const validationEvidence = pgTable('validation_evidence', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  challengeId: uuid('challenge_id').notNull().references(() => challenges.id, { onDelete: 'cascade' }),
  fqdn: text('fqdn').notNull(),
  authorizationDomainName: text('authorization_domain_name').notNull(),
  method: text('method').notNull(),
  perspective: text('perspective').notNull(),
  resolver: text('resolver'),
  query: text('query').notNull(),
  rawAnswers: jsonb('raw_answers').$type<unknown>().notNull(),
  result: text('result', { enum: ['success', 'failure'] }).notNull(),
  detail: text('detail'),
  checkedAt: ts('checked_at').notNull().defaultNow(),
}, (t) => [
  index('validation_evidence_challenge_idx').on(t.challengeId),
  oneOf('validation_evidence_result_ck', sql`${t.result}`, ['success', 'failure']),
]);

export const certificateStatuses = ['reserved', 'precertificate', 'issued', 'revoked'] as const;
export type CertificateStatus = (typeof certificateStatuses)[number];

/**
 * One row per order, created at the serial reservation (issuance cycle step 5) before anything is signed.
 * notBefore/notAfter are fixed at reservation so the precertificate and the final certificate share one TBS.
 */
export const certificates = pgTable('certificates', {
  /** Serial number, lowercase hex without leading zeros. */
  serial: text('serial').primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  issuerId: text('issuer_id').notNull().references(() => issuers.id),
  spkiSha256: bytea('spki_sha256').notNull(),
  dnsNames: jsonb('dns_names').$type<string[]>().notNull(),
  status: text('status', { enum: certificateStatuses }).notNull().default('reserved'),
  notBefore: ts('not_before').notNull(),
  notAfter: ts('not_after').notNull(),
  precertDer: bytea('precert_der'),
  certDer: bytea('cert_der'),
  revokedAt: ts('revoked_at'),
  revocationReason: integer('revocation_reason'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('certificates_order_uq').on(t.orderId),
  index('certificates_spki_idx').on(t.spkiSha256),
  oneOf('certificates_status_ck', sql`${t.status}`, certificateStatuses),
  // BR 7.1: a positive serial; stored as lowercase hex without leading zeros so lookups are exact.
  check('certificates_serial_ck', sql`${t.serial} ~ '^[1-9a-f][0-9a-f]*$'`),
]);

/**
 * Append-only, hash-chained audit log (BR 5.4.1; CP 5.4.3): hash = SHA-256(prevHash || canonical JSON of the
 * entry). A trigger refuses UPDATE and DELETE; verification walks the chain.
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
