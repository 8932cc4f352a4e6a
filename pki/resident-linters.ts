/**
 * Linters kept running (pki/lint.ts): a pool of resident processes per linter — pkilint's interpreters
 * (pki/pkilint-resident.py) and zlint-resident (pki/zlint-resident/, zlint v3.7.3 as a library) — that each answer
 * one JSON request per line with one JSON reply per line. A process per lint costs more in starting (Python's
 * imports ≈ 0.4 s, Go's runtime and zlint's lint registry) and in the caller's spawn than the lint itself, and every
 * to-be-signed certificate is linted (issuance cycle steps 6 and 10): docs/BENCHMARKS.md, "Cost per certificate".
 * A process that crashes or stops answering is dropped and replaced on the next request; the caller falls back to the
 * command line, one process per lint, when no resident process can answer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

type Proc = ChildProcessWithoutNullStreams;

/** How long one answer may take before the process is given up (a lint takes milliseconds). */
const ANSWER_TIMEOUT_MS = 60_000;

export class ResidentPool {
  private readonly idle: Proc[] = [];
  private readonly waiting: Array<(p: Proc) => void> = [];
  private started = 0;

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly size = Math.max(1, availableParallelism()),
  ) {}

  /** One request, one reply (parsed JSON); throws when the process fails, exits or does not answer. */
  async ask(request: object): Promise<unknown> {
    const proc = await this.acquire();
    try {
      const reply = await this.exchange(proc, `${JSON.stringify(request)}\n`);
      this.release(proc);
      return reply;
    } catch (e) {
      this.started--;
      proc.kill();
      throw e;
    }
  }

  private acquire(): Promise<Proc> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.started < this.size) {
      this.started++;
      const proc = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
      // Spawn failures and writes to a dead process surface as the request's error (see exchange), never as a crash.
      proc.on('error', () => {});
      proc.stdin.on('error', () => {});
      proc.on('exit', () => {
        const i = this.idle.indexOf(proc);
        if (i >= 0) {
          this.idle.splice(i, 1);
          this.started--;
        }
      });
      return Promise.resolve(proc);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(proc: Proc): void {
    const next = this.waiting.shift();
    if (next) return next(proc);
    // An idle process must not keep a finished process (a CLI, a test) alive.
    proc.unref();
    for (const s of [proc.stdin, proc.stdout, proc.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    this.idle.push(proc);
  }

  private exchange(proc: Proc, line: string): Promise<unknown> {
    proc.ref();
    for (const s of [proc.stdin, proc.stdout, proc.stderr]) (s as unknown as { ref?: () => void }).ref?.();
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => done(new Error(`resident ${this.name} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const nl = buffered.indexOf('\n');
        if (nl < 0) return;
        try {
          done(undefined, JSON.parse(buffered.slice(0, nl)));
        } catch (e) {
          done(e as Error);
        }
      };
      const onExit = (code: number | null) => done(new Error(`resident ${this.name} exited (${code})`));
      const onError = (e: Error) => done(e);
      const done = (err?: Error, reply?: unknown) => {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        if (err) reject(err);
        else resolve(reply);
      };
      proc.stdout.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
      proc.stdin.write(line);
    });
  }
}

const found = new Map<string, string | undefined>();

/** A lookup on the file system, once per key (every lint asks): the key holds every variable the lookup reads. */
function once(key: string, lookup: () => string | undefined): string | undefined {
  if (!found.has(key)) found.set(key, lookup());
  return found.get(key);
}

/** A command on PATH (looked up once per command and PATH: every lint asks). */
export function onPath(command: string): string | undefined {
  return once(`${command}\0${process.env.PATH ?? ''}`, () => {
    const dir = (process.env.PATH ?? '').split(path.delimiter).find((d) => d && existsSync(path.join(d, command)));
    return dir ? path.join(dir, command) : undefined;
  });
}

/** A command on PATH, else in $GOPATH/bin (where `go install` and scripts/install-tools.sh put Go tools). */
export function findGoTool(command: string): string | undefined {
  const inPath = onPath(command);
  if (inPath) return inPath;
  const gopath = (process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go')).split(path.delimiter)[0]!;
  const candidate = path.join(gopath, 'bin', command);
  return once(`go\0${candidate}`, () => (existsSync(candidate) ? candidate : undefined));
}
