/**
 * The CA's own processes in the stack: the entry points of `npm start` (api/server.ts, api/acme/server.ts,
 * api/ocsp-server.ts, worker/main.ts, worker/signing.ts, worker/perspective.ts), configured by environment only
 * (config/index.ts), each as its own OS user with its secrets as files in its own 0700 directory — a database
 * password, a Temporal client certificate, the HSM PIN (signing only), the API's TLS key (API only), the ACME TLS,
 * nonce and EAB keys (ACME only) — and a /metrics listener Prometheus scrapes.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { repoRoot } from '../../../config';
import type { CaConnectionOptions } from '../../../temporal/connection';
import { ownedDir, ownedFile, runAs } from './host';
import { caProcesses, perspectiveMetricsPorts, stackNamespace, stackPerspectives, stackPorts, stackZone, type CaProcess, type StackLayout } from './layout';
import { secretsOf, settingsOf, type Placement, type ProcessMetrics, type SecretName } from './process-settings';
import { issueLeaf, type OpsCa } from './ops-ca';
import type { Service, Supervisor } from './supervisor';

export interface CaProcessInputs {
  readonly layout: StackLayout;
  readonly ca: OpsCa;
  /** A process's database URL (its login role; the password comes from DATABASE_PASSWORD_FILE). */
  readonly dbUrlFor: (dbRole: string) => string;
  readonly dbPasswordFileOf: (user: string) => string;
  readonly ctLogList: string;
  /**
   * The secrets copied into their holders' directories (mode 0400): the HSM user PIN, the doors' TLS keys and
   * certificates, the ACME nonce and EAB keys. The Temporal client pair is made per process, the database password
   * with the roles (database.ts).
   */
  readonly copies: Readonly<Partial<Record<SecretName, string>>>;
  readonly zlint: string;
  /** Extra settings for every process (the topology test shortens the DCV window). */
  readonly env: Readonly<Record<string, string>>;
}

/** The stack's metrics listeners: on the host's loopback, a perspective's on its own link inside its namespace. */
export function stackMetrics(p: CaProcess): ProcessMetrics {
  const door = ({ api: stackPorts.api, ocsp: stackPorts.ocsp } as Record<string, number>)[p.name];
  if (door !== undefined) return { target: `127.0.0.1:${door}` };
  if (p.perspective) {
    const host = p.perspective.nsAddress;
    const { metrics, sdk } = perspectiveMetricsPorts;
    return { listen: { host, port: metrics }, sdkPort: sdk, target: `${host}:${metrics}`, sdkTarget: `${host}:${sdk}` };
  }
  const ports = ({
    acme: [stackPorts.acmeMetrics],
    worker: [stackPorts.workerMetrics, stackPorts.workerSdkMetrics],
    signing: [stackPorts.signingMetrics, stackPorts.signingSdkMetrics],
  } as Record<string, number[]>)[p.name];
  if (!ports) throw new Error(`no metrics port for ${p.name}`);
  const [port, sdkPort] = ports as [number, number | undefined];
  return {
    listen: { host: '127.0.0.1', port },
    target: `127.0.0.1:${port}`,
    ...(sdkPort === undefined ? {} : { sdkPort, sdkTarget: `127.0.0.1:${sdkPort}` }),
  };
}

/**
 * Writes a process's secret files into its own 0700 directory (a fresh Temporal client certificate each start) and
 * returns its environment: the settings of process-settings.ts with the stack's paths.
 */
async function environmentOf(p: CaProcess, inputs: CaProcessInputs): Promise<Record<string, string>> {
  const { layout } = inputs;
  const secrets = await ownedDir(layout.secretsOf(p.user), p.user, 0o700);
  const file = (name: SecretName) => path.join(secrets, name);
  for (const name of secretsOf(p)) {
    const copy = inputs.copies[name];
    if (name === 'temporal.pem') await issueLeaf(inputs.ca, { commonName: p.user, usage: ['clientAuth'], owner: p.user, dir: secrets, base: 'temporal' });
    else if (copy !== undefined) await ownedFile(file(name), copy, p.user, 0o400);
    // db-password: written with the database roles (database.ts), at the same path; temporal-key.pem with temporal.pem.
  }
  const placement: Placement = {
    common: {
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      CA_ENV: 'development',
      CA_DATA_DIR: layout.root,
      CA_DEV_ZONE: stackZone,
      CA_API_PORT: String(stackPorts.api),
      CA_OCSP_PORT: String(stackPorts.ocsp),
      CA_ACME_PORT: String(stackPorts.acme),
      CA_DNS_RESOLVER: `127.0.0.1:${stackPorts.resolver}`,
      CA_CT_LOG_LIST: inputs.ctLogList,
    },
    temporalAddress: (q) => `${q.perspective?.hostAddress ?? '127.0.0.1'}:${stackPorts.temporalFrontend}`,
    // Each perspective's Unbound listens on its own namespace's loopback.
    perspectiveResolver: () => '127.0.0.1:53',
    opsCaFile: inputs.ca.certFile,
    secret: (q, name) => (name === 'db-password' ? inputs.dbPasswordFileOf(q.user) : path.join(layout.secretsOf(q.user), name)),
    dbUrl: inputs.dbUrlFor,
    smtpUrl: `smtp://127.0.0.1:${stackPorts.smtp}`,
    apiTls: { port: stackPorts.apiTls, url: `https://127.0.0.1:${stackPorts.apiTls}` },
    metrics: stackMetrics,
    // The signing worker finds the token through CA_DATA_DIR (config: <data>/softhsm/softhsm2.conf).
    extra: (q): Record<string, string> => (q.name === 'worker' ? { CA_ZLINT_BIN: inputs.zlint } : {}),
  };
  return { ...settingsOf(p, placement), ...inputs.env };
}

/** Starts every CA process under the supervisor; returns them by name. */
export async function startCaProcesses(inputs: CaProcessInputs, supervisor: Supervisor): Promise<Map<string, Service>> {
  const services = new Map<string, Service>();
  for (const p of caProcesses) {
    const env = await environmentOf(p, inputs);
    services.set(
      p.name,
      supervisor.start({ name: p.name, command: [...runAs(p.user, p.perspective?.netns), process.execPath, '--import', 'tsx', path.join(repoRoot, p.entry)], env, cwd: repoRoot }),
    );
  }
  return services;
}

/** The task queues that must have pollers before the CA can issue: the main and signing queues and every perspective's. */
export const stackTaskQueues = (main: string, signing: string): string[] => [main, signing, ...stackPerspectives.map((p) => `perspective-${p.id}`)];

/** Waits until every queue has an activity poller (the workers are connected over mTLS and polling). */
export async function waitForPollers(admin: CaConnectionOptions, queues: readonly string[], services: ReadonlyMap<string, Service>, timeoutMs = 240_000): Promise<void> {
  const connection = await Connection.connect(admin);
  try {
    const deadline = Date.now() + timeoutMs;
    for (const taskQueue of queues) {
      for (;;) {
        const r = await connection.workflowService.describeTaskQueue({ namespace: stackNamespace, taskQueue: { name: taskQueue }, taskQueueType: 2 });
        if ((r.pollers ?? []).length > 0) break;
        if (Date.now() > deadline) {
          const logs = [...services.values()].map((s) => `--- ${s.name}\n${s.tail(8)}`).join('\n');
          throw new Error(`no worker polls ${taskQueue} after ${timeoutMs / 1000} s:\n${logs}`);
        }
        await new Promise((r2) => setTimeout(r2, 1_000));
      }
    }
  } finally {
    await connection.close();
  }
}
