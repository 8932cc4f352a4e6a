/**
 * The HTTP(S) server of a door that works on orders (the REST API, ACME): its own PostgreSQL pool and Temporal
 * client behind one Hono app, and the shutdown that releases the three in order.
 */
import { createServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { CaConfig } from '../config';
import { closableServer, closeInOrder } from '../config/main';
import { createDb, type Db } from '../db/client';
import type { CaWorkflows } from '../temporal/client';
import { connectCaClient } from '../temporal/connection';

export interface ServedDoor {
  /** The bound port (the configured one, or the one the OS chose for port 0). */
  readonly port: number;
  /** Stops accepting connections, then closes the Temporal client and the database pool. */
  close(): Promise<void>;
}

/**
 * Listens on `config.api.host`, then builds the app with the bound port (port 0 in tests: URLs in ACME objects carry
 * it); a request that arrives before the app exists is answered 503. With `tls`, the server is HTTPS.
 */
export async function serveDoor(
  config: CaConfig,
  listen: { port: number; tls?: { key: Buffer; cert: Buffer } },
  buildApp: (deps: { db: Db; workflows: CaWorkflows; port: number }) => { fetch(req: Request, env?: unknown): Response | Promise<Response> },
): Promise<ServedDoor> {
  const handle = createDb(config.database.url);
  const temporal = await connectCaClient(config);
  let app: ReturnType<typeof buildApp> | null = null;
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      {
        fetch: (req, env) => (app ? app.fetch(req, env) : new Response('starting', { status: 503 })),
        hostname: config.api.host,
        port: listen.port,
        ...(listen.tls ? { createServer, serverOptions: listen.tls } : {}),
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  app = buildApp({ db: handle.db, workflows: temporal.workflows, port });
  return { port, close: () => closeInOrder(closableServer(server), temporal, handle) };
}
