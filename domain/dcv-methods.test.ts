import { describe, expect, it } from 'vitest';
import { checkDcvMethod, checkRequestedMethods, constructedEmailAddresses, dnsChangeCandidateNames, methodProhibitedSince, parseDcvMethod, validationReusable } from './dcv';
import { policyAt } from './policy';

const at = (iso: string) => policyAt(new Date(`${iso}T00:00:00Z`));
const justBefore = (iso: string) => policyAt(new Date(new Date(`${iso}T00:00:00Z`).getTime() - 1000));

describe('BR 1.6.1 ADN / 3.2.2.4.7: record names by label pruning down to the registered domain', () => {
  it.each([
    ['the FQDN first, then each parent down to the registered domain', 'a.b.example.co.jp', 'example.co.jp', ['a.b.example.co.jp', 'b.example.co.jp', 'example.co.jp']],
    ['a wildcard starts at its base domain', '*.www.example.com', 'example.com', ['www.example.com', 'example.com']],
    ['the registered domain itself has only itself', 'example.com', 'example.com', ['example.com']],
    ['no registered domain known: the FQDN only (never a public suffix)', 'a.b.zz', null, ['a.b.zz']],
  ])('%s', (_rule, fqdn, registered, adns) => {
    const c = dnsChangeCandidateNames(fqdn, registered);
    expect(c.map((x) => x.adn)).toEqual(adns);
    expect(c.map((x) => x.recordName)).toEqual(adns.map((a) => `_acme-challenge.${a}`));
  });
});

describe('BR 3.2.2.4 methods on both sides of their dates', () => {
  it.each([
    ['3.2.2.4.2 WHOIS e-mail: allowed before 2025-07-15', justBefore('2025-07-15'), '3.2.2.4.2', true],
    ['3.2.2.4.2 WHOIS e-mail: prohibited from 2025-07-15', at('2025-07-15'), '3.2.2.4.2', false],
    ['3.2.2.4.4 constructed e-mail: allowed (discouraged) before 2028-03-15', justBefore('2028-03-15'), '3.2.2.4.4', true],
    ['3.2.2.4.4 constructed e-mail: prohibited from 2028-03-15', at('2028-03-15'), '3.2.2.4.4', false],
    ['3.2.2.4.7 DNS change: allowed in 2029', at('2029-03-15'), '3.2.2.4.7', true],
  ] as const)('%s', (_rule, policy, method, ok) => {
    expect(checkRequestedMethods(policy, [method]).ok).toBe(ok);
  });

  it('the refusal of 3.2.2.4.2 cites the rule and the date of the prohibition', () => {
    const r = checkRequestedMethods(at('2026-11-26'), ['whois-email']);
    expect(r).toMatchObject({ ok: false, kind: 'prohibited', rule: 'BR 3.2.2.4.2' });
    expect(!r.ok && r.reason).toMatch(/prohibited by the Baseline Requirements since 2025-07-15/);
    expect(methodProhibitedSince('3.2.2.4.4')).toBe('2028-03-15');
    expect(methodProhibitedSince('3.2.2.4.7')).toBeNull();
  });

  it('3.2.2.4.4 is discouraged (SHOULD NOT) from 2026-03-15', () => {
    expect(checkDcvMethod(justBefore('2026-03-15'), '3.2.2.4.4', { wildcard: false })).toEqual({ ok: true, discouraged: false });
    expect(checkDcvMethod(at('2026-03-15'), '3.2.2.4.4', { wildcard: false })).toEqual({ ok: true, discouraged: true });
  });

  it.each([
    ['dns-01', '3.2.2.4.7'], ['http-01', '3.2.2.4.19'], ['web-file', '3.2.2.4.18'], ['ca-tbr-18', '3.2.2.4.18'],
    ['3.2.2.4.12', '3.2.2.4.12'], ['BR 3.2.2.4.4', '3.2.2.4.4'], ['email', '3.2.2.4.4'], ['tls-alpn-01', null], ['3.2.2.4.20', null],
  ])('method name %s → %s', (name, id) => {
    expect(parseDcvMethod(name)).toBe(id);
  });

  it('an unknown method is malformed, not prohibited', () => {
    expect(checkRequestedMethods(at('2026-11-26'), ['tls-alpn-01'])).toMatchObject({ ok: false, kind: 'malformed' });
  });
});

describe('CP 3.2.2.4.4 constructed addresses', () => {
  const at = (d: string) => ['admin', 'administrator', 'webmaster', 'hostmaster', 'postmaster'].map((l) => `${l}@${d}`);
  it.each([
    ['the registered domain and the FQDN', 'shop.example.co.jp', 'example.co.jp', [...at('example.co.jp'), ...at('shop.example.co.jp')]],
    ['a leading www is stripped from the FQDN', 'www.shop.example.co.jp', 'example.co.jp', [...at('example.co.jp'), ...at('shop.example.co.jp')]],
    ['a leading * is stripped', '*.example.com', 'example.com', at('example.com')],
    ['www directly under the registered domain collapses to it', 'www.example.com', 'example.com', at('example.com')],
    ['www that IS the registered domain is kept', 'www.example.jp', 'www.example.jp', at('www.example.jp')],
    ['no registered domain (a public suffix): no address', 'co.jp', null, []],
  ])('%s', (_rule, fqdn, registered, addresses) => {
    expect(constructedEmailAddresses(fqdn, registered)).toEqual(addresses);
  });
});

describe('BR 4.2.1 reuse of validations, on both sides of the dates', () => {
  const d = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const day = 86_400_000;
  it.each([
    ['200 days now: 199 days old is reusable', d('2026-06-01'), 199, '3.2.2.4.7', true],
    ['200 days now: exactly 200 days old is not', d('2026-06-01'), 200, '3.2.2.4.7', false],
    ['from 2027-03-15: 100 days (101 days old on 2027-03-15 is not)', d('2027-03-15'), 101, '3.2.2.4.7', false],
    ['just before 2027-03-15: 101 days old still is', new Date(d('2027-03-15').getTime() - 1000), 101, '3.2.2.4.7', true],
    ['from 2029-03-15: 10 days (10 days old is not)', d('2029-03-15'), 10, '3.2.2.4.7', false],
    ['just before 2029-03-15: 10 days old still is (100-day rule)', new Date(d('2029-03-15').getTime() - 1000), 10, '3.2.2.4.7', true],
    ['3.2.2.4.4 the day before its sunset: reusable', new Date(d('2028-03-15').getTime() - 1000), 1, '3.2.2.4.4', true],
    ['3.2.2.4.4 never across its sunset (2028-03-15)', d('2028-03-15'), 1, '3.2.2.4.4', false],
    ['3.2.2.4.2 after 2025-07-15: never', d('2025-07-15'), 1, '3.2.2.4.2', false],
  ] as const)('%s', (_rule, now, ageDays, method, ok) => {
    const r = validationReusable(policyAt(now), { validatedAt: new Date(now.getTime() - ageDays * day), method }, now);
    expect(r.ok).toBe(ok);
  });
});
