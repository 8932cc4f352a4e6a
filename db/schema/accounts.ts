/** The CA's own accounts (CP 1.3): who applies (subscribers) and who relays for them (designated providers, 指定事業者). */
import { sql } from 'drizzle-orm';
import { type AnyPgColumn, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accountKinds, accountStatuses, languages } from '../../domain/statuses';
import { bytea, oneOf, ts } from './columns';

/**
 * Applicants (subscribers) and designated providers (CP 1.3, 3.4 (1)). The API key is stored only as its SHA-256,
 * so a copy of the database does not let anyone act as an applicant.
 */
export const accounts = pgTable('accounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: text('kind', { enum: accountKinds }).notNull().default('subscriber'),
  apiKeySha256: bytea('api_key_sha256').notNull(),
  status: text('status', { enum: accountStatuses }).notNull().default('active'),
  createdAt: ts('created_at').notNull().defaultNow(),
  /**
   * The provider account (kind 'provider', CP 1.3 指定事業者) that manages this subscriber and may relay its
   * applications (CP 3.4 (1), 4.9.2); null for a subscriber that applies itself.
   */
  providerAccountId: uuid('provider_account_id').references((): AnyPgColumn => accounts.id),
  /** Where the CA's notices go (CP 4.3.2 issuance, 4.9 revocation, expiry reminders); null: none can be sent. */
  email: text('email'),
  /** The language of the notices (Japanese or English). */
  language: text('language', { enum: languages }).notNull().default('ja'),
}, (t) => [
  uniqueIndex('accounts_api_key_sha256_uq').on(t.apiKeySha256),
  index('accounts_provider_idx').on(t.providerAccountId),
  oneOf('accounts_kind_ck', sql`${t.kind}`, accountKinds),
  oneOf('accounts_status_ck', sql`${t.status}`, accountStatuses),
  oneOf('accounts_language_ck', sql`${t.language}`, languages),
]);
