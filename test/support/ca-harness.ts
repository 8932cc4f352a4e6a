/**
 * The CA's moving parts for end-to-end tests, on the real services the global setup brought up: a development
 * DNS server the test controls, the main and signing workers, and the HTTP API on a free port.
 */
import { Client, Connection } from '@temporalio/client';
import { connectionOptions } from '../../temporal/connection';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type CaConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { startApiServer } from '../../api/server';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';
import { createMainWorker } from '../../worker/main';
import { installTemporalRuntime } from '../../worker/runtime';
import { createSigningWorker } from '../../worker/signing';
import { createPerspectiveWorker } from '../../worker/perspective';
import type { Signer } from '../../pki/signer';

export interface RunningWorker {
  readonly worker: Worker;
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function runWorker(created: { worker: Worker; close(): Promise<void> }): Promise<RunningWorker> {
  const done = created.worker.run().finally(() => created.close());
  return {
    worker: created.worker,
    done,
    async stop() {
      if (created.worker.getState() === 'RUNNING') created.worker.shutdown();
      await done;
    },
  };
}

export interface Harness {
  readonly config: CaConfig;
  readonly db: DbHandle;
  /** The primary's DNS server; add/remove/clear/setServfail also reach every perspective's own server. */
  readonly dns: DevDns;
  /** Each remote perspective's (BR 3.2.2.9) own DNS server (its resolver), by perspective id — make one lie. */
  readonly perspectiveDns: ReadonlyMap<string, DevDns>;
  readonly temporal: Client;
  readonly apiUrl: string;
  readonly workers: RunningWorker[];
  /** A subscriber account; `email` and `language` are where (and in which language) its notices go. */
  newAccount(name?: string, opts?: { email?: string; language?: 'ja' | 'en' }): Promise<{ id: string; apiKey: string }>;
  api(path: string, init?: RequestInit & { apiKey?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * `env` overrides environment variables for this harness's config only (e.g. CA_CT_LOG_LIST of the CT tests).
 * `apiOnConfiguredPort`: listen on config.api.port (the public base URL) instead of a free port — for tests of
 * activities that fetch from the API, e.g. the CRL publication check (CP 4.9.8).
 */
export interface HarnessOptions {
  readonly workers?: boolean;
  readonly perspectives?: boolean;
  readonly env?: Record<string, string>;
  readonly apiOnConfiguredPort?: boolean;
  /** The main worker's clock (e.g. skewed, so a check it makes looks hours old). */
  readonly mainWorkerClock?: () => Date;
  /** Wraps the signing worker's HSM signer (e.g. to count signatures). */
  readonly wrapSigner?: (hsm: Signer) => Signer;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  installTemporalRuntime({ level: (process.env.CA_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN' });
  const config = loadConfig({ ...process.env, ...opts.env });
  const db = createDb(config.database.url, { max: 4 });
  const primaryDns = await startDevDnsServer({ host: '127.0.0.1', port: config.dns.devPort, adminPort: 0, zone: config.dns.devZone });
  // Every remote perspective (BR 3.2.2.9) gets its own DNS server on a free port as its resolver, so tests
  // can make perspectives disagree; the harness's `dns` writes to all of them.
  const perspectiveDns = new Map<string, DevDns>();
  for (const p of config.mpic.perspectives) {
    perspectiveDns.set(p.id, await startDevDnsServer({ host: '127.0.0.1', port: 0, adminPort: 0, zone: config.dns.devZone }));
  }
  const dns = fanOutDns(primaryDns, [...perspectiveDns.values()]);
  const workers: RunningWorker[] = [];
  if (opts.workers !== false) {
    workers.push(await runWorker(await createMainWorker(config, opts.mainWorkerClock ? { clock: opts.mainWorkerClock } : {})));
    workers.push(await runWorker(await createSigningWorker(config, opts.wrapSigner ? { wrapSigner: opts.wrapSigner } : {})));
  }
  // The perspectives run even with `workers: false` (tests that run their own main worker, e.g. the crash test):
  // they are separate components, like a remote region's workers.
  if (opts.perspectives !== false) {
    for (const p of config.mpic.perspectives) {
      const own = perspectiveDns.get(p.id)!;
      workers.push(await runWorker(await createPerspectiveWorker(config, { ...p, resolver: { host: own.host, port: own.port } })));
    }
  }
  const api = await startApiServer(config, { port: opts.apiOnConfiguredPort ? config.api.port : 0, tlsPort: 0 });
  const connection = await Connection.connect(connectionOptions(config));
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  return {
    config,
    db,
    dns,
    perspectiveDns,
    temporal,
    apiUrl: api.url,
    workers,
    async newAccount(name = 'Test Applicant', opts = {}) {
      const { account, apiKey } = await createAccount(db.db, { name, ...opts });
      return { id: account.id, apiKey };
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.apiKey) headers.set('authorization', `Bearer ${init.apiKey}`);
      return fetch(`${api.url}${path}`, { ...init, headers });
    },
    async stop() {
      for (const w of workers) await w.stop();
      await api.close();
      await connection.close();
      await dns.stop();
      for (const d of perspectiveDns.values()) await d.stop();
      await db.close();
    },
  };
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The handle of a workflow once it exists (e.g. a child its parent starts just after writing a row the test saw). */
export async function startedWorkflow(h: Pick<Harness, 'temporal'>, workflowId: string) {
  const handle = h.temporal.workflow.getHandle(workflowId);
  await eventually(() => handle.describe().then(() => true, () => false));
  return handle;
}

export const uniqueLabel = (): string => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A DevDns whose writes go to the primary server and to every perspective server (reads come from the primary). */
function fanOutDns(primary: DevDns, others: readonly DevDns[]): DevDns {
  const all = [primary, ...others];
  return {
    host: primary.host,
    port: primary.port,
    adminPort: primary.adminPort,
    zone: primary.zone,
    add: (rr) => all.forEach((d) => d.add(rr)),
    remove: (name, type, value) => all.map((d) => d.remove(name, type, value))[0]!,
    clear: () => all.forEach((d) => d.clear()),
    list: () => primary.list(),
    setServfail: (name, on) => all.forEach((d) => d.setServfail(name, on)),
    stop: () => primary.stop(),
  };
}
