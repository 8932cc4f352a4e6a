/**
 * The operator's duties (CP 4.9.1, 5.6, 8; BR 4.9.1.1, 8.7): incidents and the certificates they revoke, the ARI
 * "renew now" overrides they set (RFC 9773), and the quarterly self-audits with their recorded samples. Rows are
 * never deleted (CP 5.5.2: audit results are archived); every change is also in the hash-chained audit log.
 */
import { sql } from 'drizzle-orm';
import { bigserial, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import type { IncidentCriteria } from '../../domain/incidents';
import { incidentCertificateStates, incidentStatuses, selfAuditStatuses } from '../../domain/statuses';
import { accounts } from './accounts';
import { certificates } from './certificates';
import { oneOf, ts } from './columns';

/**
 * One incident (CCADB incident reporting): why (reason, cause), what it selects (criteria — a serial list lives here,
 * never in a workflow's history), by when (BR 4.9.1.1 deadline from detection) and how fast (certificates/s), its
 * counts as the workflow advances, and at the end the report.
 */
export const incidents = pgTable('incidents', {
  id: uuid('id').primaryKey().defaultRandom(),
  title: text('title').notNull(),
  /** RFC 5280 CRLReason code of the revocations (CP 7.2.3). */
  reason: integer('reason').notNull(),
  /** The root cause as the operators state it (CCADB: root cause analysis); may be completed later. */
  cause: text('cause'),
  criteria: jsonb('criteria').$type<IncidentCriteria>().notNull(),
  status: text('status', { enum: incidentStatuses }).notNull().default('created'),
  ratePerSecond: doublePrecision('rate_per_second').notNull(),
  /** When the CA became aware (BR 4.9.1.1 counts from here). */
  detectedAt: ts('detected_at').notNull(),
  deadline: ts('deadline').notNull(),
  deadlineRule: text('deadline_rule').notNull(),
  workflowId: text('workflow_id').notNull().unique(),
  createdBy: text('created_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  selectedCount: integer('selected_count').notNull().default(0),
  revokedCount: integer('revoked_count').notNull().default(0),
  skippedCount: integer('skipped_count').notNull().default(0),
  /** The durable deadline-at-risk alarm fired (the workflow was not done by deadline minus the alarm's lead). */
  alarmRaisedAt: ts('alarm_raised_at'),
  completedAt: ts('completed_at'),
  /** The incident report: the CCADB sections as JSON, and the same as Markdown under `markdown`. */
  report: jsonb('report').$type<Record<string, unknown>>(),
}, (t) => [oneOf('incidents_status_ck', sql`${t.status}`, incidentStatuses)]);

/** The timeline of an incident (CCADB: all times UTC), each event also in the audit log. */
export const incidentEvents = pgTable('incident_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  incidentId: uuid('incident_id').notNull().references(() => incidents.id),
  at: ts('at').notNull().defaultNow(),
  event: text('event').notNull(),
  actor: text('actor').notNull(),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
}, (t) => [index('incident_events_incident_idx').on(t.incidentId, t.at)]);

/**
 * The certificates an incident selected and what became of each. The workflow pages through these rows by serial,
 * so its history carries counts and short batches, never the whole list.
 */
export const incidentCertificates = pgTable('incident_certificates', {
  incidentId: uuid('incident_id').notNull().references(() => incidents.id),
  serial: text('serial').notNull().references(() => certificates.serial),
  issuerId: text('issuer_id').notNull(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  notBefore: ts('not_before').notNull(),
  state: text('state', { enum: incidentCertificateStates }).notNull().default('selected'),
  revokedAt: ts('revoked_at'),
  /** Why a certificate was skipped (expired, already revoked). */
  note: text('note'),
}, (t) => [
  primaryKey({ columns: [t.incidentId, t.serial] }),
  index('incident_certificates_state_idx').on(t.incidentId, t.state, t.serial),
  index('incident_certificates_account_idx').on(t.incidentId, t.accountId),
  oneOf('incident_certificates_state_ck', sql`${t.state}`, incidentCertificateStates),
]);

/**
 * RFC 9773 renewal information the CA overrides: from `since` on, the certificate's suggested window lies in the past
 * ("renew now", §4.2) — set for every certificate of an incident as soon as it is selected.
 */
export const renewalOverrides = pgTable('renewal_overrides', {
  serial: text('serial').primaryKey().references(() => certificates.serial),
  since: ts('since').notNull(),
  reason: text('reason').notNull(),
  incidentId: uuid('incident_id').references(() => incidents.id),
});

/**
 * A self-audit (BR 8.7: at least every quarter, a random sample of at least max(1, 3 %) of the certificates issued
 * since the previous one). The seed is recorded, so anyone can draw the same sample again (domain/self-audit.ts).
 */
export const selfAudits = pgTable('self_audits', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The population: final certificates issued (notBefore) after periodFrom (null: since the beginning) up to periodTo. */
  periodFrom: ts('period_from'),
  periodTo: ts('period_to').notNull(),
  /** 128-bit seed (hex) of the sampling PRNG, drawn from the CSPRNG by the activity. */
  seed: text('seed').notNull(),
  population: integer('population').notNull(),
  sampleSize: integer('sample_size').notNull(),
  status: text('status', { enum: selfAuditStatuses }).notNull().default('sampling'),
  workflowId: text('workflow_id').notNull(),
  startedAt: ts('started_at').notNull().defaultNow(),
  completedAt: ts('completed_at'),
  flagged: integer('flagged'),
  /** The report: linter versions, per-certificate verdicts and findings, the rules applied. */
  report: jsonb('report').$type<Record<string, unknown>>(),
}, (t) => [
  oneOf('self_audits_status_ck', sql`${t.status}`, selfAuditStatuses),
  index('self_audits_period_idx').on(t.periodTo),
]);

/** The recorded sample of a self-audit, in draw order, and each certificate's findings once checked. */
export const selfAuditSamples = pgTable('self_audit_samples', {
  auditId: uuid('audit_id').notNull().references(() => selfAudits.id),
  serial: text('serial').notNull().references(() => certificates.serial),
  position: integer('position').notNull(),
  checkedAt: ts('checked_at'),
  verdict: text('verdict', { enum: ['pass', 'flagged'] }),
  findings: jsonb('findings').$type<Array<Record<string, unknown>>>(),
}, (t) => [
  primaryKey({ columns: [t.auditId, t.serial] }),
  index('self_audit_samples_position_idx').on(t.auditId, t.position),
]);
