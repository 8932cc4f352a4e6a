/**
 * A small ACME client for protocol tests (RFC 8555 §6): it signs JWS with `jose` and talks to any fetch-like
 * function — `app.request` in process, or `fetch` over HTTPS to the real listener. It deliberately exposes the raw
 * pieces (nonce, url, protected header, payload) so tests can break each rule one at a time.
 */
import type { KeyObject, webcrypto } from 'node:crypto';
import { FlattenedSign, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export type FetchLike = (url: string, init?: RequestInit) => Response | Promise<Response>;

export interface AccountKey {
  readonly alg: string;
  readonly privateKey: webcrypto.CryptoKey | KeyObject;
  readonly jwk: JWK;
}

export async function newAccountKey(alg: 'ES256' | 'RS256' | 'EdDSA' | 'ES384' = 'ES256'): Promise<AccountKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}), ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { alg, privateKey, jwk: await exportJWK(publicKey) };
}

export interface Jws {
  protected: string;
  payload: string;
  signature: string;
}

export async function signJws(
  key: { alg: string; privateKey: webcrypto.CryptoKey | KeyObject | Uint8Array },
  header: Record<string, unknown>,
  payload: unknown,
): Promise<Jws> {
  const bytes = payload === '' ? new Uint8Array(0) : new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const jws = await new FlattenedSign(bytes).setProtectedHeader({ alg: key.alg, ...header } as never).sign(key.privateKey);
  return { protected: jws.protected!, payload: jws.payload, signature: jws.signature };
}

export class AcmeTestClient {
  directory: Record<string, string> & { meta?: Record<string, unknown> } = {} as never;
  kid: string | null = null;
  private nonce: string | null = null;

  constructor(
    readonly fetch: FetchLike,
    readonly directoryUrl: string,
    public key: AccountKey,
  ) {}

  async init(): Promise<this> {
    const res = await this.fetch(this.directoryUrl);
    this.directory = (await res.json()) as never;
    return this;
  }

  async freshNonce(): Promise<string> {
    if (this.nonce) {
      const n = this.nonce;
      this.nonce = null;
      return n;
    }
    const res = await this.fetch(this.directory.newNonce!, { method: 'HEAD' });
    return res.headers.get('replay-nonce')!;
  }

  /** Sends a JWS; by default signed with the account key, `kid` when known, `jwk` otherwise. */
  async post(
    url: string,
    payload: unknown,
    opts: { useJwk?: boolean; key?: AccountKey; header?: Record<string, unknown>; nonce?: string; rawBody?: string; contentType?: string } = {},
  ): Promise<Response> {
    const key = opts.key ?? this.key;
    const nonce = opts.nonce ?? (await this.freshNonce());
    const header: Record<string, unknown> = { nonce, url, ...(opts.useJwk || !this.kid ? { jwk: key.jwk } : { kid: this.kid }), ...opts.header };
    for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
    const body = opts.rawBody ?? JSON.stringify(await signJws(key, header, payload));
    const res = await this.fetch(url, { method: 'POST', headers: { 'content-type': opts.contentType ?? 'application/jose+json' }, body });
    const n = res.headers.get('replay-nonce');
    if (n) this.nonce = n;
    return res;
  }

  async register(payload: Record<string, unknown> = { termsOfServiceAgreed: true, contact: ['mailto:ops@example.jp'] }): Promise<Response> {
    const res = await this.post(this.directory.newAccount!, payload, { useJwk: true });
    if (res.status === 200 || res.status === 201) this.kid = res.headers.get('location');
    return res;
  }

  thumbprint(): Promise<string> {
    return calculateJwkThumbprint(this.key.jwk, 'sha256');
  }
}

/** An EAB JWS (RFC 8555 §7.3.4) over the account key, MACed with the base64url HMAC key. */
export async function externalAccountBinding(opts: { keyId: string; hmacKey: string; jwk: JWK; url: string; alg?: string }): Promise<Jws> {
  return signJws(
    { alg: opts.alg ?? 'HS256', privateKey: base64url.decode(opts.hmacKey) },
    { kid: opts.keyId, url: opts.url },
    opts.jwk,
  );
}
