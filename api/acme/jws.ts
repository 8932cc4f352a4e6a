/**
 * Request authentication of the ACME server (RFC 8555 §6.2–§6.5), with `jose` doing the cryptography.
 *
 * Every POST carries a Flattened JSON Serialization JWS (§6.2) whose protected header has `alg` (from our
 * allow-list; never `none` or a MAC), `nonce` (§6.5), `url` (§6.4: equal to the URL the request was sent to) and
 * exactly one of `jwk` (newAccount, revokeCert signed by the certificate key) or `kid` (the account URL, everything
 * else). The checks run in an order that keeps bad input from changing state: everything is verified — including the
 * signature — before the nonce is consumed, so a forged or broken request cannot even burn someone's nonce.
 */
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  flattenedVerify,
  importJWK,
  base64url,
  type JWK,
  type ProtectedHeaderParameters,
} from 'jose';
import { CaError } from '../../domain/errors';
import type { NonceStore } from './nonces';

/** SHA-256 of the SubjectPublicKeyInfo of a JWK already checked (a stored account key, or the key of a verified request). */
export function spkiSha256OfJwk(jwk: Record<string, unknown>): Uint8Array {
  const spki = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  return new Uint8Array(createHash('sha256').update(spki).digest());
}

/**
 * Signature algorithms accepted on account keys (RFC 8555 §6.2 requires ES256 and EdDSA support; RS256 is what most
 * clients use by default). MACs and `none` are never accepted on an outer JWS.
 */
export const allowedAlgorithms = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type AllowedAlgorithm = (typeof allowedAlgorithms)[number];

/** RSA account keys below this size are refused (the same floor as subscriber keys, CP 6.1.5, BR 6.1.5). */
export const MIN_RSA_ACCOUNT_KEY_BITS = 2048;
const MAX_RSA_ACCOUNT_KEY_BITS = 8192;

export interface AcmeProtectedHeader {
  readonly alg: AllowedAlgorithm;
  readonly nonce: string;
  readonly url: string;
  readonly jwk?: JWK;
  readonly kid?: string;
}

export interface FlattenedJws {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

export interface VerifiedJws<A> {
  readonly header: AcmeProtectedHeader;
  /** The decoded payload text; '' for POST-as-GET (§6.3). */
  readonly payloadText: string;
  /** The key that verified the signature (from `jwk`, or the account's stored key for `kid`). */
  readonly jwk: JWK;
  /** The account resolved from `kid`, when the request used one. */
  readonly account: A | null;
}

export interface VerifyOptions<A> {
  /** The URL this request was sent to, built from the configured public base URL (not from the Host header). */
  readonly expectedUrl: string;
  /** Which key reference the resource demands (§6.2): newAccount `jwk`, revokeCert either, everything else `kid`. */
  readonly keyMode: 'jwk' | 'kid' | 'either';
  readonly nonces: NonceStore;
  /**
   * Resolves a `kid` (an account URL) to the account and its key; throws CaError accountDoesNotExist /
   * unauthorized (deactivated) itself.
   */
  readonly resolveKid: (kid: string) => Promise<{ account: A; jwk: JWK }>;
}

const b64urlRe = /^[A-Za-z0-9_-]*$/;

/** JSON text that must be a JSON object (not an array, not null); anything else is `malformed` with the given message. */
function parseJsonObject(text: string, messages: { notJson: string; notObject: string }): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CaError('malformed', messages.notJson);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CaError('malformed', messages.notObject);
  return value as Record<string, unknown>;
}

/** Parses the request body as a flattened JWS (§6.2): exactly `protected`, `payload`, `signature`; no unprotected header. */
export function parseFlattenedJws(body: string): FlattenedJws {
  const o = parseJsonObject(body, {
    notJson: 'the request body is not JSON (RFC 8555 §6.2: a JWS in Flattened JSON Serialization)',
    notObject: 'the request body is not a JWS object',
  });
  if ('signatures' in o) throw new CaError('malformed', 'the General JWS Serialization is not allowed; use the Flattened one (RFC 8555 §6.2)');
  if ('header' in o) throw new CaError('malformed', 'a JWS Unprotected Header is not allowed (RFC 8555 §6.2)');
  for (const k of ['protected', 'payload', 'signature'] as const) {
    if (typeof o[k] !== 'string' || !b64urlRe.test(o[k] as string)) throw new CaError('malformed', `the JWS member "${k}" is missing or not base64url`);
  }
  const extra = Object.keys(o).filter((k) => !['protected', 'payload', 'signature'].includes(k));
  if (extra.length > 0) throw new CaError('malformed', `unexpected JWS members: ${extra.join(', ')}`);
  return { protected: o.protected as string, payload: o.payload as string, signature: o.signature as string };
}

function decodeHeader(jws: FlattenedJws): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader({ protected: jws.protected, payload: jws.payload, signature: jws.signature });
  } catch {
    throw new CaError('malformed', 'the JWS protected header is not base64url-encoded JSON');
  }
}

/** Curve → the octets of one coordinate (RFC 7518 §6.2.1.2, RFC 8037 §2): x and y are exactly this long. */
const coordinateOctets: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66, Ed25519: 32 };

/**
 * A JWK member that must be base64url of an octet string, spelled canonically (no padding, no stray bits in the last
 * character): otherwise two spellings of one key would have two RFC 7638 thumbprints, i.e. two accounts.
 */
function octets(k: JWK, member: 'n' | 'e' | 'x' | 'y'): Uint8Array {
  const v = k[member];
  if (typeof v !== 'string' || v === '' || !b64urlRe.test(v)) throw new CaError('malformed', `the jwk member "${member}" is not base64url`);
  const bytes = base64url.decode(v);
  if (base64url.encode(bytes) !== v) throw new CaError('badPublicKey', `the jwk member "${member}" is not canonical base64url (RFC 7515 §2)`);
  return bytes;
}

/**
 * Only public members, of a key type and size we accept (§6.2: the key is the account's identity), in its one
 * canonical form: RSA n and e without leading zero octets (RFC 7518 §6.3.1.1–2), EC and OKP coordinates of exactly
 * the curve's size (RFC 7518 §6.2.1.2, RFC 8037 §2) — so one public key has one thumbprint, hence one account.
 */
export async function checkAccountJwk(jwk: unknown, alg: string): Promise<JWK> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new CaError('malformed', 'jwk is not a JSON object');
  const k = jwk as JWK;
  for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) {
    if (priv in k) throw new CaError('malformed', `the jwk carries the private or secret member "${priv}"`);
  }
  if (k.kty === 'RSA') {
    const [n, e] = [octets(k, 'n'), octets(k, 'e')];
    if (n[0] === 0 || e[0] === 0) throw new CaError('badPublicKey', 'the RSA modulus or exponent has leading zero octets (RFC 7518 §6.3.1)', { rule: 'RFC 7518 §6.3.1' });
    const bits = n.length * 8 - Math.clz32(n[0]!) + 24;
    if (bits < MIN_RSA_ACCOUNT_KEY_BITS || bits > MAX_RSA_ACCOUNT_KEY_BITS) {
      throw new CaError('badPublicKey', `RSA account keys must be ${MIN_RSA_ACCOUNT_KEY_BITS}..${MAX_RSA_ACCOUNT_KEY_BITS} bits, this one has ${bits}`);
    }
  } else if (k.kty === 'EC' || k.kty === 'OKP') {
    const accepted = k.kty === 'EC' ? ['P-256', 'P-384', 'P-521'] : ['Ed25519'];
    if (!accepted.includes(String(k.crv))) throw new CaError('badPublicKey', `${k.kty} curve ${String(k.crv)} is not accepted`);
    for (const member of k.kty === 'EC' ? (['x', 'y'] as const) : (['x'] as const)) {
      if (octets(k, member).length !== coordinateOctets[k.crv!]) {
        throw new CaError('badPublicKey', `the jwk member "${member}" is not the ${coordinateOctets[k.crv!]} octets of a ${k.crv} coordinate (RFC 7518 §6.2.1.2)`);
      }
    }
  } else {
    throw new CaError('badPublicKey', `key type ${String(k.kty)} is not accepted for account keys`);
  }
  try {
    await importJWK(k, alg);
  } catch (e) {
    throw new CaError('badPublicKey', `the jwk is not a usable ${alg} key: ${(e as Error).message}`);
  }
  return k;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the account key's identity and the key-authorization suffix (§8.1). */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

async function verifySignature(jws: FlattenedJws, jwk: JWK, alg: string): Promise<void> {
  let key;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    // The account's key is not of this algorithm's type: whoever signed, it was not with the account key.
    throw new CaError('malformed', `the JWS signature does not verify (${alg} does not fit the account key)`);
  }
  try {
    await flattenedVerify(jws, key, { algorithms: [alg] });
  } catch {
    throw new CaError('malformed', 'the JWS signature does not verify');
  }
}

/**
 * Verifies one ACME POST. On success the nonce is consumed; on any failure nothing changed (the nonce stays usable
 * unless it was itself the problem).
 */
export async function verifyAcmeJws<A>(body: string, opts: VerifyOptions<A>): Promise<VerifiedJws<A>> {
  const jws = parseFlattenedJws(body);
  const h = decodeHeader(jws);
  if (typeof h.alg !== 'string' || !(allowedAlgorithms as readonly string[]).includes(h.alg)) {
    throw new CaError('badSignatureAlgorithm', `JWS algorithm ${String(h.alg)} is not accepted`, { algorithms: [...allowedAlgorithms] });
  }
  if (h.b64 !== undefined || (h.crit !== undefined)) throw new CaError('malformed', 'the JWS unencoded payload option and crit are not allowed (RFC 8555 §6.2)');
  if (typeof h.nonce !== 'string' || h.nonce.length === 0 || !b64urlRe.test(h.nonce)) {
    throw new CaError('badNonce', 'the JWS protected header has no valid nonce (RFC 8555 §6.5)');
  }
  if (typeof h.url !== 'string' || h.url !== opts.expectedUrl) {
    throw new CaError('unauthorized', `the JWS url ${JSON.stringify(h.url ?? null)} is not the request URL ${opts.expectedUrl} (RFC 8555 §6.4)`);
  }
  const hasJwk = h.jwk !== undefined;
  const hasKid = h.kid !== undefined;
  if (hasJwk === hasKid) throw new CaError('malformed', 'the JWS protected header must contain exactly one of jwk and kid (RFC 8555 §6.2)');
  if (opts.keyMode === 'jwk' && !hasJwk) throw new CaError('malformed', 'this resource requires a jwk, not a kid (RFC 8555 §6.2)');
  if (opts.keyMode === 'kid' && !hasKid) throw new CaError('malformed', 'this resource requires a kid (the account URL), not a jwk (RFC 8555 §6.2)');

  let jwk: JWK;
  let account: A | null = null;
  if (hasJwk) {
    jwk = await checkAccountJwk(h.jwk, h.alg);
  } else {
    if (typeof h.kid !== 'string') throw new CaError('malformed', 'kid must be the account URL');
    const resolved = await opts.resolveKid(h.kid);
    account = resolved.account;
    jwk = resolved.jwk;
  }
  await verifySignature(jws, jwk, h.alg);
  let payloadText: string;
  try {
    payloadText = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(jws.payload));
  } catch {
    throw new CaError('malformed', 'the JWS payload is not base64url-encoded UTF-8');
  }
  // Last: the nonce. Only a request that passed every other check may use it up (§6.5: exactly once).
  if (!(await opts.nonces.consume(h.nonce))) throw new CaError('badNonce', 'the nonce is unknown, expired or already used (RFC 8555 §6.5)');
  return {
    header: { alg: h.alg as AllowedAlgorithm, nonce: h.nonce, url: h.url, ...(hasJwk ? { jwk } : { kid: h.kid as string }) },
    payloadText,
    jwk,
    account,
  };
}

/** Parses a JSON-object payload (not POST-as-GET); `{}` and `""` are distinguished as RFC 8555 §6.3 requires. */
export function jsonPayload(payloadText: string): Record<string, unknown> {
  if (payloadText === '') throw new CaError('malformed', 'this request needs a JSON payload, not POST-as-GET');
  return parseJsonObject(payloadText, { notJson: 'the JWS payload is not JSON', notObject: 'the JWS payload is not a JSON object' });
}

/** The EAB MAC algorithms (RFC 8555 §7.3.4: a MAC algorithm, HS256 being what every client sends). */
export const eabAlgorithms = ['HS256', 'HS384', 'HS512'] as const;

/**
 * External account binding (RFC 8555 §7.3.4): a JWS inside the newAccount payload, MACed with the HMAC key the CA
 * gave out, whose protected header has the MAC `alg`, the key id as `kid`, the newAccount `url` and NO nonce, and
 * whose payload is the very account key (jwk) of the outer JWS.
 */
export async function verifyExternalAccountBinding(
  eab: unknown,
  opts: {
    readonly outerJwk: JWK;
    readonly newAccountUrl: string;
    readonly lookupKey: (keyId: string) => Promise<Uint8Array | null>;
  },
): Promise<{ keyId: string }> {
  const jws = parseFlattenedJws(JSON.stringify(eab ?? null));
  const h = decodeHeader(jws);
  if (typeof h.alg !== 'string' || !(eabAlgorithms as readonly string[]).includes(h.alg)) {
    throw new CaError('badSignatureAlgorithm', `externalAccountBinding: algorithm ${String(h.alg)} is not a MAC this server accepts`, {
      algorithms: [...eabAlgorithms],
    });
  }
  if (h.nonce !== undefined) throw new CaError('malformed', 'externalAccountBinding: the protected header must not contain a nonce (RFC 8555 §7.3.4)');
  if (h.url !== opts.newAccountUrl) throw new CaError('unauthorized', 'externalAccountBinding: url is not the newAccount URL (RFC 8555 §7.3.4)');
  if (typeof h.kid !== 'string' || h.kid.length === 0) throw new CaError('malformed', 'externalAccountBinding: kid (the key identifier) is missing');
  const key = await opts.lookupKey(h.kid);
  if (!key) throw new CaError('unauthorized', 'externalAccountBinding: unknown, revoked or already used key identifier');
  try {
    await flattenedVerify(jws, key, { algorithms: [h.alg] });
  } catch {
    throw new CaError('unauthorized', 'externalAccountBinding: the MAC does not verify');
  }
  let inner: unknown;
  try {
    inner = JSON.parse(new TextDecoder().decode(base64url.decode(jws.payload)));
  } catch {
    throw new CaError('malformed', 'externalAccountBinding: the payload is not a JWK');
  }
  const same = await jwkThumbprint(inner as JWK).then(
    async (t) => t === (await jwkThumbprint(opts.outerJwk)),
    () => false,
  );
  if (!same) throw new CaError('malformed', 'externalAccountBinding: the payload is not the account key of the request (RFC 8555 §7.3.4)');
  return { keyId: h.kid };
}
