/**
 * The one typed Temporal client of the CA: every workflow start, signal and query made from outside a workflow goes
 * through `CaWorkflows` — the REST API, the ACME server, the admin CLI and the main worker (which signal-with-starts
 * the CRL publishers). Workflow ids come from business keys (ARCHITECTURE.md convention 8); search attributes are
 * set at start so the Web UI can filter from the first moment.
 *
 * `CaWorkflows` is a port: the doors' tests inject a recording or failing implementation (to prove that a failed
 * start leaves nothing half-stored) while the end-to-end tests use `temporalCaWorkflows` on a real server.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CaConfig } from '../config';
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
}

export function temporalCaWorkflows(client: Client, config: Pick<CaConfig, 'temporal' | 'crl'>): CaWorkflows {
  const taskQueue = config.temporal.taskQueue;
  const order = (orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId));
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
  };
}
