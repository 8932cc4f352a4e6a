/**
 * Applications and their domain validation (CP 3.2.2.4, 4.1, 4.2; BR 3.2.2.4, 3.2.2.8, 3.2.2.9): the order, one
 * authorization per FQDN, the challenges offered for it, and the evidence of every check. Kept with the order for
 * the records (CP 5.5.2: every application and its processing history, ≥ 7 years): rows are never deleted by the
 * application.
 */
import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigserial, boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { profileIds } from '../../domain/profiles';
import type { AcceptanceRecord } from '../../domain/repository-documents';
import { authorizationStatuses, challengeStatuses, emailValidationStatuses, orderStatuses, renewalKinds } from '../../domain/statuses';
import { accounts } from './accounts';
import { bytea, oneOf, ts } from './columns';
import { organizations, vettedOrganizations } from './organizations';

/** Which check a piece of evidence or a corroboration round is about: domain control or CAA. */
const checks = ['dcv', 'caa'] as const;

/**
 * One application (CP 4.1, 4.2): the CSR as received, the FQDNs, the validity fixed at acceptance, and the durable
 * workflow that carries it (one per order, docs/ISSUANCE-CYCLE.md).
 */
export const orders = pgTable('orders', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  profile: text('profile', { enum: profileIds }).notNull(),
  status: text('status', { enum: orderStatuses }).notNull().default('pending'),
  csrDer: bytea('csr_der').notNull(),
  spkiSha256: bytea('spki_sha256').notNull(),
  /** The FQDNs of the certificate, in CSR order (CN first when it is also a SAN). */
  dnsNames: jsonb('dns_names').$type<string[]>().notNull(),
  /** Validity chosen from policy(now) at acceptance (BR 6.3.2), in seconds, inclusive count. */
  validitySeconds: integer('validity_seconds').notNull(),
  workflowId: text('workflow_id').notNull(),
  /**
   * The designated provider (an account of kind 'provider', CP 1.3 指定事業者) that relayed this application for
   * the subscriber; it may then request the certificate's revocation (CP 4.9.2, 3.4 (1)).
   */
  providerAccountId: uuid('provider_account_id').references(() => accounts.id),
  /** OV (CP 7.1.1): the organization the order names; its vetting gates step 4 and gives the subject. */
  organizationId: uuid('organization_id').references(() => organizations.id),
  /** OV: the vetted record step 4 pinned; the TBS takes C, ST, L and O from it, and the signer checks it is still valid. */
  vettedOrganizationId: uuid('vetted_organization_id').references(() => vettedOrganizations.id),
  /** Why the order is invalid: `type` is the failure kind (domain/errors.ts). */
  error: jsonb('error').$type<{ type: string; title: string; detail: string; [k: string]: unknown } | null>(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  /**
   * CP 4.1.2: the versions of the terms, the CP and the CPS the applicant accepted, when and through which door
   * (domain/repository-documents.ts). Null only for orders stored before acceptance was recorded.
   */
  acceptance: jsonb('acceptance').$type<AcceptanceRecord | null>(),
  /** CP 4.6–4.8: the certificate this order renews, re-keys or modifies (REST `POST /v1/certificates/{serial}/renewals`). */
  predecessorSerial: text('predecessor_serial'),
  renewalKind: text('renewal_kind', { enum: renewalKinds }),
  /** The subscriber asked that the predecessor be revoked (reason superseded) once this order's certificate is issued. */
  revokePredecessor: boolean('revoke_predecessor').notNull().default(false),
}, (t) => [
  index('orders_account_idx').on(t.accountId),
  // One renewal at a time per certificate; the successor of a certificate.
  index('orders_predecessor_idx').on(t.predecessorSerial),
  oneOf('orders_renewal_kind_ck', sql`${t.renewalKind}`, renewalKinds),
  // GET /v1/orders lists the orders a designated provider relayed (CP 1.3).
  index('orders_provider_idx').on(t.providerAccountId),
  index('orders_organization_idx').on(t.organizationId),
  // The API's sweep of orders stored without their workflow (api/order-intake.ts) reads pending orders by creation
  // time every minute: only the pending ones are indexed, so the sweep stays small however many orders there are.
  index('orders_pending_created_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
  uniqueIndex('orders_workflow_id_uq').on(t.workflowId),
  oneOf('orders_status_ck', sql`${t.status}`, orderStatuses),
  oneOf('orders_profile_ck', sql`${t.profile}`, profileIds),
]);

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
  /**
   * BR 4.2.1 reuse: the earlier authorization (same account, name and wildcard-ness) whose validation this one
   * rests on; null when this authorization was validated itself. The signing worker follows it to the method, the
   * validation time and the DCV corroboration it must re-check before signing.
   */
  reusedFromAuthorizationId: uuid('reused_from_authorization_id').references((): AnyPgColumn => authorizations.id),
}, (t) => [
  index('authorizations_order_idx').on(t.orderId),
  // BR 4.2.1 reuse: an applicant's earlier validations of the same FQDN.
  index('authorizations_account_fqdn_idx').on(t.accountId, t.fqdn),
  oneOf('authorizations_status_ck', sql`${t.status}`, authorizationStatuses),
]);

/** A validation method offered for an authorization (BR 3.2.2.4), with its random value; the applicant picks one. */
export const challenges = pgTable('challenges', {
  id: uuid('id').primaryKey().defaultRandom(),
  authorizationId: uuid('authorization_id').notNull().references(() => authorizations.id, { onDelete: 'cascade' }),
  /** BR 3.2.2.4 method: e.g. '3.2.2.4.7'; ACME label e.g. 'dns-01'. */
  method: text('method').notNull(),
  /** DNS name the value must be published at (3.2.2.4.7: _acme-challenge.<FQDN>, wildcard label replaced); for the
   *  web file method (3.2.2.4.18) the URL path of the file under /.well-known/pki-validation/. */
  recordName: text('record_name'),
  /** The random value (>= 112 bits from a CSPRNG, CP 3.2.2.4), unique across all challenges. */
  token: text('token').notNull(),
  /**
   * ACME: the key authorization (RFC 8555 §8.1: token || '.' || base64url(JWK thumbprint of the account key)) fixed
   * when the client answered the challenge; the DCV checks then expect it (http-01 body) or its SHA-256 (dns-01
   * TXT, §8.4) instead of the bare random value. Null for challenges of the non-ACME API.
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

/**
 * Evidence of every DCV and CAA check (BR 3.2.2.4, 3.2.2.8, 5.4.1): what was asked, of whom, what came back. A
 * check run from several network perspectives (BR 3.2.2.9) has one row per perspective, with its RIR region and
 * the corroboration round it belongs to.
 */
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
  check: text('check', { enum: checks }).notNull().default('dcv'),
  region: text('region'),
  corroborationId: uuid('corroboration_id'),
}, (t) => [
  index('validation_evidence_challenge_idx').on(t.challengeId),
  oneOf('validation_evidence_result_ck', sql`${t.result}`, ['success', 'failure']),
  oneOf('validation_evidence_check_ck', sql`${t.check}`, checks),
  index('validation_evidence_corroboration_idx').on(t.corroborationId),
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
  check: text('check', { enum: checks }).notNull(),
  /** BR section and label, e.g. '3.2.2.4.7 (dns-01)' or 'BR 3.2.2.8 (CAA)'. */
  method: text('method').notNull(),
  result: text('result', { enum: ['pass', 'fail'] }).notNull(),
  /** The quorum as computed by domain/mpic.ts: counts, regions, the rule and its citation. */
  quorum: jsonb('quorum').$type<Record<string, unknown>>().notNull(),
  checkedAt: ts('checked_at').notNull().defaultNow(),
  /**
   * A CAA round's permission holds until the primary's check time + max(TTL of the relevant RRset, 8 h) (BR 3.2.2.8);
   * null for DCV rounds (and for CAA rounds stored before this column: then checkedAt + 8 h).
   */
  caaValidUntil: ts('caa_valid_until'),
}, (t) => [
  index('corroborations_order_idx').on(t.orderId),
  // The signer's issuance gate reads the latest DCV round of each authorization an order relies on (reused ones
  // included, activities/issuance-gate.ts) before every signature: without it, a scan of every round ever stored.
  index('corroborations_authorization_idx').on(t.authorizationId, t.check, t.checkedAt),
  oneOf('corroborations_check_ck', sql`${t.check}`, checks),
  oneOf('corroborations_result_ck', sql`${t.result}`, ['pass', 'fail']),
]);

/**
 * CP 3.2.2.4.4 constructed e-mail: one row per e-mail sent, each with its OWN random value (CP 3.2.2.4.4: "unique
 * per mail", ≥ 112 bits, 25 days). The applicant chooses the address among the constructed ones; the recipient
 * confirms through the API link carrying the value, which signals the order's workflow.
 */
export const emailValidations = pgTable('email_validations', {
  id: uuid('id').primaryKey().defaultRandom(),
  challengeId: uuid('challenge_id').notNull().references(() => challenges.id, { onDelete: 'cascade' }),
  address: text('address').notNull(),
  token: text('token').notNull(),
  status: text('status', { enum: emailValidationStatuses }).notNull().default('requested'),
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
  oneOf('email_validations_status_ck', sql`${t.status}`, emailValidationStatuses),
]);
