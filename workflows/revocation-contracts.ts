/**
 * The contract of the revocation, key-compromise and CRL workflows (CP 4.9): ids from business keys, inputs,
 * signals and queries. Pure: imported by workflow code, the API, the admin CLI and the workers alike.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export { revocationWorkflowId, keyCompromiseWorkflowId, crlPublisherWorkflowId, crlScheduleId, crlScheduledWorkflowId } from '../domain/workflow-ids';

/** The revokeCertificate input lives in domain/ (revocation.ts): activities prepare it too (a superseded predecessor). */
export type { RevokeCertificateInput } from '../domain/revocation';

export type RevocationStep = 'recording' | 'publishing' | 'done' | 'failed';

export interface RevocationProgress {
  readonly serial: string;
  readonly step: RevocationStep;
  readonly reason: number;
  readonly deadline: string;
  /** True once the BR deadline passed before the revocation was stored and published. */
  readonly overdue: boolean;
  readonly ocsp: 'pending' | 'signed';
  readonly crl: 'pending' | 'requested';
  readonly error: string | null;
}

export interface RevokeCertificateResult {
  readonly serial: string;
  readonly status: 'revoked' | 'failed';
  readonly overdue: boolean;
}

export interface PublishCrlInput {
  readonly issuerId: string;
  readonly signingTaskQueue: string;
  /** 'schedule': publish at once. 'debounced': wait for a quiet period after the last crlRequested signal. */
  readonly mode: 'schedule' | 'debounced' | 'manual';
  readonly quietSeconds: number;
  readonly maxDelaySeconds: number;
}

export interface PublishedCrl {
  readonly crlId: number;
  readonly crlNumber: string;
  readonly entryCount: number;
  readonly thisUpdate: string;
  readonly verified: boolean;
}

export interface PublishCrlResult {
  readonly issuerId: string;
  readonly published: readonly PublishedCrl[];
}

export interface KeyCompromiseInput {
  readonly reportId: string;
  readonly signingTaskQueue: string;
  /** ISO-8601: 24 hours after the report (CP 4.9.12, BR 4.9.1.1 (3)). */
  readonly deadline: string;
}

export interface KeyCompromiseProgress {
  readonly reportId: string;
  readonly status: 'verifying' | 'rejected' | 'blocking' | 'revoking' | 'completed' | 'failed';
  readonly certificatesFound: number | null;
  readonly certificatesRevoked: number;
  readonly deadline: string;
  readonly overdue: boolean;
  readonly error: string | null;
}

/** "Something was revoked on this issuer": the publisher signs a new CRL once the revocations quiet down. */
export const crlRequestedSignal = defineSignal<[{ trigger: string }]>('crlRequested');
export const revocationProgressQuery = defineQuery<RevocationProgress>('revocationProgress');
export const keyCompromiseProgressQuery = defineQuery<KeyCompromiseProgress>('keyCompromiseProgress');
