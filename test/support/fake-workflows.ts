/**
 * A `CaWorkflows` (temporal/client.ts) for the doors' tests: it records every start, signal and query instead of
 * talking to Temporal, and fails the calls a test names — to prove that a failed start leaves nothing half-stored.
 * The real client is exercised by the end-to-end tests.
 *
 *   const workflows = fakeWorkflows();
 *   createApp({ db, workflows, config, clock });
 *   workflows.failing.add('startIssuance');   // from now on it throws; .delete() to recover
 *   workflows.calls.startIssuance              // the inputs, in call order
 *   workflows.runningRevocations.add(serial)   // startRevocation then joins the "running" revoke-<serial>
 */
import { keyCompromiseWorkflowId, revocationWorkflowId } from '../../domain/workflow-ids';
import type { CaWorkflows } from '../../temporal/client';

type Method = keyof CaWorkflows;

export interface FakeWorkflows extends CaWorkflows {
  /** The arguments of every successful call, per method, in call order. */
  readonly calls: { readonly [M in Method]: Array<Parameters<CaWorkflows[M]>> };
  /** The methods that throw (an injected outage) instead of recording. */
  readonly failing: Set<Method>;
  /** Serials whose `revoke-<serial>` run is under way: startRevocation joins it (joined: true). */
  readonly runningRevocations: Set<string>;
}

/**
 * `fail`: methods that throw from the start ('all': a test that must never reach Temporal);
 * `runningRevocations`: serials whose revocation run is already under way.
 */
export function fakeWorkflows(opts: { readonly fail?: Iterable<Method> | 'all'; readonly runningRevocations?: Iterable<string> } = {}): FakeWorkflows {
  const runningRevocations = new Set(opts.runningRevocations ?? []);
  const calls = {
    startIssuance: [],
    issuanceExists: [],
    signalChallengeReady: [],
    signalEmailConfirmed: [],
    signalFinalize: [],
    startRevocation: [],
    startKeyCompromise: [],
    keyCompromiseProgress: [],
    requestCrlPublication: [],
    startVetting: [],
    recordDocumentCheck: [],
    recordCallback: [],
    approveVetting: [],
    rejectVetting: [],
    signalDocumentUploaded: [],
    vettingProgress: [],
  } as { [M in Method]: Array<Parameters<CaWorkflows[M]>> };
  const failing = new Set<Method>(opts.fail === 'all' ? (Object.keys(calls) as Method[]) : (opts.fail ?? []));
  const record = <M extends Method>(method: M, args: Parameters<CaWorkflows[M]>) => {
    if (failing.has(method)) throw new Error(`Temporal is down (injected: ${method})`);
    calls[method].push(args);
  };
  return {
    calls,
    failing,
    runningRevocations,
    async startIssuance(...args) {
      record('startIssuance', args);
    },
    /** An order's workflow exists when it was started here. */
    async issuanceExists(...args) {
      record('issuanceExists', args);
      return calls.startIssuance.some(([input]) => input.orderId === args[0]);
    },
    async signalChallengeReady(...args) {
      record('signalChallengeReady', args);
    },
    async signalEmailConfirmed(...args) {
      record('signalEmailConfirmed', args);
    },
    async signalFinalize(...args) {
      record('signalFinalize', args);
    },
    async startRevocation(...args) {
      record('startRevocation', args);
      const serial = args[0].serial;
      return { workflowId: revocationWorkflowId(serial), joined: runningRevocations.has(serial) };
    },
    async startKeyCompromise(...args) {
      record('startKeyCompromise', args);
      return { workflowId: keyCompromiseWorkflowId(args[0].reportId) };
    },
    async keyCompromiseProgress(...args) {
      record('keyCompromiseProgress', args);
      return null;
    },
    async requestCrlPublication(...args) {
      record('requestCrlPublication', args);
    },
    async startVetting(...args) {
      record('startVetting', args);
    },
    async recordDocumentCheck(...args) {
      record('recordDocumentCheck', args);
      return { status: 'awaiting-callback' };
    },
    async recordCallback(...args) {
      record('recordCallback', args);
      return { status: 'awaiting-approval' };
    },
    async approveVetting(...args) {
      record('approveVetting', args);
      return { status: 'approved', vettedOrganizationId: '00000000-0000-0000-0000-000000000000', validUntil: new Date(0).toISOString() };
    },
    async rejectVetting(...args) {
      record('rejectVetting', args);
      return { status: 'rejected' };
    },
    async signalDocumentUploaded(...args) {
      record('signalDocumentUploaded', args);
    },
    async vettingProgress(...args) {
      record('vettingProgress', args);
      return null;
    },
  };
}
