import { describe, expect, it } from 'vitest';
import { closePrimesKey, isPrime, ordinaryKey, rocaKey } from '../test/support/weak-keys';
import {
  bitLength,
  blocklistCheck,
  checkSubscriberKey,
  FERMAT_ROUNDS,
  fermatFactor,
  hasRocaFingerprint,
  integerRoot,
  weakKeyChecks,
  type SubscriberKey,
} from './keys';

const rsa = (modulus: bigint): SubscriberKey => ({ kind: 'rsa', modulus, exponent: 65537n, bits: bitLength(modulus) });

// Keys are generated per run (never committed): the structure is what is tested, not a fixed value.
const roca = rocaKey();
const close = closePrimesKey(64);
const ordinary = Array.from({ length: 3 }, () => ordinaryKey());

describe('BR 6.1.1.3 ROCA (CVE-2017-15361)', () => {
  it('a key with RSALib prime structure (p = k·M + 65537^a mod M) carries the fingerprint and is refused', () => {
    expect(bitLength(roca.modulus)).toBe(2048);
    expect(hasRocaFingerprint(roca.modulus)).toBe(true);
    const r = checkSubscriberKey(rsa(roca.modulus), { weakKeyChecks });
    expect(r).toMatchObject({ ok: false, rule: 'BR 6.1.1.3' });
    expect(!r.ok && r.reason).toMatch(/ROCA/);
  });

  it('ordinary OpenSSL keys do not carry the fingerprint', () => {
    for (const k of ordinary) expect(hasRocaFingerprint(k.modulus)).toBe(false);
  });
});

describe('BR 6.1.1.3 Fermat factorization within 100 rounds', () => {
  it('primes 2^64 apart are found, and the factors multiply back to N', () => {
    const f = fermatFactor(close.modulus);
    expect(f).not.toBeNull();
    expect(f!.p * f!.q).toBe(close.modulus);
    expect(new Set([f!.p, f!.q])).toEqual(new Set([close.p, close.q]));
    expect(checkSubscriberKey(rsa(close.modulus), { weakKeyChecks })).toMatchObject({ ok: false, rule: 'BR 6.1.1.3' });
  });

  it('the round limit is exactly 100: found when a² - N is a square at a = ceil(√N) + 99, not at + 100', () => {
    // N = s² - d² = (s - d)(s + d). With a0 = ceil(√N) and s = a0 + k, Fermat's method finds N in round k + 1.
    // d = isqrt(k(2·a0 + k)) + 1 puts N just below a0², so ceil(√N) = a0 exactly. (The method does not need primes.)
    const a0 = (1n << 1023n) + 0x1234567n;
    const build = (k: bigint): bigint => {
      const s = a0 + k;
      const d = integerRoot(k * (2n * a0 + k), 2) + 1n;
      const n = s * s - d * d;
      const r = integerRoot(n, 2);
      expect(r * r < n ? r + 1n : r).toBe(a0);
      return n;
    };
    expect(fermatFactor(build(99n), FERMAT_ROUNDS)).not.toBeNull(); // round 100
    expect(fermatFactor(build(100n), FERMAT_ROUNDS)).toBeNull(); // would need round 101
    expect(fermatFactor(build(100n), FERMAT_ROUNDS + 1)).not.toBeNull();
  });

  it('ordinary OpenSSL keys are not Fermat-factorable within 100 rounds and pass every check', () => {
    for (const k of ordinary) {
      expect(fermatFactor(k.modulus)).toBeNull();
      expect(checkSubscriberKey(rsa(k.modulus), { weakKeyChecks })).toEqual({ ok: true });
    }
  });

  it('the generator made real primes', () => {
    expect(isPrime(close.p) && isPrime(close.q)).toBe(true);
  });
});

describe('BR 6.1.1.3 blocklist seam', () => {
  it('a blocklisted key is refused naming the source; an absent entry passes', () => {
    const k = rsa(ordinary[0]!.modulus);
    expect(checkSubscriberKey(k, { weakKeyChecks: [...weakKeyChecks, blocklistCheck({ source: 'debian-weak-keys' })] }))
      .toMatchObject({ ok: false, rule: 'BR 6.1.1.3', reason: expect.stringContaining('debian-weak-keys') });
    expect(checkSubscriberKey(k, { weakKeyChecks: [...weakKeyChecks, blocklistCheck(null)] })).toEqual({ ok: true });
  });
});
