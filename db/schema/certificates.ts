/**
 * Certificates and what the CA checked before signing them: the CA hierarchy (CP 1.1, 7.1.2), every subscriber
 * certificate from its serial reservation on (CP 4.3, 7.1.1), the pre-issuance lint reports (POLICY-2026.md
 * "Pre-issuance linting") and the SCTs embedded (CP 4.3.1; RFC 6962).
 */
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { acceptanceChannels, certificateStatuses } from '../../domain/statuses';
import { accounts } from './accounts';
import { bytea, oneOf, ts } from './columns';
import { orders } from './orders';

/** What a lint report is about: the precertificate (step 6) or the final certificate with its SCT list (before 10). */
const lintedKinds = ['precertificate', 'final'] as const;
/** The two CT submission APIs (RFC 6962 add-pre-chain; Static CT API), see activities/ct/. */
const ctApis = ['rfc6962', 'static-ct'] as const;

/**
 * The keys of the issuing CAs and of the (stand-in) root (CP 1.1, 7.1.2), one row per key: the key lives in the HSM
 * under keyLabel (CP 6.1.1), its CA certificate here. A CA (`caId`: 'root', 'dv', 'ov') changes keys over time
 * (CP 5.6): its first key's row id is the CA id itself, later keys are `<caId>-k<generation>` (domain/key-changeover.ts).
 * Everything a key signs names its row id — certificates.issuer_id, CRLs, OCSP responders and responses — and the
 * repository URLs are per row (config `issuerUrls`): /repository/crl/<id>.crl, /ocsp/<id>, /repository/ca/<id>.cer.
 */
export const issuers = pgTable('issuers', {
  id: text('id').primaryKey(), // 'root' | 'dv' | 'ov' | 'dv-k2' ...
  /** The CA this key belongs to (CP 5.6: one CA, successive keys). */
  caId: text('ca_id').notNull(),
  /** 1 for a CA's first key, then 2, 3, ... (CP 5.6 key changeover). */
  generation: integer('generation').notNull().default(1),
  keyLabel: text('key_label').notNull(),
  subjectDer: bytea('subject_der').notNull(),
  spkiSha256: bytea('spki_sha256').notNull(),
  /** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2 method 1): the AKI of what it signs. */
  keyIdentifier: bytea('key_identifier').notNull(),
  certDer: bytea('cert_der'), // null while a production CSR awaits the external root's certificate
  csrDer: bytea('csr_der'),
  parentId: text('parent_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  /**
   * From when new certificates of the CA are issued under this key (CP 5.6: the switch at a stated time); null while
   * the key awaits its certificate or its switch. The CA's issuing key at t is its unretired key with the latest
   * activeFrom ≤ t (db/repositories/issuers.ts `issuingKeyOf`).
   */
  activeFrom: ts('active_from'),
  /** The key signs nothing more: its last certificate expired and its last CRL was published (CP 5.6). */
  retiredAt: ts('retired_at'),
}, (t) => [uniqueIndex('issuers_ca_generation_uq').on(t.caId, t.generation)]);

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
  /**
   * CP 4.6–4.8: the certificate that renewed, re-keyed or modified this one, once it was issued; the certificate stays
   * valid (status 'issued', OCSP good) unless revoked: superseded is a fact of the life cycle, not a status.
   */
  supersededBy: text('superseded_by'),
  supersededAt: ts('superseded_at'),
  /** CP 4.4.1: the first download (REST or ACME) is the subscriber's acceptance of the certificate. */
  acceptedAt: ts('accepted_at'),
  acceptedVia: text('accepted_via', { enum: acceptanceChannels }),
}, (t) => [
  uniqueIndex('certificates_order_uq').on(t.orderId),
  oneOf('certificates_accepted_via_ck', sql`${t.acceptedVia}`, acceptanceChannels),
  // CP 4.9.12: a key-compromise report finds every certificate with the key.
  index('certificates_spki_idx').on(t.spkiSha256),
  // CRL generation reads the revoked, not yet dropped entries of one issuer (CP 4.9.6).
  index('certificates_revoked_idx').on(t.issuerId, t.notAfter).where(sql`${t.status} = 'revoked'`),
  oneOf('certificates_status_ck', sql`${t.status}`, certificateStatuses),
  // BR 7.1: a positive serial; stored as lowercase hex without leading zeros so lookups are exact.
  check('certificates_serial_ck', sql`${t.serial} ~ '^[1-9a-f][0-9a-f]*$'`),
]);

/**
 * Pre-issuance lint reports (issuance cycle step 6, POLICY-2026.md "Pre-issuance linting"): one row per linter run
 * on a to-be-signed certificate (the TBS signed by a throwaway key), kept with the order as evidence. `verdict`
 * is 'pass' when no error and no unaccepted warning was found; `findings` holds every non-pass finding.
 */
export const lintReports = pgTable('lint_reports', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  serial: text('serial').notNull(),
  kind: text('kind', { enum: lintedKinds }).notNull(),
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
  oneOf('lint_reports_kind_ck', sql`${t.kind}`, lintedKinds),
  oneOf('lint_reports_verdict_ck', sql`${t.verdict}`, ['pass', 'fail']),
]);

/**
 * SCTs received for a precertificate (issuance cycle step 8, CP 4.3.1), one per (serial, log), stored only after
 * the signature verified against the log's key. The first stored SCT for a log wins (a retried submission keeps it).
 */
export const certificateScts = pgTable('certificate_scts', {
  serial: text('serial').notNull().references(() => certificates.serial),
  /** The log's id in the configured log list (config CA_CT_LOG_LIST). */
  logId: text('log_id').notNull(),
  /** RFC 6962 3.2 LogID: SHA-256 of the log key. */
  logKeyId: bytea('log_key_id').notNull(),
  operator: text('operator').notNull(),
  api: text('api', { enum: ctApis }).notNull(),
  /** The SCT in its RFC 6962 3.2 TLS encoding, as embedded in the final certificate. */
  sct: bytea('sct').notNull(),
  sctTimestamp: ts('sct_timestamp').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('certificate_scts_serial_log_uq').on(t.serial, t.logId),
  oneOf('certificate_scts_api_ck', sql`${t.api}`, ctApis),
]);
