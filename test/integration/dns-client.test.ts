/**
 * The DNS client of the validation activities against the development authoritative server (our own instance on free
 * ports) and against hostile/silent UDP peers: answers, negative answers and failures must stay distinguishable
 * (BR 3.2.2.8: a lookup failure is not an empty CAA RRset), and spoofed responses must be ignored (RFC 5452).
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DnsTransportError, isDnsTransportError, lookupTxt, queryDns } from '../../activities/validation/dns-client';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';

let server: DevDns;
let resolver: { host: string; port: number };

beforeAll(async () => {
  server = await startDevDnsServer({ port: 0, zone: 'dev.test' });
  resolver = { host: '127.0.0.1', port: server.port };
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => server.clear());

/** A UDP socket that runs `reply` for each query it receives (undefined → stays silent). */
async function fakeServer(reply: (query: dnsPacket.DecodedPacket) => Buffer[] | undefined): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    for (const out of reply(dnsPacket.decode(msg)) ?? []) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

describe('queryDns', () => {
  it('returns every TXT record of an RRset, each record one string', async () => {
    server.add({ name: '_acme-challenge.www.dev.test', type: 'TXT', value: 'token-a' });
    server.add({ name: '_acme-challenge.www.dev.test', type: 'TXT', value: 'token-b' });
    const a = await queryDns(resolver, '_acme-challenge.WWW.dev.test.', 'TXT');
    expect(a.rcode).toBe('NOERROR');
    expect(a.authenticatedData).toBe(false);
    expect(a.answers.map((r) => r.data).sort()).toEqual(['token-a', 'token-b']);
    expect(a.answers.every((r) => r.name === '_acme-challenge.www.dev.test' && r.type === 'TXT' && r.ttl === 60)).toBe(true);
    expect(a.raw).toMatchObject({ transport: 'udp', truncatedOverUdp: false, rcode: 'NOERROR', flags: { aa: true, rd: true } });
    // The evidence must survive a JSON round trip unchanged (it is stored in PostgreSQL jsonb).
    expect(JSON.parse(JSON.stringify(a.raw))).toEqual(a.raw);
    expect(Buffer.from(a.raw.wireBase64, 'base64').readUInt16BE(0)).toBe(a.raw.id);
  });

  it('concatenates the character-strings of one TXT record (RFC 7208 §3.3 style)', async () => {
    const long = `${'a'.repeat(255)}${'b'.repeat(100)}`;
    server.add({ name: 'long.dev.test', type: 'TXT', value: long });
    const a = await queryDns(resolver, 'long.dev.test', 'TXT');
    expect(a.answers.map((r) => r.data)).toEqual([long]);
  });

  it('returns CAA records as { flags, tag, value }', async () => {
    server.add({ name: 'www.dev.test', type: 'CAA', value: { flags: 128, tag: 'issue', value: 'jprs.jp' } });
    const a = await queryDns(resolver, 'www.dev.test', 'CAA');
    expect(a.answers).toEqual([{ name: 'www.dev.test', type: 'CAA', ttl: 60, data: { flags: 128, tag: 'issue', value: 'jprs.jp' } }]);
  });

  it('reports NXDOMAIN as an answer (with the SOA as evidence), not as an error', async () => {
    const a = await queryDns(resolver, 'missing.dev.test', 'TXT');
    expect(a.rcode).toBe('NXDOMAIN');
    expect(a.answers).toEqual([]);
    expect(a.raw.authorities.map((r) => r.type)).toEqual(['SOA']);
  });

  it('reports SERVFAIL as an answer rcode', async () => {
    server.add({ name: 'broken.dev.test', type: 'CAA', value: { flags: 0, tag: 'issue', value: 'jprs.jp' } });
    server.setServfail('broken.dev.test', true);
    expect((await queryDns(resolver, 'broken.dev.test', 'CAA')).rcode).toBe('SERVFAIL');
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}-${'z'.repeat(60)}`);
    for (const value of values) server.add({ name: 'big.dev.test', type: 'TXT', value });
    const a = await queryDns(resolver, 'big.dev.test', 'TXT');
    expect(a.raw).toMatchObject({ transport: 'tcp', truncatedOverUdp: true });
    expect(a.answers.map((r) => r.data).sort()).toEqual(values);
  });

  it('throws a DnsTransportError of kind timeout when the resolver is silent', async () => {
    const silent = await fakeServer(() => undefined);
    try {
      const started = Date.now();
      const err = await queryDns({ host: '127.0.0.1', port: silent.port }, 'www.dev.test', 'TXT', { timeoutMs: 600 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DnsTransportError);
      expect(isDnsTransportError(err)).toBe(true);
      expect((err as DnsTransportError).kind).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });

  it('ignores responses whose id or question does not match the query (RFC 5452 §9.1)', async () => {
    // The fake answers first with a wrong id, then with the right id but another name, then correctly.
    const fake = await fakeServer((q) => {
      const answer = (id: number, name: string, value: string): Buffer =>
        dnsPacket.encode({
          type: 'response',
          id,
          flags: dnsPacket.AUTHORITATIVE_ANSWER,
          questions: [{ type: 'TXT', name, class: 'IN' }],
          answers: [{ type: 'TXT', name, ttl: 1, data: value }],
        });
      const id = q.id ?? 0;
      return [answer((id + 1) & 0xffff, 'www.dev.test', 'spoofed-id'), answer(id, 'evil.dev.test', 'spoofed-question'), answer(id, 'www.dev.test', 'genuine')];
    });
    try {
      const a = await queryDns({ host: '127.0.0.1', port: fake.port }, 'www.dev.test', 'TXT', { timeoutMs: 2000 });
      expect(a.answers.map((r) => r.data)).toEqual(['genuine']);
    } finally {
      await fake.close();
    }
  });

  it('sets RD, uses a random id, and sends EDNS0 with DO only when dnssecOk (RFC 3225)', async () => {
    const seen: dnsPacket.DecodedPacket[] = [];
    const fake = await fakeServer((q) => {
      seen.push(q);
      return [
        dnsPacket.encode({
          type: 'response',
          id: q.id,
          flags: dnsPacket.AUTHENTIC_DATA | dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED,
          questions: q.questions,
          answers: [],
        }),
      ];
    });
    try {
      const r = { host: '127.0.0.1', port: fake.port };
      const signed = await queryDns(r, 'www.dev.test', 'CAA', { dnssecOk: true });
      await queryDns(r, 'www.dev.test', 'CAA');
      expect(signed.authenticatedData).toBe(true);
      expect(seen).toHaveLength(2);
      const opts = seen.map((q) => q.additionals?.find((a) => a.type === 'OPT') as { flag_do?: boolean } | undefined);
      expect(opts.map((o) => o?.flag_do)).toEqual([true, false]);
      expect(seen.every((q) => q.flag_rd)).toBe(true);
      expect(seen[0]!.id).not.toBe(seen[1]!.id);
    } finally {
      await fake.close();
    }
  });
});

describe('lookupTxt', () => {
  it('follows an in-zone CNAME chain and returns the target values with the chain', async () => {
    server.add({ name: '_acme-challenge.www.dev.test', type: 'CNAME', value: 'hop1.dev.test' });
    server.add({ name: 'hop1.dev.test', type: 'CNAME', value: 'hop2.dev.test' });
    server.add({ name: 'hop2.dev.test', type: 'TXT', value: 'delegated-a' });
    server.add({ name: 'hop2.dev.test', type: 'TXT', value: 'delegated-b' });
    const r = await lookupTxt(resolver, '_acme-challenge.www.dev.test');
    expect(r).toMatchObject({ rcode: 'NOERROR', ad: false, chain: ['_acme-challenge.www.dev.test', 'hop1.dev.test', 'hop2.dev.test'] });
    expect(r.values.sort()).toEqual(['delegated-a', 'delegated-b']);
    expect(r.responses).toHaveLength(1);
  });

  it('asks again for a CNAME target the first answer did not cover', async () => {
    // A server that answers only the CNAME for the alias (as an authority whose target is in another zone) and the
    // TXT when asked for the target itself.
    const fake = await fakeServer((q) => {
      const name = q.questions![0]!.name;
      const answers: dnsPacket.Answer[] =
        name === 'alias.dev.test'
          ? [{ type: 'CNAME', name, ttl: 1, data: 'elsewhere.example.net' }]
          : [{ type: 'TXT', name, ttl: 1, data: 'found-elsewhere' }];
      return [dnsPacket.encode({ type: 'response', id: q.id, flags: 0, questions: q.questions, answers })];
    });
    try {
      const r = await lookupTxt({ host: '127.0.0.1', port: fake.port }, 'alias.dev.test');
      expect(r.values).toEqual(['found-elsewhere']);
      expect(r.chain).toEqual(['alias.dev.test', 'elsewhere.example.net']);
      expect(r.responses).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('returns NXDOMAIN with no values for a missing name, and NOERROR/no values for NODATA at the chain end', async () => {
    expect(await lookupTxt(resolver, 'missing.dev.test')).toMatchObject({ rcode: 'NXDOMAIN', values: [] });
    server.add({ name: 'alias.dev.test', type: 'CNAME', value: 'target.dev.test' });
    server.add({ name: 'target.dev.test', type: 'A', value: '127.0.0.1' });
    const r = await lookupTxt(resolver, 'alias.dev.test');
    expect(r).toMatchObject({ rcode: 'NOERROR', values: [], chain: ['alias.dev.test', 'target.dev.test'] });
    expect(r.responses).toHaveLength(1);
  });

  it('refuses a CNAME chain longer than 8 hops with a cnameChain error', async () => {
    for (let i = 0; i < 9; i++) server.add({ name: `c${i}.dev.test`, type: 'CNAME', value: `c${i + 1}.dev.test` });
    server.add({ name: 'c9.dev.test', type: 'TXT', value: 'too-far' });
    const err = await lookupTxt(resolver, 'c0.dev.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsTransportError);
    expect((err as DnsTransportError).kind).toBe('cnameChain');
    // Exactly 8 hops is still followed.
    expect((await lookupTxt(resolver, 'c1.dev.test')).values).toEqual(['too-far']);
  });

  it('throws (not NXDOMAIN) on timeout', async () => {
    const silent = await fakeServer(() => undefined);
    try {
      await expect(lookupTxt({ host: '127.0.0.1', port: silent.port }, 'x.dev.test', { timeoutMs: 300 })).rejects.toMatchObject({
        name: 'DnsTransportError',
        kind: 'timeout',
      });
    } finally {
      await silent.close();
    }
  });
});
