/**
 * The main worker: the issuance workflows and the activities that touch DNS and PostgreSQL (task queue
 * config.temporal.taskQueue). It holds no CA key: signing happens in worker/signing.ts on its own queue.
 * Run: `tsx worker/main.ts` (npm start runs it for you).
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CaConfig } from '../config';
import { closeInOrder, runMain } from '../config/main';
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
import { createCrlPublicationActivities } from '../activities/crl';
import { createRevocationActivities } from '../activities/revocation';
import { createVettingActivities } from '../activities/vetting';
import { createNoticeActivities } from '../activities/notices';
import { createRenewalActivities } from '../activities/renewal';
import { createIncidentActivities } from '../activities/incident';
import { createKeyChangeoverActivities } from '../activities/key-changeover';
import { outboxNotices } from '../activities/operator-notices';
import { createSelfAuditActivities } from '../activities/self-audit';
import { createDb, type Db } from '../db/client';
import { connectCaClient, connectionOptions } from '../temporal/connection';
import { ensureAuditCheckpointSchedule } from './audit-checkpoint-schedule';
import { ensureCrlSchedules } from './crl-schedule';
import { caWorkerInterceptors } from './failure-interceptor';
import { ensureOcspRefreshSchedule } from './ocsp-schedule';
import { log } from '../observability/log';
import { ensureOperatorSchedules } from './operator-schedules';
import { installWorkerRuntime } from './runtime';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The schedules that follow the signing keys: one CRL schedule per key, and the OCSP refresh over all of them. */
export async function ensureSigningKeySchedules(config: CaConfig, db: Db, client: Client): Promise<void> {
  await ensureCrlSchedules(config, db, { client });
  await ensureOcspRefreshSchedule(config, db, { client });
}

/** `clock`: tests run the main worker's activities on a skewed clock (e.g. a CAA check made 9 hours ago). */
export async function createMainWorker(config: CaConfig, opts: { clock?: () => Date } = {}) {
  installWorkerRuntime(config);
  const handle = createDb(config.database.url);
  const connection = await NativeConnection.connect(connectionOptions(config));
  const clock = opts.clock ?? (() => new Date());
  // Notices of the operator workflows (incident notices, changeover reminders, self-audit reports): the outbox.
  const notices = outboxNotices(handle.db, config.operator);
  // The typed client: signal-with-start of the CRL publishers (activity requestCrlPublication) and the schedules.
  const temporal = await connectCaClient(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    interceptors: caWorkerInterceptors,
    activities: {
      ...createStorageActivities({ db: handle.db, clock }),
      ...createDnsValidationActivities({
        db: handle.db,
        resolver: config.dns.resolver,
        // The primary perspective; the remote perspectives are separate workers (worker/perspective.ts).
        perspective: 'primary',
        region: config.mpic.primaryRegion,
        clock,
      }),
      // The primary perspective's CAA (and DCV) checks, and the storage of MPIC rounds (steps 3 and 9, BR 3.2.2.9).
      ...createPerspectiveActivities({
        perspective: { id: 'primary', region: config.mpic.primaryRegion, resolver: config.dns.resolver },
        caaIssuerDomain: config.caaIssuerDomain,
        caaClimbStopsAt: config.caaClimbStopsAt,
        http: config.dcvHttp,
        clock,
      }),
      ...createCorroborationActivities({ db: handle.db, config }),
      // Constructed e-mail (CP 3.2.2.4.4) through the configured SMTP relay.
      ...createEmailValidationActivities({ db: handle.db, smtpUrl: config.smtp.url, from: config.smtp.from, publicBaseUrl: config.api.publicBaseUrl, clock }),
      // Reuse of earlier validations (BR 4.2.1).
      ...createReuseActivities({ db: handle.db, clock }),
      // Registrant via RDAP where this CA is the registrar (CP 3.2.2.4.12).
      ...createRdapActivities({ db: handle.db, bootstrapUrl: config.registrar.rdapBootstrapUrl, registrarDomains: config.registrar.domains, clock }),
      // Web-based methods (BR 3.2.2.4.18 web file, 3.2.2.4.19 http-01) on the primary perspective.
      ...createWebValidationActivities({
        db: handle.db,
        resolver: config.dns.resolver,
        perspective: 'primary',
        region: config.mpic.primaryRegion,
        http: config.dcvHttp,
        clock,
      }),
      // Pre-issuance linting (external zlint/pkilint, throwaway key; BR 4.3.1.2) and CT submission (network I/O).
      ...createLintActivities({ db: handle.db, config, clock }),
      ...createCtActivities({ db: handle.db, config, clock }),
      // Which OCSP responses the refresh schedule must re-sign (database only; the signing is on the signing queue).
      ...createOcspStorageActivities({ db: handle.db, config, clock }),
      // Revocation and key-compromise bookkeeping (CP 4.9), CRL publication checks and requests.
      ...createRevocationActivities({ db: handle.db, clock }),
      // Organization vetting (OV, CP 3.2.2.1, 3.2.5) and OV issuance step 4: PostgreSQL and the notices' SMTP relay.
      ...createVettingActivities({
        db: handle.db,
        clock,
        mail: { smtpUrl: config.smtp.url, from: config.vetting.from, queueAddress: config.vetting.queueEmail, publicBaseUrl: config.api.publicBaseUrl },
      }),
      // The certificate's life cycle (CP 4.3.2, 4.6–4.9): the notices outbox and its SMTP delivery, renewal succession.
      ...createNoticeActivities({ db: handle.db, smtpUrl: config.smtp.url, from: config.smtp.noticeFrom, publicBaseUrl: config.api.publicBaseUrl, clock }),
      ...createRenewalActivities({ db: handle.db, clock }),
      ...createCrlPublicationActivities({
        db: handle.db,
        config,
        clock,
        requestCrlPublication: (issuerId, trigger) => temporal.workflows.requestCrlPublication(issuerId, trigger),
      }),
      // The operator's duties (CP 4.9.1, 5.6, 8): incidents, CA key changeover, the quarterly self-audit.
      ...createIncidentActivities({ db: handle.db, clock, notices, config }),
      ...createKeyChangeoverActivities({ db: handle.db, clock, notices, ensureSchedules: () => ensureSigningKeySchedules(config, handle.db, temporal.client) }),
      ...createSelfAuditActivities({ db: handle.db, clock, notices, config }),
    },
  });
  // The CRL schedules (CP 4.9.7: at least every 7 days) and the OCSP refresh schedule (responder renewal + response
  // refresh, BR 4.9.10) of the keys that sign, created idempotently at start (and again by a key changeover).
  await ensureSigningKeySchedules(config, handle.db, temporal.client);
  // Signed audit checkpoints (CP 5.4.3): the signing worker signs the chain head every 10 minutes.
  await ensureAuditCheckpointSchedule(config, { client: temporal.client });
  // The key-changeover check (CP 5.6) and the quarterly self-audit (BR 8.7).
  await ensureOperatorSchedules(config, { client: temporal.client });
  return { worker, close: () => closeInOrder(connection, temporal, handle) };
}

await runMain(import.meta.url, async (config) => {
  const { worker, close } = await createMainWorker(config);
  log.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'main worker polling');
  return { stopped: worker.run(), close };
}, { service: 'worker-main' });
