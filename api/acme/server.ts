/**
 * The ACME server process: api/acme/app.ts over HTTPS (RFC 8555 §6.1) with node:https, on its own port beside the
 * HTTP API, with real PostgreSQL and Temporal behind it. Run: `tsx api/acme/server.ts` (npm start runs it).
 * The TLS key and certificate come from config (development: scripts/lib/acme-tls.ts made them under the stand-in
 * root; clients trust <data>/acme-tls/ca.pem).
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { CaConfig } from '../../config';
import { runMain } from '../../config/main';
import { observeRequests, metricsRoute } from '../../observability/http';
import { log } from '../../observability/log';
import { serveDoor } from '../serve';
import { createAcmeApp } from './app';
import { createNonceStore } from './nonces';

export interface RunningAcmeServer {
  /** The directory URL, e.g. https://127.0.0.1:8443/acme/directory. */
  readonly directoryUrl: string;
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The URL prefix of every ACME resource: the configured public URL, else this server's own address. */
const baseUrlOf = (config: CaConfig, port: number) => config.acme.publicUrl ?? `https://${config.api.host}:${port}/acme`;

export async function startAcmeServer(config: CaConfig, opts: { port?: number } = {}): Promise<RunningAcmeServer> {
  const door = await serveDoor(
    config,
    {
      port: opts.port ?? config.acme.port,
      tls: { key: readFileSync(config.acme.tlsKeyFile), cert: readFileSync(config.acme.tlsCertFile) },
    },
    ({ db, workflows, port }) => {
      const app = createAcmeApp({ db, workflows, config, clock: () => new Date(), nonces: createNonceStore(), baseUrl: baseUrlOf(config, port) });
      // Outside the ACME base path: the request log and metrics of every request, and Prometheus's /metrics.
      const root = new Hono();
      root.use('*', observeRequests('acme'));
      root.get('/metrics', metricsRoute);
      return root.route('/', app);
    },
  );
  const baseUrl = baseUrlOf(config, door.port);
  return { directoryUrl: `${baseUrl}/directory`, baseUrl, port: door.port, close: door.close };
}

await runMain(import.meta.url, async (config) => {
  const acme = await startAcmeServer(config);
  log.info({ directory: acme.directoryUrl }, 'ACME server listening');
  return acme;
}, { service: 'acme' });
