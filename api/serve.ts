/**
 * The HTTP(S) servers of a door that works on orders (the REST API on HTTP and HTTPS, ACME on HTTPS): its own
 * PostgreSQL pool and Temporal client behind one Hono app, and the shutdown that releases them in order.
 */
import { createServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { CaConfig } from '../config';
import { closableServer, closeInOrder } from '../config/main';
import { createDb, type Db, type DbHandle } from '../db/client';
import type { CaWorkflows } from '../temporal/client';
import { connectCaClient } from '../temporal/connection';

export interface ServedDoor {
  /** The bound port of each listener, in the order given (the configured one, or the one the OS chose for port 0). */
  readonly ports: readonly number[];
  /** Stops accepting connections, then closes the Temporal client and the database pool. */
  close(): Promise<void>;
}

interface DoorApp {
  fetch(req: Request, env?: unknown): Response | Promise<Response>;
}

export interface Listener {
  readonly port: number;
  /** PEM key and certificate chain: the listener is HTTPS. */
  readonly tls?: { key: Buffer; cert: Buffer };
}

/**
 * Listens on `config.api.host` — one app behind every listener (e.g. the API on HTTP and HTTPS) — then builds the
 * app with the bound ports (port 0 in tests: URLs in responses carry them); a request that arrives before the app
 * exists is answered 503.
 */
export async function serveDoor(
  config: CaConfig,
  listeners: readonly Listener[],
  buildApp: (deps: { db: Db; sql: DbHandle['sql']; workflows: CaWorkflows; ports: readonly number[] }) => DoorApp | Promise<DoorApp>,
): Promise<ServedDoor> {
  const handle = createDb(config.database.url);
  const temporal = await connectCaClient(config);
  let app: DoorApp | null = null;
  const servers: ServerType[] = [];
  try {
    for (const listen of listeners) {
      servers.push(
        await new Promise<ServerType>((resolve, reject) => {
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
        }),
      );
    }
  } catch (e) {
    await closeInOrder(...servers.map(closableServer), temporal, handle);
    throw e;
  }
  const ports = servers.map((server, i) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : listeners[i]!.port;
  });
  try {
    app = await buildApp({ db: handle.db, sql: handle.sql, workflows: temporal.workflows, ports });
  } catch (e) {
    await closeInOrder(...servers.map(closableServer), temporal, handle);
    throw e;
  }
  return { ports, close: () => closeInOrder(...servers.map(closableServer), temporal, handle) };
}
