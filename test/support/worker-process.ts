/**
 * The main worker as a child process, for the tests that kill it with SIGKILL mid-work (the crash tests): node itself
 * with tsx as a loader — not the tsx CLI, which would run the worker in a grandchild that a SIGKILL of the wrapper
 * leaves running — so that the SIGKILL really kills the process that runs the worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../config';

export function spawnMainWorker(env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, CA_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[main-worker ${child.pid}] ${d}`));
  return child;
}

/** SIGKILL, and wait until the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}
