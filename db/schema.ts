/**
 * PostgreSQL schema (drizzle-orm). Migrations in db/migrations are generated from this file with
 * `npm run db:generate` (drizzle-kit) and committed; start and test apply them.
 *
 * Records retention: CP 5.4.3 / 5.5.2 demand >= 7 years for applications and their processing history, so rows
 * are never deleted by the application; audit_log is append-only and hash-chained (BR 5.4, POLICY-2026 "Records").
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSequence,
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
  /**
   * Designated providers: the provider account (kind 'provider', CP 1.3 指定事業者) that manages this subscriber
   * and may relay its applications (CP 3.4 (1), 4.9.2); null for a subscriber that applies itself.
   */
  providerAccountId: uuid('provider_account_id').references((): AnyPgColumn => accounts.id),
}, (t) => [
  uniqueIndex('accounts_api_key_sha256_uq').on(t.apiKeySha256),
  index('accounts_provider_idx').on(t.providerAccountId),
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
  /**
   * Issue #5: the designated provider (an account of kind 'provider', CP 1.3.2 指定事業者) that relayed this
   * application for the subscriber; it may then request the certificate's revocation (CP 4.9.2, 3.4 (1)).
   */
  providerAccountId: uuid('provider_account_id').references(() => accounts.id),
  error: jsonb('error').$type<{ type: string; title: string; detail: string; [k: string]: unknown } | null>(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('orders_account_idx').on(t.accountId),
  // Designated providers: GET /v1/orders lists the orders a provider relayed.
  index('orders_provider_idx').on(t.providerAccountId),
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
  /** DNS name the value must be published at (3.2.2.4.7: _acme-challenge.<FQDN>, wildcard label replaced); for the
   *  web file method (3.2.2.4.18, issue #3) the URL path of the file under /.well-known/pki-validation/. */
  recordName: text('record_name'),
  /** The random value (>= 112 bits from a CSPRNG, CP 3.2.2.4), unique across all challenges. */
  token: text('token').notNull(),
  /**
   * Issue #6 (ACME): the key authorization (RFC 8555 §8.1: token || '.' || base64url(JWK thumbprint of the account
   * key)) fixed when the client answered the challenge; the DCV checks then expect it (http-01 body) or its SHA-256
   * (dns-01 TXT, §8.4) instead of the bare random value. Null for challenges of the non-ACME API.
   */
  keyAuthorization: text('key_authorization'),
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
  // Issue #3 (MPIC, CAA): which check this is, the perspective's RIR region, and the corroboration round it belongs to.
  check: text('check', { enum: ['dcv', 'caa'] }).notNull().default('dcv'),
  region: text('region'),
  corroborationId: uuid('corroboration_id'),
}, (t) => [
  index('validation_evidence_challenge_idx').on(t.challengeId),
  oneOf('validation_evidence_result_ck', sql`${t.result}`, ['success', 'failure']),
  oneOf('validation_evidence_check_ck', sql`${t.check}`, ['dcv', 'caa']),
  index('validation_evidence_corroboration_idx').on(t.corroborationId),
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
  // Issue #5: CRL generation reads the revoked, not yet dropped entries of one issuer (CP 4.9.6).
  index('certificates_revoked_idx').on(t.issuerId, t.notAfter).where(sql`${t.status} = 'revoked'`),
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

// ---------------------------------------------------------------------------------------------------------------
// Issue #3: domain validation, CAA, multi-perspective corroboration (MPIC) and weak keys.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The compromised/weak key blocklist (BR 6.1.1.3; CP 4.9.12 reported compromises; imported lists such as Debian's
 * openssl-blacklist). `kind` says what `hash` is: the SHA-256 of the DER SubjectPublicKeyInfo, or the last 80 bits
 * of SHA-1("Modulus=<HEX>\n") — the only form the Debian weak-key lists exist in.
 */
export const blockedKeys = pgTable('blocked_keys', {
  kind: text('kind', { enum: ['spki-sha256', 'debian-modulus-sha1'] }).notNull(),
  hash: bytea('hash').notNull(),
  source: text('source').notNull(),
  addedAt: ts('added_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('blocked_keys_kind_hash_uq').on(t.kind, t.hash),
  oneOf('blocked_keys_kind_ck', sql`${t.kind}`, ['spki-sha256', 'debian-modulus-sha1']),
]);

/**
 * One MPIC round (BR 3.2.2.9, 5.4.1 from 2026-07-15): a DCV or CAA check run on the primary and on every remote
 * perspective, and the quorum applied to the results. Each perspective's own evidence is a validation_evidence row
 * pointing here. A retry is a new round: earlier corroborations are never reused.
 */
export const corroborations = pgTable('corroborations', {
  id: uuid('id').primaryKey().defaultRandom(),
  orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
  authorizationId: uuid('authorization_id').references(() => authorizations.id, { onDelete: 'cascade' }),
  fqdn: text('fqdn').notNull(),
  check: text('check', { enum: ['dcv', 'caa'] }).notNull(),
  /** BR section and label, e.g. '3.2.2.4.7 (dns-01)' or 'BR 3.2.2.8 (CAA)'. */
  method: text('method').notNull(),
  result: text('result', { enum: ['pass', 'fail'] }).notNull(),
  /** The quorum as computed by domain/mpic.ts: counts, regions, the rule and its citation. */
  quorum: jsonb('quorum').$type<Record<string, unknown>>().notNull(),
  checkedAt: ts('checked_at').notNull().defaultNow(),
}, (t) => [
  index('corroborations_order_idx').on(t.orderId),
  oneOf('corroborations_check_ck', sql`${t.check}`, ['dcv', 'caa']),
  oneOf('corroborations_result_ck', sql`${t.result}`, ['pass', 'fail']),
]);

// ---------------------------------------------------------------------------------------------------------------
// Issue #4: pre-issuance linting and Certificate Transparency.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Pre-issuance lint reports (issuance cycle step 6, POLICY-2026.md "Pre-issuance linting"): one row per linter run
 * on a to-be-signed certificate (the TBS signed by a throwaway key), kept with the order as evidence. `verdict`
 * is 'pass' when no error and no unaccepted warning was found; `findings` holds every non-pass finding.
 */
export const lintReports = pgTable('lint_reports', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  serial: text('serial').notNull(),
  /** What was linted: the precertificate (step 6) or the final certificate with its SCT list (before step 10). */
  kind: text('kind', { enum: ['precertificate', 'final'] }).notNull(),
  linter: text('linter').notNull(),
  linterVersion: text('linter_version').notNull(),
  verdict: text('verdict', { enum: ['pass', 'fail'] }).notNull(),
  /** SHA-256 of the linted TBSCertificate DER: ties the report to the bytes that were (or were not) signed. */
  tbsSha256: bytea('tbs_sha256').notNull(),
  findings: jsonb('findings').$type<Array<Record<string, unknown>>>().notNull(),
  lintedAt: ts('linted_at').notNull().defaultNow(),
}, (t) => [
  index('lint_reports_order_idx').on(t.orderId),
  index('lint_reports_serial_idx').on(t.serial),
  oneOf('lint_reports_kind_ck', sql`${t.kind}`, ['precertificate', 'final']),
  oneOf('lint_reports_verdict_ck', sql`${t.verdict}`, ['pass', 'fail']),
]);

/**
 * SCTs received for a precertificate (issuance cycle step 8), one per (serial, log), stored only after the
 * signature verified against the log's key. The first stored SCT for a log wins (a retried submission keeps it).
 */
export const certificateScts = pgTable('certificate_scts', {
  serial: text('serial').notNull().references(() => certificates.serial),
  /** The log's id in the configured log list (config CA_CT_LOG_LIST). */
  logId: text('log_id').notNull(),
  /** RFC 6962 3.2 LogID: SHA-256 of the log key. */
  logKeyId: bytea('log_key_id').notNull(),
  operator: text('operator').notNull(),
  api: text('api', { enum: ['rfc6962', 'static-ct'] }).notNull(),
  /** The SCT in its RFC 6962 3.2 TLS encoding, as embedded in the final certificate. */
  sct: bytea('sct').notNull(),
  sctTimestamp: ts('sct_timestamp').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('certificate_scts_serial_log_uq').on(t.serial, t.logId),
  oneOf('certificate_scts_api_ck', sql`${t.api}`, ['rfc6962', 'static-ct']),
]);

// ---------------------------------------------------------------------------------------------------------------
// Issue #5: revocation, key-compromise reports and CRLs. The compromised-key blocklist is `blocked_keys` above.
// ---------------------------------------------------------------------------------------------------------------

/**
 * cRLNumber source (RFC 5280 5.2.3, BR 7.2: strictly increasing, never reused). A sequence, not max()+1: nextval is
 * never rolled back, so a CRL signed by a run that then crashed (or lost a race) can never share its number with a
 * later one, across restarts and overlapping runs. One sequence for every issuer: increasing per issuer too.
 */
export const crlNumberSeq = pgSequence('crl_number_seq', { startWith: 1 });

/**
 * Every CRL signed, by id (workflows carry the id, never the bytes). The latest row per issuer is what the
 * repository serves at the CRL DP URL; verified_at is set once the published CRL was fetched back over http and
 * its signature checked (CP 4.9.8).
 */
export const crls = pgTable('crls', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  issuerId: text('issuer_id').notNull().references(() => issuers.id),
  crlNumber: bigint('crl_number', { mode: 'bigint' }).notNull(),
  thisUpdate: ts('this_update').notNull(),
  nextUpdate: ts('next_update').notNull(),
  entryCount: integer('entry_count').notNull(),
  der: bytea('der').notNull(),
  sha256: bytea('sha256').notNull(),
  /** What asked for it: the schedule, a revocation (debounced), an operator. */
  trigger: text('trigger').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  verifiedAt: ts('verified_at'),
  verifyError: text('verify_error'),
}, (t) => [
  uniqueIndex('crls_issuer_number_uq').on(t.issuerId, t.crlNumber),
  check('crls_validity_ck', sql`${t.nextUpdate} > ${t.thisUpdate} and ${t.nextUpdate} <= ${t.thisUpdate} + interval '10 days'`),
]);

export const keyCompromiseReportStatuses = ['received', 'verified', 'rejected', 'revoking', 'completed'] as const;

/**
 * Key-compromise reports (CP 4.9.12, BR 4.9.1.1 (3)). The proof is kept as evidence, but never the private key: a
 * report made with the private key stores a statement the API signed with it (then forgot the key), which the
 * workflow verifies like a CSR signature.
 */
export const keyCompromiseReports = pgTable('key_compromise_reports', {
  id: uuid('id').primaryKey().defaultRandom(),
  spkiSha256: bytea('spki_sha256').notNull(),
  spkiDer: bytea('spki_der').notNull(),
  proofKind: text('proof_kind', { enum: ['privateKey', 'csr'] }).notNull(),
  /** 'csr': the CSR DER; 'privateKey': the UTF-8 statement signed by the reported key. */
  proof: bytea('proof').notNull(),
  /** 'privateKey': the signature over the statement (sha256, the key's own algorithm). */
  proofSignature: bytea('proof_signature'),
  status: text('status', { enum: keyCompromiseReportStatuses }).notNull().default('received'),
  reporterContact: text('reporter_contact'),
  certificatesFound: integer('certificates_found'),
  certificatesRevoked: integer('certificates_revoked').notNull().default(0),
  error: text('error'),
  workflowId: text('workflow_id').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  deadline: ts('deadline').notNull(),
  completedAt: ts('completed_at'),
}, (t) => [
  index('key_compromise_reports_spki_idx').on(t.spkiSha256),
  oneOf('key_compromise_reports_status_ck', sql`${t.status}`, keyCompromiseReportStatuses),
  oneOf('key_compromise_reports_proof_kind_ck', sql`${t.proofKind}`, ['privateKey', 'csr']),
]);

// ---- Issue #5 (OCSP): delegated responder certificates and pre-signed responses --------------------------------

/**
 * Delegated OCSP responder certificates (CP 7.3), one current per issuing CA, renewed by the ocsp-refresh schedule
 * before they expire; the key stays in the HSM under keyLabel. Old rows are kept (records, CP 5.5).
 */
export const ocspResponders = pgTable('ocsp_responders', {
  /** Serial number of the responder certificate, lowercase hex without leading zeros. */
  serial: text('serial').primaryKey(),
  issuerId: text('issuer_id').notNull().references(() => issuers.id),
  keyLabel: text('key_label').notNull(),
  certDer: bytea('cert_der').notNull(),
  /** SHA-1 of the responder's subjectPublicKey: ResponderID byKey (RFC 6960 4.2.2.3). */
  keyHash: bytea('key_hash').notNull(),
  notBefore: ts('not_before').notNull(),
  notAfter: ts('not_after').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [index('ocsp_responders_issuer_not_after_idx').on(t.issuerId, t.notAfter)]);

/**
 * The current pre-signed OCSP response of each served serial (RFC 5019 pre-production). Derived state: re-signed
 * from the certificate's status at issuance steps 7 and 10, on revocation and by the refresh schedule; the signing
 * itself is audited. The API answers from here (or its cache), never through Temporal.
 */
export const ocspResponses = pgTable('ocsp_responses', {
  serial: text('serial').primaryKey().references(() => certificates.serial),
  issuerId: text('issuer_id').notNull().references(() => issuers.id),
  certStatus: text('cert_status', { enum: ['good', 'revoked'] }).notNull(),
  thisUpdate: ts('this_update').notNull(),
  nextUpdate: ts('next_update').notNull(),
  responderSerial: text('responder_serial').notNull().references(() => ocspResponders.serial),
  responseDer: bytea('response_der').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('ocsp_responses_this_update_idx').on(t.thisUpdate),
  oneOf('ocsp_responses_cert_status_ck', sql`${t.certStatus}`, ['good', 'revoked']),
]);

// ---------------------------------------------------------------------------------------------------------------
// Issue #6: ACME (RFC 8555) accounts, external account binding keys and the ACME view of orders.
// Nonces are kept in the API process's memory (api/acme/nonces.ts): they need to survive nothing longer.
// ---------------------------------------------------------------------------------------------------------------

export const acmeAccountStatuses = ['valid', 'deactivated', 'revoked'] as const;

/**
 * ACME accounts (RFC 8555 §7.1.2). Each is tied to one CA account (`accounts`): the designated provider's account
 * when it registered with external account binding (§7.3.4), else a subscriber account created with it. The
 * account URL (`<acme base>/acct/<id>`) is what CAA `accounturi` names (RFC 8657 §3).
 */
export const acmeAccounts = pgTable('acme_accounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  /** The account's public key as a JWK (RFC 7517), public members only. */
  jwk: jsonb('jwk').$type<Record<string, unknown>>().notNull(),
  /** RFC 7638 SHA-256 thumbprint, base64url: finds the account by key (newAccount, onlyReturnExisting, keyChange). */
  jwkThumbprint: text('jwk_thumbprint').notNull(),
  status: text('status', { enum: acmeAccountStatuses }).notNull().default('valid'),
  contact: jsonb('contact').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  termsAgreedAt: ts('terms_agreed_at'),
  /** The EAB key id this account was bound with (RFC 8555 §7.3.4), if any. */
  eabKeyId: text('eab_key_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('acme_accounts_jwk_thumbprint_uq').on(t.jwkThumbprint),
  index('acme_accounts_account_idx').on(t.accountId),
  oneOf('acme_accounts_status_ck', sql`${t.status}`, acmeAccountStatuses),
]);

/**
 * External account binding keys (RFC 8555 §7.3.4), made by `npm run admin -- eab create --account <id>` for a CA
 * account (typically a designated provider). The HMAC key must be kept to verify the binding's MAC; a key binds
 * one ACME account only (boundAt, acmeAccountId) and may be revoked by an operator.
 */
export const acmeEabKeys = pgTable('acme_eab_keys', {
  keyId: text('key_id').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  hmacKey: bytea('hmac_key').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  boundAt: ts('bound_at'),
  acmeAccountId: uuid('acme_account_id'),
  revokedAt: ts('revoked_at'),
}, (t) => [
  index('acme_eab_keys_account_idx').on(t.accountId),
  check('acme_eab_keys_hmac_len_ck', sql`octet_length(${t.hmacKey}) >= 32`),
]);

/**
 * The ACME view of an order (RFC 8555 §7.1.3): which ACME account placed it, and the certificate it replaces
 * (ARI, RFC 9773 §5: the certID of the `replaces` field). Until finalize the order row holds an empty CSR
 * (orders.csr_der is NOT NULL): ACME sends the CSR only at finalize (§7.4), when it is written after the same
 * acceptance checks as the API's (api/accept.ts).
 */
export const acmeOrders = pgTable('acme_orders', {
  orderId: uuid('order_id').primaryKey().references(() => orders.id, { onDelete: 'cascade' }),
  acmeAccountId: uuid('acme_account_id').notNull().references(() => acmeAccounts.id),
  /** RFC 9773 certID (base64url(AKI keyIdentifier) "." base64url(serial)) of the certificate this order replaces. */
  replaces: text('replaces'),
  replacesSerial: text('replaces_serial'),
  finalizedAt: ts('finalized_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  index('acme_orders_account_idx').on(t.acmeAccountId),
  index('acme_orders_replaces_serial_idx').on(t.replacesSerial),
]);

/**
 * Issue #3, CP 3.2.2.4.4 constructed e-mail: one row per e-mail sent, each with its OWN random value (CP 3.2.2.4.4:
 * "unique per mail", ≥ 112 bits, 25 days). The applicant chooses the address among the constructed ones; the
 * recipient confirms through the API link carrying the value, which signals the order's workflow.
 */
export const emailValidations = pgTable('email_validations', {
  id: uuid('id').primaryKey().defaultRandom(),
  challengeId: uuid('challenge_id').notNull().references(() => challenges.id, { onDelete: 'cascade' }),
  address: text('address').notNull(),
  token: text('token').notNull(),
  status: text('status', { enum: ['requested', 'sent', 'confirmed', 'expired'] }).notNull().default('requested'),
  /** SMTP evidence: the Message-ID and the server's final response. */
  messageId: text('message_id'),
  smtpResponse: text('smtp_response'),
  requestedAt: ts('requested_at').notNull().defaultNow(),
  sentAt: ts('sent_at'),
  confirmedAt: ts('confirmed_at'),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [
  uniqueIndex('email_validations_token_uq').on(t.token),
  index('email_validations_challenge_idx').on(t.challengeId),
  oneOf('email_validations_status_ck', sql`${t.status}`, ['requested', 'sent', 'confirmed', 'expired']),
]);
