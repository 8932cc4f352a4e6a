/**
 * The main and signing workers of the operator workflows (incident, key changeover, self-audit and the CRL runs they
 * start) on a Temporal server of the test's choosing (the time-skipping one, or the slot's dev server), over a test
 * database and a signer: the activities are the production factories; only what leaves the process is replaced —
 * notices go through the outbox to an in-process SMTP sink, the CRL publication check reads the CRL through the API
 * app in process, and the schedule port counts its calls (the time-skipping server has no Schedules).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createCrlPublicationActivities, createCrlSigningActivities } from '../../activities/crl';
import { createIncidentActivities } from '../../activities/incident';
import { createKeyChangeoverActivities, createKeyChangeoverSigningActivities } from '../../activities/key-changeover';
import { createNoticeActivities } from '../../activities/notices';
import { outboxNotices } from '../../activities/operator-notices';
import { createOcspActivities } from '../../activities/ocsp';
import { createSelfAuditActivities } from '../../activities/self-audit';
import { loadConfig, type CaConfig } from '../../config';
import type { Db } from '../../db/client';
import type { Hsm } from '../../pki/hsm';
import type { InMemorySigner } from '../../pki/memory-signer';
import type { Signer } from '../../pki/signer';
import { temporalCaWorkflows } from '../../temporal/client';
import { temporalOperatorWorkflows } from '../../temporal/operator';
import { caWorkerInterceptors } from '../../worker/failure-interceptor';
import { workflowsPath } from '../../worker/main';
import { installTemporalRuntime } from '../../worker/runtime';
import { fakeWorkflows } from './fake-workflows';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

/** The key-generation port over an InMemorySigner (it makes a key on first use, as the HSM's generate would). */
export function inMemoryKeys(signer: InMemorySigner): Pick<Hsm, 'hasKeyPair' | 'generateRsaKeyPair'> {
  return { hasKeyPair: async () => false, generateRsaKeyPair: async (label) => signer.ensureKey(label) };
}

export interface OperatorWorkers {
  readonly config: CaConfig;
  /** The relay the notices' deliveries (`deliverNotice`) send to. */
  readonly sink: SmtpSink;
  readonly operator: ReturnType<typeof temporalOperatorWorkflows>;
  /** The HTTP API over the test database (repository, OCSP, CRLs), as `app.request(path)`. */
  readonly app: ReturnType<typeof createApp>;
  /** How often the key changeover asked for the signing keys' schedules to be brought up to date. */
  readonly schedulesEnsured: () => number;
  stop(): Promise<void>;
}

export async function startOperatorWorkers(opts: {
  client: Client;
  nativeConnection: NativeConnection;
  db: Db;
  databaseUrl: string;
  signer: Signer;
  /** Responder key generation (the HSM, or an in-memory adapter) and, for the changeover, the HSM itself. */
  keys: Pick<Hsm, 'hasKeyPair' | 'generateRsaKeyPair'>;
  hsm?: Hsm;
  env?: Record<string, string>;
  /** The self-audit's sampling seed (default: the CSPRNG, as in production). */
  selfAuditSeed?: () => string;
}): Promise<OperatorWorkers> {
  installTemporalRuntime({ level: (process.env.CA_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN' });
  const suffix = randomBytes(4).toString('hex');
  const sink = await startSmtpSink();
  const base = loadConfig({ ...process.env, CA_CRL_QUIET_SECONDS: '1', CA_CRL_MAX_DELAY_SECONDS: '5', CA_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, ...opts.env });
  const config: CaConfig = {
    ...base,
    database: { ...base.database, url: opts.databaseUrl },
    temporal: { ...base.temporal, taskQueue: `ops-main-${suffix}`, signingTaskQueue: `ops-signing-${suffix}` },
  };
  const clock = () => new Date();
  const notices = outboxNotices(opts.db, config.operator);
  const app = createApp({ db: opts.db, workflows: fakeWorkflows(), config, clock });
  let schedulesEnsured = 0;
  const doors = temporalCaWorkflows(opts.client, config);
  const main = await Worker.create({
    connection: opts.nativeConnection,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    interceptors: caWorkerInterceptors,
    activities: {
      ...createIncidentActivities({ db: opts.db, clock, notices, config }),
      ...createNoticeActivities({ db: opts.db, smtpUrl: config.smtp.url, from: config.smtp.noticeFrom, publicBaseUrl: config.api.publicBaseUrl, clock }),
      ...createCrlPublicationActivities({
        db: opts.db,
        config,
        clock,
        requestCrlPublication: (issuerId, trigger) => doors.requestCrlPublication(issuerId, trigger),
        // The publication check (CP 4.9.8) fetches the CRL the API serves, here from the app in this process.
        fetch: ((url: string | URL) => app.request(new URL(String(url)).pathname)) as typeof fetch,
      }),
      ...createKeyChangeoverActivities({ db: opts.db, clock, notices, ensureSchedules: async () => void schedulesEnsured++ }),
      ...createSelfAuditActivities({ db: opts.db, clock, notices, config, ...(opts.selfAuditSeed ? { seed: opts.selfAuditSeed } : {}) }),
    },
  });
  const signing = await Worker.create({
    connection: opts.nativeConnection,
    taskQueue: config.temporal.signingTaskQueue,
    interceptors: caWorkerInterceptors,
    activities: {
      ...createOcspActivities({ db: opts.db, signer: opts.signer, keys: opts.keys, config, clock }),
      ...createCrlSigningActivities({ db: opts.db, signer: opts.signer, config, clock }),
      ...(opts.hsm ? createKeyChangeoverSigningActivities({ db: opts.db, hsm: opts.hsm, clock }) : {}),
    },
  });
  const running = [main, signing].map((w) => w.run());
  return {
    config,
    sink,
    operator: temporalOperatorWorkflows(opts.client, config),
    app,
    schedulesEnsured: () => schedulesEnsured,
    async stop() {
      for (const w of [main, signing]) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await sink.stop();
    },
  };
}
