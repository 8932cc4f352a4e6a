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

/** The stored order as the workflow input needs it (both doors: the applications API and ACME). */
export interface StoredOrderForIssuance {
  readonly id: string;
  readonly dnsNames: readonly string[];
  readonly authorizations: ReadonlyArray<{
    readonly id: string;
    readonly fqdn: string;
    readonly challenges: ReadonlyArray<{ readonly id: string; readonly method: string; readonly expiresAt: Date }>;
  }>;
}

/**
 * The issueCertificate input for a freshly stored order: the first challenge of each authorization is the default,
 * the others are the alternatives the applicant may answer instead (the one called ready is the one checked).
 */
export function issuanceInputFor(
  order: StoredOrderForIssuance,
  opts: {
    readonly signingTaskQueue: string;
    readonly dcvCheckWindowSeconds: number;
    /** RFC 8657 §3: the CAA accounturi of the applicant's account (the MPIC perspectives come from the workers). */
    readonly accountUri: string;
    /** RFC 8657 §4: ACME orders match CAA validationmethods by their ACME labels. */
    readonly viaAcme?: boolean;
  },
): IssueCertificateInput {
  return {
    orderId: order.id,
    fqdns: [...order.dnsNames],
    authorizations: order.authorizations.map((a) => ({
      authorizationId: a.id,
      challengeId: a.challenges[0]!.id,
      fqdn: a.fqdn,
      expiresAt: a.challenges[0]!.expiresAt.toISOString(),
      alternatives: a.challenges.slice(1).map((ch) => ({ challengeId: ch.id, method: ch.method })),
    })),
    signingTaskQueue: opts.signingTaskQueue,
    dcvCheckWindowSeconds: opts.dcvCheckWindowSeconds,
    accountUri: opts.accountUri,
    ...(opts.viaAcme ? { viaAcme: true } : {}),
  };
}

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
