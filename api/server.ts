/**
 * The HTTP API process: Hono on Node, real PostgreSQL and Temporal behind it.
 * Run: `tsx api/server.ts` (npm start runs it for you).
 */
import type { CaConfig } from '../config';
import { runMain } from '../config/main';
import { createApp } from './app';
import { sweepOrdersWithoutWorkflow } from './order-intake';
import { serveDoor } from './serve';

/**
 * `sweepOrders`: also remove, now and periodically, orders a door stored without starting their workflow
 * (api/order-intake.ts) — the API process does; tests that start the API in-process do not.
 */
export async function startApiServer(config: CaConfig, opts: { port?: number; sweepOrders?: boolean } = {}) {
  let sweeper: { stop(): void } | undefined;
  const door = await serveDoor(config, { port: opts.port ?? config.api.port }, ({ db, workflows }) => {
    if (opts.sweepOrders) sweeper = sweepOrdersWithoutWorkflow({ db, workflows }, { clock: () => new Date(), log: (line) => console.log(line) });
    return createApp({ db, workflows, config, clock: () => new Date() });
  });
  return {
    url: `http://${config.api.host}:${door.port}`,
    async close() {
      sweeper?.stop();
      await door.close();
    },
  };
}

await runMain(import.meta.url, async (config) => {
  const api = await startApiServer(config, { sweepOrders: true });
  console.log(`API listening on ${api.url} (OpenAPI: ${api.url}/openapi.json)`);
  return api;
});
