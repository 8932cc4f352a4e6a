/**
 * The main worker: the issuance workflows and the activities that touch DNS and PostgreSQL (task queue
 * config.temporal.taskQueue). It holds no CA key: signing happens in worker/signing.ts on its own queue.
 * Run: `tsx worker/main.ts` (npm start runs it for you).
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, type CaConfig } from '../config';
import { createStorageActivities } from '../activities/storage';
import { createDnsValidationActivities } from '../activities/validation/dns-change';
import { createDb } from '../db/client';
import { runUntilSignal } from './run';
import { installRuntimeLogging } from './runtime';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function createMainWorker(config: CaConfig) {
  installRuntimeLogging();
  const handle = createDb(config.database.url);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clock = () => new Date();
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    activities: {
      ...createStorageActivities({ db: handle.db, clock }),
      ...createDnsValidationActivities({
        db: handle.db,
        resolver: config.dns.resolver,
        // The primary perspective; remote perspectives are separate workers (issue #3).
        perspective: 'primary',
        clock,
      }),
    },
  });
  return {
    worker,
    async close() {
      await connection.close();
      await handle.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  const { worker, close } = await createMainWorker(config);
  console.log(`main worker polling ${config.temporal.taskQueue} at ${config.temporal.address}`);
  await runUntilSignal(worker, close);
}
