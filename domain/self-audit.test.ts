import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { auditIssuanceEvidence, seededSample, selfAuditSampleSize, type IssuanceEvidence, type NameEvidence } from './self-audit';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('BR 8.7 sample size: max(1, 3 %) of the certificates issued since the last self-audit', () => {
  itGivesEach(selfAuditSampleSize, [
    ['nothing issued: nothing to sample', 0, 0],
    ['one certificate: at least one', 1, 1],
    ['33 certificates: 3 % rounds up to 1', 33, 1],
    ['100 certificates: 3', 100, 3],
    ['101 certificates: 3.03 rounds up to 4', 101, 4],
    ['100 000 certificates: 3000', 100_000, 3000],
  ]);
});

describe('seeded sampling: reproducible from the recorded seed', () => {
  const population = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(4, '0'));
  const seed = '0123456789abcdef0123456789abcdef';
  it('draws the same sample from the same seed, a different one from another seed', () => {
    expect(seededSample(population, 30, seed)).toEqual(seededSample(population, 30, seed));
    expect(seededSample(population, 30, seed)).not.toEqual(seededSample(population, 30, 'f'.repeat(32)));
  });
  it('draws distinct members of the population', () => {
    const s = seededSample(population, 30, seed);
    expect(new Set(s).size).toBe(30);
    expect(s.every((x) => population.includes(x))).toBe(true);
  });
  it('reaches every member over many seeds (no member is excluded by construction)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) for (const x of seededSample(population.slice(0, 50), 3, i.toString(16).padStart(32, '0'))) seen.add(x);
    expect(seen.size).toBe(50);
  });
  it('refuses a seed that is not 128 bits of hex', () => {
    expect(() => seededSample(population, 1, 'abc')).toThrow(/32 lowercase hex/);
  });
});

describe('evidence of a sampled certificate, judged by policy(at issuance)', () => {
  const issuedAt = new Date('2026-11-20T00:00:00Z');
  const remote = (perspective: string, region: string) => ({ perspective, region, outcome: 'corroborates', detail: 'ok' });
  const quorum = {
    primary: { perspective: 'primary', region: 'APNIC', outcome: 'corroborates', detail: 'ok' },
    remotes: [remote('a', 'ARIN'), remote('b', 'RIPE'), remote('c', 'APNIC'), remote('d', 'LACNIC'), remote('e', 'AFRINIC')],
  };
  const name = (over: Partial<NameEvidence> = {}): NameEvidence => ({
    fqdn: 'www.example.jp',
    authorization: { status: 'valid', validatedAt: new Date(issuedAt.getTime() - HOUR) },
    validation: { method: '3.2.2.4.7', validatedAt: new Date(issuedAt.getTime() - HOUR), reused: false },
    dcvEvidenceRows: 1,
    dcvCorroboration: { result: 'pass', checkedAt: new Date(issuedAt.getTime() - HOUR), quorum },
    caaCorroboration: { result: 'pass', checkedAt: new Date(issuedAt.getTime() - HOUR), quorum, ttlSeconds: 300 },
    ...over,
  });
  const cert = (n: NameEvidence, validityDays = 90): IssuanceEvidence => ({
    serial: '1a',
    notBefore: issuedAt,
    notAfter: new Date(issuedAt.getTime() + validityDays * DAY - 1000),
    names: [n],
  });
  const codes = (e: IssuanceEvidence) => auditIssuanceEvidence(e).map((f) => f.code);

  it.each<[string, IssuanceEvidence, string[]]>([
    ['complete evidence: nothing to flag', cert(name()), []],
    ['BR 5.4.1: the DCV evidence row was removed', cert(name({ dcvEvidenceRows: 0 })), ['dcv-evidence-missing']],
    ['BR 3.2.2.4: no authorization', cert(name({ authorization: null })), ['authorization-missing']],
    ['BR 4.2.1: validated 250 days before issuance, reuse allowed 200 then', cert(name({ validation: { method: '3.2.2.4.7', validatedAt: new Date(issuedAt.getTime() - 250 * DAY), reused: true } })), ['dcv-too-old']],
    ['BR 3.2.2.4.2: WHOIS e-mail, prohibited since 2025-07-15', cert(name({ validation: { method: '3.2.2.4.2', validatedAt: new Date(issuedAt.getTime() - DAY), reused: false } })), ['dcv-method-prohibited']],
    ['BR 3.2.2.9: no MPIC round', cert(name({ dcvCorroboration: null })), ['mpic-missing']],
    [
      'BR 3.2.2.9: two remotes were enough in 2025, not in November 2026',
      cert(name({ dcvCorroboration: { result: 'pass', checkedAt: new Date(issuedAt.getTime() - HOUR), quorum: { ...quorum, remotes: quorum.remotes.slice(0, 2) } } })),
      ['mpic-quorum-not-met'],
    ],
    ['BR 3.2.2.9: e-mail validation needs no MPIC round', cert(name({ validation: { method: '3.2.2.4.4', validatedAt: new Date(issuedAt.getTime() - HOUR), reused: false }, dcvCorroboration: null })), []],
    ['BR 3.2.2.8: no CAA check', cert(name({ caaCorroboration: null })), ['caa-missing']],
    ['BR 3.2.2.8: CAA checked 9 hours before issuance, TTL 300 s', cert(name({ caaCorroboration: { result: 'pass', checkedAt: new Date(issuedAt.getTime() - 9 * HOUR), quorum, ttlSeconds: 300 } })), ['caa-too-old']],
    ['BR 3.2.2.8: 9 hours is fine under a 12-hour TTL', cert(name({ caaCorroboration: { result: 'pass', checkedAt: new Date(issuedAt.getTime() - 9 * HOUR), quorum, ttlSeconds: 12 * 3600 } })), []],
    ['BR 6.3.2: 250 days exceeds the 200 in force on 2026-11-20', cert(name(), 250), ['validity-too-long']],
  ])('%s', (_rule, evidence, expected) => {
    expect(codes(evidence)).toEqual(expected);
  });
});
