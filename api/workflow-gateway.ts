/**
 * The API's port to Temporal: start an order's workflow, signal it. Kept narrow so the API tests can inject a
 * failing gateway (to prove that a failed start leaves nothing half-stored) while the end-to-end tests use the real one.
 */
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import {
  challengeReadySignal,
  emailConfirmedSignal,
  orderWorkflowId,
  searchAttributes,
  type IssueCertificateInput,
} from '../workflows/contracts';

export interface WorkflowGateway {
  startIssuance(input: IssueCertificateInput): Promise<void>;
  signalChallengeReady(orderId: string, challengeId: string): Promise<void>;
  /** Issue #3 (CP 3.2.2.4.4): a constructed e-mail was confirmed. Optional so narrow test gateways need not have it. */
  signalEmailConfirmed?(orderId: string, challengeId: string): Promise<void>;
}

export function temporalGateway(client: Client, taskQueue: string): WorkflowGateway {
  return {
    async startIssuance(input) {
      await client.workflow.start('issueCertificate', {
        taskQueue,
        workflowId: orderWorkflowId(input.orderId),
        args: [input],
        // An order id is used once: a second start for the same order is refused by the server.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: searchAttributes.orderId, value: input.orderId },
          { key: searchAttributes.fqdns, value: [...input.fqdns] },
          { key: searchAttributes.status, value: 'pending' },
        ]),
      });
    },
    async signalChallengeReady(orderId, challengeId) {
      await client.workflow.getHandle(orderWorkflowId(orderId)).signal(challengeReadySignal, { challengeId });
    },
    async signalEmailConfirmed(orderId, challengeId) {
      await client.workflow.getHandle(orderWorkflowId(orderId)).signal(emailConfirmedSignal, { challengeId });
    },
  };
}
