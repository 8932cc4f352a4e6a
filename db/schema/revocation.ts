/**
 * Revocation and certificate status (CP 4.9; BR 4.9): key-compromise reports and the blocklist they feed, the CRLs
 * (CP 4.9.6–4.9.8, 7.2) and the OCSP responder certificates and pre-signed responses (CP 4.9.9–4.9.10, 7.3).
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, pgSequence, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { keyCompromiseReportStatuses } from '../../domain/statuses';
import { certificates, issuers } from './certificates';
import { bytea, oneOf, ts } from './columns';

/** What `blocked_keys.hash` is a hash of. */
const blockedKeyKinds = ['spki-sha256', 'debian-modulus-sha1'] as const;
/** How a key-compromise report proves the key (CP 4.9.12): the private key itself, or a CSR signed by it. */
const compromiseProofKinds = ['privateKey', 'csr'] as const;
/** What a stored OCSP response states; never 'unknown': a serial never issued is answered unauthorized (BR 4.9.10). */
const ocspCertStatuses = ['good', 'revoked'] as const;

/**
 * The compromised/weak key blocklist (BR 6.1.1.3; CP 4.9.12 reported compromises; imported lists such as Debian's
 * openssl-blacklist). `kind` says what `hash` is: the SHA-256 of the DER SubjectPublicKeyInfo, or the last 80 bits
 * of SHA-1("Modulus=<HEX>\n") — the only form the Debian weak-key lists exist in.
 */
export const blockedKeys = pgTable('blocked_keys', {
  kind: text('kind', { enum: blockedKeyKinds }).notNull(),
  hash: bytea('hash').notNull(),
  source: text('source').notNull(),
  addedAt: ts('added_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('blocked_keys_kind_hash_uq').on(t.kind, t.hash),
  oneOf('blocked_keys_kind_ck', sql`${t.kind}`, blockedKeyKinds),
]);

/**
 * Key-compromise reports (CP 4.9.12, BR 4.9.1.1 (3)). The proof is kept as evidence, but never the private key: a
 * report made with the private key stores a statement the API signed with it (then forgot the key), which the
 * workflow verifies like a CSR signature.
 */
export const keyCompromiseReports = pgTable('key_compromise_reports', {
  id: uuid('id').primaryKey().defaultRandom(),
  spkiSha256: bytea('spki_sha256').notNull(),
  spkiDer: bytea('spki_der').notNull(),
  proofKind: text('proof_kind', { enum: compromiseProofKinds }).notNull(),
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
  /** CP 4.9.12: every certificate with the key is revoked within 24 hours of confirming. */
  deadline: ts('deadline').notNull(),
  completedAt: ts('completed_at'),
}, (t) => [
  index('key_compromise_reports_spki_idx').on(t.spkiSha256),
  oneOf('key_compromise_reports_status_ck', sql`${t.status}`, keyCompromiseReportStatuses),
  oneOf('key_compromise_reports_proof_kind_ck', sql`${t.proofKind}`, compromiseProofKinds),
]);

/**
 * cRLNumber source (RFC 5280 5.2.3, BR 7.2: strictly increasing, never reused). A sequence, not max()+1: nextval is
 * never rolled back, so a CRL signed by a run that then crashed (or lost a race) can never share its number with a
 * later one, across restarts and overlapping runs. One sequence for every issuer: increasing per issuer too.
 */
export const crlNumberSeq = pgSequence('crl_number_seq', { startWith: 1 });

/**
 * Every CRL signed (CP 4.9.7, 7.2), by id (workflows carry the id, never the bytes). The latest row per issuer is
 * what the repository serves at the CRL DP URL; verified_at is set once the published CRL was fetched back over
 * http and its signature checked (CP 4.9.8).
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
  // CP 4.9.7: nextUpdate ≤ thisUpdate + 10 days.
  check('crls_validity_ck', sql`${t.nextUpdate} > ${t.thisUpdate} and ${t.nextUpdate} <= ${t.thisUpdate} + interval '10 days'`),
]);

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
  certStatus: text('cert_status', { enum: ocspCertStatuses }).notNull(),
  thisUpdate: ts('this_update').notNull(),
  nextUpdate: ts('next_update').notNull(),
  responderSerial: text('responder_serial').notNull().references(() => ocspResponders.serial),
  responseDer: bytea('response_der').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('ocsp_responses_this_update_idx').on(t.thisUpdate),
  oneOf('ocsp_responses_cert_status_ck', sql`${t.certStatus}`, ocspCertStatuses),
]);
