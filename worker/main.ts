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
import { createCorroborationActivities } from '../activities/corroboration';
import { createPerspectiveActivities } from '../activities/perspective';
import { createWebValidationActivities } from '../activities/validation/web-check';
import { createEmailValidationActivities } from '../activities/validation/email';
import { createRdapActivities } from '../activities/validation/rdap';
import { createReuseActivities } from '../activities/reuse';
import { createCtActivities } from '../activities/ct/submission';
import { createLintActivities } from '../activities/lint';
import { createOcspStorageActivities } from '../activities/ocsp';
import { Client, Connection } from '@temporalio/client';
import { createCrlPublicationActivities } from '../activities/crl';
import { createRevocationActivities } from '../activities/revocation';
import { temporalRevocationGateway } from '../api/revocation-gateway';
import { ensureCrlSchedules } from './crl-schedule';
import { createDb } from '../db/client';
import { ensureOcspRefreshSchedule } from './ocsp-schedule';
import { runUntilSignal } from './run';
import { installRuntimeLogging } from './runtime';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function createMainWorker(config: CaConfig) {
  installRuntimeLogging();
  const handle = createDb(config.database.url);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clock = () => new Date();
  // Issue #5: a client for signal-with-start of the CRL publishers (activity requestCrlPublication).
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const revocationGateway = temporalRevocationGateway(client, config);
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
        region: config.mpic.primaryRegion,
        clock,
      }),
      // Issue #3: the primary perspective's CAA (and DCV) checks, and the storage of MPIC rounds (step 3, step 9).
      ...createPerspectiveActivities({
        perspective: { id: 'primary', region: config.mpic.primaryRegion, resolver: config.dns.resolver },
        caaIssuerDomain: config.caaIssuerDomain,
        caaClimbStopsAt: config.caaClimbStopsAt,
        http: config.dcvHttp,
        clock,
      }),
      ...createCorroborationActivities({ db: handle.db, config }),
      // Issue #3: constructed e-mail (CP 3.2.2.4.4) through the configured SMTP relay.
      ...createEmailValidationActivities({ db: handle.db, smtpUrl: config.smtp.url, from: config.smtp.from, publicBaseUrl: config.api.publicBaseUrl, clock }),
      // Issue #3: registrant via RDAP where this CA is the registrar (CP 3.2.2.4.12).
      ...createReuseActivities({ db: handle.db, clock }),
      ...createRdapActivities({ db: handle.db, bootstrapUrl: config.registrar.rdapBootstrapUrl, registrarDomains: config.registrar.domains, clock }),
      // Issue #3: web-based methods (BR 3.2.2.4.18 web file, 3.2.2.4.19 http-01) on the primary perspective.
      ...createWebValidationActivities({
        db: handle.db,
        resolver: config.dns.resolver,
        perspective: 'primary',
        region: config.mpic.primaryRegion,
        http: config.dcvHttp,
        clock,
      }),
      // Issue #4: pre-issuance linting (external zlint/pkilint, throwaway key) and CT submission (network I/O).
      ...createLintActivities({ db: handle.db, config, clock }),
      ...createCtActivities({ db: handle.db, config, clock }),
      // Issue #5: which OCSP responses the refresh schedule must re-sign (database only).
      ...createOcspStorageActivities({ db: handle.db, config, clock }),
      // Issue #5: revocation and key-compromise bookkeeping, CRL publication checks and requests.
      ...createRevocationActivities({ db: handle.db, clock }),
      ...createCrlPublicationActivities({ db: handle.db, config, clock, requestCrlPublication: revocationGateway.requestCrlPublication }),
    },
  });
  // Issue #5: the CRL schedules (CP 4.9.7: at least every 7 days), created idempotently at start.
  await ensureCrlSchedules(config, handle.db, { client });
  // Issue #5: the OCSP refresh schedule (responder renewal + response refresh), created idempotently at start.
  await ensureOcspRefreshSchedule(config);
  return {
    worker,
    async close() {
      await connection.close();
      await clientConnection.close();
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
