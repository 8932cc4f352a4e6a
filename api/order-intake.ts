/**
 * The one order intake of both doors — the REST API (POST /v1/orders) and ACME newOrder (RFC 8555 §7.4). The door
 * has validated the application first (acceptApplication / acceptNames, api/accept.ts); then, issuance cycle step 1
 * (docs/ISSUANCE-CYCLE.md):
 *   1. store the order, its authorizations, every challenge and, for ACME, the acme_orders row in one transaction;
 *   2. start its issueCertificate workflow (`order-<id>`) through the typed client (temporal/client.ts);
 *   3. if the start fails, remove the order again — without its workflow it would never progress, and the client
 *      retries with a new order — and refuse with serviceUnavailable and a Retry-After;
 *   4. return the stored order as read once by createOrder: the door presents that view, it reads nothing again.
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { createOrder, deleteOrder, listPendingOrdersCreatedBetween, type NewOrder, type OrderDetail } from '../db/repositories/orders';
import { CaError } from '../domain/errors';
import { orderWorkflowId } from '../domain/workflow-ids';
import { addLogContext, log } from '../observability/log';
import type { CaWorkflows } from '../temporal/client';
import type { IssueCertificateInput } from '../workflows/contracts';

export interface OrderIntakeDeps {
  readonly db: Db;
  readonly workflows: Pick<CaWorkflows, 'startIssuance'>;
  readonly config: Pick<CaConfig, 'temporal' | 'dcvCheckWindowSeconds'>;
}

export interface OrderIntakeOptions {
  /**
   * RFC 8657 §3: the URI of the applicant's account that CAA `accounturi` names — the REST account of the order
   * (the subscriber, when a designated provider relays), or the ACME account URL.
   */
  readonly accountUri: string;
  /** Audit actor of the order's creation (and of its removal when the workflow cannot start). */
  readonly actor: string;
}

/** Seconds a client is asked to wait (Retry-After) when the workflow service cannot take the order. */
export const workflowUnavailableRetryAfterSeconds = 10;

/**
 * The issueCertificate input for a freshly stored order: the first challenge of each authorization is the default,
 * the others are the alternatives the applicant may answer instead (the one called ready is the one checked).
 * An OV order carries its organization's id (step 4). An ACME order (it has an acme part) is marked `viaAcme`: CAA validationmethods match its ACME labels (RFC 8657
 * §4), the workflow waits for finalize (RFC 8555 §7.4) and sends no e-mail notice (CP 4.3.2).
 */
export function issuanceInputFor(
  order: Pick<OrderDetail, 'id' | 'dnsNames' | 'authorizations' | 'acme' | 'organizationId'>,
  opts: { readonly config: OrderIntakeDeps['config']; readonly accountUri: string },
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
    signingTaskQueue: opts.config.temporal.signingTaskQueue,
    dcvCheckWindowSeconds: opts.config.dcvCheckWindowSeconds,
    stuckAfterSeconds: opts.config.temporal.stuckAfterSeconds,
    accountUri: opts.accountUri,
    ...(order.acme ? { viaAcme: true } : {}),
    // OV: step 4 waits for this organization's vetting (only ids travel in the workflow input).
    ...(order.organizationId ? { organizationId: order.organizationId } : {}),
  };
}

/** Stores the order and starts its workflow, or stores nothing (see the module comment). */
export async function submitOrder(deps: OrderIntakeDeps, order: NewOrder, opts: OrderIntakeOptions): Promise<OrderDetail> {
  const created = await createOrder(deps.db, { ...order, actor: opts.actor });
  // The rest of the request's events (and its closing one) name the order.
  addLogContext({ orderId: created.id, workflowId: orderWorkflowId(created.id) });
  try {
    await deps.workflows.startIssuance(issuanceInputFor(created, { config: deps.config, accountUri: opts.accountUri }));
  } catch (err) {
    log.warn({ err }, 'the issuance workflow did not start; the order is removed');
    await deleteOrder(deps.db, created.id, { actor: opts.actor, reason: String(err) });
    throw new CaError('serviceUnavailable', 'the workflow service is unavailable; the order was not stored, retry later', {
      retryAfterSeconds: workflowUnavailableRetryAfterSeconds,
    });
  }
  log.info({ names: created.dnsNames.length, acme: Boolean(created.acme) }, 'order accepted');
  return created;
}

/**
 * How long after its creation an order without a workflow is taken for abandoned by its door: the start takes
 * milliseconds, and a door still waiting for it after two minutes has lost its client's request anyway.
 */
export const orderStartGraceSeconds = 120;
export const orderSweepIntervalSeconds = 60;

/**
 * Orders a door stored but whose workflow it never started — the process died between the two steps above (a crash,
 * a SIGKILL, a host lost); its applicant got no answer and retried with a new order. Nothing would ever move such an
 * order, so it is removed as a failed start removes one (step 3), audited as `order.aborted`. Only orders created in
 * [since, before) are looked at: `before` leaves the doors' intakes in progress alone (`orderStartGraceSeconds`).
 * Returns the removed ids; throws, removing nothing more, when Temporal cannot say whether a workflow exists.
 */
export async function removeOrdersWithoutWorkflow(
  deps: { readonly db: Db; readonly workflows: Pick<CaWorkflows, 'issuanceExists'> },
  window: { readonly since: Date; readonly before: Date },
): Promise<string[]> {
  const removed: string[] = [];
  for (const o of await listPendingOrdersCreatedBetween(deps.db, window.since, window.before)) {
    if (await deps.workflows.issuanceExists(o.id)) continue;
    if (await deleteOrder(deps.db, o.id, { actor: 'system', reason: 'no workflow was started for it: its door stopped between storing the order and starting the workflow' })) {
      removed.push(o.id);
    }
  }
  return removed;
}

/**
 * The sweep in a REST API process: once at start over the last day (the door that died is typically the one that
 * restarts), then every minute over the last 15 (another door's orphans). Errors are logged and retried next time.
 */
export function sweepOrdersWithoutWorkflow(
  deps: { readonly db: Db; readonly workflows: Pick<CaWorkflows, 'issuanceExists'> },
  opts: { readonly clock: () => Date; readonly log: (line: string) => void },
): { stop(): void } {
  const minutes = (n: number) => n * 60_000;
  const sweep = async (lookBackMs: number) => {
    const now = opts.clock().getTime();
    try {
      const removed = await removeOrdersWithoutWorkflow(deps, { since: new Date(now - lookBackMs), before: new Date(now - orderStartGraceSeconds * 1000) });
      if (removed.length > 0) opts.log(`removed ${removed.length} order(s) stored without a workflow: ${removed.join(', ')}`);
    } catch (e) {
      opts.log(`sweep of orders without a workflow failed (next time): ${String(e)}`);
    }
  };
  void sweep(minutes(24 * 60));
  const timer = setInterval(() => void sweep(minutes(15)), orderSweepIntervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
