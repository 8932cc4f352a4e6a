/**
 * The CA's moving parts for end-to-end tests, on the real services the global setup brought up: a development
 * DNS server the test controls, the main and signing workers, and the HTTP API on a free port.
 */
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type CaConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { startApiServer } from '../../api/server';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';
import { createMainWorker } from '../../worker/main';
import { installRuntimeLogging } from '../../worker/runtime';
import { createSigningWorker } from '../../worker/signing';

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
  readonly dns: DevDns;
  readonly temporal: Client;
  readonly apiUrl: string;
  readonly workers: RunningWorker[];
  newAccount(name?: string): Promise<{ id: string; apiKey: string }>;
  api(path: string, init?: RequestInit & { apiKey?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { workers?: boolean } = {}): Promise<Harness> {
  installRuntimeLogging((process.env.CA_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
  const config = loadConfig();
  const db = createDb(config.database.url, { max: 4 });
  const dns = await startDevDnsServer({ host: '127.0.0.1', port: config.dns.devPort, adminPort: 0, zone: config.dns.devZone });
  const workers: RunningWorker[] = [];
  if (opts.workers !== false) {
    workers.push(await runWorker(await createMainWorker(config)));
    workers.push(await runWorker(await createSigningWorker(config)));
  }
  const api = await startApiServer(config, { port: 0 });
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  return {
    config,
    db,
    dns,
    temporal,
    apiUrl: api.url,
    workers,
    async newAccount(name = 'Test Applicant') {
      const { account, apiKey } = await createAccount(db.db, { name });
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

export const uniqueLabel = (): string => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
