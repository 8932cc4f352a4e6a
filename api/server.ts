/**
 * The HTTP API process: Hono on Node, real PostgreSQL and Temporal behind it.
 * Run: `tsx api/server.ts` (npm start runs it for you).
 */
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { loadConfig, type CaConfig } from '../config';
import { createDb } from '../db/client';
import { connectCaClient } from '../temporal/connection';
import { createApp } from './app';

export async function startApiServer(config: CaConfig, opts: { port?: number } = {}) {
  const handle = createDb(config.database.url);
  const temporal = await connectCaClient(config);
  const app = createApp({ db: handle.db, workflows: temporal.workflows, config, clock: () => new Date() });
  const port = opts.port ?? config.api.port;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.api.host, port }, () => resolve(s));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${config.api.host}:${boundPort}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.close();
      await handle.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  const api = await startApiServer(config);
  console.log(`API listening on ${api.url} (OpenAPI: ${api.url}/openapi.json)`);
  const stop = async () => {
    await api.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
