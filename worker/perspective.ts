/**
 * A remote network perspective (BR 3.2.2.9): a worker on task queue `perspective-<id>` that runs the DCV and CAA
 * checks with its OWN resolver and returns the results. It holds no key and no database connection — deploying a
 * perspective in another region is running this file there with a Temporal connection:
 *
 *   CA_PERSPECTIVES='tokyo:APNIC@127.0.0.1:53' CA_PERSPECTIVE_ID=tokyo TEMPORAL_ADDRESS=... tsx worker/perspective.ts
 *
 * Without CA_PERSPECTIVE_ID it runs every configured perspective in this one process (development: the five local
 * perspectives of config/index.ts; see docs/VALIDATION.md).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPerspectiveActivities } from '../activities/perspective';
import type { CaConfig, PerspectiveConfig } from '../config';
import { runMain } from '../config/main';
import { connectionOptions } from '../temporal/connection';
import { log } from '../observability/log';
import { caWorkerInterceptors } from './failure-interceptor';
import { installWorkerRuntime } from './runtime';

export async function createPerspectiveWorker(
  config: CaConfig,
  perspective: PerspectiveConfig,
  opts: { connection?: NativeConnection } = {},
): Promise<{ worker: Worker; close(): Promise<void> }> {
  installWorkerRuntime(config);
  const ownConnection = !opts.connection;
  const connection = opts.connection ?? (await NativeConnection.connect(connectionOptions(config)));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: perspective.taskQueue,
    interceptors: caWorkerInterceptors,
    activities: createPerspectiveActivities({
      perspective: { id: perspective.id, region: perspective.region, resolver: perspective.resolver },
      caaIssuerDomain: config.caaIssuerDomain,
      caaClimbStopsAt: config.caaClimbStopsAt,
      http: config.dcvHttp,
      clock: () => new Date(),
    }),
  });
  return {
    worker,
    async close() {
      if (ownConnection) await connection.close();
    },
  };
}

/** The perspectives this process runs: the one named by CA_PERSPECTIVE_ID, else all configured. */
export function perspectivesToRun(config: CaConfig): PerspectiveConfig[] {
  const all = config.mpic.perspectives;
  if (!config.mpic.perspectiveId) return [...all];
  const one = all.find((p) => p.id === config.mpic.perspectiveId);
  if (!one) throw new Error(`CA_PERSPECTIVE_ID=${config.mpic.perspectiveId} is not in CA_PERSPECTIVES`);
  return [one];
}

await runMain(import.meta.url, async (config) => {
  const list = perspectivesToRun(config);
  if (list.length === 0) {
    throw new Error('no perspectives configured (CA_PERSPECTIVES); nothing to run');
  }
  installWorkerRuntime(config);
  const connection = await NativeConnection.connect(connectionOptions(config));
  const created = await Promise.all(list.map((p) => createPerspectiveWorker(config, p, { connection })));
  for (const p of list) {
    log.info({ perspective: p.id, region: p.region, taskQueue: p.taskQueue, resolver: `${p.resolver.host}:${p.resolver.port}` }, 'perspective polling');
  }
  // SIGINT/SIGTERM shut every worker down gracefully (the SDK handles the signals).
  return { stopped: Promise.all(created.map((c) => c.worker.run())), close: () => connection.close() };
}, { service: 'perspective' });
