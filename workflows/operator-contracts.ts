/**
 * The contract of the operator's workflows (CP 4.9.1, 5.6, 8; BR 4.9.1.1, 8.7): inputs, signals, queries and updates
 * of `incidentResponse`, `checkKeyChangeover` / `keyChangeover` and `selfAudit`. Pure: imported by workflow code, the
 * typed client (temporal/operator.ts), the admin CLIs and the workers alike.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export {
  incidentWorkflowId,
  keyChangeoverCheckScheduleId,
  keyChangeoverCheckWorkflowId,
  keyChangeoverWorkflowId,
  selfAuditScheduleId,
  selfAuditWorkflowId,
} from '../domain/workflow-ids';

/** How the operator workflows publish a CRL themselves (a publishCrl run in mode 'manual'). */
export interface CrlSettings {
  readonly quietSeconds: number;
  readonly maxDelaySeconds: number;
}

// --- incidents ---

export type IncidentPhase = 'selecting' | 'notifying' | 'revoking' | 'publishing' | 'completed' | 'failed';

/** What a run hands the next one when it continues as new (100k+ certificates): cursors and counts, no lists. */
export interface IncidentCarry {
  readonly phase: 'selecting' | 'notifying' | 'revoking';
  readonly cursor: string;
  readonly paused: boolean;
  readonly ratePerSecond: number;
  readonly selected: number;
  readonly notified: number;
  readonly revoked: number;
  readonly skipped: number;
  readonly atRisk: boolean;
  readonly overdue: boolean;
  readonly issuerIds: readonly string[];
}

export interface IncidentInput {
  readonly incidentId: string;
  readonly signingTaskQueue: string;
  /** ISO-8601: when the CA became aware, and the BR 4.9.1.1 deadline counted from it. */
  readonly detectedAt: string;
  readonly deadline: string;
  /** Certificates per second (the throttle that keeps CRL, OCSP and the database in step). */
  readonly ratePerSecond: number;
  readonly crl: CrlSettings;
  /** Certificates per selection page (smaller with a lint criterion: each is linted again). */
  readonly selectionPageSize: number;
  /** Continue as new once the history has this many events (default 8000; Temporal's suggestion counts too). */
  readonly maxHistoryEvents?: number;
  readonly carry?: IncidentCarry;
}

export interface IncidentProgress {
  readonly incidentId: string;
  readonly phase: IncidentPhase;
  readonly paused: boolean;
  readonly selected: number;
  readonly notified: number;
  readonly revoked: number;
  readonly skipped: number;
  /** The configured rate, or the operator's latest; `effectiveRate` is what the last batch used. */
  readonly ratePerSecond: number;
  readonly effectiveRate: number;
  readonly deadline: string;
  readonly alarmAt: string;
  /** The durable alarm fired before the incident was done (deadline − lead, domain/incidents.ts). */
  readonly atRisk: boolean;
  /** The BR 4.9.1.1 deadline passed before every certificate was revoked. */
  readonly overdue: boolean;
  readonly error: string | null;
}

export const pauseIncidentSignal = defineSignal<[{ operator: string; reason?: string }]>('pauseIncident');
export const resumeIncidentSignal = defineSignal<[{ operator: string }]>('resumeIncident');
export const setIncidentRateSignal = defineSignal<[{ operator: string; ratePerSecond: number }]>('setIncidentRate');
export const incidentProgressQuery = defineQuery<IncidentProgress>('incidentProgress');

// --- CA key changeover (CP 5.6) ---

export interface KeyChangeoverCheckInput {
  readonly leadDays: number;
  readonly reminderIntervalSeconds: number;
  readonly signingTaskQueue: string;
  readonly crl: CrlSettings;
  /** CAs whose changeover starts now even if not yet due (an operator's planned, early changeover). */
  readonly force?: readonly string[];
}

export interface KeyChangeoverCheckResult {
  readonly checked: ReadonlyArray<{ caId: string; issuerId: string; caNotAfter: string; mustSwitchBy: string; due: boolean }>;
  readonly changeovers: ReadonlyArray<{ caId: string; workflowId: string; started: boolean }>;
}

export interface KeyChangeoverInput {
  readonly caId: string;
  /** The key in use now, and the generation of the next one. */
  readonly currentIssuerId: string;
  readonly generation: number;
  /** ISO-8601: after it a maximum-validity certificate would outlive the current CA certificate. */
  readonly mustSwitchBy: string;
  readonly reminderIntervalSeconds: number;
  readonly signingTaskQueue: string;
  readonly crl: CrlSettings;
}

export type KeyChangeoverPhase = 'preparing' | 'awaiting-certificate' | 'scheduled' | 'switched' | 'draining' | 'retired';

export interface KeyChangeoverProgress {
  readonly caId: string;
  readonly currentIssuerId: string;
  readonly nextIssuerId: string | null;
  readonly phase: KeyChangeoverPhase;
  readonly mustSwitchBy: string;
  readonly csrSha256: string | null;
  readonly reminders: number;
  readonly switchAt: string | null;
  /** Until when the old key keeps signing CRLs and OCSP responses (its last certificate's notAfter). */
  readonly oldKeyNeededUntil: string | null;
  readonly atRisk: boolean;
}

export interface ImportCertificateRequest {
  /** The new issuing CA certificate, DER in base64. */
  readonly certificateB64: string;
  /** The root's certificate (DER, base64), when the database does not hold it, so the signature is checked too. */
  readonly issuerCertificateB64?: string;
  /** ISO-8601: when issuance switches to the new key (default: at once). */
  readonly switchAt?: string;
  readonly operator: string;
}

export interface ImportCertificateResult {
  readonly issuerId: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
  readonly switchAt: string;
}

export const keyChangeoverProgressQuery = defineQuery<KeyChangeoverProgress>('keyChangeoverProgress');
/** The operator imports the certificate the root issued for the next key; refused (the workflow keeps waiting) unless it verifies. */
export const importCertificateUpdate = defineUpdate<ImportCertificateResult, [ImportCertificateRequest]>('importCertificate');

// --- self-audit (BR 8.7) ---

export interface SelfAuditInput {
  /** Sampled certificates checked per activity (each is linted by zlint and pkilint). */
  readonly pageSize: number;
}

export interface SelfAuditResult {
  readonly auditId: string;
  readonly population: number;
  readonly sampleSize: number;
  readonly seed: string;
  readonly flagged: readonly string[];
}

export const selfAuditProgressQuery = defineQuery<{ auditId: string | null; sampleSize: number | null; checked: number; flagged: number }>('selfAuditProgress');
