/**
 * The trust boundaries of the production topology (docs/DEPLOYMENT.md): the Temporal frontend admits only clients
 * with a certificate of the operations CA (mTLS); a perspective in its network namespace reaches the frontend over
 * its link and nothing else — not PostgreSQL; every process runs as its own OS user, and only the signing worker's
 * user can read the SoftHSM token directory; each user's secrets are its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { runAs } from '../../scripts/lib/stack/host';
import { caProcesses, stackLayout, stackPerspectives, stackPorts } from '../../scripts/lib/stack/layout';
import { connectionOptions, type CaConnectionOptions } from '../../temporal/connection';
import { openssl, useStack } from './stack-client';

const t = useStack();

const layout = stackLayout();


/** Connects and asks the frontend something; the error message when refused, null when it answered. */
async function refusal(options: CaConnectionOptions): Promise<string | null> {
  try {
    const connection = await Connection.connect({ ...options, connectTimeout: 3_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return null;
    } finally {
      await connection.close();
    }
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Runs `cmd` as `user` (inside `netns` for a perspective), exactly as the stack runs its processes. */
function asUser(user: string, cmd: string[], netns?: string) {
  const [program, ...args] = [...runAs(user, netns), ...cmd];
  return spawnSync(program!, args, { encoding: 'utf8' });
}

describe('Temporal: mTLS on the frontend', () => {
  const caFile = () => t.c.state.temporal.caFile;

  it('a client with a certificate of the operations CA is served (the positive control)', async () => {
    expect(await refusal(t.c.adminConnection)).toBeNull();
  });

  it('a client without a certificate (through the CA\'s own connectionOptions) is refused', async () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: t.c.state.temporal.address, TEMPORAL_TLS_CA: caFile(), TEMPORAL_TLS_SERVER_NAME: t.c.state.temporal.serverName });
    expect(await refusal(connectionOptions(config))).toMatch(/Failed to connect/);
  });

  it('a client with a certificate of another CA is refused; so is plaintext', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rogue-'));
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=ca-api', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);
    const rogue: CaConnectionOptions = {
      address: t.c.state.temporal.address,
      tls: {
        serverRootCACertificate: readFileSync(caFile()),
        clientCertPair: { crt: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')) },
        serverNameOverride: t.c.state.temporal.serverName,
      },
    };
    expect(await refusal(rogue)).toMatch(/Failed to connect/);
    expect(await refusal({ address: t.c.state.temporal.address })).toMatch(/Failed to connect/);
  });
});

describe('perspectives in their own network namespaces', () => {
  // A TCP connect from inside the namespace, as the perspective's user: 'open' or the error code.
  const probe = (p: (typeof stackPerspectives)[number], host: string, port: number) => {
    const js = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port},timeout:3000});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('ETIMEDOUT');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
    return asUser(p.user, [process.execPath, '-e', js], p.netns).stdout.trim();
  };

  it.each(stackPerspectives.map((p) => [p.id, p] as const))('%s reaches the Temporal frontend over its link, but not PostgreSQL', (_id, p) => {
    expect(probe(p, p.hostAddress, stackPorts.temporalFrontend)).toBe('open');
    expect(probe(p, p.hostAddress, stackPorts.postgres)).toBe('ECONNREFUSED');
    expect(probe(p, '127.0.0.1', stackPorts.postgres)).toBe('ECONNREFUSED');
    // No route beyond its /30: another perspective's link and the API on the host's loopback are out of reach.
    const other = stackPerspectives.find((o) => o.id !== p.id)!;
    expect(probe(p, other.hostAddress, stackPorts.temporalFrontend)).not.toBe('open');
    expect(probe(p, '127.0.0.1', stackPorts.api)).not.toBe('open');
  });
});

describe('one OS user per security context', () => {
  it('every CA process runs as its own user, a perspective inside its namespace', () => {
    for (const p of caProcesses) {
      const pid = Number(readFileSync(path.join(t.c.state.runDir, `${p.name}.pid`), 'utf8').split('\n')[0]);
      expect(spawnSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim(), p.name).toBe(p.user);
      if (p.perspective) expect(spawnSync('ip', ['netns', 'identify', String(pid)], { encoding: 'utf8' }).stdout.trim()).toBe(p.perspective.netns);
    }
  });

  it('only the signing worker\'s user can read the SoftHSM token directory (mode 0700)', () => {
    const tokens = path.join(layout.root, 'softhsm', 'tokens');
    expect(statSync(path.join(layout.root, 'softhsm')).mode & 0o777).toBe(0o700);
    expect(asUser('ca-signing', ['ls', tokens]).status).toBe(0);
    for (const user of caProcesses.filter((p) => p.name !== 'signing').map((p) => p.user)) {
      expect(asUser(user, ['ls', tokens]).status, user).not.toBe(0);
    }
  });

  it('secrets are files readable by their own user only', () => {
    const pin = path.join(layout.secretsOf('ca-signing'), 'hsm-user-pin');
    expect(asUser('ca-signing', ['cat', pin]).status).toBe(0);
    expect(asUser('ca-api', ['cat', pin]).status).not.toBe(0);
    const apiPassword = path.join(layout.secretsOf('ca-api'), 'db-password');
    expect(asUser('ca-api', ['cat', apiPassword]).status).toBe(0);
    expect(asUser('ca-worker', ['cat', apiPassword]).status).not.toBe(0);
    expect(statSync(layout.secretsOf('ca-api')).mode & 0o777).toBe(0o700);
  });
});
