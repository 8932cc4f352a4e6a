/**
 * The stack's process supervisor: each service is a child process with its log file under data-stack/logs, started
 * through its `runAs` prefix, restarted when it dies unexpectedly (as systemd's Restart=on-failure would: the topology
 * test SIGKILLs the Temporal server mid-order and expects it back), and stopped with SIGTERM, then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ServiceSpec {
  readonly name: string;
  /** The full command line, run-as prefix included. */
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Restart after an unexpected exit (default true); at most 5 restarts a minute, then the stack is stopped. */
  readonly restart?: boolean;
  /** How long SIGTERM may take before SIGKILL (ms). */
  readonly stopTimeoutMs?: number;
}

export interface Service {
  readonly name: string;
  readonly logFile: string;
  /** The pid of the current process (changes on restart). */
  pid(): number | undefined;
  /** Resolves once the process has been restarted after `previousPid` exited. */
  restarted(previousPid: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
}

/** The program a run-as command line ends up running (past `ip netns exec <ns>` and `setpriv … --`). */
function programOf(command: readonly string[]): string {
  const dashes = command.indexOf('--');
  return command[dashes >= 0 ? dashes + 1 : 0] ?? '';
}

/**
 * Kills what a previous supervisor left running (it was killed itself, so it could not stop its services): every
 * `<name>.pid` whose process still runs the program it was started for.
 */
export function killLeftovers(runDir: string, log: (line: string) => void): void {
  if (!existsSync(runDir)) return;
  for (const f of readdirSync(runDir).filter((n) => n.endsWith('.pid'))) {
    const [pidText, program] = readFileSync(path.join(runDir, f), 'utf8').split('\n');
    const pid = Number(pidText);
    let cmdline = '';
    try {
      if (Number.isInteger(pid) && pid > 1) cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // Gone already.
    }
    if (program && cmdline.split('\0').some((arg) => path.basename(arg) === program)) {
      log(`killing ${f.replace(/\.pid$/, '')} (pid ${pid}) left by an earlier run`);
      process.kill(-pid, 'SIGKILL');
    }
    unlinkSync(path.join(runDir, f));
  }
}

export class Supervisor {
  private readonly services: Service[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    /** `<name>.pid` of every running service, rewritten on each (re)start (operators, the topology test). */
    private readonly runDir: string,
    private readonly log: (line: string) => void,
    private readonly giveUp: (reason: string) => void,
  ) {}

  start(spec: ServiceSpec): Service {
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    let child: ChildProcess | undefined;
    let stopped = false;
    const exits: number[] = [];
    const waiters: Array<() => void> = [];
    const launch = (): void => {
      const fd = openSync(logFile, 'a');
      const [cmd, ...args] = spec.command;
      // Its own process group: a Ctrl-C at the terminal reaches the supervisor only, which stops services in order.
      child = spawn(cmd!, args, { env: spec.env, cwd: spec.cwd, stdio: ['ignore', fd, fd], detached: true });
      closeSync(fd);
      // The pid, and the program it must still be running for killLeftovers to touch it (pids are reused).
      if (child.pid !== undefined) writeFileSync(path.join(this.runDir, `${spec.name}.pid`), `${child.pid}\n${path.basename(programOf(spec.command))}\n`);
      const current = child;
      current.on('exit', (code, signal) => {
        if (stopped || this.stopping) return;
        const now = Date.now();
        exits.push(now);
        while (exits.length > 0 && exits[0]! < now - 60_000) exits.shift();
        if (spec.restart === false || exits.length > 5) {
          this.giveUp(`${spec.name} exited (code ${code}, signal ${signal}); see ${logFile}`);
          return;
        }
        this.log(`${spec.name} exited (code ${code}, signal ${signal}); restarting`);
        setTimeout(() => {
          if (stopped || this.stopping) return;
          launch();
          for (const w of waiters.splice(0)) w();
        }, 1_000);
      });
    };
    launch();
    const service: Service = {
      name: spec.name,
      logFile,
      pid: () => child?.pid,
      restarted: (previousPid, timeoutMs = 30_000) =>
        new Promise((resolve, reject) => {
          const check = (): boolean => {
            const pid = child?.pid;
            if (pid !== undefined && pid !== previousPid && child?.exitCode === null) {
              resolve(pid);
              return true;
            }
            return false;
          };
          if (check()) return;
          const timer = setTimeout(() => reject(new Error(`${spec.name} was not restarted within ${timeoutMs} ms`)), timeoutMs);
          waiters.push(() => {
            if (check()) clearTimeout(timer);
          });
        }),
      stop: async () => {
        stopped = true;
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), spec.stopTimeoutMs ?? 15_000);
        await exited;
        clearTimeout(timer);
      },
      tail: (lines = 20) => {
        try {
          return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
        } catch {
          return '';
        }
      },
    };
    this.services.push(service);
    return service;
  }

  /** Stops every service, the last started first. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const s of [...this.services].reverse()) await s.stop().catch((e: unknown) => this.log(`stopping ${s.name}: ${String(e)}`));
  }
}
