/**
 * The development target of the chaos harness and the soak test: a whole CA on this machine, from an empty data
 * directory, on free ports — PostgreSQL, the Temporal dev server (persisted in SQLite, so killing it loses nothing
 * it acknowledged), the SoftHSM2 token and CA hierarchy, three local CT logs behind a fault proxy, the development DNS
 * server, and the CA's five processes (supervisor.ts) as `npm start` runs them. The signing worker loads the HSM
 * through a PKCS#11 fault module (pkcs11-fault.c) when a C compiler is available.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, repoRoot } from '../../../config';
import { createDb } from '../../../db/client';
import { loadCtLogList } from '../../../activities/ct/log-list';
import { acmeTlsCaFile } from '../acme-tls';
import { postmasterPidIn } from '../bench-cost-stack';
import { freePort } from '../ct-logs';
import { startDevDnsServer } from '../dev-dns';
import { ensurePostgres } from '../postgres';
import { bringUpServices, startTemporal } from '../services';
import type { TemporalDevServer } from '../temporal';
import { startCtFaultProxy } from './ct-proxy';
import { startHttp01Server, type Http01Server } from './http01';
import { caProcesses, SupervisedProcess } from './supervisor';
import type { ChaosTarget, Component, HsmFault } from './target';

export interface DevTargetOptions {
  /** The target's state; emptied first (every run starts from an empty CA). */
  readonly dataDir: string;
  /** Bind port 80 for the HTTP-01 orders (hold /tmp/port80.lock). */
  readonly http01: boolean;
  readonly log: (line: string) => void;
  /** More environment for the CA's processes (e.g. CA_STUCK_AFTER_SECONDS). */
  readonly env?: Record<string, string>;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(pid: number | null): Promise<void> {
  if (pid === null || !alive(pid)) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Retries `fn` until it succeeds or `ms` have passed (a service started right after a kill may need a moment). */
async function retrying<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** The PKCS#11 fault module, compiled into `dir`; null (no HSM faults) when no C compiler or header is present. */
function buildPkcs11FaultModule(dir: string, log: (line: string) => void): string | null {
  const out = path.join(dir, 'pkcs11-fault.so');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-I/usr/include/p11-kit-1', '-o', out, path.join(repoRoot, 'scripts/lib/chaos/pkcs11-fault.c'), '-ldl'], { stdio: 'pipe' });
    return out;
  } catch (e) {
    log(`PKCS#11 fault module not built (install gcc and libp11-kit-dev: scripts/install-tools.sh): ${String(e).split('\n')[0]}`);
    return null;
  }
}

export async function startDevTarget(opts: DevTargetOptions): Promise<ChaosTarget> {
  const { dataDir, log } = opts;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const [pg, temporalPort, api, apiTls, acme, dnsPort, dnsAdmin] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What an outer environment (a test slot, a shell) may have set for another CA.
  for (const k of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'HSM_PIN', 'SOFTHSM2_CONF', 'PKCS11_MODULE', 'CA_CT_LOG_LIST', 'CA_PUBLIC_BASE_URL', 'CA_ACME_PUBLIC_URL']) delete env[k];
  Object.assign(env, {
    CA_ENV: 'development',
    CA_DATA_DIR: dataDir,
    CA_PG_PORT: String(pg),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    CA_TASK_QUEUE: 'ca-main-chaos',
    CA_SIGNING_TASK_QUEUE: 'ca-signing-chaos',
    CA_API_PORT: String(api),
    CA_API_TLS_PORT: String(apiTls),
    CA_ACME_PORT: String(acme),
    CA_DNS_RESOLVER: `127.0.0.1:${dnsPort}`,
    CA_DEV_DNS_PORT: String(dnsPort),
    CA_DEV_DNS_ADMIN_PORT: String(dnsAdmin),
    ...opts.env,
  });
  const baseConfig = loadConfig(env);
  const services = await bringUpServices(baseConfig, { log, persistTemporal: true, temporalUi: false, devDns: false, ctLogs: true });
  // Torn down in reverse order of bring-up.
  const stops: Array<() => Promise<void>> = [() => services.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`stop: ${String(e)}`));
  };
  try {
    env.SOFTHSM2_CONF = baseConfig.hsm.softhsmConf;
    const dns = await startDevDnsServer({ host: '127.0.0.1', port: dnsPort, adminPort: dnsAdmin, zone: baseConfig.dns.devZone });
    stops.push(() => dns.stop());
    const realLogs = loadCtLogList(baseConfig.ct.logListFile);
    env.CA_CT_LOG_LIST = path.join(dataDir, 'ct', 'chaos-log-list.json');
    const ct = await startCtFaultProxy(realLogs, env.CA_CT_LOG_LIST);
    stops.push(() => ct.close());
    const config = loadConfig(env);
    let http01: Http01Server | null = null;
    if (opts.http01) {
      try {
        http01 = await startHttp01Server(80);
        stops.push(() => http01!.close());
      } catch (e) {
        log(`no HTTP-01 orders: port 80 is not available (${String(e)}); run under flock /tmp/port80.lock`);
      }
    }

    const faultModule = buildPkcs11FaultModule(dataDir, log);
    const hsmControl = path.join(dataDir, 'hsm-fault');
    const signingEnv = faultModule
      ? { ...env, PKCS11_MODULE: faultModule, CHAOS_PKCS11_MODULE: baseConfig.hsm.modulePath, CHAOS_PKCS11_CONTROL: hsmControl }
      : env;
    const logDir = path.join(dataDir, 'logs');
    let temporalServer: TemporalDevServer | null = null;
    let temporalPid = services.temporalPid;
    stops.push(async () => void (await temporalServer?.stop()));
    const processes = new Map(caProcesses.map((spec) => [spec.name, new SupervisedProcess(spec, spec.name === 'signing' ? signingEnv : env, logDir, log)]));
    stops.push(async () => {
      for (const p of [...processes.values()].reverse()) await p.stop();
    });
    // The main worker first: it creates the CRL and OCSP schedules; the others in parallel.
    await processes.get('worker')!.start();
    await Promise.all([...processes.values()].filter((p) => p.name !== 'worker').map((p) => p.start()));

    const postmasterPid = (): number | null => postmasterPidIn(dataDir);
    const db = createDb(config.database.url, { max: 4 });
    const connection = await Connection.connect({ address: config.temporal.address });
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    stops.push(async () => {
      await connection.close();
      await db.close();
    });

    return {
      name: 'development (npm start processes on this machine)',
      config,
      apiUrl: config.api.publicBaseUrl,
      acmeDirectoryUrl: `${config.acme.publicUrl ?? `https://${config.api.host}:${config.acme.port}/acme`}/directory`,
      acmeCaFile: acmeTlsCaFile(config),
      dns,
      http01,
      ct,
      hsmFaults: faultModule !== null,
      setHsmFault(fault: HsmFault | null) {
        writeFileSync(hsmControl, fault ?? '');
      },
      async kill(c: Component) {
        if (c === 'temporal') await killAndWait(temporalPid);
        else if (c === 'postgres') await killAndWait(postmasterPid());
        else await processes.get(c)!.kill();
      },
      async start(c: Component) {
        if (c === 'temporal') {
          temporalServer = await retrying('Temporal', 60_000, () => startTemporal(config, { log, persistTemporal: true, temporalUi: false }));
          temporalPid = temporalServer.pid;
        } else if (c === 'postgres') {
          // Backends of the killed postmaster may hold its shared memory for a moment.
          await retrying('PostgreSQL', 60_000, () => ensurePostgres(config, { log }));
        } else {
          await processes.get(c)!.start();
        }
      },
      pids: () => ({ ...Object.fromEntries([...processes.values()].map((p) => [p.name, p.pid])), temporal: temporalPid, postgres: postmasterPid() }),
      unexpectedExits: () => Object.fromEntries([...processes.values()].map((p) => [p.name, p.unexpectedExits])),
      db,
      temporal,
      async storageBytes() {
        const [row] = await db.sql`select pg_database_size(current_database())::bigint as n`;
        const file = path.join(dataDir, 'temporal', 'temporal.db');
        const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
        return { postgres: Number(row!.n), temporal: size(file) + size(`${file}-wal`) };
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
