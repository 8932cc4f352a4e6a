import { describe, expect, it } from 'vitest';
import { checkDnsName } from './identifiers';
import { isPublicSuffix, registeredDomain } from './public-suffix';

describe('BR 3.2.2.6: no wildcard directly under a public suffix (ICANN section of the PSL)', () => {
  it.each([
    ['*.co.jp: co.jp is an ICANN public suffix', '*.co.jp', false],
    ['*.kawasaki.jp: the PSL wildcard rule *.kawasaki.jp makes foo.kawasaki.jp a suffix too', '*.foo.kawasaki.jp', false],
    ['*.city.kawasaki.jp: the exception rule !city.kawasaki.jp makes it registrable', '*.city.kawasaki.jp', true],
    ['*.example.co.jp: a registered domain', '*.example.co.jp', true],
    ['*.github.io: github.io is in the PRIVATE section only, which the BR do not use', '*.github.io', true],
    ['*.jprs.jp: a registered domain under jp', '*.jprs.jp', true],
  ])('%s', (_rule, name, ok) => {
    const r = checkDnsName(name, { isPublicSuffix });
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.rule).toBe('BR 3.2.2.6');
  });

  it('non-wildcard names under a public suffix are not refused by this rule', () => {
    expect(checkDnsName('co.jp', { isPublicSuffix }).ok).toBe(true);
  });
});

describe('CP 3.2.2.4.4: registered domain from the ICANN section', () => {
  it.each([
    ['www.example.co.jp', 'example.co.jp'],
    ['*.shop.example.com', 'example.com'],
    ['a.b.city.kawasaki.jp', 'city.kawasaki.jp'],
    ['foo.example.github.io', 'github.io'],
    ['co.jp', null],
  ])('%s → %s', (fqdn, expected) => {
    expect(registeredDomain(fqdn)).toBe(expected);
  });
  it('isPublicSuffix agrees', () => {
    expect([isPublicSuffix('co.jp'), isPublicSuffix('example.co.jp'), isPublicSuffix('JP')]).toEqual([true, false, true]);
  });
});
