/**
 * The REST door as an applicant drives it in end-to-end tests (the README tour): the order JSON that
 * `GET /v1/orders/{id}` returns (api/applications.ts, the OpenAPI `Order`), and its steps — apply with a CSR,
 * publish the dns-01 TXT record (BR 3.2.2.4.7), say ready, wait for the order to end.
 */
import { expect } from 'vitest';
import type { OrderStatus } from '../../domain/statuses';
import { eventually, type Harness } from './ca-harness';
import type { TestCsr } from './csr';
import { currentAcceptance } from './acceptance';

/** What the REST helpers need of a harness: its API (the topology test drives the stack's API the same way). */
export type DoorClient = Pick<Harness, 'api'>;

export interface ChallengeJson {
  readonly id: string;
  /** BR 3.2.2.4 method, e.g. '3.2.2.4.7'. */
  readonly method: string;
  /** 'dns-01', 'web-file', 'http-01', 'email', 'registrant'. */
  readonly type: string;
  readonly status: string;
  /** dns-01 only: where the TXT record goes. */
  readonly recordName: string | null;
  /** web-file only: the URL the CA will fetch. */
  readonly url: string | null;
  /** email only: the constructed addresses (CP 3.2.2.4.4). */
  readonly emailAddresses: string[] | null;
  readonly recordValue: string;
  readonly expiresAt: string;
  readonly validatedAt: string | null;
  readonly error: unknown;
}

export interface AuthorizationJson {
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly status: string;
  readonly challenges: ChallengeJson[];
}

/** The stored `error` of an invalid order: `type` is the failure kind (domain/errors.ts), plus its details. */
export interface OrderErrorJson {
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly rule?: string;
  readonly identifier?: string;
  /** MPIC (BR 3.2.2.9): every perspective's result. */
  readonly perspectives?: Array<{ perspective: string; region: string; outcome: string }>;
  readonly [k: string]: unknown;
}

export interface OrderJson {
  readonly id: string;
  readonly status: OrderStatus;
  readonly profile: string;
  readonly dnsNames: string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly error: OrderErrorJson | null;
  readonly authorizations: AuthorizationJson[];
  readonly certificate: { serial: string; status: string; notBefore: string; notAfter: string; url: string | null } | null;
  readonly workflowId: string;
  readonly accountId: string;
  readonly providerAccountId: string | null;
}

/** POST /v1/orders with the CSR as PEM in JSON (profile dv, the documents in force accepted, or what `body` adds); the order must be accepted. */
export async function createOrder(h: DoorClient, apiKey: string, csr: TestCsr, body: Record<string, unknown> = {}): Promise<OrderJson> {
  const res = await h.api('/v1/orders', {
    method: 'POST',
    apiKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ csr: csr.pem, profile: 'dv', acceptance: currentAcceptance(), ...body }),
  });
  const order = (await res.json()) as OrderJson;
  expect(res.status, JSON.stringify(order)).toBe(201);
  return order;
}

export async function getOrder(h: DoorClient, apiKey: string, id: string): Promise<OrderJson> {
  const res = await h.api(`/v1/orders/${id}`, { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as OrderJson;
}

/** The dns-01 challenge (BR 3.2.2.4.7) of an authorization: the one with a record name. */
export function dns01(a: AuthorizationJson): ChallengeJson & { readonly recordName: string } {
  const ch = a.challenges.find((c) => c.recordName !== null);
  if (!ch) throw new Error(`no dns-01 challenge for ${a.fqdn}`);
  return ch as ChallengeJson & { recordName: string };
}

/** POST …/challenges/{id}/ready; the CA must accept it (202). */
export async function sayReady(h: DoorClient, apiKey: string, orderId: string, challengeId: string): Promise<void> {
  expect((await h.api(`/v1/orders/${orderId}/challenges/${challengeId}/ready`, { method: 'POST', apiKey })).status).toBe(202);
}

/**
 * For every authorization: publishes its dns-01 TXT record (on every perspective's server too; `tamper` may then
 * undo that at some of them) and says ready.
 */
export async function answerDns01(
  h: Harness,
  apiKey: string,
  order: OrderJson,
  tamper: (recordName: string, value: string) => void = () => {},
): Promise<void> {
  for (const a of order.authorizations) {
    const ch = dns01(a);
    h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
    tamper(ch.recordName, ch.recordValue);
    await sayReady(h, apiKey, order.id, ch.id);
  }
}

export const isFinal = (o: OrderJson): boolean => o.status === 'valid' || o.status === 'invalid';

/** Polls the order until `until` holds (by default: valid or invalid). */
export function waitForOrder(
  h: DoorClient,
  apiKey: string,
  id: string,
  opts: { until?: (o: OrderJson) => boolean; timeoutMs?: number } = {},
): Promise<OrderJson> {
  const until = opts.until ?? isFinal;
  return eventually(async () => {
    const o = await getOrder(h, apiKey, id);
    return until(o) ? o : null;
  }, opts.timeoutMs ?? 120_000);
}

/** The whole tour for one CSR: apply, answer dns-01 for every name, wait until the order is valid or invalid. */
export async function applyAndWait(h: Harness, apiKey: string, csr: TestCsr, opts: { timeoutMs?: number } = {}): Promise<OrderJson> {
  const order = await createOrder(h, apiKey, csr);
  await answerDns01(h, apiKey, order);
  return waitForOrder(h, apiKey, order.id, opts);
}
