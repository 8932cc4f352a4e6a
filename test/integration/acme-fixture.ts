/**
 * The ACME server at the protocol level (RFC 8555 §6, §7; RFC 9773), shared by test/integration/acme-*.test.ts: the
 * app on a fresh PostgreSQL database, a JS client (jose) that breaks one rule at a time, and the recording fake of
 * the Temporal side, so these tests pin what the server stores and signals — the real workflows are exercised by
 * test/e2e/acme-clients.test.ts.
 *
 * The rule pinned throughout: bad input (malformed JWS, replayed nonce, wrong URL, unknown account, oversized payload,
 * revoked account) changes no state — counted over every ACME table, the orders, and the audit log (`state()`).
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createAcmeApp } from '../../api/acme/app';
import { randomBytes } from 'node:crypto';
import { createNonceStore, usedNoncesIn } from '../../api/acme/nonces';
import { loadConfig, type CaConfig } from '../../config';
import { AcmeTestClient, newAccountKey } from '../support/acme-client';
import { freshDatabase } from '../support/database';
import { fakeWorkflows, type FakeWorkflows } from '../support/fake-workflows';

export const BASE = 'https://acme.test.example:8443/acme';
export const DIRECTORY = `${BASE}/directory`;
export const baseConfig = loadConfig();
export const zone = baseConfig.dns.devZone;

export interface AcmeTestServer {
  readonly fresh: Awaited<ReturnType<typeof freshDatabase>>;
  readonly app: ReturnType<typeof createAcmeApp>;
  /** The recording Temporal fake (test/support/fake-workflows.ts); its failures are cleared after each test. */
  readonly workflows: FakeWorkflows;
  /** CA_ACME_EAB_REQUIRED for the current test (reset after each). */
  eabRequired: boolean;
  /** The key EAB HMAC keys are sealed with (what config acme.eabEncryptionKeyFile holds in a deployment). */
  readonly eabEncryptionKey: Uint8Array;
  /** The nonce key (config acme.nonceKeyFile): another app with it and the same database shares the nonces. */
  readonly nonceKey: Uint8Array;
  /** The app's dependencies, to build a second ACME process on the same database. */
  readonly deps: Parameters<typeof createAcmeApp>[0];
}

/** Registers the hooks of one test file: a fresh database and ACME app before all tests, cleanup after. */
export function useAcmeTestServer(prefix: string): AcmeTestServer {
  const s = { workflows: fakeWorkflows(), eabRequired: false, eabEncryptionKey: new Uint8Array(randomBytes(32)), nonceKey: new Uint8Array(randomBytes(32)) } as unknown as {
    -readonly [K in keyof AcmeTestServer]: AcmeTestServer[K];
  };
  beforeAll(async () => {
    s.fresh = await freshDatabase({ prefix });
    const config: CaConfig = {
      ...baseConfig,
      get acme() {
        return { ...baseConfig.acme, eabRequired: s.eabRequired };
      },
    };
    s.deps = {
      db: s.fresh.handle.db,
      workflows: s.workflows,
      config,
      clock: () => new Date(),
      nonces: createNonceStore({ key: s.nonceKey, used: usedNoncesIn(s.fresh.handle.db) }),
      eabEncryptionKey: s.eabEncryptionKey,
      baseUrl: BASE,
    };
    s.app = createAcmeApp(s.deps);
  });
  afterAll(async () => {
    await s.fresh?.drop();
  });
  afterEach(() => {
    s.eabRequired = false;
    s.workflows.failing.clear();
  });
  return s;
}

/** Every row count the ACME server could change, and the audit chain's length. */
export async function state(s: AcmeTestServer) {
  const [r] = await s.fresh.handle.sql`select
    (select count(*)::int from accounts) as accounts,
    (select count(*)::int from acme_accounts) as acme_accounts,
    (select count(*)::int from acme_eab_keys where bound_at is not null) as eab_bound,
    (select count(*)::int from acme_orders) as acme_orders,
    (select count(*)::int from orders) as orders,
    (select count(*)::int from challenges where key_authorization is not null) as answered,
    (select string_agg(status || coalesce(jsonb_array_length(contact)::text, ''), ',' order by id) from acme_accounts) as account_states,
    (select count(*)::int from audit_log) as audit`;
  return r!;
}

export async function client(s: AcmeTestServer, alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256') {
  return new AcmeTestClient((url, init) => s.app.request(url, init), DIRECTORY, await newAccountKey(alg)).init();
}

/** A client whose account is registered (newAccount), for the tests that act as an existing account. */
export async function registeredClient(s: AcmeTestServer): Promise<AcmeTestClient> {
  const c = await client(s);
  await c.register();
  return c;
}

/**
 * Runs `requests` and expects them to have changed nothing the ACME server could change (rows, the audit chain):
 * what a refused request must leave behind. Returns what `requests` returned.
 */
export async function withoutStateChange<T>(s: AcmeTestServer, requests: () => Promise<T>): Promise<T> {
  const before = await state(s);
  const result = await requests();
  expect(await state(s)).toEqual(before);
  return result;
}

export async function problem(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { type: string; detail: string; status: number; algorithms?: string[]; subproblems?: unknown[] };
}
