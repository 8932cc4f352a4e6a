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
import { listenForOrderStatus } from '../../db/order-status-events';
import { readSecretKeyFile } from '../../config/secret-files';
import { metricsRoute } from '../../observability/http';
import { log } from '../../observability/log';
import { serveDoor } from '../serve';
import { createAcmeApp } from './app';
import { createNonceStore, usedNoncesIn } from './nonces';

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
    [{ port: opts.port ?? config.acme.port, tls: { key: readFileSync(config.acme.tlsKeyFile), cert: readFileSync(config.acme.tlsCertFile) } }],
    async ({ db, sql, workflows, ports }) => {
      const app = createAcmeApp({
        db,
        workflows,
        config,
        clock: () => new Date(),
        // Every ACME process of the deployment reads the same key file and shares the used nonces in PostgreSQL.
        nonces: createNonceStore({ key: readSecretKeyFile(config.acme.nonceKeyFile, 'ACME nonces'), used: usedNoncesIn(db) }),
        eabEncryptionKey: readSecretKeyFile(config.acme.eabEncryptionKeyFile, 'EAB keys'),
        baseUrl: baseUrlOf(config, ports[0]!),
        orderStatus: await listenForOrderStatus(sql),
      });
      // Prometheus's /metrics, outside the ACME base path (the ACME app observes its own requests).
      const root = new Hono();
      root.get('/metrics', metricsRoute);
      return root.route('/', app);
    },
  );
  const port = door.ports[0]!;
  const baseUrl = baseUrlOf(config, port);
  return { directoryUrl: `${baseUrl}/directory`, baseUrl, port, close: door.close };
}

await runMain(import.meta.url, async (config) => {
  const acme = await startAcmeServer(config);
  log.info({ directory: acme.directoryUrl }, 'ACME server listening');
  return acme;
}, { service: 'acme' });
