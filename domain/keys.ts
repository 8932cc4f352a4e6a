/**
 * Subscriber public-key rules ("goodkey", after Boulder's goodkey/): CP 6.1.5 and BR 6.1.1.3, 6.1.5, 6.1.6.
 *
 * Pure bigint arithmetic: importable from workflows. The checks that need data or heavier math — the
 * compromised-key blocklist (BR 6.1.1.3, looked up in the database by an activity), Debian weak keys, ROCA and
 * Fermat factoring within 100 rounds — plug in through `SubscriberKeyCheckOptions.weakKeyChecks`.
 */

export type SubscriberKey =
  | { readonly kind: 'rsa'; readonly modulus: bigint; readonly exponent: bigint; readonly bits: number }
  | { readonly kind: 'other'; readonly algorithmOid: string };

export type RsaSubscriberKey = Extract<SubscriberKey, { kind: 'rsa' }>;

export type KeyCheckResult = { ok: true } | { ok: false; reason: string; rule: string };

/** A further weak-key test (ROCA, Fermat, Debian blocklist...): return a refusal, or null when the key passes. */
export type WeakKeyCheck = (key: RsaSubscriberKey) => { ok: false; reason: string; rule: string } | null;

export interface SubscriberKeyCheckOptions {
  /** Seam for the BR 6.1.1.3 weak-key checks supplied elsewhere; run after the structural checks below. */
  readonly weakKeyChecks?: readonly WeakKeyCheck[];
}

/** CP 6.1.5: subscriber keys are RSA 2048, and nothing else. */
export const SUBSCRIBER_RSA_BITS = 2048;
const MAX_EXPONENT = (1n << 256n) - 1n; // BR 6.1.6: e ≤ 2^256 - 1
const SMALL_FACTOR_BOUND = 752; // BR 6.1.6: no factors smaller than 752

function primesBelow(limit: number): number[] {
  const sieve = new Array<boolean>(limit).fill(true);
  const out: number[] = [];
  for (let i = 2; i < limit; i++) {
    if (!sieve[i]) continue;
    out.push(i);
    for (let j = i * i; j < limit; j += i) sieve[j] = false;
  }
  return out;
}

const smallPrimes = primesBelow(SMALL_FACTOR_BOUND).map((p) => BigInt(p));

export function bitLength(n: bigint): number {
  return n <= 0n ? 0 : n.toString(2).length;
}

/** floor(n^(1/k)) for n ≥ 0, k ≥ 1, by Newton's method on bigints. */
export function integerRoot(n: bigint, k: number): bigint {
  if (n < 0n || k < 1) throw new RangeError('integerRoot: n ≥ 0 and k ≥ 1');
  if (n < 2n || k === 1) return n;
  const kb = BigInt(k);
  // Start above the root: 2^ceil(bits/k) > n^(1/k).
  let x = 1n << BigInt(Math.ceil(bitLength(n) / k));
  for (;;) {
    const y = ((kb - 1n) * x + n / x ** (kb - 1n)) / kb;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Is n = m^k for some integer m ≥ 2 and k ≥ 2? Checking prime exponents suffices (m^(ab) = (m^a)^b). When n has no
 * factor below `minFactor`, m ≥ minFactor, so k ≤ log2(n)/log2(minFactor): every such k is tested, which covers the
 * BR's "prime power" test (and any other perfect power).
 */
export function isPerfectPower(n: bigint, minFactor = 2): boolean {
  if (n < 4n) return false;
  const maxK = Math.floor(bitLength(n) / Math.log2(Math.max(2, minFactor)));
  for (const p of primesBelow(Math.max(3, maxK + 1))) {
    const r = integerRoot(n, p);
    if (r >= 2n && r ** BigInt(p) === n) return true;
  }
  return false;
}

/** Checks a subscriber's public key (from the CSR) against CP 6.1.5 and BR 6.1.6. */
export function checkSubscriberKey(key: SubscriberKey, opts: SubscriberKeyCheckOptions = {}): KeyCheckResult {
  if (key.kind !== 'rsa') {
    return { ok: false, reason: `only RSA ${SUBSCRIBER_RSA_BITS}-bit keys are accepted (got algorithm ${key.algorithmOid})`, rule: 'CP 6.1.5' };
  }
  const { modulus, exponent } = key;
  const bits = bitLength(modulus);
  if (bits !== SUBSCRIBER_RSA_BITS) {
    return { ok: false, reason: `RSA modulus is ${bits} bits; only ${SUBSCRIBER_RSA_BITS} bits are accepted`, rule: 'CP 6.1.5' };
  }
  if (key.bits !== bits) {
    return { ok: false, reason: `declared key size ${key.bits} does not match the modulus (${bits} bits)`, rule: 'CP 6.1.5' };
  }
  if (modulus % 2n === 0n) return { ok: false, reason: 'RSA modulus is even', rule: 'BR 6.1.6' };
  if (exponent < 3n) return { ok: false, reason: 'RSA public exponent is smaller than 3', rule: 'BR 6.1.6' };
  if (exponent % 2n === 0n) return { ok: false, reason: 'RSA public exponent is even', rule: 'BR 6.1.6' };
  if (exponent > MAX_EXPONENT) return { ok: false, reason: 'RSA public exponent is larger than 2^256-1', rule: 'BR 6.1.6' };
  for (const p of smallPrimes) {
    if (modulus % p === 0n) {
      return { ok: false, reason: `RSA modulus has a small prime factor (${p} < ${SMALL_FACTOR_BOUND})`, rule: 'BR 6.1.6' };
    }
  }
  if (isPerfectPower(modulus, SMALL_FACTOR_BOUND)) {
    return { ok: false, reason: 'RSA modulus is a prime power (perfect power)', rule: 'BR 6.1.6' };
  }
  for (const check of opts.weakKeyChecks ?? []) {
    const refusal = check(key);
    if (refusal) return refusal;
  }
  return { ok: true };
}
