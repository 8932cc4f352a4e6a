/**
 * `npm start`: the whole CA on one machine, on embedded defaults. Brings up PostgreSQL, SoftHSM2, Temporal (Web UI)
 * and the development DNS server (scripts/lib/services.ts), initializes the CA hierarchy when absent, then runs the
 * main worker, the signing worker and the HTTP API as child processes. Ctrl-C stops everything, in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, repoRoot } from '../config';
import { bringUpServices } from './lib/services';

const config = loadConfig();
const log = (line: string) => console.log(`[start] ${line}`);
const services = await bringUpServices(config, { log, persistTemporal: true, temporalUi: true, devDns: true });

const logDir = path.join(config.dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, entry: string): ChildProcess {
  // node with tsx as a loader: the pid we signal is the process that runs the worker (no wrapper in between).
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, SOFTHSM2_CONF: config.hsm.softhsmConf },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      file.write(chunk);
      for (const line of chunk.toString().split('\n')) if (line.trim()) console.log(`[${name}] ${line}`);
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
  logs           ${logDir}
Press Ctrl-C to stop everything.`);
