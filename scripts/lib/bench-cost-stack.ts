/**
 * The processes of `npm run bench:cost`, each on its own so that /proc accounts it apart (scripts/lib/proc-cpu.ts):
 * the API, the main worker, the signing worker, the remote perspectives (one process for all five, as `npm start`
 * runs them), and "the world" — the applicants' authoritative DNS and the subscribers' mail relay, which are not the
 * CA's cost. PostgreSQL, the Temporal dev server and the TesseraCT logs are started by scripts/lib/services.ts; they
 * are found here by pid (PostgreSQL's postmaster.pid; Temporal and the logs are this process's children).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, type CaConfig } from '../../config';
import { commandLine, snapshotProcesses, type Components } from './proc-cpu';

export interface CostProcess {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `entry` (a TypeScript file) in a Node process of its own, its output in <data>/logs/<name>.log; resolves once
 * a line of its output matches `ready` `times` times (a worker logs "… polling" when it starts polling).
 */
export async function startProcess(
  config: CaConfig,
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
  opts: { times?: number; onLine?: (line: string) => void; nodeArgs?: readonly string[] } = {},
): Promise<CostProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = createWriteStream(path.join(config.dataDir, 'logs', `${name}.log`), { flags: 'a' });
  let seen = 0;
  let partial = '';
  const started = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${name} exited before it was ready (${code ?? signal}); see ${file.path as string}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        file.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          opts.onLine?.(line);
          if (ready.test(line) && ++seen === (opts.times ?? 1)) resolve();
        }
      });
    }
  });
  const timeout = setTimeout(() => child.kill('SIGTERM'), 120_000);
  try {
    await started;
  } finally {
    clearTimeout(timeout);
  }
  return {
    name,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      file.end();
    },
  };
}

/** The postmaster's pid of a data directory (first line of postmaster.pid in PGDATA, scripts/lib/postgres.ts' layout), or null when it is not running. */
export function postmasterPidIn(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'data', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) || null : null;
}

/** The running postmaster's pid of this configuration. */
export function postmasterPid(config: CaConfig): number {
  const pid = postmasterPidIn(config.dataDir);
  if (pid === null) throw new Error(`no PostgreSQL running in ${config.dataDir}`);
  return pid;
}

/** This process's children whose command name is `comm` (the Temporal dev server, the TesseraCT logs). */
export function ownChildren(comm: string, argsInclude = ''): number[] {
  return [...snapshotProcesses().values()]
    .filter((e) => e.ppid === process.pid && e.comm === comm && commandLine(e.pid).includes(argsInclude))
    .map((e) => e.pid);
}

/**
 * The components of the CA and how each is counted. The main worker's reaped children and its live children other
 * than tsx's esbuild service are the linters (a zlint process per lint, the resident pkilint interpreters).
 */
export function costComponents(p: {
  api: number;
  main: number;
  signing: number;
  perspectives: number;
  temporal: number;
  postgres: number;
  ctLogs: readonly number[];
  world: number;
}): Components {
  return {
    api: [{ pid: p.api, part: 'tree' }],
    mainWorker: [{ pid: p.main, part: 'self' }, { pid: p.main, part: 'children', comm: /^esbuild$/ }],
    linters: [{ pid: p.main, part: 'reaped' }, { pid: p.main, part: 'children', comm: /^(?!esbuild$)/ }],
    signingWorker: [{ pid: p.signing, part: 'tree' }],
    perspectives: [{ pid: p.perspectives, part: 'tree' }],
    temporal: [{ pid: p.temporal, part: 'tree' }],
    postgres: [{ pid: p.postgres, part: 'tree' }],
    ctLogs: p.ctLogs.map((pid) => ({ pid, part: 'tree' as const })),
    // Not the CA: the applicants' DNS and mail relay, and the load generator (this process, without its children).
    world: [{ pid: p.world, part: 'tree' }],
    loadGenerator: [{ pid: process.pid, part: 'self' }],
  };
}

/** The components that are the CA (the rest is the world and the load generator). */
export const caComponents = ['api', 'mainWorker', 'linters', 'signingWorker', 'perspectives', 'temporal', 'postgres', 'ctLogs'] as const;
