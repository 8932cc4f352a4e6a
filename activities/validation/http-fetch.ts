/**
 * The one careful HTTP fetcher of the web-based validation methods (BR 3.2.2.4.18 "Agreed-Upon Change to Website
 * v2" and 3.2.2.4.19 ACME http-01; CP 3.2.2.4.18/.19). Every rule the BR and the CP put on the request is enforced
 * here, once, for both methods and for every perspective:
 *
 *  - schemes http and https only, on the authorized ports 80 and 443 only (POLICY-2026.md: a redirect to :8080 fails);
 *  - the name is resolved with the perspective's own resolver (DNS client, evidence kept) and the connection goes to
 *    that very address (no second lookup a rebinding attacker could answer differently);
 *  - addresses that are not public unicast (loopback, private, link-local, CGNAT, multicast, documentation, ...) are
 *    refused, except loopback where the development configuration allows it explicitly;
 *  - a 2xx status is required; redirects only by 301/302/307/308, to http/https on an authorized port, at most
 *    MAX_REDIRECTS of them (BR 3.2.2.4.18: "followed ... to the final Location");
 *  - connect and read timeouts and a response-size cap;
 *  - the random value never appears in the request (the caller passes it as `mustNotContain`).
 * TLS certificates are not verified on https: the BR do not require a trusted certificate for these methods (the
 * content proves control), and Let's Encrypt's http-01 does the same; SNI carries the name.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { FailureKind } from '../../domain/errors';
import { isDnsTransportError, lookupFollowingCnames, type DnsResolverAddress } from './dns-client';

export const AUTHORIZED_PORTS: Readonly<Record<'http:' | 'https:', number>> = { 'http:': 80, 'https:': 443 };
export const ALLOWED_REDIRECT_STATUSES: readonly number[] = [301, 302, 307, 308];
export const MAX_REDIRECTS = 5;

export interface HttpFetchPolicy {
  /** Development only (config CA_ENV=development): loopback addresses may be fetched (local test servers). */
  readonly allowLoopback: boolean;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  /** Response bodies above this many bytes fail the check (the expected content is a few hundred bytes). */
  readonly maxBytes?: number;
}

export interface HttpHopEvidence {
  readonly url: string;
  readonly address: string | null;
  readonly status: number | null;
  readonly location?: string;
  readonly bytes?: number;
  readonly dns?: unknown;
  readonly error?: string;
}

/**
 * Why a fetch failed, classified where it is known: the server could not be reached or refused by the rules
 * (connection refused, timeout, TLS, a non-public address, a redirect the BR do not allow), its name did not resolve,
 * or it answered without the content (a non-2xx status, an oversized body). The web checks store it as the
 * challenge's failure kind.
 */
export type HttpFetchFailureKind = Extract<FailureKind, 'connectionFailed' | 'dnsLookupFailed' | 'dcvRecordNotFound'>;

export type HttpFetchResult =
  | { readonly ok: true; readonly body: string; readonly finalUrl: string; readonly evidence: readonly HttpHopEvidence[] }
  | {
      readonly ok: false;
      readonly kind: HttpFetchFailureKind;
      readonly error: string;
      readonly rule: string;
      readonly finalUrl: string;
      readonly evidence: readonly HttpHopEvidence[];
    };

// Special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890): never validation targets.
// Besides: ::/96 (IPv4-compatible, deprecated by RFC 4291 §2.5.5.1), 64:ff9b::/96 (the NAT64 well-known prefix,
// RFC 6052: it reaches whatever IPv4 address it embeds, private ones included, through the resolver's network) and
// fec0::/10 (site-local, deprecated by RFC 3879, still routed inside some networks).
const nonPublic = new net.BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) nonPublic.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  ['::', 96], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) nonPublic.addSubnet(net6, prefix, 'ipv6');
const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Is this address a public unicast address we may connect to for validation? */
export function addressAllowed(address: string, policy: Pick<HttpFetchPolicy, 'allowLoopback'>): boolean {
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries. (net.BlockList would also apply a
  // ::ffff:0:0/96 rule to every plain IPv4 address, so that range is handled here rather than in the list.)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return addressAllowed(mapped[1]!, policy);
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(address)) return false;
  const family = net.isIPv6(address) ? 'ipv6' : net.isIPv4(address) ? 'ipv4' : null;
  if (!family) return false;
  if (policy.allowLoopback && loopback.check(address, family)) return true;
  return !nonPublic.check(address, family);
}

/** The URL rules of BR 3.2.2.4.18/.19 for the first request and every redirect target. */
export function checkValidationUrl(raw: string): { ok: true; url: URL } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `not a URL: ${raw}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol} is not http or https` };
  const port = url.port === '' ? AUTHORIZED_PORTS[url.protocol] : Number(url.port);
  if (port !== 80 && port !== 443) return { ok: false, reason: `port ${port} is not an authorized port (80, 443)` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL' };
  return { ok: true, url };
}

async function resolveHost(host: string, resolver: DnsResolverAddress): Promise<{ addresses: string[]; dns: unknown }> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return { addresses: [bare], dns: { literal: bare } };
  const out: string[] = [];
  const raws: unknown[] = [];
  for (const type of ['A', 'AAAA'] as const) {
    const r = await lookupFollowingCnames(resolver, bare, type, { dnssecOk: true });
    raws.push(r.responses.map((x) => x.raw));
    out.push(...r.records.map((x) => String(x.data)));
  }
  return { addresses: out, dns: raws };
}

function requestOnce(
  url: URL,
  address: string,
  policy: HttpFetchPolicy,
): Promise<{ status: number; location?: string; body?: Buffer; tooLarge?: boolean }> {
  const connectTimeout = policy.connectTimeoutMs ?? 5_000;
  const readTimeout = policy.readTimeoutMs ?? 10_000;
  const maxBytes = policy.maxBytes ?? 16 * 1024;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        protocol: url.protocol,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? AUTHORIZED_PORTS[url.protocol as 'http:' | 'https:'] : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { 'user-agent': 'jprs-ca-validation/1 (+BR 3.2.2.4)', accept: '*/*', connection: 'close' },
        // Pin the connection to the address we checked (no second DNS lookup).
        // (Node 20's happy-eyeballs asks with { all: true } and wants a list.)
        lookup: ((_h: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          const family = net.isIPv6(address) ? 6 : 4;
          if (o?.all) cb(null, [{ address, family }]);
          else cb(null, address, family);
        }) as unknown as typeof import('node:dns').lookup,
        servername: net.isIP(url.hostname) ? undefined : url.hostname,
        rejectUnauthorized: false,
        agent: false,
        timeout: connectTimeout,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          resolve({ status, location: res.headers.location });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy();
            resolve({ status, tooLarge: true });
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    const overall = setTimeout(() => req.destroy(new Error(`no complete response within ${readTimeout} ms`)), readTimeout);
    req.on('timeout', () => req.destroy(new Error(`connect/idle timeout after ${connectTimeout} ms`)));
    req.on('error', (e) => {
      clearTimeout(overall);
      reject(e);
    });
    req.on('close', () => clearTimeout(overall));
    req.end();
  });
}

/**
 * GET `rawUrl` under the rules above. `mustNotContain` (the random value of BR 3.2.2.4.18) must not appear in any
 * request URL. Never throws for the applicant's faults: they are `ok: false` results with the rule broken.
 */
export async function fetchValidationResource(
  rawUrl: string,
  policy: HttpFetchPolicy & { readonly resolver: DnsResolverAddress; readonly mustNotContain?: string },
): Promise<HttpFetchResult> {
  const evidence: HttpHopEvidence[] = [];
  let current = rawUrl;
  const fail = (kind: HttpFetchFailureKind, error: string): HttpFetchResult => ({ ok: false, kind, error, rule: 'BR 3.2.2.4.18', finalUrl: current, evidence });
  for (let hop = 0; ; hop++) {
    const checked = checkValidationUrl(current);
    // The first URL is built by the CA, so a URL the rules refuse came from a redirect.
    if (!checked.ok) return fail('connectionFailed', checked.reason);
    const url = checked.url;
    if (policy.mustNotContain && url.href.includes(policy.mustNotContain)) {
      return fail('connectionFailed', 'the random value would appear in the request');
    }
    let addresses: string[];
    let dns: unknown;
    try {
      ({ addresses, dns } = await resolveHost(url.hostname, policy.resolver));
    } catch (err) {
      if (!isDnsTransportError(err)) throw err;
      evidence.push({ url: url.href, address: null, status: null, error: err.message });
      return fail('dnsLookupFailed', `DNS lookup of ${url.hostname} failed: ${err.message}`);
    }
    if (addresses.length === 0) {
      evidence.push({ url: url.href, address: null, status: null, dns, error: 'no A/AAAA records' });
      return fail('dnsLookupFailed', `${url.hostname} has no address records`);
    }
    // Every address the name has must be acceptable: a name mixing a public and a private address is refused,
    // since a client would be steered to either.
    const refused = addresses.find((a) => !addressAllowed(a, policy));
    if (refused) {
      evidence.push({ url: url.href, address: refused, status: null, dns, error: 'not a public unicast address' });
      return fail('connectionFailed', `${url.hostname} resolves to ${refused}, which is not a public unicast address`);
    }
    const address = addresses[0]!;
    let res: Awaited<ReturnType<typeof requestOnce>>;
    try {
      res = await requestOnce(url, address, policy);
    } catch (err) {
      evidence.push({ url: url.href, address, status: null, dns, error: (err as Error).message });
      return fail('connectionFailed', `GET ${url.href} failed: ${(err as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400) {
      evidence.push({ url: url.href, address, status: res.status, location: res.location, dns });
      if (!ALLOWED_REDIRECT_STATUSES.includes(res.status)) return fail('connectionFailed', `redirect status ${res.status} is not 301, 302, 307 or 308`);
      if (!res.location) return fail('connectionFailed', `redirect ${res.status} without a Location`);
      if (hop + 1 > MAX_REDIRECTS) return fail('connectionFailed', `more than ${MAX_REDIRECTS} redirects`);
      // The Location is the applicant's server's text: one that is not a URL is a failed check, not an exception.
      const next = URL.canParse(res.location, url.href) ? new URL(res.location, url) : null;
      if (!next) return fail('connectionFailed', `redirect ${res.status} to a Location that is not a URL: ${JSON.stringify(res.location.slice(0, 200))}`);
      current = next.href;
      continue;
    }
    if (res.tooLarge) {
      evidence.push({ url: url.href, address, status: res.status, dns, error: 'response too large' });
      return fail('dcvRecordNotFound', `the response of ${url.href} exceeds ${policy.maxBytes ?? 16 * 1024} bytes`);
    }
    evidence.push({ url: url.href, address, status: res.status, bytes: res.body?.length ?? 0, dns });
    if (res.status < 200 || res.status > 299) return fail('dcvRecordNotFound', `HTTP status ${res.status} (a 2xx status is required)`);
    return { ok: true, body: res.body?.toString('utf8') ?? '', finalUrl: url.href, evidence };
  }
}
