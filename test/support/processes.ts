/**
 * The CA's processes as `npm start` runs them — `node --import tsx <entry>`, one process per security context — for
 * tests that need them apart (their logs, their /metrics): each gets the test environment plus its own variables,
 * and its stdout and stderr are kept line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../config';
import { freePort } from '../../scripts/lib/ct-logs';
import { eventually } from './ca-harness';

export interface CaProcess {
  readonly name: string;
  /** Every line it wrote, stdout and stderr, in order. */
  readonly lines: string[];
  /** The lines that are JSON objects, parsed. */
  events(): Array<Record<string, unknown>>;
  /** Resolves with the first event whose `msg` is `msg` (rejects if the process exits first or after `timeoutMs`). */
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then the exit code (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
}

export { freePort };

export function startCaProcess(name: string, entry: string, env: Record<string, string>): CaProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop()!;
      lines.push(...parts.filter((l) => l.trim()));
    });
    stream.on('end', () => rest.trim() && lines.push(rest));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events = () =>
    lines.flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return {
    name,
    lines,
    events,
    waitFor: (msg, timeoutMs = 90_000) =>
      eventually(async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${lines.slice(-20).join('\n')}`);
        return events().find((e) => e.msg === msg);
      }, timeoutMs, 200).catch((e: unknown) => {
        throw new Error(`${name}: no "${msg}" event: ${String(e)}\n${lines.slice(-20).join('\n')}`);
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    },
  };
}

/** One sample of `name` whose labels include `labels`, from a Prometheus text exposition; 0 when absent. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}
