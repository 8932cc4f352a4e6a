/**
 * The CA's own processes in the stack: the entry points of `npm start` (api/server.ts, api/acme/server.ts,
 * api/ocsp-server.ts, worker/main.ts, worker/signing.ts, worker/perspective.ts), configured by environment only
 * (config/index.ts), each as its own OS user with its secrets as files in its own 0700 directory — a database
 * password, a Temporal client certificate, the HSM PIN (signing only), the ACME TLS key (ACME only).
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { repoRoot } from '../../../config';
import type { CaConnectionOptions } from '../../../temporal/connection';
import { ownedDir, ownedFile, runAs } from './host';
import { caProcesses, frontendServerName, stackNamespace, stackPerspectives, stackPorts, stackZone, type CaProcess, type StackLayout } from './layout';
import { issueLeaf, type OpsCa } from './ops-ca';
import type { Service, Supervisor } from './supervisor';

export interface CaProcessInputs {
  readonly layout: StackLayout;
  readonly ca: OpsCa;
  /** A process's database URL (its login role; the password comes from DATABASE_PASSWORD_FILE). */
  readonly dbUrlFor: (dbRole: string) => string;
  readonly dbPasswordFileOf: (user: string) => string;
  readonly ctLogList: string;
  readonly softhsmConf: string;
  /** The HSM user PIN and the ACME listener's key and certificate chain, copied into their users' directories. */
  readonly hsmPin: string;
  readonly acmeTls: { readonly key: string; readonly cert: string };
  readonly zlint: string;
  /** Extra settings for every process (the topology test shortens the DCV window). */
  readonly env: Readonly<Record<string, string>>;
}

/** The remote perspectives as every process sees them: each resolves on its own namespace's loopback. */
export const stackPerspectiveSetting = stackPerspectives.map((p) => `${p.id}:${p.region}@127.0.0.1:53`).join(',');

/** The environment of one process: what config/ reads, nothing else (no secret values, only their files). */
async function environmentOf(p: CaProcess, inputs: CaProcessInputs): Promise<Record<string, string>> {
  const { layout } = inputs;
  const secrets = await ownedDir(layout.secretsOf(p.user), p.user, 0o700);
  const env: Record<string, string> = {
    PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    CA_ENV: 'development',
    CA_DATA_DIR: layout.root,
    CA_DEV_ZONE: stackZone,
    CA_API_PORT: String(stackPorts.api),
    CA_OCSP_PORT: String(stackPorts.ocsp),
    CA_ACME_PORT: String(stackPorts.acme),
    CA_DNS_RESOLVER: `127.0.0.1:${stackPorts.resolver}`,
    CA_PERSPECTIVES: stackPerspectiveSetting,
    CA_CT_LOG_LIST: inputs.ctLogList,
    TEMPORAL_NAMESPACE: stackNamespace,
    // A perspective reaches the frontend over its own veth link, the others on loopback.
    TEMPORAL_ADDRESS: `${p.perspective?.hostAddress ?? '127.0.0.1'}:${stackPorts.temporalFrontend}`,
  };
  if (p.temporalClient) {
    const leaf = await issueLeaf(inputs.ca, { commonName: p.user, usage: ['clientAuth'], owner: p.user, dir: secrets, base: 'temporal' });
    Object.assign(env, { TEMPORAL_TLS_CA: inputs.ca.certFile, TEMPORAL_TLS_CERT: leaf.certFile, TEMPORAL_TLS_KEY: leaf.keyFile, TEMPORAL_TLS_SERVER_NAME: frontendServerName });
  }
  if (p.dbRole) Object.assign(env, { DATABASE_URL: inputs.dbUrlFor(p.dbRole), DATABASE_PASSWORD_FILE: inputs.dbPasswordFileOf(p.user) });
  if (p.perspective) env.CA_PERSPECTIVE_ID = p.perspective.id;
  if (p.name === 'signing') {
    env.SOFTHSM2_CONF = inputs.softhsmConf;
    env.HSM_PIN_FILE = await ownedFile(path.join(secrets, 'hsm-user-pin'), inputs.hsmPin, p.user, 0o400);
  }
  if (p.name === 'acme') {
    env.CA_ACME_TLS_KEY = await ownedFile(path.join(secrets, 'acme-tls-key.pem'), inputs.acmeTls.key, p.user, 0o400);
    env.CA_ACME_TLS_CERT = await ownedFile(path.join(secrets, 'acme-tls-cert.pem'), inputs.acmeTls.cert, p.user, 0o400);
  }
  if (p.name === 'worker') env.CA_ZLINT_BIN = inputs.zlint;
  return { ...env, ...inputs.env };
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
