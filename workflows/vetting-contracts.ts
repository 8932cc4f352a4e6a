/**
 * The contract of the `vetOrganization` workflow (one per vetting, id `vetting-<vettingId>`): its input, the Updates
 * operators call through the doors (each with a validator, so a wrong call fails at the caller and leaves no trace
 * in the history), the signal an upload sends, its query and its search attributes. Every argument is an id: what an
 * operator recorded (who answered a call-back, a rejection's reason) is stored in PostgreSQL by the door first.
 * Pure: imported by workflow code and by Node code alike.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { VettingStatus } from '../domain/vetting';

export { vettingWorkflowId } from '../domain/workflow-ids';

/** Registered with the CA's other attributes (workflows/search-attributes.ts). */
export const vettingSearchAttributes = {
  state: defineSearchAttributeKey('CaVettingState', SearchAttributeType.KEYWORD),
  corporateNumber: defineSearchAttributeKey('CaCorporateNumber', SearchAttributeType.KEYWORD),
  organizationName: defineSearchAttributeKey('CaOrganizationName', SearchAttributeType.KEYWORD),
} as const;

export interface VetOrganizationInput {
  readonly vettingId: string;
  readonly organizationId: string;
}

export interface VetOrganizationResult {
  readonly vettingId: string;
  readonly status: VettingStatus;
  readonly vettedOrganizationId: string | null;
}

export interface VettingProgress {
  readonly vettingId: string;
  readonly status: VettingStatus;
  /** Operators whose evidence the workflow accepted: none of them may approve (four-eyes). */
  readonly recorders: readonly string[];
  readonly vettedOrganizationId: string | null;
  /** ISO-8601: the vetted record's end, once approved. */
  readonly validUntil: string | null;
}

/** An operator's evidence, already stored by the door as `submitted` (vetting_evidence.id). */
export interface EvidenceArgs {
  readonly operatorId: string;
  readonly evidenceId: number;
}

/** A vetting agent verified (or not) the uploaded documents against the organization (CP 3.2.2.1). */
export const recordDocumentCheckUpdate = defineUpdate<{ status: VettingStatus }, [EvidenceArgs]>('recordDocumentCheck');
/** A vetting agent's call-back to a number from a reliable source (CP 3.2.5). */
export const recordCallbackUpdate = defineUpdate<{ status: VettingStatus }, [EvidenceArgs]>('recordCallback');
/** The final approval by a second person (four-eyes); answers with the vetted record. */
export const approveUpdate = defineUpdate<{ status: VettingStatus; vettedOrganizationId: string; validUntil: string }, [{ readonly operatorId: string }]>('approve');
/** A rejection with a reason (stored as the evidence). */
export const rejectUpdate = defineUpdate<{ status: VettingStatus }, [EvidenceArgs]>('reject');
/** The applicant uploaded a document: progress on the queue (the 24 h reminder starts again). */
export const documentUploadedSignal = defineSignal<[{ readonly documentId: string }]>('documentUploaded');
export const vettingProgressQuery = defineQuery<VettingProgress>('vettingProgress');
