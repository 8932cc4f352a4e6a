/**
 * The CA's own processes under the chaos harness and the soak test: each door and worker is a real, separate
 * process (node with tsx as a loader, as `npm start` runs them: the pid signalled is the process that runs the code),
 * so a SIGKILL means what it means in production. Like a process supervisor (systemd Restart=always, a Kubernetes
 * Deployment), a process that exits without being told to is started again; such exits are counted, since each one
 * is a crash the harness did not cause.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../config';

export interface ProcessSpec {
  readonly name: string;
  /** The entry file, relative to the repository (e.g. worker/main.ts). */
  readonly entry: string;
  /** A line the process prints once it serves (e.g. "main worker polling"). */
  readonly ready: RegExp;
}

export class SupervisedProcess {
  private child: ChildProcess | null = null;
  private wanted = false;
  private readonly log: WriteStream;
  /** Exits nobody asked for (the supervisor started the process again each time). */
  unexpectedExits = 0;
  starts = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
    private readonly say: (line: string) => void,
  ) {
    this.log = createWriteStream(path.join(logDir, `${spec.name}.log`), { flags: 'a' });
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? (this.child.pid ?? null) : null;
  }

  /** Spawns the process and resolves once it printed its ready line (rejects if it exits first or takes > 3 min). */
  async start(): Promise<void> {
    this.wanted = true;
    if (this.pid !== null) return;
    this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, this.spec.entry)], {
      cwd: repoRoot,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let seen: string | null = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not get ready within 180 s`)), 180_000);
      const onData = (chunk: Buffer) => {
        this.log.write(chunk);
        if (seen !== null && this.spec.ready.test((seen += chunk.toString()))) {
          seen = null;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => this.log.write(chunk));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
    child.once('exit', (code, signal) => {
      this.log.write(`[supervisor] ${this.name} exited (code ${code}, signal ${signal})\n`);
      if (this.child !== child || !this.wanted) return;
      // Not asked for: restart, as a supervisor would.
      this.unexpectedExits++;
      this.say(`${this.name} exited by itself (code ${code}, signal ${signal}); starting it again`);
      setTimeout(() => {
        if (this.wanted && this.pid === null) void this.start().catch((e) => this.say(`${this.name}: restart failed: ${String(e)}`));
      }, 2_000);
    });
    try {
      await ready;
    } catch (e) {
      // The exit handler above restarts it when it was wanted; a start that never got ready is reported.
      if (!this.wanted) return;
      throw e;
    }
  }

  /** SIGKILL, no restart until `start()`. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** A clean stop (SIGTERM, SIGKILL after 15 s). */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
    this.log.end();
  }

  private async end(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    this.wanted = false;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.kill(signal);
    await exited;
    clearTimeout(timer);
  }
}

/** Resident set size of a process in bytes (Linux /proc), or null when it is gone. */
export function rssBytes(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The CA's processes as `npm start` runs them (scripts/start.ts), with the line each prints when it serves. */
export const caProcesses: readonly ProcessSpec[] = [
  { name: 'worker', entry: 'worker/main.ts', ready: /main worker polling/ },
  { name: 'signing', entry: 'worker/signing.ts', ready: /signing worker polling/ },
  { name: 'perspectives', entry: 'worker/perspective.ts', ready: /perspective polling/ },
  { name: 'api', entry: 'api/server.ts', ready: /API listening/ },
  { name: 'acme', entry: 'api/acme/server.ts', ready: /ACME server listening/ },
];
