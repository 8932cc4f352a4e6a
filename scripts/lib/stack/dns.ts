/**
 * DNS of the stack (POLICY-2026: from 2026-03-15 the primary perspective validates DNSSEC on every DCV and CAA query):
 *   - Knot DNS, authoritative for the dev zone, which it signs itself (automatic DNSSEC signing, ECDSA P-256) and
 *     updates by RFC 2136 dynamic update authenticated with TSIG (knot-records.ts: `npm run dns`, the ACME hook);
 *   - a child zone `bogus.<zone>`, delegated with a DS record but served with deliberately broken signatures (signed
 *     once with ldns-signzone, then every RRSIG but the DNSKEY set's corrupted): any lookup under it is DNSSEC-bogus;
 *   - Unbound as the primary perspective's validating resolver, the zone's KSK as its trust anchor, Extended DNS
 *     Errors on (RFC 8914), so a validation failure says why;
 *   - one more Unbound inside each perspective's network namespace, reaching Knot over its own veth link only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ownedDir, ownedFile, run } from './host';
import { bogusZone, OPERATOR, stackPorts, stackZone, type StackLayout, type StackPerspective } from './layout';
import type { Service, Supervisor } from './supervisor';

const KNOT_USER = 'knot';
const UNBOUND_USER = 'unbound';
export const TSIG_KEY_NAME = 'stack-update';

/** The TSIG key as knsupdate/kdig read it (`-k file`: `algorithm:name:secret`), root-only. */
export async function ensureTsigKey(layout: StackLayout): Promise<{ file: string; secret: string }> {
  const file = path.join(await ownedDir(layout.secretsOf(OPERATOR), 'root', 0o700), 'tsig-key');
  if (!existsSync(file)) await ownedFile(file, `hmac-sha256:${TSIG_KEY_NAME}:${randomBytes(32).toString('base64')}\n`, 'root', 0o400);
  return { file, secret: readFileSync(file, 'utf8').trim().split(':')[2]! };
}

/** The child zone with bad signatures, re-signed at every start (fresh validity) with keys made once. */
async function writeBogusZone(layout: StackLayout, knotDir: string): Promise<string> {
  const keyDir = await ownedDir(path.join(layout.secretsOf(OPERATOR), 'bogus-zone-keys'), 'root', 0o700);
  const keys = () => readdirSync(keyDir).filter((f) => f.endsWith('.private')).map((f) => path.join(keyDir, f.replace(/\.private$/, '')));
  if (keys().length < 2) {
    await run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', bogusZone], { cwd: keyDir });
    await run('ldns-keygen', ['-a', 'ECDSAP256SHA256', bogusZone], { cwd: keyDir });
  }
  const unsigned = path.join(keyDir, `${bogusZone}.zone`);
  await ownedFile(
    unsigned,
    [
      `$ORIGIN ${bogusZone}.`,
      '$TTL 60',
      `@ SOA ns.${stackZone}. hostmaster.${stackZone}. 1 60 60 600 1`,
      `@ NS ns.${stackZone}.`,
      'www A 127.0.0.1',
      'www CAA 0 issue "jprs.jp"',
      '_acme-challenge.www TXT "bogus"',
      '',
    ].join('\n'),
    'root',
  );
  await run('ldns-signzone', ['-o', bogusZone, '-f', `${unsigned}.signed`, unsigned, ...keys()]);
  // Keep the DNSKEY set's signature (so the chain from the DS to the keys holds) and break every other one: the data
  // and the denial of existence no longer verify, which is exactly "bad signatures".
  const signed = readFileSync(`${unsigned}.signed`, 'utf8')
    .split('\n')
    .map((line) => {
      const f = line.split(/\s+/);
      if (f[3] !== 'RRSIG' || f[4] === 'DNSKEY') return line;
      const sig = f[f.length - 1]!;
      const at = Math.floor(sig.length / 2);
      f[f.length - 1] = `${sig.slice(0, at)}${sig[at] === 'A' ? 'B' : 'A'}${sig.slice(at + 1)}`;
      return f.join('\t');
    })
    .join('\n');
  await ownedFile(path.join(knotDir, `${bogusZone}.signed`), signed, KNOT_USER, 0o600);
  const ksk = keys().find((k) => existsSync(`${k}.ds`));
  if (!ksk) throw new Error(`no KSK DS file in ${keyDir}`);
  return readFileSync(`${ksk}.ds`, 'utf8').trim().replace(/\sIN\s/, ' ');
}

export interface StackDns {
  readonly knot: Service;
  readonly resolver: Service;
  readonly perspectiveResolvers: readonly Service[];
  /** The dev zone's trust anchor (its KSK), PEM-less text: what every Unbound is configured with. */
  readonly trustAnchorFile: string;
  readonly tsigKeyFile: string;
}

function unboundConfig(opts: { dir: string; listen: string; port: number; knot: string; anchor: string }): string {
  return [
    'server:',
    `  interface: ${opts.listen}@${opts.port}`,
    `  port: ${opts.port}`,
    '  do-daemonize: no',
    `  username: "${UNBOUND_USER}"`,
    '  chroot: ""',
    `  directory: "${opts.dir}"`,
    `  pidfile: "${path.join(opts.dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  val-log-level: 2',
    // RFC 8914: a SERVFAIL carries why (EDE 6 "DNSSEC Bogus" with Unbound's reason); the DNS client reports it.
    '  ede: yes',
    '  do-not-query-localhost: no',
    '  module-config: "validator iterator"',
    `  trust-anchor-file: "${opts.anchor}"`,
    // RFC 6761 makes `test.` a local zone by default; the dev zone under it is delegated to Knot below.
    '  local-zone: "test." nodefault',
    '  cache-max-ttl: 60',
    '  cache-max-negative-ttl: 5',
    '  access-control: 127.0.0.0/8 allow',
    'stub-zone:',
    `  name: "${stackZone}"`,
    `  stub-addr: ${opts.knot}`,
    'remote-control:',
    '  control-enable: no',
    '',
  ].join('\n');
}

async function waitForDns(server: string, port: number, name: string, what: Service, netns?: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const cmd = [...(netns ? ['ip', 'netns', 'exec', netns] : []), 'kdig', `@${server}`, '-p', String(port), '+timeout=1', '+retry=0', name, 'SOA'];
  for (;;) {
    const out = await run(cmd[0]!, cmd.slice(1)).catch(() => '');
    if (/status: NOERROR/.test(out)) return;
    if (Date.now() > deadline) throw new Error(`${what.name} did not answer for ${name} at ${server}:${port}:\n${what.tail()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function startStackDns(opts: { layout: StackLayout; perspectives: readonly StackPerspective[]; supervisor: Supervisor; log: (line: string) => void }): Promise<StackDns> {
  const { layout, supervisor, log } = opts;
  const tsig = await ensureTsigKey(layout);
  const knotDir = await ownedDir(path.join(layout.dns, 'knot'), KNOT_USER, 0o700);
  await ownedDir(path.join(knotDir, 'db'), KNOT_USER, 0o700);
  const bogusDs = await writeBogusZone(layout, knotDir);
  await ownedFile(
    path.join(knotDir, `${stackZone}.zone`),
    [
      `$ORIGIN ${stackZone}.`,
      '$TTL 60',
      // SOA minimum 1: a negative answer is cached for a second, so a record published for DCV is seen at once.
      `@ SOA ns.${stackZone}. hostmaster.${stackZone}. 1 60 60 600 1`,
      `@ NS ns.${stackZone}.`,
      'ns A 127.0.0.1',
      `bogus NS ns.${stackZone}.`,
      bogusDs,
      '',
    ].join('\n'),
    KNOT_USER,
  );
  const knotConf = path.join(knotDir, 'knot.conf');
  await ownedFile(
    knotConf,
    [
      'server:',
      // Every address: loopback for the primary resolver, each perspective link's host address for its resolver.
      `  listen: 0.0.0.0@${stackPorts.knot}`,
      `  rundir: ${knotDir}`,
      `  user: ${KNOT_USER}:${KNOT_USER}`,
      'log:',
      '  - target: stderr',
      '    any: notice',
      'database:',
      `  storage: ${path.join(knotDir, 'db')}`,
      'key:',
      `  - id: ${TSIG_KEY_NAME}`,
      '    algorithm: hmac-sha256',
      `    secret: ${tsig.secret}`,
      'acl:',
      '  - id: stack-update',
      `    key: ${TSIG_KEY_NAME}`,
      '    action: [update, transfer]',
      'policy:',
      '  - id: stack',
      '    algorithm: ecdsap256sha256',
      '    ksk-lifetime: 0',
      '    zsk-lifetime: 0',
      '    nsec3: off',
      '    dnskey-ttl: 60',
      '    zone-max-ttl: 60',
      '    propagation-delay: 0',
      'template:',
      '  - id: default',
      `    storage: ${knotDir}`,
      // The zone file is only the seed; dynamic updates live in the journal (kept across restarts).
      '    zonefile-sync: -1',
      '    zonefile-load: difference-no-serial',
      '    journal-content: all',
      'zone:',
      `  - domain: ${stackZone}`,
      `    file: ${stackZone}.zone`,
      '    dnssec-signing: on',
      '    dnssec-policy: stack',
      '    acl: stack-update',
      `  - domain: ${bogusZone}`,
      `    file: ${bogusZone}.signed`,
      '',
    ].join('\n'),
    KNOT_USER,
  );
  await run('knotc', ['-c', knotConf, 'conf-check']);
  const knot = supervisor.start({ name: 'knot', command: ['knotd', '-c', knotConf], env: { PATH: '/usr/sbin:/usr/bin:/bin' } });
  await waitForDns('127.0.0.1', stackPorts.knot, stackZone, knot);

  // The trust anchor: the zone's KSK as Knot publishes it (made on the first start, kept in Knot's KASP database).
  let ksk = '';
  for (let i = 0; i < 50 && !ksk; i++) {
    const out = await run('kdig', ['@127.0.0.1', '-p', String(stackPorts.knot), '+noall', '+answer', stackZone, 'DNSKEY']);
    ksk = out.split('\n').filter((l) => /\sDNSKEY\s+257\s/.test(l)).join('\n');
    if (!ksk) await new Promise((r) => setTimeout(r, 200));
  }
  if (!ksk) throw new Error(`Knot publishes no KSK for ${stackZone}:\n${knot.tail()}`);
  await ownedDir(layout.pki, 'root', 0o755);
  const trustAnchorFile = await ownedFile(path.join(layout.pki, `${stackZone}.anchor`), `${ksk}\n`, 'root', 0o644);

  const startUnbound = async (name: string, listen: string, port: number, knotAddress: string, netns?: string): Promise<Service> => {
    const dir = await ownedDir(path.join(layout.dns, name), UNBOUND_USER, 0o750);
    const conf = await ownedFile(path.join(dir, 'unbound.conf'), unboundConfig({ dir, listen, port, knot: `${knotAddress}@${stackPorts.knot}`, anchor: trustAnchorFile }), UNBOUND_USER, 0o640);
    await run('unbound-checkconf', [conf]);
    // Unbound starts as root in its namespace and drops to the unbound user itself.
    const service = supervisor.start({ name, command: [...(netns ? ['ip', 'netns', 'exec', netns] : []), 'unbound', '-d', '-c', conf], env: { PATH: '/usr/sbin:/usr/bin:/bin' } });
    await waitForDns(listen, port, stackZone, service, netns);
    return service;
  };
  const resolver = await startUnbound('unbound-primary', '127.0.0.1', stackPorts.resolver, '127.0.0.1');
  const perspectiveResolvers: Service[] = [];
  for (const p of opts.perspectives) perspectiveResolvers.push(await startUnbound(`unbound-${p.id}`, '127.0.0.1', 53, p.hostAddress, p.netns));
  log(`dns: Knot signs ${stackZone} (and serves ${bogusZone} with bad signatures) on :${stackPorts.knot}; validating Unbound on 127.0.0.1:${stackPorts.resolver} and in each perspective namespace`);
  return { knot, resolver, perspectiveResolvers, trustAnchorFile, tsigKeyFile: tsig.file };
}
