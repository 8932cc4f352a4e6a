/**
 * The one revocation entry point of every door (CP 4.9.1–4.9.3, BR 4.9.1.1): the REST API
 * (POST /v1/certificates/{serial}/revoke), ACME revokeCert (RFC 8555 §7.6) and the operators' CLI
 * (`npm run admin -- revoke`). It finds the certificate — by serial, or by its DER, which must be byte for byte the
 * certificate this CA stored under that serial —, asks the rules (domain/revocation.ts) whether this requester may
 * revoke it for this reason now, and starts the revokeCertificate workflow (`revoke-<serial>`) through the typed
 * Temporal client. Refusals are CaErrors of the failure table: notFound, unauthorized, badRevocationReason,
 * alreadyRevoked, conflict, malformed; serviceUnavailable when the workflow cannot be started (nothing was revoked).
 *
 * Audit (BR 5.4.1): each accepted request is ONE `revocation.requested` entry. The workflow's first activity
 * (recordRevocation) writes it in the transaction that stores the revocation; a request that joins the workflow
 * already running for the serial starts no run of its own, so its entry is written here. No door writes it itself.
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getRevocationFacts, recordRevocationRequest } from '../db/repositories/revocation';
import { CaError } from '../domain/errors';
import { authorizeRevocation, parseReason, reasonName, type Requester } from '../domain/revocation';
import { parseCertificate } from '../pki/certificate';
import type { CaWorkflows } from '../temporal/client';
import { workflowUnavailableRetryAfterSeconds } from './order-intake';

export interface RevocationRequestDeps {
  readonly db: Db;
  readonly workflows: Pick<CaWorkflows, 'startRevocation'>;
  readonly config: Pick<CaConfig, 'temporal'>;
  readonly clock: () => Date;
}

/** Which certificate: its serial (hex, colons allowed), or the certificate itself (ACME, RFC 8555 §7.6). */
export type RevocationTarget = { readonly serial: string } | { readonly certificateDer: Uint8Array };

export interface RevocationRequest {
  readonly target: RevocationTarget;
  /**
   * Who asks (CP 4.9.2, 3.4) — or, when that depends on the certificate (the REST door: its own account, or the
   * designated provider that relayed it), a function of the certificate's account.
   */
  readonly requester: Requester | ((certificate: { accountId: string }) => Promise<Requester>);
  /** A CP 7.2.3 reason name or its RFC 5280 code; absent means unspecified. */
  readonly reason: string | number | undefined;
  /** The audit actor, e.g. `account:<id>`, `acme:<id>`, `operator:<name>`. */
  readonly actor: string;
}

export interface RevocationAccepted {
  readonly serial: string;
  readonly status: 'revoking';
  readonly reason: string;
  /** BR 4.9.1.1: the CA revokes by then. */
  readonly deadline: string;
  readonly deadlineRule: string;
  readonly workflowId: string;
}

/** The certificate's facts, or null when this CA stored no such certificate. */
async function findCertificate(db: Db, target: RevocationTarget) {
  if ('serial' in target) return getRevocationFacts(db, target.serial.replace(/:/g, ''));
  // RFC 8555 §7.6: the request carries the certificate; only the exact bytes this CA issued identify it.
  const serialHex = Buffer.from(parseCertificate(target.certificateDer).serialNumber.valueBlock.valueHexView).toString('hex');
  const facts = await getRevocationFacts(db, serialHex);
  const stored = facts?.certificate.certDer;
  return stored && Buffer.from(stored).equals(Buffer.from(target.certificateDer)) ? facts : null;
}

export async function submitRevocation(deps: RevocationRequestDeps, request: RevocationRequest): Promise<RevocationAccepted> {
  const { target } = request;
  const facts = await findCertificate(deps.db, target);
  if (!facts) throw new CaError('notFound', 'serial' in target ? `no certificate ${target.serial}` : 'this CA did not issue this certificate');
  const requester = typeof request.requester === 'function' ? await request.requester(facts) : request.requester;
  // Named by serial, an unrelated requester learns nothing (404, as for orders). Sent as the certificate itself
  // (ACME), its existence is no secret: the answer is RFC 8555 §7.6's unauthorized.
  const unrelated = () =>
    'serial' in target
      ? new CaError('notFound', `no certificate ${target.serial} for this account`, { rule: 'CP 4.9.2, 3.4' })
      : new CaError('unauthorized', 'neither the account the certificate was issued to nor its key signed this request', { rule: 'CP 4.9.2, 3.4' });
  const now = deps.clock();
  const parsed = parseReason(request.reason);
  if (!parsed.ok) {
    // An unrelated requester learns nothing, not even that its reason would have been refused.
    const related = authorizeRevocation(requester, facts, 0, now);
    if (!related.ok && related.kind === 'notFound') throw unrelated();
    throw new CaError('badRevocationReason', parsed.detail, { rule: parsed.rule });
  }
  const decision = authorizeRevocation(requester, facts, parsed.code, now);
  if (!decision.ok) {
    if (decision.kind === 'notFound') throw unrelated();
    const kind = decision.kind === 'conflict' && facts.status === 'revoked' ? 'alreadyRevoked' : decision.kind;
    throw new CaError(kind, decision.detail, { rule: decision.rule });
  }
  let started: { workflowId: string; joined: boolean };
  try {
    started = await deps.workflows.startRevocation({
      serial: facts.serial,
      issuerId: facts.issuerId,
      reason: decision.reason,
      requester,
      actor: request.actor,
      requestedAt: now.toISOString(),
      deadline: decision.deadline.toISOString(),
      deadlineRule: decision.deadlineRule,
      signingTaskQueue: deps.config.temporal.signingTaskQueue,
    });
  } catch {
    throw new CaError('serviceUnavailable', 'the workflow service is unavailable; nothing was revoked, retry later', {
      retryAfterSeconds: workflowUnavailableRetryAfterSeconds,
    });
  }
  if (started.joined) {
    await recordRevocationRequest(deps.db, {
      serial: facts.serial,
      orderId: facts.certificate.orderId,
      actor: request.actor,
      reason: decision.reason,
      deadline: decision.deadline,
      deadlineRule: decision.deadlineRule,
      workflowId: started.workflowId,
      joinedRunningWorkflow: true,
    });
  }
  return {
    serial: facts.serial,
    status: 'revoking',
    reason: reasonName(decision.reason)!,
    deadline: decision.deadline.toISOString(),
    deadlineRule: decision.deadlineRule,
    workflowId: started.workflowId,
  };
}
