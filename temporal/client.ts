/**
 * The one typed Temporal client of the CA: every workflow start, signal and query made from outside a workflow goes
 * through `CaWorkflows` — the REST API, the ACME server, the admin CLI and the main worker (which signal-with-starts
 * the CRL publishers). Workflow ids come from business keys (ARCHITECTURE.md convention 8); search attributes are
 * set at start so the Web UI can filter from the first moment.
 *
 * `CaWorkflows` is a port: the doors' tests inject a recording or failing implementation (to prove that a failed
 * start leaves nothing half-stored) while the end-to-end tests use `temporalCaWorkflows` on a real server.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import type { CaConfig } from '../config';
import type { AuditCheckpointResult } from '../domain/audit-checkpoint';
import { auditCheckpointOnDemandWorkflowId } from '../domain/workflow-ids';
import type { CheckpointAuditInput } from '../workflows/auditCheckpoint';
import { CaError, failureKindOf } from '../domain/errors';
import {
  challengeReadySignal,
  emailConfirmedSignal,
  finalizeSignal,
  orderWorkflowId,
  searchAttributes,
  type IssueCertificateInput,
} from '../workflows/contracts';
import {
  crlPublisherWorkflowId,
  crlRequestedSignal,
  keyCompromiseProgressQuery,
  keyCompromiseWorkflowId,
  revocationWorkflowId,
  type KeyCompromiseInput,
  type KeyCompromiseProgress,
  type PublishCrlInput,
  type RevokeCertificateInput,
} from '../workflows/revocation-contracts';
import {
  approveUpdate,
  documentUploadedSignal,
  recordCallbackUpdate,
  recordDocumentCheckUpdate,
  rejectUpdate,
  vettingProgressQuery,
  vettingSearchAttributes,
  vettingWorkflowId,
  type EvidenceArgs,
  type VetOrganizationInput,
  type VettingProgress,
} from '../workflows/vetting-contracts';
import type { VettingStatus } from '../domain/vetting';

export interface CaWorkflows {
  /** Starts `order-<id>`; a second start for the same order is refused by the server. */
  startIssuance(input: IssueCertificateInput): Promise<void>;
  /** Whether `order-<id>` was ever started (running or closed); throws when Temporal cannot say. */
  issuanceExists(orderId: string): Promise<boolean>;
  /** The applicant says the record (or file) of a challenge is in place. */
  signalChallengeReady(orderId: string, challengeId: string): Promise<void>;
  /** CP 3.2.2.4.4: the recipient of a constructed e-mail confirmed it. */
  signalEmailConfirmed(orderId: string, challengeId: string): Promise<void>;
  /** RFC 8555 §7.4: the accepted CSR is stored; the ACME order's workflow may issue. */
  signalFinalize(orderId: string): Promise<void>;
  /** Starts `revoke-<serial>`; joins the running workflow when one exists (joined: true). */
  startRevocation(input: RevokeCertificateInput): Promise<{ workflowId: string; joined: boolean }>;
  startKeyCompromise(input: KeyCompromiseInput): Promise<{ workflowId: string }>;
  keyCompromiseProgress(reportId: string): Promise<KeyCompromiseProgress | null>;
  /** Signal-with-start of the issuer's debounced CRL publisher (CP 4.9.7: a new CRL within 24 h of a revocation). */
  requestCrlPublication(issuerId: string, trigger: string): Promise<void>;
  /** Starts `vetting-<vettingId>` with its search attributes (state, corporate number, organization name). */
  startVetting(input: VetOrganizationInput & { readonly corporateNumber: string | null; readonly organizationName: string }): Promise<void>;
  /**
   * The operators' Updates of a vetting (CP 3.2.2.1, 3.2.5, four-eyes). A refusal — by the Update's validator or by its
   * handler — throws a CaError of the refusal's kind (conflict, separationOfDuties, ...); an unknown vetting notFound.
   */
  recordDocumentCheck(vettingId: string, args: EvidenceArgs): Promise<{ status: VettingStatus }>;
  recordCallback(vettingId: string, args: EvidenceArgs): Promise<{ status: VettingStatus }>;
  approveVetting(vettingId: string, args: { operatorId: string }): Promise<{ status: VettingStatus; vettedOrganizationId: string; validUntil: string }>;
  rejectVetting(vettingId: string, args: EvidenceArgs): Promise<{ status: VettingStatus }>;
  signalDocumentUploaded(vettingId: string, documentId: string): Promise<void>;
  vettingProgress(vettingId: string): Promise<VettingProgress | null>;
}

/** A refused Update (or an unknown workflow) as the CaError of its kind: the failure's type is the kind. */
async function asCaError<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure) throw new CaError(failureKindOf(e.cause.type), e.cause.message);
    if (e instanceof WorkflowNotFoundError) throw new CaError('notFound', 'no such vetting workflow');
    throw e;
  }
}

export function temporalCaWorkflows(client: Client, config: Pick<CaConfig, 'temporal' | 'crl'>): CaWorkflows {
  const taskQueue = config.temporal.taskQueue;
  const order = (orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId));
  const vettingHandle = (vettingId: string) => client.workflow.getHandle(vettingWorkflowId(vettingId));
  return {
    async startIssuance(input) {
      await client.workflow.start('issueCertificate', {
        taskQueue,
        workflowId: orderWorkflowId(input.orderId),
        args: [input],
        // An order id is used once.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: searchAttributes.orderId, value: input.orderId },
          { key: searchAttributes.fqdns, value: [...input.fqdns] },
          { key: searchAttributes.status, value: 'pending' },
        ]),
      });
    },
    async issuanceExists(orderId) {
      try {
        await order(orderId).describe();
        return true;
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return false;
        throw e;
      }
    },
    async signalChallengeReady(orderId, challengeId) {
      await order(orderId).signal(challengeReadySignal, { challengeId });
    },
    async signalEmailConfirmed(orderId, challengeId) {
      await order(orderId).signal(emailConfirmedSignal, { challengeId });
    },
    async signalFinalize(orderId) {
      await order(orderId).signal(finalizeSignal);
    },
    async startRevocation(input) {
      const workflowId = revocationWorkflowId(input.serial);
      try {
        await client.workflow.start('revokeCertificate', {
          taskQueue,
          workflowId,
          args: [input],
          // A finished revocation may be followed by a keyCompromise reason upgrade (BR 7.2.2): allow a new run.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: new TypedSearchAttributes([
            { key: searchAttributes.serial, value: input.serial },
            { key: searchAttributes.status, value: 'revoking' },
          ]),
        });
        return { workflowId, joined: false };
      } catch (e) {
        if (e instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, joined: true };
        throw e;
      }
    },
    async startKeyCompromise(input) {
      const workflowId = keyCompromiseWorkflowId(input.reportId);
      await client.workflow.start('keyCompromise', { taskQueue, workflowId, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
      return { workflowId };
    },
    async keyCompromiseProgress(reportId) {
      try {
        return await client.workflow.getHandle(keyCompromiseWorkflowId(reportId)).query(keyCompromiseProgressQuery);
      } catch {
        return null;
      }
    },
    async requestCrlPublication(issuerId, trigger) {
      const input: PublishCrlInput = {
        issuerId,
        signingTaskQueue: config.temporal.signingTaskQueue,
        mode: 'debounced',
        quietSeconds: config.crl.quietSeconds,
        maxDelaySeconds: config.crl.maxDelaySeconds,
      };
      await client.workflow.signalWithStart('publishCrl', {
        taskQueue,
        workflowId: crlPublisherWorkflowId(issuerId),
        args: [input],
        signal: crlRequestedSignal,
        signalArgs: [{ trigger }],
      });
    },
    async startVetting({ corporateNumber, organizationName, ...input }) {
      await client.workflow.start('vetOrganization', {
        taskQueue,
        workflowId: vettingWorkflowId(input.vettingId),
        args: [{ vettingId: input.vettingId, organizationId: input.organizationId }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: vettingSearchAttributes.state, value: 'matching' },
          { key: vettingSearchAttributes.organizationName, value: organizationName },
          ...(corporateNumber ? [{ key: vettingSearchAttributes.corporateNumber, value: corporateNumber }] : []),
        ]),
      });
    },
    recordDocumentCheck: (vettingId, args) => asCaError(() => vettingHandle(vettingId).executeUpdate(recordDocumentCheckUpdate, { args: [args] })),
    recordCallback: (vettingId, args) => asCaError(() => vettingHandle(vettingId).executeUpdate(recordCallbackUpdate, { args: [args] })),
    approveVetting: (vettingId, args) => asCaError(() => vettingHandle(vettingId).executeUpdate(approveUpdate, { args: [args] })),
    rejectVetting: (vettingId, args) => asCaError(() => vettingHandle(vettingId).executeUpdate(rejectUpdate, { args: [args] })),
    async signalDocumentUploaded(vettingId, documentId) {
      await vettingHandle(vettingId).signal(documentUploadedSignal, { documentId });
    },
    async vettingProgress(vettingId) {
      try {
        return await vettingHandle(vettingId).query(vettingProgressQuery);
      } catch {
        return null;
      }
    },
  };
}

/**
 * An audit checkpoint now (the admin CLI; the `audit-checkpoint` Schedule makes one every 10 minutes): runs
 * `checkpointAudit` to completion, or joins the on-demand run already in progress.
 */
export async function runAuditCheckpoint(client: Client, config: Pick<CaConfig, 'temporal'>): Promise<AuditCheckpointResult> {
  const input: CheckpointAuditInput = { signingTaskQueue: config.temporal.signingTaskQueue };
  try {
    return await client.workflow.execute('checkpointAudit', {
      taskQueue: config.temporal.taskQueue,
      workflowId: auditCheckpointOnDemandWorkflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    return (await client.workflow.getHandle(auditCheckpointOnDemandWorkflowId).result()) as AuditCheckpointResult;
  }
}
