/**
 * The contract between the API, the workers and the workflows: inputs, signals, queries, workflow ids and search
 * attributes (ARCHITECTURE.md conventions 1 and 8). Pure: imported by workflow code and by Node code alike.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export { orderWorkflowId } from '../domain/workflow-ids';

/** Search attributes shown in the Temporal Web UI (registered by the dev server start, scripts/lib/temporal.ts). */
export const searchAttributes = {
  orderId: defineSearchAttributeKey('CaOrderId', SearchAttributeType.KEYWORD),
  fqdns: defineSearchAttributeKey('CaFqdns', SearchAttributeType.KEYWORD_LIST),
  serial: defineSearchAttributeKey('CaSerial', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('CaStatus', SearchAttributeType.KEYWORD),
  incidentId: defineSearchAttributeKey('CaIncidentId', SearchAttributeType.KEYWORD),
} as const;

export interface AuthorizationToValidate {
  readonly authorizationId: string;
  readonly challengeId: string;
  readonly fqdn: string;
  /** ISO-8601: the random value's expiry (CP 3.2.2.4: 25 days); the order expires when this timer fires. */
  readonly expiresAt: string;
  /**
   * ACME (RFC 8555 §7.1.4): further challenges of this authorization the applicant may answer instead of
   * `challengeId` (ACME offers dns-01 and http-01); the first one signalled ready is the one checked.
   */
  readonly alternatives?: ReadonlyArray<{ readonly challengeId: string; readonly method: string }>;
}

export interface IssueCertificateInput {
  readonly orderId: string;
  readonly fqdns: readonly string[];
  readonly authorizations: readonly AuthorizationToValidate[];
  /** The HSM signing activities run on their own task queue (security context of the signing worker). */
  readonly signingTaskQueue: string;
  /** How long the DCV check is retried with backoff after the applicant said the record is ready. */
  readonly dcvCheckWindowSeconds: number;
  /** RFC 8657 accounturi of the applicant's account at this CA (CAA, BR 3.2.2.8). */
  readonly accountUri?: string | null;
  /** The order came through ACME: CAA validationmethods labels are the ACME challenge types (RFC 8657 §4). */
  readonly viaAcme?: boolean;
  /** OV (CP 7.1.1): the organization the order names; step 4 waits for its vetting and pins its vetted record. */
  readonly organizationId?: string;
  /** No step for this long while the CA (not the applicant) is what the order waits for: shown as stuck (default 900). */
  readonly stuckAfterSeconds?: number;
}

export type IssuanceStep =
  | 'awaiting-validation'
  | 'validating'
  | 'corroborating'
  | 'vetting'
  | 'awaiting-finalize'
  | 'reserving-serial'
  | 'linting'
  | 'signing-precertificate'
  | 'submitting-to-ct'
  | 'rechecking-caa'
  | 'signing-certificate'
  | 'notifying'
  | 'done'
  | 'failed';

export interface IssuanceProgress {
  readonly orderId: string;
  readonly step: IssuanceStep;
  readonly serial: string | null;
  readonly authorizations: Readonly<Record<string, 'pending' | 'processing' | 'valid' | 'invalid' | 'expired'>>;
  readonly error: string | null;
  /**
   * Set while the order cannot move on (CaStatus=stuck): no step for `stuckAfterSeconds` while waiting for the CA,
   * or its outcome could not be recorded. Cleared by the next step.
   */
  readonly stuck?: StuckOrder | null;
}

export interface StuckOrder {
  /** ISO-8601: when the order was flagged. */
  readonly since: string;
  /** The step it is stuck at. */
  readonly step: IssuanceStep;
  readonly reason: string;
}

export interface IssueCertificateResult {
  readonly orderId: string;
  readonly status: 'valid' | 'invalid' | 'expired';
  readonly serial: string | null;
}

/** The applicant says the DNS record (or file) is in place: "ready" (API POST .../challenges/:id/ready). */
export const challengeReadySignal = defineSignal<[{ challengeId: string }]>('challengeReady');
export const progressQuery = defineQuery<IssuanceProgress>('progress');
/** CP 3.2.2.4.4: the recipient of a constructed e-mail confirmed with its random value (API link). */
export const emailConfirmedSignal = defineSignal<[{ challengeId: string }]>('emailConfirmed');
/**
 * ACME finalize (RFC 8555 §7.4): the CSR has been accepted and written to the order row; an ACME order (`viaAcme`)
 * waits for this after its authorizations are valid, then issues. The signal carries nothing else.
 */
export const finalizeSignal = defineSignal('finalize');
/**
 * OV step 4: the vetting of the order's organization ended (approved, rejected or expired); the order checks it again
 * now instead of at its next hourly look. Sent by workflows/vetOrganization.ts to the orders it finds waiting.
 */
export const vettingDecidedSignal = defineSignal('vettingDecided');
