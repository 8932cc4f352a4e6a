/**
 * The real Temporal server of the stack (go.temporal.io/server v1.29.1, the four services in one process, built by
 * scripts/install-tools.sh as TOOLCHAIN.md describes) on the stack's PostgreSQL, and its Web UI server:
 *   - schema: `temporal-sql-tool` (postgres12 plugin) applies the module's schema/postgresql/v12 to the databases
 *     `temporal` and `temporal_visibility`, as the `temporal` role;
 *   - mTLS on the frontend and between the services (internode), certificates from the operations CA; a client
 *     without a certificate of that CA is refused at the handshake;
 *   - history archival on the filestore, so an application's history outlives the namespace retention (CP 5.5.1–5.5.2:
 *     records kept 7 years); the namespace, its retention and the CA's search attributes are set at every start.
 * The server runs as ca-temporal, the UI as ca-temporal-ui; each reads only its own certificate and key.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import postgres from 'postgres';
import type { CaConnectionOptions } from '../../../temporal/connection';
import { answers, ensureSearchAttributes, goBinDir } from '../temporal';
import { ownedDir, ownedFile, run, runAs, stageBinary } from './host';
import { frontendServerName, internodeServerName, serviceUsers, stackNamespace, stackPorts, type StackLayout } from './layout';
import { issueLeaf, type OpsCa } from './ops-ca';
import type { Service, Supervisor } from './supervisor';
import { TEMPORAL_ROLE, temporalDatabases } from './database';
import { temporalDynamicConfig, temporalServerConfig } from './temporal-config';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server@v1.29.1';
/** Namespace retention: closed workflows stay queryable for this long; the archive keeps them for CP 5.5.2's 7 years. */
export const RETENTION_DAYS = 30;

const goModCache = async (): Promise<string> => (await promisify(execFile)('go', ['env', 'GOMODCACHE'])).stdout.trim();

/** The server and schema-tool binaries and the module's PostgreSQL schema (left in the module cache by the build). */
export async function temporalServerArtifacts(): Promise<{ server: string; sqlTool: string; ui: string; schemaDir: string }> {
  const bin = await goBinDir();
  const artifacts = {
    server: path.join(bin, 'temporal-server'),
    sqlTool: path.join(bin, 'temporal-sql-tool'),
    ui: path.join(bin, 'temporal-ui-server'),
    schemaDir: path.join(await goModCache(), TEMPORAL_SERVER_MODULE, 'schema', 'postgresql', 'v12'),
  };
  const missing = Object.values(artifacts).filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run scripts/install-tools.sh as root (it builds the Temporal server, its schema tool and the Web UI server)`);
  return artifacts;
}

/** Applies (or brings up to date) the Temporal schema in both databases, as the temporal role. */
async function applyTemporalSchema(sqlTool: string, schemaDir: string, password: string, log: (line: string) => void): Promise<void> {
  const env = { ...process.env, SQL_PASSWORD: password };
  for (const db of temporalDatabases) {
    const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(stackPorts.postgres), '-u', TEMPORAL_ROLE, '--db', db];
    const sql = postgres(`postgres://${TEMPORAL_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${stackPorts.postgres}/${db}`, { max: 1, onnotice: () => {} });
    const [row] = await sql`select to_regclass('public.schema_version') is not null as present`.finally(() => sql.end({ timeout: 5 }));
    if (!row?.present) await run(sqlTool, [...base, 'setup-schema', '-v', '0.0'], { env });
    const versioned = path.join(schemaDir, db === 'temporal' ? 'temporal' : 'visibility', 'versioned');
    await run(sqlTool, [...base, 'update-schema', '-d', versioned], { env });
  }
  log(`temporal: schema applied to ${temporalDatabases.join(', ')} (${schemaDir})`);
}

interface ServerFiles {
  readonly configDir: string;
  readonly archiveUri: string;
}

/** The server's certificates (frontend, internode, system worker) and its configuration, readable by ca-temporal only. */
async function writeServerConfig(layout: StackLayout, ca: OpsCa, dbPassword: string, perspectiveAddresses: readonly string[]): Promise<ServerFiles> {
  const user = serviceUsers.temporal;
  const home = await ownedDir(layout.temporal, user, 0o750);
  const configDir = await ownedDir(path.join(home, 'config'), user, 0o700);
  const archive = await ownedDir(path.join(home, 'archival'), user, 0o700);
  const secrets = await ownedDir(layout.secretsOf(user), user, 0o700);
  const leaf = (base: string, commonName: string, usage: Array<'serverAuth' | 'clientAuth'>, dnsNames: string[], ipAddresses: string[] = []) =>
    issueLeaf(ca, { commonName, usage, dnsNames, ipAddresses, owner: user, dir: secrets, base });
  const archiveUri = `file://${archive}`;
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  const config = temporalServerConfig({
    opsCaFile: ca.certFile,
    // The frontend is reached on 127.0.0.1 and on each perspective link's host address; clients check the name.
    frontend: await leaf('frontend', frontendServerName, ['serverAuth'], [frontendServerName], ['127.0.0.1', ...perspectiveAddresses]),
    internode: await leaf('internode', internodeServerName, ['serverAuth', 'clientAuth'], [internodeServerName], ['127.0.0.1']),
    systemWorker: await leaf('system-worker', 'temporal-system-worker', ['clientAuth'], []),
    postgres: `127.0.0.1:${stackPorts.postgres}`,
    dbPassword,
    broadcastAddress: '127.0.0.1',
    // The perspectives reach the frontend on their links' host addresses.
    frontendBind: '0.0.0.0',
    internalBind: '127.0.0.1',
    ports: { frontend: stackPorts.temporalFrontend, history: stackPorts.temporalHistory, matching: stackPorts.temporalMatching, worker: stackPorts.temporalWorker },
    membershipPorts: {
      frontend: stackPorts.temporalFrontendMembership,
      history: stackPorts.temporalHistoryMembership,
      matching: stackPorts.temporalMatchingMembership,
      worker: stackPorts.temporalWorkerMembership,
    },
    metricsListen: `127.0.0.1:${stackPorts.temporalMetrics}`,
    archiveUri,
    dynamicConfigFile,
  });
  await ownedFile(path.join(configDir, 'stack.yaml'), `${JSON.stringify(config, null, 2)}\n`, user, 0o600);
  await ownedFile(dynamicConfigFile, `${JSON.stringify(temporalDynamicConfig, null, 2)}\n`, user, 0o600);
  return { configDir, archiveUri };
}

/** temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_ENABLED (1 is DISABLED). */
const ARCHIVAL_STATE_ENABLED = 2;

/** Sets retention and history archival on the CA's namespace (creating it the first time), then its search attributes. */
async function ensureNamespace(options: CaConnectionOptions, archiveUri: string, log: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ ...options, connectTimeout: 10_000 });
  try {
    const settings = {
      namespace: stackNamespace,
      workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS} days`),
      historyArchivalState: ARCHIVAL_STATE_ENABLED,
      historyArchivalUri: archiveUri,
    };
    const exists = await connection.workflowService.describeNamespace({ namespace: stackNamespace }).then(() => true, () => false);
    if (exists) {
      await connection.workflowService.updateNamespace({
        namespace: stackNamespace,
        config: { workflowExecutionRetentionTtl: settings.workflowExecutionRetentionPeriod, historyArchivalState: ARCHIVAL_STATE_ENABLED, historyArchivalUri: archiveUri },
      });
    } else {
      await connection.workflowService.registerNamespace(settings);
    }
    log(`temporal: namespace ${stackNamespace} (retention ${RETENTION_DAYS} days, history archival ${archiveUri})`);
  } finally {
    await connection.close();
  }
  // A new namespace reaches the frontend's namespace cache within seconds; until then it is "not found".
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await ensureSearchAttributes(options, stackNamespace, log);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

export interface TemporalCluster {
  readonly server: Service;
  readonly ui: Service;
  /** Where the closed workflows' histories are archived (a directory). */
  readonly archiveDir: string;
}

/**
 * Applies the schema, writes the configuration, starts the server (supervised: restarted if it dies) and the UI, and
 * sets the namespace up.
 */
export async function startTemporalCluster(opts: {
  layout: StackLayout;
  ca: OpsCa;
  dbPassword: string;
  /** The operator's client connection options (admin certificate). */
  admin: CaConnectionOptions;
  perspectiveAddresses: readonly string[];
  supervisor: Supervisor;
  log: (line: string) => void;
}): Promise<TemporalCluster> {
  const { layout, ca, supervisor, log } = opts;
  const artifacts = await temporalServerArtifacts();
  await applyTemporalSchema(artifacts.sqlTool, artifacts.schemaDir, opts.dbPassword, log);
  const files = await writeServerConfig(layout, ca, opts.dbPassword, opts.perspectiveAddresses);
  const server = supervisor.start({
    name: 'temporal-server',
    command: [...runAs(serviceUsers.temporal), stageBinary(artifacts.server, layout.bin), '--root', layout.temporal, '--config', 'config', '--env', 'stack', '--allow-no-auth', 'start'],
    env: { PATH: '/usr/bin:/bin' },
  });
  const deadline = Date.now() + 120_000;
  while (!(await answers(opts.admin, 2_000))) {
    if (Date.now() > deadline) throw new Error(`the Temporal server did not answer within 120 s:\n${server.tail()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`temporal: server up, frontend ${frontendServerName} on :${stackPorts.temporalFrontend} (mTLS)`);
  await ensureNamespace(opts.admin, files.archiveUri, log);

  // The Web UI server talks to the frontend over mTLS with a client certificate of its own.
  const uiUser = serviceUsers.temporalUi;
  const uiSecrets = await ownedDir(layout.secretsOf(uiUser), uiUser, 0o700);
  const uiCert = await issueLeaf(ca, { commonName: uiUser, usage: ['clientAuth'], owner: uiUser, dir: uiSecrets, base: 'temporal' });
  const uiConfigDir = await ownedDir(path.join(layout.root, 'temporal-ui', 'config'), uiUser, 0o700);
  const uiConfig = {
    temporalGrpcAddress: `127.0.0.1:${stackPorts.temporalFrontend}`,
    host: '127.0.0.1',
    port: stackPorts.temporalUi,
    enableUi: true,
    defaultNamespace: stackNamespace,
    cors: { allowOrigins: [], cookieInsecure: true },
    tls: { caFile: ca.certFile, certFile: uiCert.certFile, keyFile: uiCert.keyFile, serverName: frontendServerName, enableHostVerification: true },
  };
  for (const name of ['base.yaml', 'stack.yaml']) await ownedFile(path.join(uiConfigDir, name), `${JSON.stringify(uiConfig, null, 2)}\n`, uiUser, 0o600);
  const ui = supervisor.start({
    name: 'temporal-ui',
    command: [...runAs(uiUser), stageBinary(artifacts.ui, layout.bin), '--root', path.dirname(uiConfigDir), '--config', 'config', '--env', 'stack', 'start'],
    env: { PATH: '/usr/bin:/bin' },
  });
  return { server, ui, archiveDir: new URL(files.archiveUri).pathname };
}
