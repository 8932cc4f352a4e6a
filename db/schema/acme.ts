/**
 * The ACME door (RFC 8555; CP 1.3 "two front doors", 3.4 (2)/(3), 4.9.3): ACME accounts, external account binding
 * keys, the ACME view of orders, and the nonces already used (api/acme/nonces.ts: nonces are HMAC-bound, so only
 * used ones need storing, and every ACME process sees them).
 */
import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { DocumentVersions } from '../../domain/repository-documents';
import { acmeAccountStatuses } from '../../domain/statuses';
import { accounts } from './accounts';
import { bytea, oneOf, ts } from './columns';
import { orders } from './orders';
import { organizations } from './organizations';

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
  /**
   * CP 4.1.2: the versions of the terms, CP and CPS the account agreed to with termsOfServiceAgreed (the terms
   * incorporate the CP and CPS); a newOrder while other versions are in force asks the client to agree again
   * (RFC 8555 §7.3.3 userActionRequired). Null: agreed before versions were recorded.
   */
  acceptedDocuments: jsonb('accepted_documents').$type<DocumentVersions | null>(),
  /** The EAB key id this account was bound with (RFC 8555 §7.3.4), if any. */
  eabKeyId: text('eab_key_id'),
  /** OV over ACME: the organization its EAB key was bound to; while its vetted record is valid it may order `ov`. */
  organizationId: uuid('organization_id').references(() => organizations.id),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('acme_accounts_jwk_thumbprint_uq').on(t.jwkThumbprint),
  index('acme_accounts_account_idx').on(t.accountId),
  oneOf('acme_accounts_status_ck', sql`${t.status}`, acmeAccountStatuses),
]);

/**
 * External account binding keys (RFC 8555 §7.3.4), made by `npm run admin -- eab create --account <id>` for a CA
 * account (typically a designated provider). The HMAC key must be kept to verify the binding's MAC: it is kept
 * encrypted (AES-256-GCM under a key from a secret file, bound to the key id: pki/secret-box.ts), so a copy of the
 * database does not bind accounts. `hmac_key` is the plaintext of rows written before that, sealed on the next
 * start (sealPlaintextEabKeys); exactly one of the two is set. A key binds one ACME account only (boundAt,
 * acmeAccountId) and may be revoked by an operator.
 */
export const acmeEabKeys = pgTable('acme_eab_keys', {
  keyId: text('key_id').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  hmacKey: bytea('hmac_key'),
  hmacKeySealed: bytea('hmac_key_sealed'),
  createdAt: ts('created_at').notNull().defaultNow(),
  boundAt: ts('bound_at'),
  acmeAccountId: uuid('acme_account_id'),
  revokedAt: ts('revoked_at'),
  /** OV over ACME: the ACME account this key binds may order profile `ov` for this (vetted) organization. */
  organizationId: uuid('organization_id').references(() => organizations.id),
}, (t) => [
  index('acme_eab_keys_account_idx').on(t.accountId),
  check('acme_eab_keys_hmac_len_ck', sql`octet_length(${t.hmacKey}) >= 32`),
  check('acme_eab_keys_sealed_ck', sql`(${t.hmacKey} is null) <> (${t.hmacKeySealed} is null)`),
]);

/**
 * Nonces that were used (RFC 8555 §6.5: each is accepted once). Issuing one stores nothing — it carries its time and
 * an HMAC — so no client can flush the store by asking for nonces; a row is written only when a JWS that passed
 * every other check uses one, and is deleted once the nonce would have expired anyway.
 */
export const acmeUsedNonces = pgTable('acme_used_nonces', {
  /** SHA-256 of the nonce. */
  nonceSha256: bytea('nonce_sha256').primaryKey(),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [index('acme_used_nonces_expires_idx').on(t.expiresAt)]);

/**
 * The ACME view of an order (RFC 8555 §7.1.3): which ACME account placed it, and the certificate it replaces
 * (ARI, RFC 9773 §5: the certID of the `replaces` field). Until finalize the order row holds an empty CSR
 * (orders.csr_der is NOT NULL): ACME sends the CSR only at finalize (§7.4), when it is written after the same
 * acceptance checks as the API's.
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
