/**
 * Organizations to vet for OV certificates (CP 3.2.2.1–3.2.2.3, 3.2.5, 4.1.1), their vettings (one `vetOrganization`
 * workflow each), the evidence every step recorded, the documents applicants uploaded, and the vetted record an
 * approval produces — the one record OV orders (and renewals) take the subject from, valid for a fixed window
 * (BR 4.2.1: 398 days). Personal data (the representative, who answered a call-back) lives only here: workflow
 * inputs and histories carry ids. Rows are never deleted (CP 5.5.2).
 */
import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { documentTypes } from '../../domain/documents';
import { evidenceKinds, evidenceStatuses, vettingStatuses } from '../../domain/vetting';
import { accounts } from './accounts';
import { bytea, oneOf, ts } from './columns';
import { operators } from './operators';

/** How the vetted record's organization data was confirmed (CP 3.2.2.1). */
export const vettedSources = ['registry', 'documents'] as const;

/** The organization as the applicant (or its designated provider) registered it: POST /v1/organizations. */
export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The subscriber it belongs to; its OV orders may name it. */
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  /** The designated provider that registered it for the subscriber (CP 1.3, 3.4 (1)), if any. */
  providerAccountId: uuid('provider_account_id').references(() => accounts.id),
  legalName: text('legal_name').notNull(),
  englishName: text('english_name'),
  /** 法人番号 (check digit verified at registration); null with noLegalPersonality (人格のない社団等). */
  corporateNumber: text('corporate_number'),
  noLegalPersonality: boolean('no_legal_personality').notNull().default(false),
  /** CP 4.1.1: an office in Japan. */
  country: text('country').notNull().default('JP'),
  prefecture: text('prefecture').notNull(),
  city: text('city').notNull(),
  street: text('street').notNull(),
  postalCode: text('postal_code'),
  telephone: text('telephone').notNull(),
  representativeName: text('representative_name').notNull(),
  representativeTitle: text('representative_title').notNull(),
  representativeEmail: text('representative_email').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  index('organizations_account_idx').on(t.accountId),
  index('organizations_corporate_number_idx').on(t.corporateNumber),
  check('organizations_country_ck', sql`${t.country} = 'JP'`),
  check('organizations_legal_personality_ck', sql`(${t.corporateNumber} is null) = ${t.noLegalPersonality}`),
]);

/** One vetting of an organization: the `vetOrganization` workflow `vetting-<id>` and its state. */
export const vettings = pgTable('vettings', {
  id: uuid('id').primaryKey().defaultRandom(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  status: text('status', { enum: vettingStatuses }).notNull().default('matching'),
  workflowId: text('workflow_id').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** The application expires if undecided by then (30 days, domain/vetting.ts). */
  expiresAt: ts('expires_at').notNull(),
  decidedAt: ts('decided_at'),
  decidedBy: uuid('decided_by').references(() => operators.id),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [
  index('vettings_organization_idx').on(t.organizationId),
  uniqueIndex('vettings_workflow_id_uq').on(t.workflowId),
  oneOf('vettings_status_ck', sql`${t.status}`, vettingStatuses),
]);

/**
 * Evidence of a vetting (BR 5.4.1; CP 3.2.5: which source, which number, who answered, the outcome): the registry
 * match (the system), document checks and call-backs (agents), the approval or rejection (approvers).
 */
export const vettingEvidence = pgTable('vetting_evidence', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  vettingId: uuid('vetting_id').notNull().references(() => vettings.id),
  kind: text('kind', { enum: evidenceKinds }).notNull(),
  status: text('status', { enum: evidenceStatuses }).notNull().default('submitted'),
  /** Null for the system's registry match. */
  operatorId: uuid('operator_id').references(() => operators.id),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  recordedAt: ts('recorded_at').notNull().defaultNow(),
  /** When the workflow accepted it, or the door recorded its refusal. */
  settledAt: ts('settled_at'),
}, (t) => [
  index('vetting_evidence_vetting_idx').on(t.vettingId),
  oneOf('vetting_evidence_kind_ck', sql`${t.kind}`, evidenceKinds),
  oneOf('vetting_evidence_status_ck', sql`${t.status}`, evidenceStatuses),
]);

/** Documents uploaded for a vetting (PDF, PNG, JPEG ≤ 5 MB, typed by their content: domain/documents.ts). */
export const organizationDocuments = pgTable('organization_documents', {
  id: uuid('id').primaryKey().defaultRandom(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  vettingId: uuid('vetting_id').notNull().references(() => vettings.id),
  contentType: text('content_type', { enum: documentTypes }).notNull(),
  /** As the uploader named it (shown to the agent, never used to decide anything). */
  fileName: text('file_name'),
  size: integer('size').notNull(),
  sha256: bytea('sha256').notNull(),
  content: bytea('content').notNull(),
  uploadedBy: uuid('uploaded_by').notNull().references(() => accounts.id),
  uploadedAt: ts('uploaded_at').notNull().defaultNow(),
}, (t) => [
  index('organization_documents_vetting_idx').on(t.vettingId),
  oneOf('organization_documents_type_ck', sql`${t.contentType}`, documentTypes),
  check('organization_documents_size_ck', sql`${t.size} = octet_length(${t.content}) and ${t.size} <= ${sql.raw(String(5 * 1024 * 1024))}`),
]);

/**
 * The vetted organization record: what an approved vetting confirmed, in the forms that go into the subject (CP 7.1.1:
 * C, ST, L, O — O the registered form). Valid in [validFrom, validUntil): BR 4.2.1 lets organization data serve
 * issuance for 398 days (policy at approval). OV orders pin the record they were issued under (orders.vetted_organization_id).
 */
export const vettedOrganizations = pgTable('vetted_organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  vettingId: uuid('vetting_id').notNull().references(() => vettings.id),
  source: text('source', { enum: vettedSources }).notNull(),
  country: text('country').notNull(),
  stateOrProvince: text('state_or_province').notNull(),
  locality: text('locality').notNull(),
  organizationName: text('organization_name').notNull(),
  corporateNumber: text('corporate_number'),
  approvedBy: uuid('approved_by').notNull().references(() => operators.id),
  validFrom: ts('valid_from').notNull(),
  validUntil: ts('valid_until').notNull(),
  /** The rule the window came from (e.g. "BR 4.2.1 (ballot SC-081)"). */
  rule: text('rule').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('vetted_organizations_vetting_uq').on(t.vettingId),
  index('vetted_organizations_organization_idx').on(t.organizationId, t.validUntil),
  oneOf('vetted_organizations_source_ck', sql`${t.source}`, vettedSources),
  check('vetted_organizations_window_ck', sql`${t.validFrom} < ${t.validUntil}`),
]);
