/**
 * CAA lookups (BR 3.2.2.8, RFC 8659 §3) against a real authoritative DNS server the test controls: tree climbing,
 * CNAME handling, issuewild, critical unknown tags, RFC 8657 parameters, and lookup failures that must never count
 * as permission. The decision logic is domain/caa.ts (unit-tested on the RFC examples); this pins the lookups.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkCaa } from '../../activities/validation/caa';
import type { CaaCheckSpec } from '../../domain/caa';
import { policyAt } from '../../domain/policy';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';

let server: DevDns;
let resolver: { host: string; port: number };
const zone = 'dev.test';
const opts = { issuerDomain: 'jprs.jp', policy: policyAt(new Date()), climbStopsAt: zone, timeoutMs: 1500 };
const spec = (fqdn: string, over: Partial<CaaCheckSpec> = {}): CaaCheckSpec => ({
  fqdn,
  wildcard: fqdn.startsWith('*.'),
  accountUri: 'http://ca.example/v1/accounts/1',
  validationMethod: 'ca-tbr-7',
  ...over,
});
const caa = (name: string, tag: string, value: string, flags = 0, ttl = 300) => server.add({ name, type: 'CAA', value: { flags, tag, value }, ttl });

beforeAll(async () => {
  server = await startDevDnsServer({ port: 0, zone });
  resolver = { host: '127.0.0.1', port: server.port };
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => server.clear());

describe('RFC 8659 §3 tree climbing', () => {
  it('no CAA anywhere: permitted, every name up to the zone asked, nothing above it', async () => {
    const r = await checkCaa(resolver, spec(`a.b.${zone}`), opts);
    expect(r).toMatchObject({ permitted: true, relevantDomain: null });
    expect(r.lookups.map((l) => l.name)).toEqual([`a.b.${zone}`, `b.${zone}`, zone]);
  });

  it('the first non-empty RRset on the way up is the relevant one (parent forbids → refused)', async () => {
    caa(zone, 'issue', 'other-ca.example');
    const r = await checkCaa(resolver, spec(`a.b.${zone}`), opts);
    expect(r).toMatchObject({ permitted: false, relevantDomain: zone, rule: 'RFC 8659 §4.2' });
  });

  it('a closer RRset wins over the parent (child permits jprs.jp although the parent forbids)', async () => {
    caa(zone, 'issue', ';');
    caa(`b.${zone}`, 'issue', 'jprs.jp', 0, 90_000);
    const r = await checkCaa(resolver, spec(`a.b.${zone}`), opts);
    expect(r).toMatchObject({ permitted: true, relevantDomain: `b.${zone}`, ttl: 90_000 });
  });

  it('CNAME: the CAA RRset of the target counts for the name; climbing continues from the original name\'s parent', async () => {
    server.add({ name: `alias.${zone}`, type: 'CNAME', value: `target.${zone}` });
    caa(`target.${zone}`, 'issue', 'other-ca.example');
    const r = await checkCaa(resolver, spec(`alias.${zone}`), opts);
    expect(r).toMatchObject({ permitted: false, relevantDomain: `alias.${zone}` });
    expect(r.lookups[0]!.chain).toEqual([`alias.${zone}`, `target.${zone}`]);
    // Target's parent is not consulted: an empty target with a restrictive parent OF THE TARGET does not apply.
    server.clear();
    server.add({ name: `alias.x.${zone}`, type: 'CNAME', value: `t.y.${zone}` });
    caa(`y.${zone}`, 'issue', ';');
    const r2 = await checkCaa(resolver, spec(`alias.x.${zone}`), opts);
    expect(r2.permitted).toBe(true);
    expect(r2.lookups.map((l) => l.name)).toEqual([`alias.x.${zone}`, `x.${zone}`, zone]);
  });
});

describe('RFC 8659 §4 properties through real DNS answers', () => {
  it('issuewild ";" refuses a wildcard and lets the base name through', async () => {
    caa(`w.${zone}`, 'issue', 'jprs.jp');
    caa(`w.${zone}`, 'issuewild', ';');
    expect((await checkCaa(resolver, spec(`*.w.${zone}`), opts)).permitted).toBe(false);
    expect((await checkCaa(resolver, spec(`w.${zone}`), opts)).permitted).toBe(true);
  });

  it('an unknown tag with the critical flag refuses (tag case kept by the server, compared case-insensitively)', async () => {
    caa(`c.${zone}`, 'issue', 'jprs.jp');
    caa(`c.${zone}`, 'Tbs', 'Unknown', 128);
    expect(await checkCaa(resolver, spec(`c.${zone}`), opts)).toMatchObject({ permitted: false, rule: 'RFC 8659 §4.1' });
  });

  it('RFC 8657: accounturi and validationmethods must match the applicant and the method', async () => {
    caa(`p.${zone}`, 'issue', 'jprs.jp; accounturi=http://ca.example/v1/accounts/1; validationmethods=ca-tbr-7');
    expect((await checkCaa(resolver, spec(`p.${zone}`), opts)).permitted).toBe(true);
    expect(await checkCaa(resolver, spec(`p.${zone}`, { validationMethod: 'ca-tbr-18' }), opts)).toMatchObject({ permitted: false, rule: 'RFC 8657' });
    expect(await checkCaa(resolver, spec(`p.${zone}`, { accountUri: 'http://ca.example/v1/accounts/2' }), opts)).toMatchObject({ permitted: false, rule: 'RFC 8657' });
  });

  it('iodef URLs are reported', async () => {
    caa(`i.${zone}`, 'issue', 'jprs.jp');
    caa(`i.${zone}`, 'iodef', 'mailto:security@example.com');
    expect((await checkCaa(resolver, spec(`i.${zone}`), opts)).iodef).toEqual(['mailto:security@example.com']);
  });
});

describe('BR 3.2.2.8: lookup failures are never permission here', () => {
  it('SERVFAIL on a name in the climb refuses, after one retry', async () => {
    server.setServfail(`b.${zone}`, true);
    const r = await checkCaa(resolver, spec(`a.b.${zone}`), opts);
    expect(r).toMatchObject({ permitted: false, rule: 'BR 3.2.2.8' });
    expect(r.lookups.filter((l) => l.name === `b.${zone}`).map((l) => l.rcode)).toEqual(['SERVFAIL', 'SERVFAIL']);
  });

  it('a resolver that does not answer (our infrastructure) refuses', async () => {
    const r = await checkCaa({ host: '127.0.0.1', port: 9 }, spec(`a.${zone}`), { ...opts, timeoutMs: 300 });
    expect(r).toMatchObject({ permitted: false, rule: 'BR 3.2.2.8' });
    expect(r.lookups).toHaveLength(2);
  });

  it('the AD bit of the answers is recorded (the dev server does not validate: false)', async () => {
    const r = await checkCaa(resolver, spec(`a.${zone}`), opts);
    expect(r.dnssecValidated).toBe(false);
    expect(r.lookups.every((l) => l.ad === false)).toBe(true);
  });
});
