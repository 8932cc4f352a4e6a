/**
 * The careful HTTP fetcher of BR 3.2.2.4.18/.19 against real web servers on 127.0.0.1:80/443 (and :8080), names
 * resolved through a DNS server the test controls. Every rule of the fetcher is one case, named after the rule.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addressAllowed, fetchValidationResource, MAX_REDIRECTS } from '../../activities/validation/http-fetch';
import { webContentMatches } from '../../domain/dcv';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';
import { redirect, serve, startWebServers, type WebServers } from '../support/web-server';

const zone = 'dev.test';
let dns: DevDns;
let web: WebServers;
let policy: Parameters<typeof fetchValidationResource>[1];

beforeAll(async () => {
  dns = await startDevDnsServer({ port: 0, zone });
  web = await startWebServers({ extraPorts: [8080] });
  policy = { allowLoopback: true, resolver: { host: '127.0.0.1', port: dns.port }, readTimeoutMs: 1500, connectTimeoutMs: 1000, maxBytes: 1024 };
});
afterAll(async () => {
  await web?.stop();
  await dns?.stop();
});
beforeEach(() => {
  dns.clear();
  web.clear();
  for (const n of ['a', 'b', 'c']) dns.add({ name: `${n}.${zone}`, type: 'A', value: '127.0.0.1' });
});

const path = '/.well-known/pki-validation/f.txt';

describe('BR 3.2.2.4.18/.19 HTTP fetch rules', () => {
  it('http on port 80, 2xx: the body is returned with per-hop evidence', async () => {
    web.route(`a.${zone}`, path, serve('value\n'));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(r).toMatchObject({ ok: true, body: 'value\n', finalUrl: `http://a.${zone}${path}` });
    expect(r.evidence[0]).toMatchObject({ address: '127.0.0.1', status: 200 });
  });

  it.each([301, 302, 307, 308])('a %i redirect to https on port 443 is followed (self-signed certificate accepted)', async (status) => {
    web.route(`a.${zone}`, path, redirect(status, `https://b.${zone}${path}`));
    web.route(`b.${zone}`, path, serve('value'));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(r).toMatchObject({ ok: true, body: 'value', finalUrl: `https://b.${zone}${path}` });
    expect(web.requests.map((q) => `${q.scheme}:${q.port}`)).toEqual(['http:80', 'https:443']);
  });

  it.each([
    ['303 is not an allowed redirect status', 303, `http://b.${zone}${path}`, /redirect status 303/],
    ['300 is not an allowed redirect status', 300, `http://b.${zone}${path}`, /redirect status 300/],
    ['a redirect to port 8080 fails (authorized ports: 80, 443)', 302, `http://b.${zone}:8080${path}`, /port 8080/],
    ['a redirect to ftp fails (http/https only)', 302, `ftp://b.${zone}${path}`, /scheme ftp/],
    ['a redirect to a private address fails', 302, `http://10.1.2.3${path}`, /not a public unicast/],
    ['a redirect to a Location that is not a URL fails (a bad host)', 302, 'http://exa mple.jp/x', /not a URL/],
    ['a redirect to a Location that is not a URL fails (an unclosed IPv6 literal)', 301, 'https://[::1/x', /not a URL/],
    ['a redirect to a NAT64 address of a private IPv4 address fails', 302, `http://[64:ff9b::a01:203]${path}`, /not a public unicast/],
  ])('%s', async (_rule, status, location, error) => {
    web.route(`a.${zone}`, path, redirect(status, location));
    web.route(`b.${zone}`, path, serve('value'));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(error);
    // A redirect the BR do not allow is a failure to reach the content, not wrong content.
    expect(!r.ok && r.kind).toBe('connectionFailed');
    expect(web.requests.filter((q) => q.port === 8080)).toHaveLength(0);
  });

  it(`at most ${MAX_REDIRECTS} redirects are followed`, async () => {
    for (let i = 0; i <= MAX_REDIRECTS + 1; i++) web.route(`a.${zone}`, `/r${i}`, redirect(302, `/r${i + 1}`));
    web.route(`a.${zone}`, `/r${MAX_REDIRECTS}`, serve('value'));
    expect((await fetchValidationResource(`http://a.${zone}/r0`, policy)).ok).toBe(true);
    web.clear();
    for (let i = 0; i <= MAX_REDIRECTS + 1; i++) web.route(`a.${zone}`, `/r${i}`, redirect(302, `/r${i + 1}`));
    web.route(`a.${zone}`, `/r${MAX_REDIRECTS + 1}`, serve('value'));
    const r = await fetchValidationResource(`http://a.${zone}/r0`, policy);
    expect(!r.ok && r.error).toMatch(/more than 5 redirects/);
    expect(!r.ok && r.kind).toBe('connectionFailed');
  });

  it.each([
    ['404 is not 2xx', 404],
    ['500 is not 2xx', 500],
  ])('%s', async (_rule, status) => {
    web.route(`a.${zone}`, path, serve('value', status));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(!r.ok && r.error).toMatch(new RegExp(`status ${status}`));
    // The server answered, without the content.
    expect(!r.ok && r.kind).toBe('dcvRecordNotFound');
  });

  it('the response size is capped', async () => {
    web.route(`a.${zone}`, path, serve('x'.repeat(5000)));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(!r.ok && r.error).toMatch(/exceeds 1024 bytes/);
    expect(!r.ok && r.kind).toBe('dcvRecordNotFound');
  });

  it('a server that never answers times out', async () => {
    web.route(`a.${zone}`, path, () => {});
    const t0 = Date.now();
    const r = await fetchValidationResource(`http://a.${zone}${path}`, policy);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.kind).toBe('connectionFailed');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('the random value must never appear in the request (BR 3.2.2.4.18)', async () => {
    const r = await fetchValidationResource(`http://a.${zone}/.well-known/pki-validation/SECRET`, { ...policy, mustNotContain: 'SECRET' });
    expect(!r.ok && r.error).toMatch(/random value/);
    expect(!r.ok && r.kind).toBe('connectionFailed');
    expect(web.requests).toHaveLength(0);
  });

  it('the first URL must be http(s) on 80/443 too', async () => {
    const r = await fetchValidationResource(`http://a.${zone}:8080${path}`, policy);
    expect(!r.ok && r.error).toMatch(/port 8080/);
  });

  it('loopback is refused unless the development configuration allows it', async () => {
    web.route(`a.${zone}`, path, serve('value'));
    const r = await fetchValidationResource(`http://a.${zone}${path}`, { ...policy, allowLoopback: false });
    expect(!r.ok && r.error).toMatch(/127\.0\.0\.1, which is not a public unicast address/);
    expect(!r.ok && r.kind).toBe('connectionFailed');
    expect(web.requests).toHaveLength(0);
  });

  it('a name with a private address besides a loopback one is refused', async () => {
    dns.add({ name: `c.${zone}`, type: 'A', value: '192.168.1.10' });
    const r = await fetchValidationResource(`http://c.${zone}${path}`, policy);
    expect(!r.ok && r.error).toMatch(/192\.168\.1\.10/);
  });

  it('a name without address records fails', async () => {
    const r = await fetchValidationResource(`http://nothing.${zone}${path}`, policy);
    expect(!r.ok && r.error).toMatch(/no address records/);
    expect(!r.ok && r.kind).toBe('dnsLookupFailed');
  });
});

describe('public unicast addresses only', () => {
  it.each([
    ['127.0.0.1', false], ['10.0.0.1', false], ['172.16.5.4', false], ['192.168.0.1', false], ['169.254.169.254', false],
    ['100.64.0.1', false], ['0.0.0.0', false], ['224.0.0.1', false], ['255.255.255.255', false], ['192.0.2.1', false],
    ['::1', false], ['fe80::1', false], ['fc00::1', false], ['::ffff:127.0.0.1', false], ['2001:db8::1', false],
    // RFC 6052 NAT64 well-known prefix (any embedded IPv4 address), RFC 4291 IPv4-compatible, RFC 3879 site-local.
    ['64:ff9b::7f00:1', false], ['64:ff9b::808:808', false], ['::7f00:1', false], ['::808:808', false], ['fec0::1', false], ['feff::1', false],
    ['8.8.8.8', true], ['203.119.1.1', true], ['2001:4860:4860::8888', true],
  ])('%s → %s', (address, ok) => {
    expect(addressAllowed(address, { allowLoopback: false })).toBe(ok);
  });
  it('the development allowance covers loopback only', () => {
    expect(addressAllowed('127.0.0.1', { allowLoopback: true })).toBe(true);
    expect(addressAllowed('::1', { allowLoopback: true })).toBe(true);
    expect(addressAllowed('10.0.0.1', { allowLoopback: true })).toBe(false);
  });
});

describe('content rules', () => {
  it.each([
    ['.18: the value on a line of its own', '3.2.2.4.18', 'x\nVALUE\n', true],
    ['.18: the value inside other text is not enough', '3.2.2.4.18', 'xVALUEx', false],
    ['.19: the key authorization exactly, trailing whitespace ignored', '3.2.2.4.19', 'VALUE\r\n', true],
    ['.19: leading text fails', '3.2.2.4.19', ' VALUE', false],
  ] as const)('%s', (_rule, method, body, ok) => {
    expect(webContentMatches(method, body, 'VALUE')).toBe(ok);
  });
});
