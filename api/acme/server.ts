/**
 * The ACME server process: api/acme/app.ts over HTTPS (RFC 8555 §6.1) with node:https, on its own port beside the
 * HTTP API, with real PostgreSQL and Temporal behind it. Run: `tsx api/acme/server.ts` (npm start runs it).
 * The TLS key and certificate come from config (development: scripts/lib/acme-tls.ts made them under the stand-in
 * root; clients trust <data>/acme-tls/ca.pem).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig, type CaConfig } from '../../config';
import { createDb } from '../../db/client';
import { connectCaClient } from '../../temporal/connection';
import { createAcmeApp } from './app';
import { createNonceStore } from './nonces';

export interface RunningAcmeServer {
  /** The directory URL, e.g. https://127.0.0.1:8443/acme/directory. */
  readonly directoryUrl: string;
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startAcmeServer(config: CaConfig, opts: { port?: number } = {}): Promise<RunningAcmeServer> {
  const handle = createDb(config.database.url);
  const temporal = await connectCaClient(config);
  // The app is built once the port is known (port 0 in tests): the URLs in ACME objects carry it.
  let root: Hono | null = null;
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      {
        fetch: (req) => (root ? root.fetch(req) : new Response('starting', { status: 503 })),
        hostname: config.api.host,
        port: opts.port ?? config.acme.port,
        createServer,
        serverOptions: { key: readFileSync(config.acme.tlsKeyFile), cert: readFileSync(config.acme.tlsCertFile) },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = config.acme.publicUrl ?? `https://${config.api.host}:${port}/acme`;
  const app = createAcmeApp({
    db: handle.db,
    workflows: temporal.workflows,
    config,
    clock: () => new Date(),
    nonces: createNonceStore(),
    baseUrl,
  });
  root = new Hono().route('/', app);
  return {
    directoryUrl: `${baseUrl}/directory`,
    baseUrl,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.close();
      await handle.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  const acme = await startAcmeServer(config);
  console.log(`ACME directory ${acme.directoryUrl}`);
  const stop = async () => {
    await acme.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
