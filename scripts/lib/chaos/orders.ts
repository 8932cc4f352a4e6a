/**
 * The applicants of the chaos harness and the soak test: each drives one DV order to its end the way a careful client
 * would — through the REST API (dns-01, BR 3.2.2.4.7) or the ACME server (acme-orders.ts) — retrying what a crashed
 * door or a restarting service refused, and recording every order it created (a POST whose answer was lost makes it
 * create another: the first is abandoned, which is the client's doing, not the CA's).
 */
import { currentDocumentVersions } from '../../../domain/repository-documents';
import type { TestCsr } from '../../../test/support/csr';
import type { ChaosTarget } from './target';

export interface OrderRun {
  readonly index: number;
  readonly via: 'rest' | 'acme';
  readonly challenge: 'dns-01' | 'http-01';
  readonly fqdn: string;
  /** Every order this applicant created (the last is the one it drove). */
  readonly created: string[];
  startedAt: number;
  endedAt: number | null;
  /** `valid`, `invalid`/`expired` (the CA's outcome), or `gave-up: <why>` (the client's). */
  status: string | null;
  /** The failure kind of an invalid order (domain/errors.ts), as the CA stated it. */
  errorType: string | null;
  errorDetail: string | null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds before a client gives up on an order (far beyond any bounded retry of the CA: the CA must answer first). */
export const ORDER_PATIENCE_MS = 20 * 60_000;

export class GaveUp extends Error {}

/**
 * Repeats `attempt` until it returns a value; a thrown error or a retryable answer (null) waits and tries again,
 * until `deadline` (then GaveUp with the last reason).
 */
export async function persist<T>(what: string, deadline: number, attempt: () => Promise<T | null>): Promise<T> {
  let last = '';
  for (let pause = 500; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      const v = await attempt();
      if (v !== null) return v;
    } catch (e) {
      if (e instanceof GaveUp) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new GaveUp(`${what}: ${last || 'no answer'}`);
    await sleep(pause);
  }
}

interface OrderJson {
  readonly id: string;
  readonly status: string;
  readonly error: { type: string; detail: string } | null;
  readonly authorizations: Array<{ challenges: Array<{ id: string; recordName: string | null; recordValue: string }> }>;
}

/** A REST answer: the JSON for a 2xx; null (retry) for a 5xx, a 429 or a dropped connection; GaveUp otherwise. */
async function restCall<T>(target: ChaosTarget, apiKey: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T } | null> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${apiKey}`);
  const res = await fetch(`${target.apiUrl}${path}`, { ...init, headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status >= 500 || res.status === 429) return null;
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** One REST order: apply, publish the TXT record, say ready, wait for the CA's outcome. */
export async function runRestOrder(target: ChaosTarget, apiKey: string, run: OrderRun, csr: TestCsr): Promise<void> {
  const deadline = run.startedAt + ORDER_PATIENCE_MS;
  const order = await persist('POST /v1/orders', deadline, async () => {
    const r = await restCall<OrderJson>(target, apiKey, '/v1/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // CP 4.1.2: every application states the terms, CP and CPS in force it accepts.
      body: JSON.stringify({ csr: csr.pem, profile: 'dv', acceptance: currentDocumentVersions(new Date()) }),
    });
    if (r && r.status !== 201) throw new GaveUp(`POST /v1/orders: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    if (r) run.created.push(r.body.id);
    return r?.body ?? null;
  });
  const ch = order.authorizations[0]!.challenges.find((c) => c.recordName !== null)!;
  target.dns.add({ name: ch.recordName!, type: 'TXT', value: ch.recordValue });
  await persist('POST ready', deadline, async () => {
    const r = await restCall(target, apiKey, `/v1/orders/${order.id}/challenges/${ch.id}/ready`, { method: 'POST' });
    // 409: the workflow already has it (the earlier answer was lost) and moved on.
    if (r && r.status !== 202 && r.status !== 409) throw new GaveUp(`ready: HTTP ${r.status}`);
    return r;
  });
  await awaitOutcome(run, deadline, async () => {
    const r = await restCall<OrderJson>(target, apiKey, `/v1/orders/${order.id}`);
    return r?.body ?? null;
  });
}

/** Polls the order until the CA states its outcome (valid, invalid with a kind, expired). */
export async function awaitOutcome(run: OrderRun, deadline: number, read: () => Promise<{ status: string; error: { type: string; detail: string } | null } | null>): Promise<void> {
  const final = await persist('waiting for the outcome', deadline, async () => {
    const o = await read();
    if (!o || !['valid', 'invalid', 'expired'].includes(o.status)) {
      await sleep(1_000);
      return null;
    }
    return o;
  });
  run.status = final.status;
  run.errorType = final.error?.type ?? null;
  run.errorDetail = final.error?.detail ?? null;
}

/** Runs an applicant to its end; its own failure to get an answer is recorded as `gave-up`. */
export async function drive(run: OrderRun, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    run.status = `gave-up: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    run.endedAt = Date.now();
  }
}
