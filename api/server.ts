/**
 * The HTTP API process: Hono on Node, real PostgreSQL and Temporal behind it, on HTTP (`api.port`: the repository,
 * OCSP and CRLs, which BR 7.1.2.7.7/7.1.2.7.8 serve over plain http) and on HTTPS (`api.tlsPort`: applicants send
 * their API keys, so the API's own links and Location headers point there, `api.url`).
 * Run: `tsx api/server.ts` (npm start runs it for you).
 */
import { readFileSync } from 'node:fs';
import type { CaConfig } from '../config';
import { runMain } from '../config/main';
import { log } from '../observability/log';
import { createApp } from './app';
import { sweepOrdersWithoutWorkflow } from './order-intake';
import { serveDoor } from './serve';

export interface RunningApiServer {
  /** http://host:port */
  readonly url: string;
  /** https://host:tlsPort */
  readonly httpsUrl: string;
  close(): Promise<void>;
}

/**
 * `sweepOrders`: also remove, now and periodically, orders a door stored without starting their workflow
 * (api/order-intake.ts) — the API process does; tests that start the API in-process do not.
 */
export async function startApiServer(config: CaConfig, opts: { port?: number; tlsPort?: number; sweepOrders?: boolean } = {}): Promise<RunningApiServer> {
  const tlsPort = opts.tlsPort ?? config.api.tlsPort;
  const tls = { key: readFileSync(config.api.tlsKeyFile), cert: readFileSync(config.api.tlsCertFile) };
  let sweeper: { stop(): void } | undefined;
  const door = await serveDoor(config, [{ port: opts.port ?? config.api.port }, { port: tlsPort, tls }], ({ db, workflows, ports }) => {
    if (opts.sweepOrders) sweeper = sweepOrdersWithoutWorkflow({ db, workflows }, { clock: () => new Date(), log: (line) => log.warn(line) });
    // A free port (tests) has no configured URL: the links name the port bound.
    const url = tlsPort === 0 ? `https://${config.api.host}:${ports[1]}` : config.api.url;
    return createApp({ db, workflows, config: { ...config, api: { ...config.api, url } }, clock: () => new Date() });
  });
  return {
    url: `http://${config.api.host}:${door.ports[0]}`,
    httpsUrl: `https://${config.api.host}:${door.ports[1]}`,
    async close() {
      sweeper?.stop();
      await door.close();
    },
  };
}

await runMain(import.meta.url, async (config) => {
  const api = await startApiServer(config, { sweepOrders: true });
  log.info({ url: api.url, https: api.httpsUrl, openapi: `${config.api.url}/openapi.json`, metrics: `${api.url}/metrics` }, 'API listening');
  return api;
}, { service: 'api' });
