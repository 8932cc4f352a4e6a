import { describe, expect, it } from 'vitest';
import {
  caaCheckValidUntil,
  caaRecheckNeeded,
  evaluateCaa,
  lookupFailurePermits,
  parseIssueValue,
  relevantRrsetSearchOrder,
  type CaaContext,
  type CaaRecord,
} from './caa';
import { policyAt } from './policy';
import { itGivesEach } from '../test/support/table';

const rr = (flags: number, tag: string, value: string): CaaRecord => ({ flags, tag, value });
const ctx = (over: Partial<CaaContext> = {}): CaaContext => ({
  issuerDomain: 'ca.example.net',
  wildcard: false,
  accountUri: null,
  validationMethod: 'dns-01',
  ...over,
});

describe('RFC 8659 §3: relevant RRset search order (tree climbing, the root never queried)', () => {
  it.each([
    ['X.Y.Z searches X.Y.Z, Y.Z, Z', 'X.Y.Z', ['x.y.z', 'y.z', 'z']],
    ['a wildcard is searched from its base domain', '*.www.example.com', ['www.example.com', 'example.com', 'com']],
    ['a trailing dot is ignored', 'example.com.', ['example.com', 'com']],
  ])('%s', (_rule, name, order) => {
    expect(relevantRrsetSearchOrder(name)).toEqual(order);
  });
});

describe('RFC 8659 §4.2: issue-value grammar', () => {
  it.each([
    ['issuer only', 'ca.example.net', { issuer: 'ca.example.net', parameters: {} }],
    ['issuer with a CA-specific parameter', 'ca.example.net; account=230123', { issuer: 'ca.example.net', parameters: { account: '230123' } }],
    ['empty issuer ";"', ';', { issuer: null, parameters: {} }],
    ['empty value', '', { issuer: null, parameters: {} }],
    ['whitespace around everything', '  Ca.Example.Net ;  a = 1 ; b=2 ', { issuer: 'ca.example.net', parameters: { a: '1', b: '2' } }],
    ['RFC 8657 parameters', 'example.net; accounturi=https://example.net/account/1234; validationmethods=dns-01,http-01', {
      issuer: 'example.net',
      parameters: { accounturi: 'https://example.net/account/1234', validationmethods: 'dns-01,http-01' },
    }],
  ])('%s', (_rule, value, parsed) => {
    expect(parseIssueValue(value)).toEqual(parsed);
  });
  it.each([
    ['an issuer with a space inside', 'ca example.net'],
    ['a parameter without "="', 'ca.example.net; account'],
    ['an issuer with an underscore', 'ca_x.example.net'],
    ['a parameter value with a space', 'ca.example.net; a=b c'],
  ])('malformed: %s', (_rule, value) => {
    expect(parseIssueValue(value)).toBeNull();
  });
});

describe('RFC 8659 examples', () => {
  const cases: Array<[string, CaaRecord[], Partial<CaaContext>, boolean, string?]> = [
    ['§3: no CAA records at all: any CA may issue', [], {}, true],
    ['§4.2: issue "ca.example.net" authorizes ca.example.net', [rr(0, 'issue', 'ca.example.net')], {}, true],
    ['§4.2: issue "ca.example.net" does not authorize another CA', [rr(0, 'issue', 'ca.example.net')], { issuerDomain: 'jprs.jp' }, false, 'RFC 8659 §4.2'],
    ['§4.2: issuer names compare case-insensitively', [rr(0, 'ISSUE', 'CA.EXAMPLE.NET')], {}, true],
    ['§4.2: CA-specific parameters ("account=230123") are ignored by other semantics', [rr(0, 'issue', 'ca.example.net; account=230123')], {}, true],
    ['§4.2: issue ";" forbids every CA', [rr(0, 'issue', ';')], {}, false, 'RFC 8659 §4.2'],
    ['§4.2: authorizations are additive (";" plus ca.example.net = ca.example.net)', [rr(0, 'issue', ';'), rr(0, 'issue', 'ca.example.net')], {}, true],
    ['§4.2: a malformed value authorizes nobody but still restricts', [rr(0, 'issue', 'ca example.net')], {}, false],
    ['§4.1: unknown critical tag "tbs" forbids issuance', [rr(0, 'issue', 'ca.example.net'), rr(0, 'iodef', 'mailto:security@example.com'), rr(128, 'tbs', 'Unknown')], {}, false, 'RFC 8659 §4.1'],
    ['§4.1: an unknown tag without the critical flag is ignored', [rr(0, 'issue', 'ca.example.net'), rr(0, 'tbs', 'Unknown')], {}, true],
    ['§4.1: a known tag with the critical flag is processed normally', [rr(128, 'issue', 'ca.example.net')], {}, true],
    ['§4.2 erratum 5244: a non-empty RRset without issue permits any CA', [rr(0, 'iodef', 'mailto:security@example.com')], { issuerDomain: 'jprs.jp' }, true],
    ['§4.3: issuewild ";" forbids wildcards', [rr(0, 'issue', 'ca.example.net'), rr(0, 'issuewild', ';')], { wildcard: true }, false, 'RFC 8659 §4.3'],
    ['§4.3: issuewild ";" leaves non-wildcard issuance to issue', [rr(0, 'issue', 'ca.example.net'), rr(0, 'issuewild', ';')], {}, true],
    ['§4.3: without issuewild, issue governs wildcards', [rr(0, 'issue', 'ca.example.net')], { wildcard: true }, true],
    ['§4.3: issuewild overrides issue for wildcards', [rr(0, 'issue', ';'), rr(0, 'issuewild', 'ca.example.net')], { wildcard: true }, true],
    ['§4.3: issuewild does not authorize non-wildcard names', [rr(0, 'issue', ';'), rr(0, 'issuewild', 'ca.example.net')], {}, false],
  ];
  it.each(cases)('%s', (_rule, rrset, over, permitted, rule) => {
    const d = evaluateCaa(rrset, ctx(over));
    expect(d.permitted).toBe(permitted);
    if (rule) expect(d.rule).toBe(rule);
  });

  it('§4.4: iodef URLs are collected and neither permit nor forbid', () => {
    const d = evaluateCaa(
      [rr(0, 'issue', 'ca.example.net'), rr(0, 'iodef', 'mailto:security@example.com'), rr(0, 'iodef', 'https://iodef.example.com/')],
      ctx(),
    );
    expect(d).toMatchObject({ permitted: true, iodef: ['mailto:security@example.com', 'https://iodef.example.com/'] });
  });
});

describe('RFC 8657 examples (accounturi, validationmethods)', () => {
  const acct = 'https://example.net/account/1234';
  const base = { issuerDomain: 'example.net' };
  const cases: Array<[string, CaaRecord[], Partial<CaaContext>, boolean]> = [
    ['§3: accounturi matches the applicant\'s account', [rr(0, 'issue', `example.net; accounturi=${acct}`)], { accountUri: acct }, true],
    ['§3: accounturi of another account forbids', [rr(0, 'issue', `example.net; accounturi=${acct}`)], { accountUri: 'https://example.net/account/9999' }, false],
    ['§3: accounturi with no account at all forbids', [rr(0, 'issue', `example.net; accounturi=${acct}`)], { accountUri: null }, false],
    ['§4: validationmethods=dns-01 permits dns-01', [rr(0, 'issue', 'example.net; validationmethods=dns-01')], { validationMethod: 'dns-01' }, true],
    ['§4: validationmethods=dns-01 forbids http-01', [rr(0, 'issue', 'example.net; validationmethods=dns-01')], { validationMethod: 'http-01' }, false],
    ['§4: a CA/B label (ca-tbr-18) for a non-ACME method', [rr(0, 'issue', 'example.net; validationmethods=dns-01,ca-tbr-18')], { validationMethod: 'ca-tbr-18' }, true],
    ['§3-4: both parameters must hold', [rr(0, 'issue', `example.net; accounturi=${acct}; validationmethods=dns-01`)], { accountUri: acct, validationMethod: 'http-01' }, false],
    ['§3-4: both parameters hold', [rr(0, 'issue', `example.net; accounturi=${acct}; validationmethods=dns-01`)], { accountUri: acct, validationMethod: 'dns-01' }, true],
    ['§5: several issue records are alternatives (account 1234 by any method, or anyone by dns-01)', [
      rr(0, 'issue', `example.net; accounturi=${acct}`),
      rr(0, 'issue', 'example.net; validationmethods=dns-01'),
    ], { accountUri: 'https://example.net/account/1', validationMethod: 'dns-01' }, true],
    ['§5: ...and neither alternative holds', [
      rr(0, 'issue', `example.net; accounturi=${acct}`),
      rr(0, 'issue', 'example.net; validationmethods=dns-01'),
    ], { accountUri: 'https://example.net/account/1', validationMethod: 'http-01' }, false],
    ['§3: parameters on issuewild apply to wildcards', [rr(0, 'issuewild', `example.net; accounturi=${acct}`)], { wildcard: true, accountUri: 'x' }, false],
  ];
  it.each(cases)('%s', (_rule, rrset, over, permitted) => {
    expect(evaluateCaa(rrset, ctx({ ...base, ...over })).permitted).toBe(permitted);
  });

  it('RFC 8657 is processed both before and after it becomes mandatory (2027-03-15)', () => {
    for (const at of ['2027-03-14T23:59:59Z', '2027-03-15T00:00:00Z']) {
      const policy = policyAt(new Date(at));
      expect(policy.caaRfc8657Required).toBe(at.startsWith('2027-03-15'));
      const d = evaluateCaa([rr(0, 'issue', 'example.net; validationmethods=http-01')], ctx({ ...base, policy }));
      expect(d.permitted).toBe(false);
    }
  });
});

describe('BR 3.2.2.8: a CAA check is good for max(TTL, 8 h)', () => {
  const t0 = new Date('2026-11-26T00:00:00Z');
  it.each([
    ['TTL 300 s: 8 h applies; at 8 h exactly still good', 300, 8 * 3600, false],
    ['TTL 300 s: one second past 8 h needs a re-check', 300, 8 * 3600 + 1, true],
    ['TTL 86400 s: 24 h applies; at 23 h still good', 86_400, 23 * 3600, false],
    ['TTL 86400 s: past 24 h needs a re-check', 86_400, 24 * 3600 + 1, true],
  ])('%s', (_rule, ttl, ageSeconds, needed) => {
    expect(caaRecheckNeeded(caaCheckValidUntil(t0, ttl), new Date(t0.getTime() + ageSeconds * 1000))).toBe(needed);
  });
  it('validUntil is checkedAt + max(TTL, 8 h)', () => {
    expect(caaCheckValidUntil(t0, 60).toISOString()).toBe('2026-11-26T08:00:00.000Z');
  });
});

describe('BR 3.2.2.8: lookup failure counts as permission only outside our infrastructure, retried, DNSSEC-insecure', () => {
  const ok = { rcode: null, dnssecFailure: false, outsideCaInfrastructure: true, retried: true, zoneProvablyInsecure: true };
  itGivesEach(lookupFailurePermits, [
    ['all three conditions hold', ok, true],
    ['SERVFAIL never counts', { ...ok, rcode: 'SERVFAIL' }, false],
    ['a DNSSEC failure never counts', { ...ok, dnssecFailure: true }, false],
    ['a failure of our own resolver does not count', { ...ok, outsideCaInfrastructure: false }, false],
    ['not retried', { ...ok, retried: false }, false],
    ['the zone is signed (or its status unknown)', { ...ok, zoneProvablyInsecure: false }, false],
  ]);
});
