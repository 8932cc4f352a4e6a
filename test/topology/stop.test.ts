/**
 * Ctrl-C stops the production topology cleanly (runs last, vitest.topology.config.ts): `npm run stack` exits 0 and
 * leaves no process of any of its users, no network namespace, no listening port and no state file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { allStackUsers, stackLayout, stackPerspectives, stackPorts } from '../../scripts/lib/stack/layout';
import { eventually } from '../support/ca-harness';
import { exitCodeFile } from './global-setup';
import { state } from './stack-client';

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('Ctrl-C', () => {
  it.skipIf(process.env.CA_TOPOLOGY_REUSE_STACK === '1')('stops everything: exit 0, no process, namespace, port or state file left', async () => {
    const { pid } = state();
    process.kill(pid, 'SIGINT');
    const exit = await eventually(async () => (existsSync(exitCodeFile()) ? (JSON.parse(readFileSync(exitCodeFile(), 'utf8')) as { code: number | null }) : null), 120_000, 250);
    expect(exit).toEqual({ code: 0, signal: null });

    for (const user of allStackUsers) {
      // ps exits 1 when the user has no process: the expected outcome. A zombie (state Z: a linter child that
      // finished as its worker stopped, waiting for this container's init to reap it) runs nothing and holds nothing.
      const left = spawnSync('ps', ['-u', user, '-o', 'pid=,stat=,args='], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() && !/^\s*\d+\s+Z/.test(l));
      expect(left, user).toEqual([]);
    }
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    for (const p of stackPerspectives) expect(namespaces).not.toContain(p.netns);
    for (const [name, port] of Object.entries(stackPorts)) expect(await listening(port), `${name} (:${port})`).toBe(false);
    expect(existsSync(stackLayout().stateFile)).toBe(false);
  });
});
