/**
 * Global setup of `npm run test:topology`: runs `npm run stack` (scripts/stack.ts) as a child process, as an operator
 * would, and waits for its coordinates (data-stack/stack.json). The last test file (stop.test.ts) presses Ctrl-C and
 * checks that it stopped cleanly; the teardown only stops a stack a failed run left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../config';
import { stackLayout } from '../../scripts/lib/stack/layout';

/** Settings for every CA process of the stack under test: short DCV window and CRL debounce, so failures and
 * revocations show within seconds. */
export const stackTestEnv = {
  CA_DCV_CHECK_WINDOW_SECONDS: '20',
  CA_CRL_QUIET_SECONDS: '1',
  CA_CRL_MAX_DELAY_SECONDS: '5',
};

let child: ChildProcess | undefined;
let output = '';

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the topology test runs as root (npm run stack creates users and network namespaces)');
  const layout = stackLayout();
  // While writing a topology test: CA_TOPOLOGY_REUSE_STACK=1 runs the files against a stack you started yourself
  // (`npm run stack -- --env …` with the settings below), and leaves it running.
  if (process.env.CA_TOPOLOGY_REUSE_STACK === '1' && existsSync(layout.stateFile)) return;
  const started = Date.now();
  const env = Object.entries(stackTestEnv).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/stack.ts'), ...env], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    process.stderr.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.once('exit', (code, signal) => {
    mkdirSync(path.dirname(exitCodeFile()), { recursive: true });
    writeFileSync(exitCodeFile(), `${JSON.stringify({ code, signal })}\n`);
  });
  rmSync(exitCodeFile(), { force: true });
  const deadline = Date.now() + 420_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run stack exited (code ${child.exitCode}) before it was up:\n${output.slice(-4000)}`);
    if (existsSync(layout.stateFile) && (JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { pid: number }).pid === child.pid) break;
    if (Date.now() > deadline) throw new Error(`npm run stack was not up within 7 minutes:\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(`[topology] the stack is up after ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/** Where the exit code of `npm run stack` is written when it exits (stop.test.ts reads it). */
export const exitCodeFile = () => path.join(stackLayout().root, 'run', 'stack.exit');

/** Stops the stack if a failed or filtered run left it running (stop.test.ts is what checks a clean stop). */
export async function teardown(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGINT');
  const timer = setTimeout(() => c.kill('SIGKILL'), 120_000);
  await exited;
  clearTimeout(timer);
}
