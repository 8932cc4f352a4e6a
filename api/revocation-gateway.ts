/**
 * The port to Temporal for revocation, key-compromise reports and CRL publication (issue #5), used by the API, the
 * admin CLI and the main worker's requestCrlPublication activity. Kept narrow so API tests can inject a fake.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CaConfig } from '../config';
import { searchAttributes } from '../workflows/contracts';
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

export interface RevocationGateway {
  /** Starts `revoke-<serial>`; joins the running workflow when one exists (returns joined: true). */
  startRevocation(input: RevokeCertificateInput): Promise<{ workflowId: string; joined: boolean }>;
  startKeyCompromise(input: KeyCompromiseInput): Promise<{ workflowId: string }>;
  keyCompromiseProgress(reportId: string): Promise<KeyCompromiseProgress | null>;
  /** Signal-with-start of the issuer's debounced CRL publisher. */
  requestCrlPublication(issuerId: string, trigger: string): Promise<void>;
}

export function temporalRevocationGateway(client: Client, config: Pick<CaConfig, 'temporal' | 'crl'>): RevocationGateway {
  const taskQueue = config.temporal.taskQueue;
  return {
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
