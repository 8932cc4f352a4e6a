/**
 * The signing worker: the only process that opens the HSM (PKCS#11). It polls the signing task queue and runs
 * the signing activities, which rebuild every TBS from the database themselves (activities/signing.ts).
 * Run: `tsx worker/signing.ts` (npm start runs it for you).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CaConfig } from '../config';
import { closeInOrder, runMain } from '../config/main';
import { createSigningActivities } from '../activities/signing';
import { createOcspActivities } from '../activities/ocsp';
import { createCrlSigningActivities } from '../activities/crl';
import { createKeyChangeoverSigningActivities } from '../activities/key-changeover';
import { createDb } from '../db/client';
import { openHsm } from '../pki/hsm';
import { readHsmPin } from '../pki/hsm-pin';
import { connectionOptions } from '../temporal/connection';
import { caWorkerInterceptors } from './failure-interceptor';
import { installRuntimeLogging } from './runtime';

export async function createSigningWorker(config: CaConfig) {
  installRuntimeLogging();
  const handle = createDb(config.database.url);
  process.env.SOFTHSM2_CONF ??= config.hsm.softhsmConf;
  const hsm = await openHsm({
    modulePath: config.hsm.modulePath,
    tokenLabel: config.hsm.tokenLabel,
    pin: readHsmPin(config.hsm),
    sessions: config.hsm.sessions,
  });
  const connection = await NativeConnection.connect(connectionOptions(config));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.signingTaskQueue,
    interceptors: caWorkerInterceptors,
    activities: {
      ...createSigningActivities({ db: handle.db, signer: hsm, config }),
      // OCSP responses and the delegated responder certificates (CP 7.3), signed in the HSM.
      ...createOcspActivities({ db: handle.db, signer: hsm, keys: hsm, config, clock: () => new Date() }),
      // CRLs (CP 4.9.7), generated from PostgreSQL and signed in the HSM.
      ...createCrlSigningActivities({ db: handle.db, signer: hsm, config, clock: () => new Date() }),
      // CP 5.6: the next CA key, generated in the HSM, and its CSR for the external root.
      ...createKeyChangeoverSigningActivities({ db: handle.db, hsm, clock: () => new Date() }),
    },
    // One concurrent signature per HSM session (a PKCS#11 session runs one operation at a time).
    maxConcurrentActivityTaskExecutions: config.hsm.sessions,
  });
  return { worker, close: () => closeInOrder(connection, hsm, handle) };
}

await runMain(import.meta.url, async (config) => {
  const { worker, close } = await createSigningWorker(config);
  console.log(`signing worker polling ${config.temporal.signingTaskQueue} at ${config.temporal.address}`);
  return { stopped: worker.run(), close };
});
