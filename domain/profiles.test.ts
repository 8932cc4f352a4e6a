import { describe, expect, it } from 'vitest';
import { checkProfile, commonNameFor, offeredProfileIds, profileOfCa, profiles } from './profiles';

describe('profiles (CP 1.1, 7.1.1)', () => {
  it('DV and OV are offered (OV orders wait for their organization vetting, CP 3.2.2.1)', () => {
    expect(offeredProfileIds).toEqual(['dv', 'ov']);
  });

  it.each([
    ['dv', 'dv'],
    ['ov', 'ov'],
  ])('CP 1.3, 5.6: what CA %s issues is %s, whichever of its keys signs', (caId, profile) => {
    expect(profileOfCa(caId)).toBe(profile);
  });

  it.each([
    ['CP 7.1.1: DV uses the CA/B DV policy OID and the DV issuing CA', 'dv', '2.23.140.1.2.1', 'JPRS Domain Validation Authority - G4'],
    ['CP 7.1.1: OV uses the CA/B OV policy OID and the OV issuing CA', 'ov', '2.23.140.1.2.2', 'JPRS Organization Validation Authority - G4'],
  ] as const)('%s', (_rule, id, oid, cn) => {
    expect(profiles[id].cabfPolicyOid).toBe(oid);
    expect(profiles[id].issuerCommonName).toBe(cn);
  });

  it.each([
    ['dv is accepted', 'dv', true, undefined],
    ['ov is accepted (the vetting gates it at step 4)', 'ov', true, undefined],
    ['unknown profile refused', 'ev', false, 'CP 1.1'],
    ['prototype keys are not profiles', 'toString', false, 'CP 1.1'],
  ])('%s', (_rule, id, ok, rule) => {
    const r = checkProfile(id);
    expect(r.ok).toBe(ok);
    if (!r.ok) {
      expect(r.rule).toBe(rule);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('commonNameFor (BR 7.1.4.3, RFC 5280 ub-common-name 64)', () => {
  const n64 = `${'a'.repeat(52)}.example.com`; // 64
  const n65 = `${'a'.repeat(53)}.example.com`; // 65
  it.each([
    ['BR 7.1.4.3: the CN is the first SAN', ['www.example.com', 'example.com'], 'www.example.com'],
    ['BR 7.1.4.3: a wildcard SAN may be the CN', ['*.example.com', 'example.com'], '*.example.com'],
    ['RFC 5280: exactly 64 characters fits', [n64], n64],
    ['RFC 5280: a 65-character first name is skipped for the next SAN', [n65, 'example.com'], 'example.com'],
    ['CP 7.1.1: no SAN fits → undefined (the caller refuses)', [n65], undefined],
    ['no names → undefined', [], undefined],
  ])('%s', (_rule, names, cn) => {
    expect(n64.length).toBe(64);
    expect(n65.length).toBe(65);
    const got = commonNameFor(names);
    expect(got).toBe(cn);
    if (got !== undefined) expect(names).toContain(got);
  });
});
