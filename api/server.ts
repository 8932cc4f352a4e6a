/**
 * The HTTP API process: Hono on Node, real PostgreSQL and Temporal behind it.
 * Run: `tsx api/server.ts` (npm start runs it for you).
 */
import type { CaConfig } from '../config';
import { runMain } from '../config/main';
import { log } from '../observability/log';
import { createApp } from './app';
import { serveDoor } from './serve';

export async function startApiServer(config: CaConfig, opts: { port?: number } = {}) {
  const door = await serveDoor(config, { port: opts.port ?? config.api.port }, ({ db, workflows }) =>
    createApp({ db, workflows, config, clock: () => new Date() }),
  );
  return { url: `http://${config.api.host}:${door.port}`, close: door.close };
}

await runMain(import.meta.url, async (config) => {
  const api = await startApiServer(config);
  log.info({ url: api.url, openapi: `${api.url}/openapi.json`, metrics: `${api.url}/metrics` }, 'API listening');
  return api;
}, { service: 'api' });
