/**
 * The topology tests' view of a running `npm run stack`: its coordinates (data-stack/stack.json), the API as an
 * applicant uses it (the REST helpers of test/support/orders.ts; HTTPS where an applicant's key travels), the dev
 * zone's admin API (records go to Knot by dynamic update), the operator's Temporal client (mTLS, admin certificate),
 * the operator's CLI (`npm run admin` with the stack's operator environment) and the database (superuser, checks only).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { createDb, type DbHandle } from '../../db/client';
import { repoRoot } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import type { StackState } from '../../scripts/lib/stack';
import { stackLayout } from '../../scripts/lib/stack/layout';
import type { CaConnectionOptions } from '../../temporal/connection';
import { makeCsr } from '../support/csr';
import { uniqueLabel } from '../support/ca-harness';
import { createOrder, dns01, sayReady, waitForOrder, type DoorClient, type OrderJson } from '../support/orders';

export const state = (): StackState => JSON.parse(readFileSync(stackLayout().stateFile, 'utf8')) as StackState;

export interface StackClient extends DoorClient {
  readonly state: StackState;
  readonly db: DbHandle;
  readonly temporal: Client;
  /** The operator's connection options (what a CA process's connectionOptions gives, with the admin certificate). */
  readonly adminConnection: CaConnectionOptions;
  /** A fresh applicant account (notices to `email`, in English); its API key. */
  newAccount(email?: string): Promise<string>;
  /** GET on the API's HTTPS listener, trusting the stack's API certificate only. */
  httpsGet(route: string, apiKey: string): Promise<{ status: number; body: string }>;
  /** POST/DELETE/GET on the dev zone's admin API (Knot behind it). */
  dns(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<unknown>;
  /** A fresh name in the dev zone. */
  name(): string;
  close(): Promise<void>;
}

/**
 * A file's connection to the stack, opened before its tests (with a fresh applicant account) and closed after them:
 * `const t = useStack();` then `t.c`, `t.apiKey` inside the tests.
 */
export function useStack(): { readonly c: StackClient; readonly apiKey: string } {
  const t = {} as { c: StackClient; apiKey: string };
  beforeAll(async () => {
    t.c = await connectStack();
    t.apiKey = await t.c.newAccount();
  });
  afterAll(async () => {
    await t.c?.close();
  });
  return t;
}

export async function connectStack(): Promise<StackClient> {
  const s = state();
  const db = createDb(s.databaseUrl, { max: 2 });
  const adminConnection: CaConnectionOptions = {
    address: s.temporal.address,
    tls: {
      serverRootCACertificate: readFileSync(s.temporal.caFile),
      clientCertPair: { crt: readFileSync(s.temporal.certFile), key: readFileSync(s.temporal.keyFile) },
      serverNameOverride: s.temporal.serverName,
    },
  };
  const connection = await Connection.connect(adminConnection);
  return {
    state: s,
    db,
    temporal: new Client({ connection, namespace: s.namespace }),
    adminConnection,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.apiKey) headers.set('authorization', `Bearer ${init.apiKey}`);
      return fetch(`${s.apiUrl}${path}`, { ...init, headers });
    },
    async newAccount(email) {
      return (await createAccount(db.db, { name: `Topology ${uniqueLabel()}`, email: email ?? null, language: 'en' })).apiKey;
    },
    httpsGet(route, apiKey) {
      return new Promise((resolve, reject) => {
        const req = https.get(`${s.apiTlsUrl}${route}`, { ca: readFileSync(s.apiCaFile), headers: { authorization: `Bearer ${apiKey}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
      });
    },
    async dns(method, route, body) {
      const res = await fetch(`${s.dnsAdminUrl}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as unknown;
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    name: () => `${uniqueLabel()}.${s.zone}`,
    async close() {
      await connection.close();
      await db.close();
    },
  };
}

/** A DV order through the REST API: apply, publish each dns-01 TXT record in Knot, say ready; the order once final. */
export async function applyDv(c: StackClient, apiKey: string, names: string[], opts: { timeoutMs?: number } = {}): Promise<OrderJson> {
  const order = await createOrder(c, apiKey, makeCsr({ names }));
  for (const a of order.authorizations) {
    const ch = dns01(a);
    await c.dns('POST', '/records', { name: ch.recordName, type: 'TXT', value: ch.recordValue, ttl: 0 });
    await sayReady(c, apiKey, order.id, ch.id);
  }
  return waitForOrder(c, apiKey, order.id, { timeoutMs: opts.timeoutMs ?? 180_000 });
}

/** `tsx scripts/<script> <args>` from the repository with `env` added (the stack's `npm run dns`, `npm run admin`). */
export function runScript(script: string, args: readonly string[], env: Readonly<Record<string, string>>): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(path.join(repoRoot, 'node_modules/.bin/tsx'), [path.join('scripts', script), ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** `npm run admin -- <args>` as the stack's operator (its environment in data-stack/stack.json). */
export const admin = (c: Pick<StackClient, 'state'>, args: readonly string[]) => runScript('admin.ts', args, c.state.operatorEnv);

export const openssl = (args: string[], input?: string | Buffer): string =>
  execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** openssl with its exit status and both streams (it reports "verify OK" and "Response verify OK" on stderr). */
export function opensslChecked(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
