/**
 * The Temporal development server (ARCHITECTURE.md "Services": `temporal server start-dev` of the Temporal CLI
 * v1.5.1, SQLite persistence and Web UI in one binary). Used by `npm start` (persistent, with UI) and by the
 * integration global setup (in memory, headless).
 *
 * The CLI is not on npm: TOOLCHAIN.md says v1.5.1 is the last version `go install` can build, so that is what we
 * build when no binary is found. The SDK's own ephemeral-server download does not work offline.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, accessSync, constants as fsConstants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import type { CaConnectionOptions } from '../../temporal/connection';
import { caSearchAttributes } from '../../workflows/search-attributes';

export { caSearchAttributes };

const execFileAsync = promisify(execFile);

export type Log = (line: string) => void;

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** IndexedValueType numbers of temporal.api.enums.v1 (to add the attributes to a reused or test server). */
export const indexedValueType: Record<(typeof caSearchAttributes)[keyof typeof caSearchAttributes], number> = {
  Keyword: 2,
  KeywordList: 7,
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function goBinDir(): Promise<string> {
  const { stdout } = await execFileAsync('go', ['env', 'GOPATH']);
  const gopath = stdout.trim().split(path.delimiter)[0];
  if (!gopath) throw new Error('`go env GOPATH` printed nothing');
  return path.join(gopath, 'bin');
}

/**
 * The path of the Temporal CLI: $TEMPORAL_CLI, else `temporal` on PATH, else $(go env GOPATH)/bin/temporal, else
 * built with `go install` (several minutes on 2 cores; its output goes to `log`).
 */
export async function ensureTemporalBinary(log: Log = () => {}): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;

  let binDir: string;
  try {
    binDir = await goBinDir();
  } catch (e) {
    throw new Error(
      `Temporal CLI not found (set TEMPORAL_CLI or put \`temporal\` on PATH) and Go is not available to build it: ${String(e)}`,
    );
  }
  const built = path.join(binDir, 'temporal');
  if (isExecutable(built)) return built;

  log(`building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (takes several minutes)`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', TEMPORAL_CLI_MODULE], { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`go install ${TEMPORAL_CLI_MODULE} failed (code ${code}, signal ${signal})`)),
    );
  });
  if (!isExecutable(built)) throw new Error(`go install succeeded but ${built} is missing`);
  return built;
}

export interface StartTemporalOptions {
  readonly binary: string;
  readonly port: number;
  /** Web UI port; omitted → headless. */
  readonly uiPort?: number;
  /** SQLite file; omitted → in memory (everything is lost when the server stops). */
  readonly dbFile?: string;
  /** Created at launch in addition to "default". */
  readonly namespace?: string;
  /** Server stdout/stderr go here (appended); otherwise stderr lines go to `log`. */
  readonly logFile?: string;
  readonly log?: Log;
  /** How long to wait for the frontend to answer (default 60 s). */
  readonly readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port of the frontend gRPC service. */
  readonly address: string;
  /** True when an already-running server was found on the port (stop() then leaves it alone). */
  readonly reused: boolean;
  /** The server process started here (null when reused): the chaos harness kills it (docs/RELIABILITY.md). */
  readonly pid: number | null;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** One attempt to reach the frontend; resolves true when GetSystemInfo answers. */
export async function answers(options: CaConnectionOptions, timeoutMs: number): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/**
 * A server started by someone else may lack our search attributes (or the namespace); add what is missing so that
 * workflows' upsertSearchAttributes do not fail at run time.
 */
export async function ensureSearchAttributes(options: CaConnectionOptions, namespace: string, log: Log): Promise<void> {
  const connection = await Connection.connect({ ...options, connectTimeout: 5_000 });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const have = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = Object.entries(caSearchAttributes).filter(([name]) => !have.has(name));
    if (missing.length === 0) return;
    log(`registering search attributes ${missing.map(([n]) => n).join(', ')} in namespace ${namespace}`);
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedValueType[type]])),
    });
  } finally {
    await connection.close().catch(() => {});
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Server settings the CA relies on, on the dev server (`--dynamic-config-value`) and on the production topology's server
 * (scripts/lib/stack/temporal-config.ts). Eager activity dispatch: an activity the workflow schedules on its own task
 * queue goes back to the worker with the workflow task's answer, without a trip through matching — one trip fewer per
 * DCV check and CT submission (the SDK asks for it by default; the server's switch is off by default).
 */
export const caDynamicConfig = { 'system.enableActivityEagerExecution': true } as const;

/**
 * Starts `temporal server start-dev` on 127.0.0.1:port and waits until its frontend answers, or reuses a server
 * that already answers on that port.
 */
export async function startTemporalDevServer(opts: StartTemporalOptions): Promise<TemporalDevServer> {
  const log = opts.log ?? (() => {});
  const address = `${HOST}:${opts.port}`;
  const namespace = opts.namespace ?? 'default';

  if (await answers({ address }, 1_500)) {
    log(`Temporal already answers on ${address}; reusing it`);
    await ensureSearchAttributes({ address }, namespace, log);
    return { address, reused: true, pid: null, stop: async () => {} };
  }

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(opts.port)];
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    await mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  args.push('--log-level', 'warn');
  for (const [key, value] of Object.entries(caDynamicConfig)) args.push('--dynamic-config-value', `${key}=${value}`);
  // Re-registering an attribute already stored in a persisted db file is accepted by start-dev (checked with v1.5.1).
  for (const [name, type] of Object.entries(caSearchAttributes)) args.push('--search-attribute', `${name}=${type}`);

  let logFd: number | undefined;
  if (opts.logFile) {
    await mkdir(path.dirname(opts.logFile), { recursive: true });
    logFd = openSync(opts.logFile, 'a');
  }
  log(`starting ${opts.binary} ${args.join(' ')}`);
  const child = spawn(opts.binary, args, {
    stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd);
  const recent: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      log(`temporal: ${line}`);
    }
  });
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = waitForExit(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const tail = opts.logFile && existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').split('\n').slice(-20) : recent;
      throw new Error(
        `temporal server start-dev exited before answering (code ${child.exitCode}, signal ${child.signalCode}` +
          `${spawnError ? `, ${spawnError.message}` : ''}):\n${tail.join('\n')}`,
      );
    }
    if (await answers({ address }, 2_000)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Temporal dev server did not answer on ${address} within ${opts.readyTimeoutMs ?? 60_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  // start-dev registers --search-attribute in the namespaces it creates; checking costs one call and also covers
  // a namespace created by an older run of a persisted db file.
  await ensureSearchAttributes({ address }, namespace, log);
  log(`Temporal dev server ready on ${address}${opts.uiPort !== undefined ? ` (Web UI http://${HOST}:${opts.uiPort})` : ''}`);
  return { address, reused: false, pid: child.pid ?? null, stop };
}
