/**
 * Global setup of `npm run test:topology`: runs `npm run stack` (scripts/stack.ts) as a child process, as an operator
 * would, and waits for its coordinates (data-stack/stack.json); the teardown presses Ctrl-C (SIGINT) and fails the
 * run unless the stack stopped cleanly — exit code 0, no process of any of its users left, no network namespace,
 * no port still listening.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../../config';
import { allStackUsers, stackLayout, stackPerspectives, stackPorts } from '../../scripts/lib/stack/layout';

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
  const deadline = Date.now() + 420_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run stack exited (code ${child.exitCode}) before it was up:\n${output.slice(-4000)}`);
    if (existsSync(layout.stateFile) && (JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { pid: number }).pid === child.pid) break;
    if (Date.now() > deadline) throw new Error(`npm run stack was not up within 7 minutes:\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(`[topology] the stack is up after ${Math.round((Date.now() - started) / 1000)} s\n`);
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export async function teardown(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null) return;
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  c.kill('SIGINT');
  const timer = setTimeout(() => c.kill('SIGKILL'), 120_000);
  const code = await exited;
  clearTimeout(timer);
  const problems: string[] = [];
  if (code !== 0) problems.push(`npm run stack exited with code ${code} on SIGINT`);
  for (const user of allStackUsers) {
    // ps exits 1 when the user has no process: that is the expected outcome.
    const left = spawnSync('ps', ['-u', user, '-o', 'pid=,args='], { encoding: 'utf8' }).stdout.trim();
    if (left) problems.push(`processes of ${user} left: ${left}`);
  }
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const p of stackPerspectives) if (namespaces.includes(p.netns)) problems.push(`network namespace ${p.netns} left`);
  for (const [name, port] of Object.entries(stackPorts)) if (await listening(port)) problems.push(`${name} still listens on ${port}`);
  if (existsSync(stackLayout().stateFile)) problems.push('data-stack/stack.json left (the stack did not finish stopping)');
  if (problems.length > 0) throw new Error(`the stack did not stop cleanly:\n${problems.join('\n')}\n${output.slice(-3000)}`);
  process.stderr.write(`[topology] the stack stopped cleanly in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
