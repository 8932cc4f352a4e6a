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
/** BR 6.1.6: 2^16 + 1 ≤ e ≤ 2^256 - 1 (the BR say SHOULD; this CA makes it a rule, as Boulder accepts only 65537). */
const MIN_EXPONENT = (1n << 16n) + 1n;
const MAX_EXPONENT = (1n << 256n) - 1n;
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
  if (exponent % 2n === 0n) return { ok: false, reason: 'RSA public exponent is even', rule: 'BR 6.1.6' };
  if (exponent < MIN_EXPONENT) return { ok: false, reason: `RSA public exponent ${exponent} is smaller than 2^16+1 (65537)`, rule: 'BR 6.1.6' };
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

// ---------------------------------------------------------------------------------------------------------------
// BR 6.1.1.3 weak-key checks: ROCA and Fermat. Both are pure arithmetic on the public modulus, so they run
// wherever the structural checks run. The compromised-key blocklist needs the database: the API looks it up and
// passes the answer in as one more WeakKeyCheck (`blocklistCheck`).
// ---------------------------------------------------------------------------------------------------------------

/**
 * The small primes of the ROCA fingerprint (CVE-2017-15361; Nemec et al., "The Return of Coppersmith's Attack",
 * CCS 2017, and the authors' detector). Infineon's RSALib built primes p = k·M + (65537^a mod M) with M a primorial,
 * so for every small prime r dividing M, p mod r and q mod r — hence N mod r — lie in the multiplicative subgroup
 * generated by 65537 mod r. A modulus whose residue falls outside that subgroup for any r is not a ROCA key; one
 * inside it for all 38 primes is one (false-positive rate ≈ 2^-154 for random moduli per the paper).
 */
export const ROCA_PRIMES: readonly number[] = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113,
  127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/** For each ROCA prime r: the residues of <65537 mod r> (the subgroup RSALib's primes stay in). */
const rocaSubgroups: ReadonlyArray<{ r: bigint; members: ReadonlySet<number> }> = ROCA_PRIMES.map((r) => {
  const g = 65537 % r;
  const members = new Set<number>();
  for (let x = 1; !members.has(x); x = (x * g) % r) members.add(x);
  return { r: BigInt(r), members };
});

/** True when the modulus carries the ROCA fingerprint (BR 6.1.1.3: keys with a known weakness must be refused). */
export function hasRocaFingerprint(modulus: bigint): boolean {
  return rocaSubgroups.every(({ r, members }) => members.has(Number(modulus % r)));
}

/** BR 6.1.1.3: refuse ROCA keys. */
export const rocaCheck: WeakKeyCheck = (key) =>
  hasRocaFingerprint(key.modulus)
    ? { ok: false, reason: 'the RSA key has the ROCA fingerprint (CVE-2017-15361, Infineon RSALib): it can be factored', rule: 'BR 6.1.1.3' }
    : null;

/** floor(sqrt(n)). */
function isqrt(n: bigint): bigint {
  return integerRoot(n, 2);
}

/** BR 6.1.1.3 (ballot SC-073): "Fermat factorization … within 100 rounds". */
export const FERMAT_ROUNDS = 100;

/**
 * Fermat's method from a = ceil(sqrt(N)): N = a² - b² = (a - b)(a + b) as soon as a² - N is a square. Primes too close
 * together (|p - q| small, as some broken generators produce) fall in the first few rounds. Returns the factors found
 * within `rounds` values of a, or null. Boulder's goodkey does the same 100 rounds.
 */
export function fermatFactor(modulus: bigint, rounds = FERMAT_ROUNDS): { p: bigint; q: bigint } | null {
  if (modulus < 9n) return null;
  let a = isqrt(modulus);
  if (a * a < modulus) a += 1n;
  for (let i = 0; i < rounds; i++, a += 1n) {
    const b2 = a * a - modulus;
    const b = isqrt(b2);
    if (b * b === b2) {
      const p = a - b;
      const q = a + b;
      // p = 1 would mean N = (a+b) is prime: no factorization, not a finding.
      return p > 1n ? { p, q } : null;
    }
  }
  return null;
}

/** BR 6.1.1.3: refuse keys Fermat-factorable within 100 rounds. */
export const fermatCheck: WeakKeyCheck = (key) =>
  fermatFactor(key.modulus) !== null
    ? { ok: false, reason: `the RSA modulus is Fermat-factorable within ${FERMAT_ROUNDS} rounds (its primes are too close)`, rule: 'BR 6.1.1.3' }
    : null;

/**
 * BR 6.1.1.3 / 4.9.12: the key is on the compromised-key blocklist (reported compromises and imported lists such as
 * the Debian weak keys). The lookup itself is I/O; the caller passes its answer.
 */
export function blocklistCheck(entry: { source: string } | null): WeakKeyCheck {
  return () =>
    entry
      ? { ok: false, reason: `the key is on the compromised/weak key blocklist (source: ${entry.source})`, rule: 'BR 6.1.1.3' }
      : null;
}

/** The weak-key checks every subscriber key goes through (the blocklist is added by the caller that can look it up). */
export const weakKeyChecks: readonly WeakKeyCheck[] = [rocaCheck, fermatCheck];
