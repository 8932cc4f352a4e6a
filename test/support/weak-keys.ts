/**
 * Weak RSA keys made on the spot for the BR 6.1.1.3 tests (no private key is ever committed): keys with the ROCA
 * structure, keys whose primes are close enough for Fermat's method, and ordinary OpenSSL keys. Each comes as a PKCS#8
 * PEM so OpenSSL can sign a CSR with it, exactly as an applicant holding such a key would.
 */
import { checkPrimeSync, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';

const b64u = (n: bigint): string => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
};

function randomBigInt(bits: number): bigint {
  const bytes = randomBytes(Math.ceil(bits / 8));
  let n = BigInt(`0x${bytes.toString('hex')}`);
  n &= (1n << BigInt(bits)) - 1n;
  return n | (1n << BigInt(bits - 1));
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

export const isPrime = (n: bigint): boolean => checkPrimeSync(n, { checks: 32 });

/** The RSA private key (PKCS#8 PEM) with primes p and q and e = 65537. */
export function rsaKeyPemFromPrimes(p: bigint, q: bigint, e = 65537n): { pem: string; modulus: bigint } {
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  if (gcd(e, phi) !== 1n) throw new Error('e not invertible');
  const d = modInverse(e, phi);
  const jwk = {
    kty: 'RSA',
    n: b64u(n),
    e: b64u(e),
    d: b64u(d),
    p: b64u(p),
    q: b64u(q),
    dp: b64u(d % (p - 1n)),
    dq: b64u(d % (q - 1n)),
    qi: b64u(modInverse(q, p)),
  };
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  return { pem: key.export({ format: 'pem', type: 'pkcs8' }) as string, modulus: n };
}

function firstPrimes(count: number): bigint[] {
  const out: bigint[] = [];
  for (let c = 2n; out.length < count; c++) if (out.every((p) => c % p !== 0n)) out.push(c);
  return out;
}

/**
 * A 1024-bit prime of RSALib's form p = k·M + (65537^a mod M), M the product of the first 126 primes (the primorial
 * RSALib used for 2048-bit keys, Nemec et al. 2017 table 1).
 */
const rocaM = firstPrimes(126).reduce((a, b) => a * b, 1n);
function rocaPrime(): bigint {
  const mBits = rocaM.toString(2).length;
  for (;;) {
    const k = randomBigInt(1024 - mBits);
    const a = randomBigInt(60);
    const p = k * rocaM + modPow(65537n, a, rocaM);
    if (p.toString(2).length === 1024 && isPrime(p)) return p;
  }
}

/** An RSA-2048 key with the ROCA structure. */
export function rocaKey(): { pem: string; modulus: bigint } {
  for (;;) {
    const p = rocaPrime();
    const q = rocaPrime();
    if (p !== q && (p * q).toString(2).length === 2048) return rsaKeyPemFromPrimes(p, q);
  }
}

/** An RSA-2048 key whose primes differ by less than 2^`gapBits` (Fermat finds it in round 1 for gaps ≪ 2^512). */
export function closePrimesKey(gapBits = 64): { pem: string; modulus: bigint; p: bigint; q: bigint } {
  for (;;) {
    const p = randomBigInt(1024) | 1n;
    if (!isPrime(p)) continue;
    let q = p + (randomBigInt(gapBits) | 1n) + 1n;
    if (q % 2n === 0n) q += 1n;
    while (!isPrime(q)) q += 2n;
    const { pem, modulus } = rsaKeyPemFromPrimes(p, q);
    if (modulus.toString(2).length === 2048) return { pem, modulus, p, q };
  }
}

/** An ordinary RSA-2048 key from OpenSSL (Node's generator). */
export function ordinaryKey(): { pem: string; modulus: bigint } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, modulus: BigInt(`0x${Buffer.from(jwk.n!, 'base64url').toString('hex')}`) };
}
