/**
 * The development authoritative DNS server, checked with independent DNS implementations: `dig` (BIND's parser,
 * when dnsutils is installed) and node:dns (c-ares). Each case names the DNS rule it pins. The server under test is
 * our own instance on free ports, so the shared dev server of the global setup is not disturbed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';

const execFileAsync = promisify(execFile);
const zone = 'dev.test';

const hasDig = (() => {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let server: DevDns;
let resolver: Resolver;

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(server.port), '+norec', '+time=2', '+tries=1', ...args]);
  return stdout;
}

function header(out: string): { status: string; flags: string[] } {
  const status = /status: (\w+)/.exec(out)?.[1] ?? '';
  const flags = (/flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
  return { status, flags };
}

/** The records of one section of dig's output, as [name, ttl, class, type, rdata]. */
function section(out: string, name: 'ANSWER' | 'AUTHORITY'): string[][] {
  const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(out);
  if (!m) return [];
  return m[1]!.split('\n').filter(Boolean).map((l) => {
    const parts = l.split(/\s+/);
    return [...parts.slice(0, 4), parts.slice(4).join(' ')];
  });
}

beforeAll(async () => {
  server = await startDevDnsServer({ port: 0, adminPort: 0, zone });
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => server.clear());

describe('dev DNS server answers as an authority (node:dns / c-ares)', () => {
  it('serves several TXT values at one name (one RRset, RFC 2181 §5)', async () => {
    server.add({ name: '_acme-challenge.www.dev.test', type: 'TXT', value: 'first' });
    server.add({ name: '_acme-challenge.www.dev.test.', type: 'TXT', value: 'second' });
    const txt = await resolver.resolveTxt('_acme-challenge.www.dev.test');
    expect(txt.map((t) => t.join('')).sort()).toEqual(['first', 'second']);
  });

  it('splits a TXT value longer than 255 octets into character-strings (RFC 1035 §3.3.14)', async () => {
    const long = 'x'.repeat(300);
    server.add({ name: 'long.dev.test', type: 'TXT', value: long });
    const txt = await resolver.resolveTxt('long.dev.test');
    expect(txt).toHaveLength(1);
    expect(txt[0]!.map((s) => s.length)).toEqual([255, 45]);
    expect(txt[0]!.join('')).toBe(long);
  });

  it('answers NXDOMAIN for an unknown name and NODATA for a name with other types (RFC 2308)', async () => {
    server.add({ name: 'www.dev.test', type: 'A', value: '127.0.0.1' });
    await expect(resolver.resolveTxt('nothing.dev.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolveTxt('www.dev.test')).rejects.toMatchObject({ code: 'ENODATA' });
    expect(await resolver.resolve4('www.dev.test')).toEqual(['127.0.0.1']);
  });

  it('serves CAA records with flags, tag and value (RFC 8659 §4.1)', async () => {
    server.add({ name: 'www.dev.test', type: 'CAA', value: { flags: 0, tag: 'issue', value: 'jprs.jp' } });
    server.add({ name: 'www.dev.test', type: 'CAA', value: { flags: 128, tag: 'tbs', value: 'unknown' } });
    const caa = await resolver.resolveCaa('www.dev.test');
    expect(caa).toContainEqual({ critical: 0, issue: 'jprs.jp' });
    expect(caa).toContainEqual({ critical: 128, tbs: 'unknown' });
  });

  it('answers with the CNAME and the in-zone target records (RFC 1034 §4.3.2)', async () => {
    server.add({ name: '_acme-challenge.alias.dev.test', type: 'CNAME', value: 'dcv.target.dev.test' });
    server.add({ name: 'dcv.target.dev.test', type: 'TXT', value: 'delegated' });
    expect(await resolver.resolveTxt('_acme-challenge.alias.dev.test')).toEqual([['delegated']]);
    expect(await resolver.resolveCname('_acme-challenge.alias.dev.test')).toEqual(['dcv.target.dev.test']);
  });

  it('sets TC over UDP for a large RRset and answers completely over TCP (RFC 7766)', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}-${'v'.repeat(60)}`);
    for (const value of values) server.add({ name: 'big.dev.test', type: 'TXT', value });
    // c-ares retries over TCP by itself on TC: all 40 values arrive.
    const txt = await resolver.resolveTxt('big.dev.test');
    expect(txt.map((t) => t.join('')).sort()).toEqual(values);
  });

  it('answers SERVFAIL for a name switched to failure, and recovers when switched back', async () => {
    server.add({ name: 'broken.dev.test', type: 'TXT', value: 'v' });
    server.setServfail('broken.dev.test', true);
    await expect(resolver.resolveTxt('broken.dev.test')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    server.setServfail('broken.dev.test', false);
    expect(await resolver.resolveTxt('broken.dev.test')).toEqual([['v']]);
  });

  it('removes by name, by type, and by value', async () => {
    server.add({ name: 'r.dev.test', type: 'TXT', value: 'a' });
    server.add({ name: 'r.dev.test', type: 'TXT', value: 'b' });
    server.add({ name: 'r.dev.test', type: 'A', value: '127.0.0.2' });
    expect(server.remove('r.dev.test', 'TXT', 'a')).toBe(1);
    expect(await resolver.resolveTxt('r.dev.test')).toEqual([['b']]);
    expect(server.remove('r.dev.test', 'TXT')).toBe(1);
    await expect(resolver.resolveTxt('r.dev.test')).rejects.toMatchObject({ code: 'ENODATA' });
    expect(server.remove('r.dev.test')).toBe(1);
    await expect(resolver.resolve4('r.dev.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses to store CNAME and other data at one name (RFC 1034 §3.6.2) and names outside the zone', () => {
    server.add({ name: 'c.dev.test', type: 'CNAME', value: 'x.dev.test' });
    expect(() => server.add({ name: 'c.dev.test', type: 'TXT', value: 'v' })).toThrow(/CNAME/);
    expect(() => server.add({ name: 'www.example.com', type: 'TXT', value: 'v' })).toThrow(/outside the zone/);
    expect(() => server.add({ name: 'a.dev.test', type: 'A', value: 'not-an-ip' })).toThrow(/IPv4/);
  });
});

describe.skipIf(!hasDig)('dev DNS server header bits and sections (dig)', () => {
  it('sets AA on an in-zone answer', async () => {
    server.add({ name: 'www.dev.test', type: 'TXT', value: 'hello world' });
    const out = await dig('www.dev.test', 'TXT');
    expect(header(out)).toMatchObject({ status: 'NOERROR' });
    expect(header(out).flags).toContain('aa');
    expect(section(out, 'ANSWER')).toEqual([['www.dev.test.', '60', 'IN', 'TXT', '"hello world"']]);
  });

  it('puts the zone SOA, with the negative-cache TTL, in the authority section of NXDOMAIN and NODATA (RFC 2308 §2, §5)', async () => {
    server.add({ name: 'www.dev.test', type: 'A', value: '127.0.0.1' });
    const nx = await dig('missing.dev.test', 'TXT');
    expect(header(nx).status).toBe('NXDOMAIN');
    expect(header(nx).flags).toContain('aa');
    expect(section(nx, 'AUTHORITY').map((r) => r.slice(0, 4))).toEqual([['dev.test.', '5', 'IN', 'SOA']]);
    const nodata = await dig('www.dev.test', 'TXT');
    expect(header(nodata).status).toBe('NOERROR');
    expect(section(nodata, 'ANSWER')).toEqual([]);
    expect(section(nodata, 'AUTHORITY').map((r) => r[3])).toEqual(['SOA']);
  });

  it('answers NOERROR (not NXDOMAIN) for an empty non-terminal', async () => {
    server.add({ name: '_acme-challenge.a.b.dev.test', type: 'TXT', value: 'v' });
    expect(header(await dig('b.dev.test', 'TXT')).status).toBe('NOERROR');
  });

  it('refuses names outside its zone, without AA', async () => {
    const out = await dig('www.example.com', 'TXT');
    expect(header(out).status).toBe('REFUSED');
    expect(header(out).flags).not.toContain('aa');
  });

  it('sets TC over UDP without EDNS (512 octets, RFC 1035 §4.2.1) and answers fully over TCP', async () => {
    for (let i = 0; i < 12; i++) server.add({ name: 'big.dev.test', type: 'TXT', value: `${i}-${'t'.repeat(60)}` });
    const udp = await dig('+noedns', '+ignore', 'big.dev.test', 'TXT');
    expect(header(udp).flags).toContain('tc');
    expect(section(udp, 'ANSWER')).toEqual([]);
    const tcp = await dig('+tcp', 'big.dev.test', 'TXT');
    expect(header(tcp).flags).not.toContain('tc');
    expect(section(tcp, 'ANSWER')).toHaveLength(12);
  });

  it('encodes CAA flags, tag and value as dig reads them', async () => {
    server.add({ name: 'www.dev.test', type: 'CAA', value: { flags: 128, tag: 'issue', value: 'jprs.jp; account=1' } });
    const out = await dig('www.dev.test', 'CAA');
    expect(section(out, 'ANSWER')).toEqual([['www.dev.test.', '60', 'IN', 'CAA', '128 issue "jprs.jp; account=1"']]);
  });

  it('answers CNAME then the in-zone target, and only the CNAME for an out-of-zone target', async () => {
    server.add({ name: 'in.dev.test', type: 'CNAME', value: 'target.dev.test' });
    server.add({ name: 'target.dev.test', type: 'TXT', value: 't' });
    server.add({ name: 'out.dev.test', type: 'CNAME', value: 'dcv.example.net' });
    expect(section(await dig('in.dev.test', 'TXT'), 'ANSWER').map((r) => [r[0], r[3], r[4]])).toEqual([
      ['in.dev.test.', 'CNAME', 'target.dev.test.'],
      ['target.dev.test.', 'TXT', '"t"'],
    ]);
    const out = await dig('out.dev.test', 'TXT');
    expect(header(out).status).toBe('NOERROR');
    expect(section(out, 'ANSWER').map((r) => [r[0], r[3], r[4]])).toEqual([['out.dev.test.', 'CNAME', 'dcv.example.net.']]);
  });
});

describe('dev DNS admin API and persistence', () => {
  it('adds, lists and deletes records over HTTP, and rejects bad records with 400', async () => {
    const base = `http://127.0.0.1:${server.adminPort}`;
    const post = await fetch(`${base}/records`, {
      method: 'POST',
      body: JSON.stringify({ name: '_acme-challenge.api.dev.test', type: 'TXT', value: 'via-api', ttl: 30 }),
    });
    expect(post.status).toBe(201);
    expect(await resolver.resolveTxt('_acme-challenge.api.dev.test')).toEqual([['via-api']]);
    const list = (await (await fetch(`${base}/records`)).json()) as { records: unknown[] };
    expect(list.records).toEqual([{ name: '_acme-challenge.api.dev.test', type: 'TXT', value: 'via-api', ttl: 30 }]);
    const bad = await fetch(`${base}/records`, { method: 'POST', body: JSON.stringify({ name: 'x.example.com', type: 'TXT', value: 'v' }) });
    expect(bad.status).toBe(400);
    const del = await fetch(`${base}/records`, { method: 'DELETE', body: JSON.stringify({ name: '_acme-challenge.api.dev.test', type: 'TXT' }) });
    expect(await del.json()).toEqual({ removed: 1 });
    await expect(resolver.resolveTxt('_acme-challenge.api.dev.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('keeps records across a restart when a records file is given', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-dns-'));
    try {
      const recordsFile = path.join(dir, 'dns', 'records.json');
      const first = await startDevDnsServer({ port: 0, zone, recordsFile });
      first.add({ name: 'kept.dev.test', type: 'TXT', value: 'persisted' });
      first.add({ name: 'kept.dev.test', type: 'CAA', value: { flags: 0, tag: 'issue', value: 'jprs.jp' } });
      await first.stop();
      expect(JSON.parse(readFileSync(recordsFile, 'utf8')).records).toHaveLength(2);
      const second = await startDevDnsServer({ port: 0, zone, recordsFile });
      try {
        const r = new Resolver({ timeout: 2000, tries: 1 });
        r.setServers([`127.0.0.1:${second.port}`]);
        expect(await r.resolveTxt('kept.dev.test')).toEqual([['persisted']]);
        expect(await r.resolveCaa('kept.dev.test')).toEqual([{ critical: 0, issue: 'jprs.jp' }]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
