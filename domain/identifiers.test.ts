import { describe, expect, it } from 'vitest';
import { isCaError } from './errors';
import { checkDnsName, checkOrderNames, decodePunycode, nameRules, orderNamesError } from './identifiers';
import { policyAt } from './policy';
import { itGivesEach } from '../test/support/table';

const long63 = 'a'.repeat(63);

describe('checkDnsName: accepted names', () => {
  it.each([
    ['RFC 1035 2.3.1: plain LDH name', 'www.example.com', 'www.example.com', false, 'www.example.com'],
    ['lowercase normalization', 'WWW.Example.COM', 'www.example.com', false, 'www.example.com'],
    ['RFC 1123 2.1: labels may start with a digit', '1password.example.jp', '1password.example.jp', false, '1password.example.jp'],
    ['RFC 1035 2.3.1: inner hyphens allowed', 'my-host.ex-ample.co.jp', 'my-host.ex-ample.co.jp', false, 'my-host.ex-ample.co.jp'],
    ['RFC 1035 2.3.4: 63-character label allowed', `${long63}.example.com`, `${long63}.example.com`, false, `${long63}.example.com`],
    ['BR 1.6.1: wildcard as whole leftmost label', '*.example.com', '*.example.com', true, 'example.com'],
    ['BR 1.6.1: wildcard over a deeper name', '*.Sub.Example.co.jp', '*.sub.example.co.jp', true, 'sub.example.co.jp'],
    ['RFC 5890: valid A-label (bücher)', 'xn--bcher-kva.example', 'xn--bcher-kva.example', false, 'xn--bcher-kva.example'],
    ['RFC 5890: valid A-label TLD (中国)', 'example.xn--fiqs8s', 'example.xn--fiqs8s', false, 'example.xn--fiqs8s'],
    ['RFC 5890: valid A-label (日本語.jp)', 'xn--wgv71a119e.jp', 'xn--wgv71a119e.jp', false, 'xn--wgv71a119e.jp'],
  ])('%s', (_rule, input, fqdn, wildcard, baseDomain) => {
    // '.example' is reserved: the A-label cases use it only to test label syntax, so allow it here.
    expect(checkDnsName(input, { allowedReservedSuffixes: ['example'] })).toEqual({ ok: true, fqdn, wildcard, baseDomain });
  });

  it('RFC 1035 2.3.4: a 253-character name is accepted', () => {
    const name = `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.jp`; // 4*62 + 2 = 250
    const padded = `ab.${name}`; // 253
    expect(padded.length).toBe(253);
    expect(checkDnsName(padded).ok).toBe(true);
  });
});

describe('checkDnsName: refusals name their rule', () => {
  const devOpts = { allowedReservedSuffixes: ['dev.test'] };
  it.each([
    ['RFC 1035 2.3.1: empty name', '', nameRules.ldh],
    ['BR 7.1.2.7.12: underscore prohibited in dNSName', '_dmarc.example.com', nameRules.san],
    ['BR 7.1.2.7.12: underscore in a middle label', 'a.b_c.example.com', nameRules.san],
    ['BR 7.1.2.7.12: trailing dot (root label) prohibited', 'example.com.', nameRules.san],
    ['RFC 1035 2.3.1: empty label', 'www..example.com', nameRules.ldh],
    ['RFC 1035 2.3.1: leading dot', '.example.com', nameRules.ldh],
    ['RFC 1035 2.3.1: label starting with hyphen', '-www.example.com', nameRules.ldh],
    ['RFC 1035 2.3.1: label ending with hyphen', 'www-.example.com', nameRules.ldh],
    ['RFC 1035 2.3.1: characters outside LDH', 'ww!w.example.com', nameRules.ldh],
    ['RFC 1035 2.3.1: slash', 'www.example.com/path', nameRules.ldh],
    ['BR 7.1.2.7.12: whitespace', 'www.example.com ', nameRules.san],
    ['BR 7.1.2.7.12: U-label must be sent as A-label', 'bücher.example.com', nameRules.san],
    ['RFC 1035 2.3.4: 64-character label', `${'a'.repeat(64)}.example.com`, nameRules.length],
    ['RFC 1035 2.3.4: name longer than 253', `${'a.'.repeat(126)}com`, nameRules.length],
    ['BR 7.1.2.7.12: single label is not an FQDN', 'intranet', nameRules.san],
    ['BR 7.1.2.7.12: reserved LDH label (hyphens 3-4, not xn--)', 'ab--cd.example.com', nameRules.san],
    ['RFC 5890 2.3.2.1: xn-- label decoding to a C1 control (U+0080)', 'xn--a.example.com', nameRules.aLabel],
    ['RFC 5890 2.3.2.1: xn-- with nothing after the prefix', 'xn--.example.com', nameRules.ldh],
    ['RFC 5890 2.3.2.1: xn-- label that overflows (not Punycode)', `xn--${'9'.repeat(40)}.example.com`, nameRules.aLabel],
    ['RFC 5890 2.3.2.1: xn-- label with an invalid delta sequence', 'xn--kva9.example.com', nameRules.aLabel],
    ['RFC 1035 2.3.1: an ASCII-only "A-label" (xn--abc-) ends with a hyphen', 'xn--abc-.example.com', nameRules.ldh],
    ['BR 1.6.1: wildcard not leftmost', 'www.*.example.com', nameRules.wildcardSyntax],
    ['BR 1.6.1: partial-label wildcard', 'w*.example.com', nameRules.wildcardSyntax],
    ['BR 1.6.1: two wildcards', '*.*.example.com', nameRules.wildcardSyntax],
    ['BR 1.6.1: bare *', '*', nameRules.wildcardSyntax],
    ['BR 3.2.2.6: wildcard directly under a TLD', '*.com', nameRules.wildcardScope],
    ['BR 7.1.2.7.12: IPv4 dotted quad', '192.0.2.1', nameRules.san],
    ['BR 7.1.2.7.12: IPv6 (any colon)', '2001:db8::1', nameRules.san],
    ['BR 7.1.2.7.12: port suffix has a colon', 'example.com:443', nameRules.san],
    ['RFC 3696 2: all-numeric TLD', '1.2.3', nameRules.numericTld],
    ['BR 7.1.2.7.12: in-addr.arpa (from 2026-03-15, default strict)', '1.2.0.192.in-addr.arpa', nameRules.san],
    ['BR 7.1.2.7.12: ip6.arpa (default strict)', 'b.a.9.8.ip6.arpa', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .test', 'www.test', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .example', 'host.example', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .invalid', 'a.invalid', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .localhost', 'app.localhost', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .local (mDNS)', 'printer.local', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .internal', 'db.internal', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: home.arpa', 'nas.home.arpa', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .lan', 'router.lan', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .corp', 'mail.corp', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .onion', 'abc.onion', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: .alt', 'x.alt', nameRules.san],
    ['BR 7.1.2.7.12 Internal Name: wildcard under .test', '*.foo.test', nameRules.san],
    ['BR 7.1.2.7.12: the dev zone allowance does not cover the rest of .test', 'other.test', nameRules.san],
  ])('%s', (_rule, input, rule) => {
    const r = checkDnsName(input, devOpts);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rule).toBe(rule);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  itGivesEach((input: string) => checkDnsName(input, { allowedReservedSuffixes: ['.DEV.test'] }).ok, [
    ['dev configuration: its dev zone (dev.test) is allowed', 'app.dev.test', true],
    ['dev configuration: the dev zone apex is allowed', 'dev.test', true],
    ['dev configuration: wildcard in the dev zone is allowed', '*.dev.test', true],
    ['dev configuration: allowance given with a leading dot and upper case still matches', 'x.dev.test', true],
    ['dev configuration: a suffix match must be on a label boundary (xdev.test)', 'xdev.test', false],
  ]);

  itGivesEach((t: string) => checkDnsName('host.1.2.0.192.in-addr.arpa', { policy: policyAt(new Date(t)) }).ok, [
    ['BR 7.1.2.7.12: reverse-zone names still allowed before 2026-03-15', '2026-03-14T23:59:59Z', true],
    ['BR 7.1.2.7.12: reverse-zone names refused from 2026-03-15', '2026-03-15T00:00:00Z', false],
  ]);

  it.each([
    ['BR 3.2.2.6: wildcard directly under a public suffix (PSL seam)', '*.co.jp', false],
    ['BR 3.2.2.6: wildcard under a registered domain passes the PSL seam', '*.example.co.jp', true],
    ['BR 3.2.2.6: the PSL seam only applies to wildcards', 'co.jp', true],
  ])('%s', (_rule, input, ok) => {
    const isPublicSuffix = (d: string) => ['jp', 'co.jp', 'com'].includes(d);
    const r = checkDnsName(input, { isPublicSuffix });
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.rule).toBe(nameRules.wildcardScope);
  });
});

describe('decodePunycode (RFC 3492 7.1 samples)', () => {
  it.each([
    ['RFC 3492: bücher', 'bcher-kva', 'bücher'],
    ['RFC 3492: 中国', 'fiqs8s', '中国'],
    ['RFC 3492 7.1 (L) Japanese sample', '3B-ww4c5e180e575a65lsy2b', '3年B組金八先生'],
    ['RFC 3492 7.1 (B) Chinese simplified', 'ihqwcrb4cv8a8dqg056pqjye', '他们为什么不说中文'],
  ])('%s', (_rule, encoded, decoded) => {
    expect(String.fromCodePoint(...(decodePunycode(encoded.toLowerCase()) ?? []))).toBe(decoded.toLowerCase());
  });

  it.each([
    ['RFC 3492: invalid digit', 'ab!'],
    ['RFC 3492: truncated variable-length integer', 'kva9'],
  ])('%s', (_rule, encoded) => {
    expect(decodePunycode(encoded)).toBeNull();
  });
});

describe('checkOrderNames', () => {
  it('accepts a list and normalizes each name', () => {
    expect(checkOrderNames(['Example.com', '*.example.com', 'www.example.com'])).toEqual({
      ok: true,
      names: [
        { fqdn: 'example.com', wildcard: false, baseDomain: 'example.com' },
        { fqdn: '*.example.com', wildcard: true, baseDomain: 'example.com' },
        { fqdn: 'www.example.com', wildcard: false, baseDomain: 'www.example.com' },
      ],
    });
  });

  it.each([
    ['BR 7.1.2.7.12: at least one dNSName', [] as string[], [nameRules.san]],
    ['order limit: case-insensitive duplicates', ['www.example.com', 'WWW.example.com'], [nameRules.order]],
    ['every bad name is reported, not only the first', ['a_b.example.com', 'ok.example.com', '*.com'], [nameRules.san, nameRules.wildcardScope]],
    ['order limit: more than 100 names', Array.from({ length: 101 }, (_, i) => `h${i}.example.com`), [nameRules.order]],
  ])('%s', (_rule, names, rules) => {
    const r = checkOrderNames(names);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.rule)).toEqual(rules);
  });

  it('order limit: exactly 100 names is allowed', () => {
    const r = checkOrderNames(Array.from({ length: 100 }, (_, i) => `h${i}.example.com`));
    expect(r.ok && r.names.length).toBe(100);
  });

  it('orderNamesError: a rejectedIdentifier CaError citing the first rule and carrying all errors', () => {
    const r = checkOrderNames(['a_b.example.com', '*.com']);
    if (r.ok) throw new Error('expected a refusal');
    const e = orderNamesError(r.errors);
    expect(isCaError(e)).toBe(true);
    expect(e.kind).toBe('rejectedIdentifier');
    expect(e.details.rule).toBe(nameRules.san);
    expect(e.details.identifier).toBe('a_b.example.com');
    expect(e.details.errors).toHaveLength(2);
  });
});
