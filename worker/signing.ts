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
import { createAuditCheckpointActivities } from '../activities/audit-checkpoint';
import { createKeyChangeoverSigningActivities } from '../activities/key-changeover';
import { createDb } from '../db/client';
import { openHsm } from '../pki/hsm';
import { readHsmPin } from '../pki/hsm-pin';
import type { Signer } from '../pki/signer';
import { connectionOptions } from '../temporal/connection';
import { caWorkerInterceptors } from './failure-interceptor';
import { log } from '../observability/log';
import { hsmSignSeconds, observeDuration } from '../observability/metrics';
import { installWorkerRuntime } from './runtime';

/** The HSM behind the signer port, every signature observed in `ca_hsm_sign_duration_seconds` by key label. */
export function timedSigner(signer: Signer): Signer {
  return {
    signSha256Rsa: (label, data) => observeDuration(hsmSignSeconds, { key: label }, () => signer.signSha256Rsa(label, data)),
    publicKeySpki: (label) => signer.publicKeySpki(label),
  };
}

/** `wrapSigner`: tests observe every HSM signature (the issuance gate's "nothing signed") through it. */
export async function createSigningWorker(config: CaConfig, opts: { wrapSigner?: (hsm: Signer) => Signer } = {}) {
  installWorkerRuntime(config);
  const handle = createDb(config.database.url);
  process.env.SOFTHSM2_CONF ??= config.hsm.softhsmConf;
  const hsm = await openHsm({
    modulePath: config.hsm.modulePath,
    tokenLabel: config.hsm.tokenLabel,
    pin: readHsmPin(config.hsm),
    sessions: config.hsm.sessions,
  });
  // Every HSM signature timed (ca_hsm_sign_duration_seconds); tests may wrap the signer to observe signatures.
  const signer = timedSigner(opts.wrapSigner ? opts.wrapSigner(hsm) : hsm);
  const connection = await NativeConnection.connect(connectionOptions(config));
  const ocsp = createOcspActivities({ db: handle.db, signer, keys: hsm, config, clock: () => new Date() });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.signingTaskQueue,
    interceptors: caWorkerInterceptors,
    activities: {
      // The signing activities pre-sign the serial's OCSP response themselves when the workflow asks (BR 4.9.10).
      ...createSigningActivities({ db: handle.db, signer, config, presignOcsp: (serial) => ocsp.signOcspResponses({ serials: [serial] }) }),
      // OCSP responses and the delegated responder certificates (CP 7.3), signed in the HSM.
      ...ocsp,
      // CRLs (CP 4.9.7), generated from PostgreSQL and signed in the HSM.
      ...createCrlSigningActivities({ db: handle.db, signer, config, clock: () => new Date() }),
      // Signed checkpoints of the audit chain (CP 5.4.3), with the dedicated audit key.
      ...createAuditCheckpointActivities({ db: handle.db, signer, keys: hsm, clock: () => new Date() }),
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
  log.info({ taskQueue: config.temporal.signingTaskQueue, temporal: config.temporal.address }, 'signing worker polling');
  return { stopped: worker.run(), close };
}, { service: 'worker-signing' });
