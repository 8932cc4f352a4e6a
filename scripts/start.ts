/**
 * `npm start`: the whole CA on one machine, on embedded defaults. Brings up PostgreSQL, SoftHSM2, Temporal (Web UI)
 * and the development DNS server (scripts/lib/services.ts), initializes the CA hierarchy when absent, then runs the
 * main worker, the signing worker and the HTTP API as child processes. Ctrl-C stops everything, in reverse order.
 * The children log JSON events (observability/log.ts) to <data>/logs/<name>.log; this console shows them as short
 * lines. Each worker serves /metrics on a port of its own, and <data>/prometheus.yml lists every target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, repoRoot } from '../config';
import { prometheusScrapeConfig, type ScrapeTarget } from '../observability/scrape-config';
import { bringUpServices } from './lib/services';

const config = loadConfig();
const log = (line: string) => console.log(`[start] ${line}`);
const services = await bringUpServices(config, { log, persistTemporal: true, temporalUi: true, devDns: true });

const logDir = path.join(config.dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const children: ChildProcess[] = [];
let stopping = false;

/** Each worker's /metrics listener (CA_METRICS_PORT) and its Temporal SDK exporter (CA_TEMPORAL_METRICS_PORT). */
const workerMetricsPorts: Record<string, { service: string; metrics: number; sdk: number }> = {
  worker: { service: 'worker-main', metrics: 9101, sdk: 9201 },
  signing: { service: 'worker-signing', metrics: 9102, sdk: 9202 },
  perspectives: { service: 'perspective', metrics: 9103, sdk: 9203 },
};

/** A JSON event as a short console line: level, message and the fields that say which order, request or error. */
function shortLine(line: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof e.msg !== 'string') return line;
  const fields = ['orderId', 'serial', 'activity', 'method', 'route', 'status', 'durationMs', 'url', 'taskQueue', 'perspective']
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}=${String(e[k])}`);
  const err = e.err as { message?: string } | undefined;
  return [String(e.level ?? '').toUpperCase(), e.msg, ...fields, ...(err?.message ? [`error=${err.message}`] : [])].join(' ');
}

function run(name: string, entry: string): ChildProcess {
  const ports = workerMetricsPorts[name];
  // node with tsx as a loader: the pid we signal is the process that runs the worker (no wrapper in between).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SOFTHSM2_CONF: config.hsm.softhsmConf,
      ...(ports ? { CA_METRICS_PORT: String(ports.metrics), CA_TEMPORAL_METRICS_PORT: String(ports.sdk) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      file.write(chunk);
      for (const line of chunk.toString().split('\n')) if (line.trim()) console.log(`[${name}] ${shortLine(line)}`);
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited (code ${code}, signal ${signal}); stopping the CA — see ${path.join(logDir, `${name}.log`)}`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  await services.stop();
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// The Prometheus configuration for these processes: `prometheus --config.file=<data>/prometheus.yml`.
const scrapeFile = path.join(config.dataDir, 'prometheus.yml');
const scrapeTargets: ScrapeTarget[] = [
  { job: 'api', address: `${config.api.host}:${config.api.port}` },
  { job: 'acme', address: `${config.api.host}:${config.acme.port}`, scheme: 'https', caFile: path.join(path.dirname(config.acme.tlsCertFile), 'ca.pem') },
  ...Object.entries(workerMetricsPorts)
    .filter(([name]) => name !== 'perspectives' || config.mpic.perspectives.length > 0)
    .flatMap(([, p]) => [
      { job: p.service, address: `${config.metrics.host}:${p.metrics}` },
      { job: 'temporal-sdk', address: `${config.metrics.host}:${p.sdk}`, labels: { process: p.service } },
    ]),
];
writeFileSync(scrapeFile, prometheusScrapeConfig(scrapeTargets));

run('worker', 'worker/main.ts');
run('signing', 'worker/signing.ts');
// The remote MPIC perspectives (BR 3.2.2.9); development runs its five local ones in one process.
if (config.mpic.perspectives.length > 0) run('perspectives', 'worker/perspective.ts');
run('api', 'api/server.ts');
// The ACME server over HTTPS (RFC 8555 §6.1, docs/ACME.md); clients trust <data>/acme-tls/ca.pem.
run('acme', 'api/acme/server.ts');

log(`the CA is up:
  API            ${config.api.url}   (OpenAPI: ${config.api.url}/openapi.json; trust ${path.join(path.dirname(config.api.tlsCertFile), 'ca.pem')}; plain HTTP: ${config.api.publicBaseUrl})
  ACME           ${config.acme.publicUrl ?? `https://${config.api.host}:${config.acme.port}/acme`}/directory   (trust ${path.join(path.dirname(config.acme.tlsCertFile), 'ca.pem')}; docs/ACME.md)
  Temporal UI    http://127.0.0.1:${config.temporal.uiPort}
  dev DNS        127.0.0.1:${config.dns.devPort} (zone ${config.dns.devZone}; add records with: npm run dns -- add TXT <name> <value>)
  logs           ${logDir}   (JSON events, one per line)
  metrics        ${config.api.publicBaseUrl}/metrics and the workers' :${Object.values(workerMetricsPorts).map((p) => p.metrics).join(', :')}; prometheus --config.file=${scrapeFile}
Press Ctrl-C to stop everything.`);
