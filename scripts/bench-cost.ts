/**
 * `npm run bench:cost [-- --n 200 --concurrency 32 --n1 20 --warmup 16 --preload 1000000]`: what a certificate costs
 * through the full pipeline — MPIC (DCV and CAA from five remote perspectives), CAA on the primary, zlint and
 * pkilint, the issuance gate, two HSM signatures, CT to the three local TesseraCT logs, OCSP pre-signing, the audit
 * chain, the notices — in CPU-seconds per certificate BY COMPONENT, each component a process (tree) of its own read
 * from /proc (scripts/lib/proc-cpu.ts, scripts/lib/bench-cost-stack.ts); the load generator (this process) and the
 * world (the applicants' DNS, the mail relay) are reported apart and not counted. Per order, from the workflow
 * histories: workflow tasks, activities, history events (children included), and the CT step's own time. Phases:
 * warm-up (not measured), concurrency 1 (latency from "ready" to the certificate), saturation (certificates/s). In
 * the same run: OpenSSL's raw RSA-2048 sign rate. With --preload N, the phases run again after N certificates (and
 * N/10 revocations) were seeded into the database, and the ratios after/before are reported (scripts/lib/bench-preload.ts).
 * Services live under .data-bench-cost/ on their own ports.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions } from '../temporal/connection';
import { benchEnvironment, percentile } from './lib/bench-env';
import { issueThroughApi, makeBenchCsrs, type BenchDoor } from './lib/bench-issuance';
import { caComponents, costComponents, ownChildren, postmasterPid, startProcess, type CostProcess } from './lib/bench-cost-stack';
import { cpuWindow, type Components } from './lib/proc-cpu';
import { meanCost, orderWorkflowCost } from './lib/workflow-cost';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
    n1: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '16' },
    preload: { type: 'string', default: '0' },
    // V8 CPU profiles of the Node components (API, workers, perspectives) in <data>/profiles, written when they stop.
    profile: { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const C = Number(values.concurrency);
const N1 = Number(values.n1);
const WARMUP = Number(values.warmup);
const PRELOAD = Number(values.preload);

Object.assign(process.env, benchEnvironment('cost', { pg: 25833, temporal: 27633, dns: 28453, api: 28480 }, { CA_API_TLS_PORT: '28481' }));

const { loadConfig, repoRoot } = await import('../config');
const { bringUpServices } = await import('./lib/services');
const { createDb } = await import('../db/client');
const { createAccount } = await import('../db/repositories/accounts');
const { orderWorkflowId } = await import('../domain/workflow-ids');
const { preloadCertificates, preloadedTables } = await import('./lib/bench-preload');
const postgres = (await import('postgres')).default;

const config = loadConfig();
const say = (line: string) => console.error(`[bench:cost] ${line}`);
// The preload's rows have fixed keys (scripts/lib/bench-preload.ts): it needs a database it has not seeded yet, so a
// preloading run starts from a new data directory (the benchmark's own, .data-bench-cost/).
if (PRELOAD > 0) rmSync(config.dataDir, { recursive: true, force: true });
mkdirSync(path.join(config.dataDir, 'logs'), { recursive: true });
const services = await bringUpServices(config, { log: say, persistTemporal: false, temporalUi: false, devDns: false });
const processes: CostProcess[] = [];

const round2 = (x: number) => Math.round(x * 100) / 100;

try {
  // The world first: the workers need the mail relay's port.
  let smtpPort = 0;
  const world = await startProcess(config, 'world', 'scripts/lib/bench-world.ts', {}, /world ready/, {
    onLine: (line) => {
      if (line.includes('world ready')) smtpPort = (JSON.parse(line) as { smtpPort: number }).smtpPort;
    },
  });
  processes.push(world);
  const env = {
    DATABASE_URL: services.databaseUrl,
    SOFTHSM2_CONF: config.hsm.softhsmConf,
    CA_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  };
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(config.dataDir, 'profiles')}`] : [];
  const main = await startProcess(config, 'worker-main', 'worker/main.ts', env, /main worker polling/, { nodeArgs });
  const signing = await startProcess(config, 'worker-signing', 'worker/signing.ts', env, /signing worker polling/, { nodeArgs });
  const perspectives = await startProcess(config, 'perspectives', 'worker/perspective.ts', env, /perspective polling/, { times: config.mpic.perspectives.length, nodeArgs });
  const api = await startProcess(config, 'api', 'api/server.ts', env, /API listening/, { nodeArgs });
  processes.push(main, signing, perspectives, api);
  const temporalPid = ownChildren('temporal')[0];
  if (!temporalPid) throw new Error('the Temporal dev server is not a child of this process (a server already running on its port was reused?)');
  const components: Components = costComponents({
    api: api.child.pid!,
    main: main.child.pid!,
    signing: signing.child.pid!,
    perspectives: perspectives.child.pid!,
    temporal: temporalPid,
    postgres: postmasterPid(config),
    ctLogs: ownChildren('posix'),
    world: world.child.pid!,
  });

  // Baseline in the same run: OpenSSL's raw RSA-2048 sign rate (one process, one core).
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const opensslSignsPerSecond = Number(speed.split('\n').find((l) => /^rsa 2048 bits/.test(l))!.trim().split(/\s+/)[5]);

  const db = createDb(services.databaseUrl, { max: 2 });
  const { apiKey } = await createAccount(db.db, { name: 'Cost Bench Applicant', email: 'applicant@example.jp', language: 'en' });
  const connection = await Connection.connect(connectionOptions(config));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  const door: BenchDoor = {
    api: (p, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.apiKey) headers.set('authorization', `Bearer ${init.apiKey}`);
      return fetch(`${apiUrl}${p}`, { ...init, headers });
    },
    dns: {
      add: (rr) =>
        fetch(`http://127.0.0.1:${config.dns.devAdminPort}/records`, { method: 'POST', body: JSON.stringify(rr) }).then((r) => {
          if (!r.ok) throw new Error(`dev DNS refused a record: ${r.status}`);
        }),
    },
  };
  const run = `k${Date.now().toString(36)}`;
  let made = 0;
  const csrsFor = (count: number) => makeBenchCsrs(count, `${run}${made++}`, config.dns.devZone);

  // Sequential scans of the tables an issuance reads (and the preload fills), from PostgreSQL's statistics: with a
  // million rows, a scan on the hot path shows as millions of rows read per order.
  const stats = postgres(services.databaseOwnerUrl, { max: 1 });
  const scans = async () => {
    await new Promise((r) => setTimeout(r, 1_500)); // the backends flush their statistics within a second
    const rows = await stats<Array<{ table: string; seq: string; rows: string }>>`
      select relname as table, seq_scan as seq, seq_tup_read as rows from pg_stat_user_tables where relname in ${stats(preloadedTables as unknown as string[])}`;
    return new Map(rows.map((r) => [r.table, { seq: Number(r.seq), rows: Number(r.rows) }]));
  };

  /** `count` orders at `concurrency`, measured: CPU by component, latencies, and the orders' workflow costs. */
  async function phase(label: string, count: number, concurrency: number) {
    const csrs = csrsFor(count);
    const scansBefore = await scans();
    const results: Array<Awaited<ReturnType<typeof issueThroughApi>>> = [];
    let cursor = 0;
    const cpu = cpuWindow(() => components);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (cursor < count) results.push(await issueThroughApi(door, client, apiKey, csrs[cursor++]!));
    }));
    const window = cpu.stop();
    const scansAfter = await scans();
    const sequentialScans = Object.fromEntries([...scansAfter].flatMap(([table, a]) => {
      const b = scansBefore.get(table) ?? { seq: 0, rows: 0 };
      return a.seq > b.seq ? [[table, { scansPerOrder: round2((a.seq - b.seq) / count), rowsReadPerOrder: Math.round((a.rows - b.rows) / count) }]] : [];
    }));
    const failures = results.filter((r) => !r.ok).length;
    const costs = await Promise.all(results.map((r) => orderWorkflowCost(client, orderWorkflowId(r.orderId))));
    const ready = results.map((r) => r.readyMs).sort((a, b) => a - b);
    const ct = costs.map((c) => c.ctMs ?? 0).sort((a, b) => a - b);
    const beyondCt = results.map((r, i) => r.readyMs - (costs[i]!.ctMs ?? 0)).sort((a, b) => a - b);
    const perCert = (s: number) => Math.round((s / count) * 1000) / 1000;
    const cpuPerCertificate: Record<string, number> = Object.fromEntries(Object.entries(window.bySeconds).map(([k, v]) => [k, perCert(v)]));
    const caTotal = perCert(caComponents.reduce((s, k) => s + (window.bySeconds[k] ?? 0), 0));
    const ours = Object.values(window.bySeconds).reduce((s, v) => s + v, 0);
    const r = {
      phase: label,
      n: count,
      concurrency,
      failures,
      certificatesPerSecond: Math.round((count / window.wallSeconds) * 100) / 100,
      latencyFromReadyMs: { p50: Math.round(percentile(ready, 50)), p99: Math.round(percentile(ready, 99)) },
      ctStepMs: { p50: Math.round(percentile(ct, 50)), p99: Math.round(percentile(ct, 99)) },
      latencyBeyondCtMs: { p50: Math.round(percentile(beyondCt, 50)), p99: Math.round(percentile(beyondCt, 99)) },
      cpuSecondsPerCertificate: { ...cpuPerCertificate, ca: caTotal } as Record<string, number> & { ca: number },
      machine: {
        wallSeconds: window.wallSeconds,
        busyCpuSeconds: window.machineBusySeconds,
        // What other processes of the machine (other engineers' tests) used meanwhile: the noise of this phase.
        othersCpuSeconds: Math.round((window.machineBusySeconds - ours) * 10) / 10,
      },
      perOrder: meanCost(costs),
      sequentialScans,
    };
    say(`${label}: ${JSON.stringify({ certsPerSecond: r.certificatesPerSecond, fromReady: r.latencyFromReadyMs, ct: r.ctStepMs, cpu: r.cpuSecondsPerCertificate.ca })}`);
    return r;
  }

  async function phases(tag: string) {
    say(`${tag}: warm-up, ${WARMUP} orders at concurrency ${Math.min(C, WARMUP)}`);
    await phase(`${tag} warm-up`, WARMUP, Math.min(C, WARMUP));
    const c1 = await phase(`${tag} concurrency 1`, N1, 1);
    const saturated = await phase(`${tag} saturation`, N, C);
    return { c1, saturated };
  }

  const before = await phases(PRELOAD > 0 ? 'empty database' : 'run');
  let preloaded: Record<string, unknown> | null = null;
  if (PRELOAD > 0) {
    const seeded = await preloadCertificates(services.databaseOwnerUrl, PRELOAD, say);
    const after = await phases(`${PRELOAD} certificates preloaded`);
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    preloaded = {
      seeded,
      after,
      ratios: {
        c1P50FromReady: ratio(after.c1.latencyFromReadyMs.p50, before.c1.latencyFromReadyMs.p50),
        c1CpuPerCertificate: ratio(after.c1.cpuSecondsPerCertificate.ca, before.c1.cpuSecondsPerCertificate.ca),
        saturatedCpuPerCertificate: ratio(after.saturated.cpuSecondsPerCertificate.ca, before.saturated.cpuSecondsPerCertificate.ca),
        saturatedPostgresCpuPerCertificate: ratio(after.saturated.cpuSecondsPerCertificate.postgres!, before.saturated.cpuSecondsPerCertificate.postgres!),
        saturatedCertificatesPerSecond: ratio(after.saturated.certificatesPerSecond, before.saturated.certificatesPerSecond),
      },
    };
  }
  await connection.close();
  await db.close();
  await stats.end();

  const twoSignaturesCpuSeconds = Math.round((2 / opensslSignsPerSecond) * 10000) / 10000;
  console.log(JSON.stringify({
    date: new Date().toISOString().slice(0, 10),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim(),
    opensslRsa2048SignsPerSecond: opensslSignsPerSecond,
    // The RSA work a certificate needs (precertificate + certificate) at OpenSSL's rate: the floor of the CPU cost.
    twoRsaSignaturesCpuSeconds: twoSignaturesCpuSeconds,
    ...before,
    ...(preloaded ? { preloaded } : {}),
  }, null, 2));
} finally {
  for (const p of processes.reverse()) await p.stop().catch(() => {});
  await services.stop();
}
