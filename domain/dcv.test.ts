import { describe, expect, it } from 'vitest';
import { CaError } from './errors';
import { acmeChallengeType, caaValidationMethodLabel, challengeExpiry, checkDcvMethod, dcvEvidenceLabel, dcvMethods, dnsChangeRecordName, parseDcvMethod, txtRecordMatches } from './dcv';
import { dcvMethodIds, policyAt } from './policy';
import { itGivesEach } from '../test/support/table';

describe('dnsChangeRecordName (CP 3.2.2.4.7)', () => {
  itGivesEach(dnsChangeRecordName, [
    ['CP 3.2.2.4.7: _acme-challenge.<FQDN>', 'www.example.com', '_acme-challenge.www.example.com'],
    ['CP 3.2.2.4.7: apex name', 'example.co.jp', '_acme-challenge.example.co.jp'],
    ['CP 3.2.2.4.7: wildcard "*" label is replaced by _acme-challenge', '*.example.com', '_acme-challenge.example.com'],
    ['CP 3.2.2.4.7: deeper wildcard', '*.a.b.example.jp', '_acme-challenge.a.b.example.jp'],
    ['DNS names compare case-insensitively: lower-cased', 'WWW.Example.COM', '_acme-challenge.www.example.com'],
  ]);

  it.each([
    ['refuses an unchecked name: bare "*."', '*.'],
    ['refuses an unchecked name: "*" not leftmost', 'a.*.example.com'],
    ['refuses an unchecked name: trailing dot', 'example.com.'],
    ['refuses an unchecked name: empty', ''],
  ])('%s', (_rule, fqdn) => {
    expect(() => dnsChangeRecordName(fqdn)).toThrow(CaError);
  });
});

describe('dcvMethods data (BR 3.2.2.4, RFC 8657)', () => {
  it.each([
    ['BR 3.2.2.4.7: DNS change is dns-01 over ACME, ca-tbr-7 otherwise, wildcard-capable', '3.2.2.4.7', 'dns-01', 'ca-tbr-7', 'dns-01', true],
    ['BR 3.2.2.4.19: http-01, never for wildcards', '3.2.2.4.19', 'http-01', 'ca-tbr-19', 'http-01', false],
    ['BR 3.2.2.4.18: web file, never for wildcards', '3.2.2.4.18', null, 'ca-tbr-18', 'web-file', false],
    ['BR 3.2.2.4.4: constructed e-mail, wildcard-capable', '3.2.2.4.4', null, 'ca-tbr-4', 'email', true],
    ['BR 3.2.2.4.12: registrar, wildcard-capable', '3.2.2.4.12', null, 'ca-tbr-12', 'registrant', true],
    ['BR 3.2.2.4.2: WHOIS e-mail (prohibited, still named so the refusal can cite it)', '3.2.2.4.2', null, 'ca-tbr-2', 'whois-email', true],
  ] as const)('%s', (_rule, id, acme, caa, api, wildcard) => {
    const m = dcvMethods[id];
    expect(m.id).toBe(id);
    expect(m.acmeLabel).toBe(acme);
    expect(acmeChallengeType(id)).toBe(acme);
    expect(m.caaLabel).toBe(caa);
    expect(m.apiLabel).toBe(api);
    expect(m.wildcardAllowed).toBe(wildcard);
  });

  it('every label of the table parses back to its method (the REST view shows what parseDcvMethod accepts)', () => {
    for (const m of Object.values(dcvMethods)) {
      for (const label of [m.id, `BR ${m.id}`, m.caaLabel, m.apiLabel, ...(m.acmeLabel ? [m.acmeLabel] : [])]) {
        expect(parseDcvMethod(label), label).toBe(m.id);
        expect(parseDcvMethod(` ${label.toUpperCase()} `), label).toBe(m.id);
      }
    }
  });

  it('the REST label "registrant" is accepted (it was shown but refused before the one table)', () => {
    expect(parseDcvMethod('registrant')).toBe('3.2.2.4.12');
  });

  it.each([['12'], ['7'], ['tls-alpn-01'], ['ca-tbr-20'], ['3.2.2.4.20'], ['']])('"%s" is no label of the table', (name) => {
    expect(parseDcvMethod(name)).toBeNull();
  });

  it('evidence names a method by its section and protocol label', () => {
    expect(dcvEvidenceLabel('3.2.2.4.7')).toBe('3.2.2.4.7 (dns-01)');
    expect(dcvEvidenceLabel('3.2.2.4.18')).toBe('3.2.2.4.18 (ca-tbr-18)');
    expect(dcvEvidenceLabel('3.2.2.4.4')).toBe('3.2.2.4.4 (ca-tbr-4)');
    expect(dcvEvidenceLabel('3.2.2.4.12')).toBe('3.2.2.4.12 (ca-tbr-12)');
  });

  it('covers every method id of the policy', () => {
    expect(Object.keys(dcvMethods).sort()).toEqual([...dcvMethodIds].sort());
  });

  it.each([
    ['RFC 8657: .7 over ACME is "dns-01"', '3.2.2.4.7', true, 'dns-01'],
    ['RFC 8657: .7 outside ACME is "ca-tbr-7"', '3.2.2.4.7', false, 'ca-tbr-7'],
    ['RFC 8657: .19 over ACME is "http-01"', '3.2.2.4.19', true, 'http-01'],
    ['RFC 8657: a non-ACME method keeps its ca-tbr label even via ACME', '3.2.2.4.4', true, 'ca-tbr-4'],
  ] as const)('%s', (_rule, id, viaAcme, label) => {
    expect(caaValidationMethodLabel(id, viaAcme)).toBe(label);
  });
});

describe('checkDcvMethod', () => {
  const now = policyAt(new Date('2026-06-20T00:00:00Z'));
  const later = policyAt(new Date('2028-03-15T00:00:00Z'));
  it.each([
    ['BR 3.2.2.4.2: WHOIS e-mail refused (prohibited since 2025-07-15)', now, '3.2.2.4.2', false, { ok: false, rule: 'BR 3.2.2.4.2' }],
    ['BR 3.2.2.4.4: constructed e-mail allowed but discouraged in 2026', now, '3.2.2.4.4', false, { ok: true, discouraged: true }],
    ['BR 3.2.2.4.4: constructed e-mail refused from 2028-03-15', later, '3.2.2.4.4', false, { ok: false, rule: 'BR 3.2.2.4.4' }],
    ['BR 3.2.2.4.7: DNS change validates a wildcard', now, '3.2.2.4.7', true, { ok: true, discouraged: false }],
    ['BR 3.2.2.4.18: web file cannot validate a wildcard', now, '3.2.2.4.18', true, { ok: false, rule: 'BR 3.2.2.4.18' }],
    ['BR 3.2.2.4.19: http-01 cannot validate a wildcard', now, '3.2.2.4.19', true, { ok: false, rule: 'BR 3.2.2.4.19' }],
    ['BR 3.2.2.4.19: http-01 validates a non-wildcard name', now, '3.2.2.4.19', false, { ok: true, discouraged: false }],
  ] as const)('%s', (_rule, policy, id, wildcard, expected) => {
    expect(checkDcvMethod(policy, id, { wildcard })).toMatchObject(expected);
  });
});

describe('challengeExpiry (CP 3.2.2.4: random value valid 25 days)', () => {
  it.each([
    ['CP 3.2.2.4: 25 days after creation, to the millisecond', '2026-06-20T08:30:15.250Z', '2026-07-15T08:30:15.250Z'],
    ['CP 3.2.2.4: across a month and year end', '2026-12-20T00:00:00Z', '2027-01-14T00:00:00.000Z'],
  ])('%s', (_rule, created, expires) => {
    const createdAt = new Date(created);
    expect(challengeExpiry(createdAt, policyAt(createdAt)).toISOString()).toBe(new Date(expires).toISOString());
  });
});

describe('txtRecordMatches', () => {
  const token = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
  itGivesEach((values: string[]) => txtRecordMatches(values, token), [
    ['exact match of one value', [token], true],
    ['one of several values matches', ['v=spf1 -all', token], true],
    ['surrounding whitespace is ignored', [`  ${token}\t`], true],
    ['case matters (base64url token)', [token.toLowerCase()], false],
    ['a value containing the token among other text does not match', [`${token} extra`], false],
    ['a prefix of the token does not match', [token.slice(0, -1)], false],
    ['inner whitespace is not removed', [`${token.slice(0, 5)} ${token.slice(5)}`], false],
    ['quotes are part of the value (the resolver already strips zone-file quoting)', [`"${token}"`], false],
    ['no values', [], false],
  ]);

  it('an empty token never matches, even an empty value', () => {
    expect(txtRecordMatches(['', ' '], '')).toBe(false);
  });
});
