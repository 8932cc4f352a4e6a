import { describe, expect, it } from 'vitest';
import { CaError } from './errors';
import { dcvMethodIds, maxValidity, policyAt, policyTable, validityPeriodSeconds, validityWindow } from './policy';
import { itGivesEach } from '../test/support/table';

const at = (iso: string) => new Date(iso);
/** The last second before a date and the first instant of it (UTC). */
const sides = (day: string): [string, string] => {
  const d = new Date(`${day}T00:00:00Z`);
  return [new Date(d.getTime() - 1000).toISOString(), d.toISOString()];
};

describe('policyAt: date-keyed values, both sides of every date', () => {
  const [b0315, a0315] = sides('2026-03-15');
  const [b2027, a2027] = sides('2027-03-15');
  const [b2029, a2029] = sides('2029-03-15');
  const [b2028, a2028] = sides('2028-03-15');

  it.each<[string, 'maxValidityDays' | 'dcvReuseDays' | 'orgDataReuseDays', string, number]>([
    ['BR 6.3.2: 398 days before 2026-03-15', 'maxValidityDays', b0315, 398],
    ['BR 6.3.2: 200 days from 2026-03-15', 'maxValidityDays', a0315, 200],
    ['BR 6.3.2: 200 days until 2027-03-14T23:59:59Z', 'maxValidityDays', b2027, 200],
    ['BR 6.3.2: 100 days from 2027-03-15T00:00:00Z', 'maxValidityDays', a2027, 100],
    ['BR 6.3.2: 100 days until 2029-03-14T23:59:59Z', 'maxValidityDays', b2029, 100],
    ['BR 6.3.2: 47 days from 2029-03-15', 'maxValidityDays', a2029, 47],
    ['BR 4.2.1: DCV reuse 398 days before 2026-03-15', 'dcvReuseDays', b0315, 398],
    ['BR 4.2.1: DCV reuse 200 days from 2026-03-15', 'dcvReuseDays', a0315, 200],
    ['BR 4.2.1: DCV reuse 200 days before 2027-03-15', 'dcvReuseDays', b2027, 200],
    ['BR 4.2.1: DCV reuse 100 days from 2027-03-15', 'dcvReuseDays', a2027, 100],
    ['BR 4.2.1: DCV reuse 100 days before 2029-03-15', 'dcvReuseDays', b2029, 100],
    ['BR 4.2.1: DCV reuse 10 days from 2029-03-15', 'dcvReuseDays', a2029, 10],
    ['BR 4.2.1: org data reuse 825 days before 2026-03-15', 'orgDataReuseDays', b0315, 825],
    ['BR 4.2.1: org data reuse 398 days from 2026-03-15', 'orgDataReuseDays', a0315, 398],
    ['BR 4.2.1: org data reuse stays 398 days in 2029', 'orgDataReuseDays', a2029, 398],
  ])('%s', (_rule, field, t, days) => {
    expect(policyAt(at(t))[field]).toBe(days);
  });

  it('pins the example from the brief: 2027-03-14T23:59:59Z → 200, 2027-03-15T00:00:00Z → 100', () => {
    expect(b2027).toBe('2027-03-14T23:59:59.000Z');
    expect(policyAt(at('2027-03-14T23:59:59.999Z')).maxValidityDays).toBe(200);
    expect(policyAt(at('2027-03-15T00:00:00Z')).maxValidityDays).toBe(100);
  });

  it.each([
    ['CP 3.2.2.4: random value valid 25 days (stricter than BR 30) in 2025', '2025-01-01T00:00:00Z'],
    ['CP 3.2.2.4: random value valid 25 days in 2030', '2030-01-01T00:00:00Z'],
  ])('%s', (_rule, t) => {
    const p = policyAt(at(t));
    expect(p.randomValueValidityDays).toBe(25);
    expect(p.minRandomValueBits).toBe(112);
  });

  const [b0915, a0915] = sides('2025-09-15');
  const [b0615, a0615] = sides('2026-06-15');
  const [b1215, a1215] = sides('2026-12-15');
  it.each([
    ['BR 3.2.2.9: quorum not enforced before 2025-09-15', b0915, 2, false, [1, 1, 1]],
    ['BR 3.2.2.9: 2 remotes, 1 non-corroborating from 2025-09-15', a0915, 2, true, [1, 1, 1]],
    ['BR 3.2.2.9: still 2 remotes before 2026-03-15', b0315, 2, true, [1, 1, 1]],
    ['BR 3.2.2.9: 3 remotes from 2026-03-15', a0315, 3, true, [1, 1, 1]],
    ['BR 3.2.2.9: still 3 remotes before 2026-06-15', b0615, 3, true, [1, 1, 1]],
    ['BR 3.2.2.9: 4 remotes from 2026-06-15', a0615, 4, true, [1, 1, 1]],
    ['BR 3.2.2.9: 6+ remotes still allow only 1 before 2026-12-15', b1215, 4, true, [1, 1, 1]],
    ['BR 3.2.2.9: 5 remotes from 2026-12-15, 2 non-corroborating with 6+', a1215, 5, true, [1, 2, 2]],
  ])('%s', (_rule, t, minRemotes, enforced, [at5, at6, at7]) => {
    const p = policyAt(at(t));
    expect(p.mpic.minRemotePerspectives).toBe(minRemotes);
    expect(p.mpic.quorumEnforced).toBe(enforced);
    expect([p.mpic.maxNonCorroborating(5), p.mpic.maxNonCorroborating(6), p.mpic.maxNonCorroborating(7)]).toEqual([at5, at6, at7]);
  });

  itGivesEach((t: string) => policyAt(at(t)).minCorroboratingRirRegions, [
    ['BR 3.2.2.9: corroboration in 1 RIR region before 2026-03-15', b0315, 1],
    ['BR 3.2.2.9: corroboration in ≥ 2 RIR regions from 2026-03-15', a0315, 2],
  ]);

  itGivesEach((t: string) => policyAt(at(t)).caaRfc8657Required, [
    ['BR 3.2.2.8: RFC 8657 not yet required before 2027-03-15', b2027, false],
    ['BR 3.2.2.8: RFC 8657 accounturi/validationmethods required from 2027-03-15', a2027, true],
  ]);

  itGivesEach((t: string) => policyAt(at(t)).serverAuthOnlyEku, [
    ['Chrome root policy: clientAuth still allowed before 2027-03-15', b2027, false],
    ['Chrome root policy: serverAuth-only EKU from 2027-03-15', a2027, true],
  ]);

  it.each([
    ['BR 7.1.2.7.12: reverse-zone names allowed before 2026-03-15', b0315, false],
    ['BR 7.1.2.7.12: reverse-zone names prohibited from 2026-03-15', a0315, true],
    ['BR 3.2.2.8.1: DNSSEC validation required from 2026-03-15 (checked with reverse zones)', a0315, true],
  ])('%s', (_rule, t, v) => {
    const p = policyAt(at(t));
    expect(p.reverseZoneNamesProhibited).toBe(v);
    expect(p.dnssecValidationRequired).toBe(v);
  });

  const [b0715, a0715] = sides('2025-07-15');
  it.each([
    ['BR 3.2.2.4.2: WHOIS e-mail allowed before 2025-07-15', b0715, '3.2.2.4.2', 'allowed'],
    ['BR 3.2.2.4.2: WHOIS e-mail prohibited from 2025-07-15', a0715, '3.2.2.4.2', 'prohibited'],
    ['BR 3.2.2.4.2: WHOIS e-mail still prohibited in 2030', '2030-01-01T00:00:00Z', '3.2.2.4.2', 'prohibited'],
    ['BR 3.2.2.4.4: constructed e-mail allowed before 2026-03-15', b0315, '3.2.2.4.4', 'allowed'],
    ['BR 3.2.2.4.4: constructed e-mail discouraged (SHOULD NOT) from 2026-03-15', a0315, '3.2.2.4.4', 'discouraged'],
    ['BR 3.2.2.4.4: constructed e-mail discouraged until 2028-03-14T23:59:59Z', b2028, '3.2.2.4.4', 'discouraged'],
    ['BR 3.2.2.4.4: constructed e-mail prohibited from 2028-03-15', a2028, '3.2.2.4.4', 'prohibited'],
    ['BR 3.2.2.4.7: DNS change allowed in 2030', '2030-01-01T00:00:00Z', '3.2.2.4.7', 'allowed'],
    ['BR 3.2.2.4.12: registrar method allowed in 2030', '2030-01-01T00:00:00Z', '3.2.2.4.12', 'allowed'],
    ['BR 3.2.2.4.18: web file allowed in 2030', '2030-01-01T00:00:00Z', '3.2.2.4.18', 'allowed'],
    ['BR 3.2.2.4.19: ACME http-01 allowed in 2030', '2030-01-01T00:00:00Z', '3.2.2.4.19', 'allowed'],
  ] as const)('%s', (_rule, t, method, status) => {
    expect(policyAt(at(t)).dcvMethods[method]).toBe(status);
  });

  itGivesEach((days: number) => policyAt(at('2026-06-20T00:00:00Z')).ctMinScts(days), [
    ['Chrome CT: 2 SCTs for a 180-day lifetime', 180, 2],
    ['Chrome CT: 2 SCTs for a 100-day lifetime', 100, 2],
    ['Chrome CT: 3 SCTs above 180 days', 180.5, 3],
    ['Chrome CT: 3 SCTs for 200 days', 200, 3],
  ]);

  it('CP/BR 4.9.7 CRL every 7 days, nextUpdate ≤ 10 days; BR 4.9.10 OCSP validity 8 h..10 days', () => {
    const p = policyAt(at('2026-06-20T00:00:00Z'));
    expect(p.crl.maxIntervalSeconds).toBe(7 * 86_400);
    expect(p.crl.maxNextUpdateSeconds).toBe(10 * 86_400);
    expect(p.crl.maxAfterRevocationSeconds).toBe(24 * 3_600);
    expect(p.ocsp.minValiditySeconds).toBe(8 * 3_600);
    expect(p.ocsp.maxValiditySeconds).toBe(10 * 86_400);
  });

  it('every rule in the table cites a section and is in ascending date order', () => {
    for (const [key, timeline] of Object.entries(policyTable)) {
      expect(timeline[0]?.from, key).toBeNull();
      const dates = timeline.slice(1).map((e) => Date.parse(`${e.from}T00:00:00Z`));
      expect(dates.every((d) => !Number.isNaN(d)), key).toBe(true);
      expect([...dates].sort((a, b) => a - b), key).toEqual(dates);
      for (const e of timeline) expect(e.cite, key).toMatch(/\b(BR|CP|Chrome)\b/);
    }
    const p = policyAt(at('2026-06-20T00:00:00Z'));
    expect(Object.keys(p.dcvMethods).sort()).toEqual([...dcvMethodIds].sort());
    expect(p.cites.maxValidityDays).toContain('BR 6.3.2');
  });

  it.each([
    ['interval boundaries: policy at 2026-06-20 is in force from 2026-06-15 until 2026-12-15', '2026-06-20T12:00:00Z', '2026-06-15T00:00:00.000Z', '2026-12-15T00:00:00.000Z'],
    ['interval boundaries: on a change date the interval starts that instant', '2027-03-15T00:00:00Z', '2027-03-15T00:00:00.000Z', '2028-03-15T00:00:00.000Z'],
    ['interval boundaries: after the last change there is no next change', '2030-01-01T00:00:00Z', '2029-03-15T00:00:00.000Z', null],
  ])('%s', (_rule, t, from, next) => {
    const p = policyAt(at(t));
    expect(p.effectiveFrom?.toISOString()).toBe(from);
    expect(p.nextChangeAt?.toISOString() ?? null).toBe(next);
  });

  it('is deterministic: same instant, same values', () => {
    const t = at('2026-11-26T10:00:00Z');
    const a = policyAt(t);
    const b = policyAt(new Date(t));
    expect({ ...a, mpic: undefined, ctMinScts: undefined }).toEqual({ ...b, mpic: undefined, ctMinScts: undefined });
  });
});

describe('maxValidity / validityWindow: BR 6.3.2 inclusive counting', () => {
  it.each([
    ['BR 6.3.2: 200 days = 17,280,000 s (inclusive period) in 2026', '2026-06-20T08:30:15.750Z', 200],
    ['BR 6.3.2: 100 days from 2027-03-15', '2027-03-15T00:00:00Z', 100],
    ['BR 6.3.2: 398 days before 2026-03-15', '2026-03-14T23:59:59Z', 398],
    ['BR 6.3.2: 47 days from 2029-03-15', '2029-03-15T00:00:00Z', 47],
  ])('%s', (_rule, t, days) => {
    const now = at(t);
    const policy = policyAt(now);
    expect(maxValidity(policy, now)).toBe(days * 86_400);
    const { notBefore, notAfter } = validityWindow(now, policy);
    // notBefore: now truncated to the whole second, never backdated, never in the future.
    expect(notBefore.getTime() % 1000).toBe(0);
    expect(notBefore.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(now.getTime() - notBefore.getTime()).toBeLessThan(1000);
    // Inclusive: notAfter - notBefore + 1 s == N days exactly (the maximum, not one second more).
    expect((notAfter.getTime() - notBefore.getTime()) / 1000 + 1).toBe(days * 86_400);
    expect(validityPeriodSeconds(notBefore, notAfter)).toBe(days * 86_400);
  });

  it('BR 6.3.2: the worked example — 2026-06-20T08:30:15.750Z gives notAfter 2027-01-06T08:30:14Z (+200 days - 1 s)', () => {
    const now = at('2026-06-20T08:30:15.750Z');
    const w = validityWindow(now, policyAt(now));
    expect(w.notBefore.toISOString()).toBe('2026-06-20T08:30:15.000Z');
    // + 200 days - 1 s
    expect(w.notAfter.toISOString()).toBe('2027-01-06T08:30:14.000Z');
  });

  it.each([
    ['BR 6.3.2: validityPeriodSeconds counts both ends (same second = 1 s)', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1],
    ['BR 6.3.2: one full day is notAfter = notBefore + 86,399 s', '2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 86_400],
    ['BR 6.3.2: notAfter = notBefore + 1 day is one second too long for "1 day"', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 86_401],
  ])('%s', (_rule, nb, na, seconds) => {
    expect(validityPeriodSeconds(at(nb), at(na))).toBe(seconds);
  });

  it.each([
    ['stale policy: a 2027-03-14 policy must not be used on 2027-03-15 (200 → 100 days)', '2027-03-14T23:59:59Z', '2027-03-15T00:00:00Z'],
    ['stale policy: a 2027-03-15 policy must not be used on 2027-03-14', '2027-03-15T00:00:00Z', '2027-03-14T23:59:59Z'],
  ])('%s', (_rule, computedAt, usedAt) => {
    const policy = policyAt(at(computedAt));
    expect(() => maxValidity(policy, at(usedAt))).toThrow(CaError);
    expect(() => validityWindow(at(usedAt), policy)).toThrow(/does not apply/);
  });

  it('a policy stays usable within its interval (computed at 09:00, used at 17:00 the same day)', () => {
    const policy = policyAt(at('2026-07-01T09:00:00Z'));
    expect(maxValidity(policy, at('2026-07-01T17:00:00Z'))).toBe(200 * 86_400);
  });
});
