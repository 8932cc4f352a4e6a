/**
 * `npm run stack`: the production topology on one machine (docs/DEPLOYMENT.md), brought up in dependency order —
 * OS users, the perspectives' network namespaces, the operations CA, PostgreSQL (databases and roles), the SoftHSM
 * token and the CA hierarchy (and the doors' TLS certificates), the local CT logs, DNS (Knot signing the dev zone,
 * validating Unbounds), the Temporal cluster with mTLS and its UI, the dev zone's admin API, the local SMTP relay, the
 * CA's processes, Prometheus scraping all of them — and stopped in reverse.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { auditCheckpointKeyLabel } from '../../../activities/audit-checkpoint';
import { loadConfig, type CaConfig } from '../../../config';
import { pemEncode } from '../../../pki/pem';
import type { CaConnectionOptions } from '../../../temporal/connection';
import { acmeTlsCaFile, ensureAcmeTlsCertificate } from '../acme-tls';
import { ensureCaHierarchy } from '../ca-hierarchy';
import { startLocalCtLogs, type LocalCtLogs } from '../ct-logs';
import { withCaKeys } from '../services';
import { goBinDir } from '../temporal';
import { ensureSoftHsmToken } from '../softhsm';
import { startCaProcesses, stackTaskQueues, waitForPollers } from './ca-processes';
import { bringUpStackDatabase, type StackDatabase } from './database';
import { startMailSink } from './mail-sink';
import { startStackDns } from './dns';
import { chownTree, ensureUser, ownedDir, ownedFile, stageBinary } from './host';
import { KnotRecords, startKnotAdmin } from './knot-records';
import { allStackUsers, bogusZone, caProcesses, frontendServerName, OPERATOR, serviceUsers, stackLayout, stackNamespace, stackPerspectives, stackPorts, stackZone, type StackLayout } from './layout';
import { createNamespace, removeNamespace } from './netns';
import { ensureOpsCa, issueLeaf } from './ops-ca';
import { startPrometheus } from './prometheus';
import { killLeftovers, Supervisor } from './supervisor';
import { startTemporalCluster } from './temporal-cluster';

/** What a running stack tells its operator and the topology test (data-stack/stack.json, root only). */
export interface StackState {
  readonly pid: number;
  readonly apiUrl: string;
  /** The applicant API over HTTPS (its links and Location headers); trust `apiCaFile`. */
  readonly apiTlsUrl: string;
  readonly apiCaFile: string;
  readonly acmeDirectoryUrl: string;
  readonly acmeCaFile: string;
  readonly ocspUrl: string;
  readonly prometheusUrl: string;
  readonly temporalUiUrl: string;
  readonly dnsAdminUrl: string;
  readonly resolver: string;
  readonly zone: string;
  readonly bogusZone: string;
  readonly namespace: string;
  readonly taskQueues: { readonly main: string; readonly signing: string };
  readonly temporal: { readonly address: string; readonly serverName: string; readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  readonly archiveDir: string;
  /** The messages the local SMTP relay accepted (one .eml file each). */
  readonly mailDir: string;
  /** The audit checkpoint key's public key (PEM), for `npm run admin -- audit verify --public-key`. */
  readonly auditPublicKeyFile: string;
  /** The superuser (operator checks only). */
  readonly databaseUrl: string;
  /**
   * The environment of the operator's CLI (`npm run admin`, as root): the ca_operator login (a runtime login), the
   * operator's Temporal certificate, the EAB encryption key, the stack's data directory (the HSM token's PIN).
   */
  readonly operatorEnv: Readonly<Record<string, string>>;
  readonly runDir: string;
  readonly perspectives: ReadonlyArray<{ id: string; netns: string; hostAddress: string; user: string }>;
}

export interface RunningStack {
  readonly state: StackState;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly log: (line: string) => void;
  /** Settings added to every CA process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called when a service dies for good (the stack then stops). */
  readonly onFatal?: (reason: string) => void;
}

/**
 * The settings of the stack's own setup steps, run as root (the CA's processes get theirs from ca-processes.ts): the
 * ACME nonce and EAB keys are made in the operator's directory, and copied from there to the ACME user's.
 */
function setupEnv(layout: StackLayout): Record<string, string> {
  const operator = layout.secretsOf(OPERATOR);
  return {
    CA_ENV: 'development',
    CA_DATA_DIR: layout.root,
    CA_PG_PORT: String(stackPorts.postgres),
    CA_DEV_ZONE: stackZone,
    CA_ACME_PORT: String(stackPorts.acme),
    CA_ACME_NONCE_KEY_FILE: path.join(operator, 'acme-nonce-key'),
    CA_EAB_ENCRYPTION_KEY_FILE: path.join(operator, 'eab-encryption-key'),
  };
}

/** The applicant API's own HTTPS certificate (not the ACME listener's key: each door holds its own), made the same way. */
const apiTlsConfig = (layout: StackLayout): CaConfig =>
  loadConfig({ ...setupEnv(layout), CA_ACME_TLS_KEY: path.join(layout.root, 'api-tls', 'key.pem'), CA_ACME_TLS_CERT: path.join(layout.root, 'api-tls', 'cert.pem') });

/** One stack per machine: its ports and users are fixed. A state file whose supervisor still lives means one runs. */
function refuseIfRunning(layout: StackLayout): void {
  if (!existsSync(layout.stateFile)) return;
  const { pid } = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { pid?: number };
  let alive = false;
  try {
    if (pid) process.kill(pid, 0);
    alive = Boolean(pid);
  } catch {
    // Not running: the state file is a leftover.
  }
  if (alive) throw new Error(`a stack is already running (pid ${pid}, ${layout.stateFile}); stop it with Ctrl-C first`);
}

const signingUser = caProcesses.find((p) => p.name === 'signing')!.user;

const readyHttp = (url: string) => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status < 500, () => false);

export async function bringUpStack(opts: StackOptions): Promise<RunningStack> {
  if (process.getuid?.() !== 0) throw new Error('npm run stack runs as root: it creates OS users, network namespaces and files owned by them');
  const { log } = opts;
  const layout = stackLayout();
  for (const d of [layout.root, layout.logs, layout.bin]) mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(layout.root, 0o755);
  mkdirSync(layout.secrets, { recursive: true });
  // Traversable, not listable: each user finds its own directory by name and nothing else.
  chmodSync(layout.secrets, 0o711);
  refuseIfRunning(layout);
  const runDir = await ownedDir(path.join(layout.root, 'run'), 'root', 0o755);
  killLeftovers(runDir, log);
  const config = loadConfig(setupEnv(layout));
  const stops: Array<() => Promise<void>> = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`stop: ${String(e)}`));
  };
  const supervisor = new Supervisor(layout.logs, runDir, log, (reason) => {
    log(`giving up: ${reason}`);
    opts.onFatal?.(reason);
  });

  try {
    for (const user of allStackUsers) await ensureUser(user);
    for (const p of stackPerspectives) await createNamespace(p);
    stops.push(async () => {
      for (const p of stackPerspectives) await removeNamespace(p);
    });
    const ca = await ensureOpsCa(layout);
    const operatorDir = layout.secretsOf(OPERATOR);
    const admin = await issueLeaf(ca, { commonName: 'ca-stack-operator', usage: ['clientAuth'], owner: 'root', dir: operatorDir, base: 'temporal' });
    const adminOptions: CaConnectionOptions = {
      address: `127.0.0.1:${stackPorts.temporalFrontend}`,
      tls: { serverRootCACertificate: readFileSync(ca.certFile), clientCertPair: { crt: readFileSync(admin.certFile), key: readFileSync(admin.keyFile) }, serverNameOverride: frontendServerName },
    };

    const db: StackDatabase = await bringUpStackDatabase(config, layout, log);
    stops.push(() => db.stop());
    // The CA's keys and records: the key ceremony's steps, as the operator (root) with the schema owner's login.
    const token = await ensureSoftHsmToken(config);
    // The token setup keeps its PINs in <data>/secrets and makes that directory 0700: make it traversable again.
    chmodSync(layout.secrets, 0o711);
    const [acmeTls, apiTls, auditKey] = await withCaKeys(config, db.ownerUrl, token.pin, async (deps) => {
      await ensureCaHierarchy({ ...deps, log });
      return [
        await ensureAcmeTlsCertificate({ ...deps, log }),
        await ensureAcmeTlsCertificate({ ...deps, config: apiTlsConfig(layout), log }),
        await deps.hsm.publicKeySpki(auditCheckpointKeyLabel),
      ] as const;
    });
    // The audit checkpoint key's public half, exported at the ceremony for the auditors (`npm run admin -- audit
    // verify --public-key`): kept outside the database it checks, and read without the HSM.
    const auditPublicKeyFile = await ownedFile(path.join(layout.pki, 'audit-checkpoint.pem'), pemEncode('PUBLIC KEY', auditKey), 'root', 0o644);
    // The token directory (mode 0700) belongs to the signing worker's user alone (CP 6.2).
    await chownTree(path.join(layout.root, 'softhsm'), signingUser);
    chmodSync(path.join(layout.root, 'softhsm'), 0o700);

    const ct: LocalCtLogs = await withCaKeys(config, db.ownerUrl, token.pin, (deps) => startLocalCtLogs(config, { db: deps.db, log, asUser: { user: serviceUsers.ctLog, binDir: layout.bin } }));
    stops.push(() => ct.stop());
    stops.push(() => supervisor.stopAll());

    const dns = await startStackDns({ layout, perspectives: stackPerspectives, supervisor, log });
    const temporal = await startTemporalCluster({ layout, ca, dbPassword: db.temporalPassword, admin: adminOptions, perspectiveAddresses: stackPerspectives.map((p) => p.hostAddress), supervisor, log });

    const records = new KnotRecords(stackZone, { host: '127.0.0.1', port: stackPorts.knot }, dns.tsigKeyFile, [`ns.${stackZone}`]);
    const dnsAdmin: http.Server = await startKnotAdmin(records, { zone: stackZone, dnsPort: stackPorts.knot, adminPort: stackPorts.dnsAdmin, log });
    stops.push(() => new Promise<void>((r) => dnsAdmin.close(() => r())));

    await ownedDir(layout.mail, serviceUsers.mail, 0o750);
    startMailSink(layout, supervisor);

    const zlint = stageBinary(process.env.CA_ZLINT_BIN ?? path.join(await goBinDir(), 'zlint'), layout.bin);
    const text = (file: string) => readFileSync(file, 'utf8');
    const processes = await startCaProcesses(
      {
        layout,
        ca,
        dbUrlFor: db.urlFor,
        dbPasswordFileOf: db.passwordFileOf,
        ctLogList: ct.logListFile,
        copies: {
          'hsm-user-pin': token.pin,
          'acme-tls-key.pem': text(acmeTls.keyFile),
          'acme-tls-cert.pem': text(acmeTls.certFile),
          'api-tls-key.pem': text(apiTls.keyFile),
          'api-tls-cert.pem': text(apiTls.certFile),
          'acme-nonce-key': text(config.acme.nonceKeyFile),
          'eab-encryption-key': text(config.acme.eabEncryptionKeyFile),
        },
        zlint,
        env: opts.env ?? {},
      },
      supervisor,
    );
    await waitForPollers(adminOptions, stackTaskQueues(config.temporal.taskQueue, config.temporal.signingTaskQueue), processes);
    const apiUrl = `http://127.0.0.1:${stackPorts.api}`;
    const acmeDirectoryUrl = `https://127.0.0.1:${stackPorts.acme}/acme/directory`;
    const deadline = Date.now() + 120_000;
    while (!(await readyHttp(`${apiUrl}/healthz`)) || !(await readyHttp(`http://127.0.0.1:${stackPorts.ocsp}/`))) {
      if (Date.now() > deadline) throw new Error(`the API or the OCSP responder did not answer:\n${processes.get('api')?.tail()}\n${processes.get('ocsp')?.tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await startPrometheus(layout, supervisor);

    const state: StackState = {
      pid: process.pid,
      apiUrl,
      apiTlsUrl: `https://127.0.0.1:${stackPorts.apiTls}`,
      apiCaFile: apiTls.caFile,
      acmeDirectoryUrl,
      acmeCaFile: acmeTlsCaFile(config),
      ocspUrl: `http://127.0.0.1:${stackPorts.ocsp}`,
      prometheusUrl: `http://127.0.0.1:${stackPorts.prometheus}`,
      temporalUiUrl: `http://127.0.0.1:${stackPorts.temporalUi}`,
      dnsAdminUrl: `http://127.0.0.1:${stackPorts.dnsAdmin}`,
      resolver: `127.0.0.1:${stackPorts.resolver}`,
      zone: stackZone,
      bogusZone,
      namespace: stackNamespace,
      taskQueues: { main: config.temporal.taskQueue, signing: config.temporal.signingTaskQueue },
      temporal: { address: adminOptions.address, serverName: frontendServerName, caFile: ca.certFile, certFile: admin.certFile, keyFile: admin.keyFile },
      archiveDir: temporal.archiveDir,
      mailDir: layout.mail,
      auditPublicKeyFile,
      databaseUrl: db.superuserUrl,
      operatorEnv: {
        CA_ENV: 'development',
        CA_DATA_DIR: layout.root,
        CA_DEV_ZONE: stackZone,
        DATABASE_URL: db.operator.url,
        DATABASE_PASSWORD_FILE: db.operator.passwordFile,
        TEMPORAL_ADDRESS: adminOptions.address,
        TEMPORAL_NAMESPACE: stackNamespace,
        TEMPORAL_TLS_CA: ca.certFile,
        TEMPORAL_TLS_CERT: admin.certFile,
        TEMPORAL_TLS_KEY: admin.keyFile,
        TEMPORAL_TLS_SERVER_NAME: frontendServerName,
        CA_EAB_ENCRYPTION_KEY_FILE: config.acme.eabEncryptionKeyFile,
      },
      runDir,
      perspectives: stackPerspectives.map((p) => ({ id: p.id, netns: p.netns, hostAddress: p.hostAddress, user: p.user })),
    };
    await ownedFile(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`, 'root', 0o600);
    stops.push(async () => rmSync(layout.stateFile, { force: true }));
    return { state, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
