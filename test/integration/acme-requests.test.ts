/**
 * RFC 8555 §7.1.1 directory, §7.2 nonces and §6 request authentication: every broken JWS is refused and changes
 * no state.
 * The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url } from 'jose';
import { revokeAcmeAccount } from '../../db/repositories/acme';
import { AcmeTestClient, signJws } from '../support/acme-client';
import { BASE, baseConfig, DIRECTORY, problem, registeredClient, useAcmeTestServer, withoutStateChange, zone } from './acme-fixture';

const s = useAcmeTestServer('acme_req');

describe('RFC 8555 §7.1.1 directory and §7.2 nonces', () => {
  it('lists every resource and the meta fields (terms, website, CAA identities, EAB, profiles)', async () => {
    const res = await s.app.request(DIRECTORY);
    expect(res.status).toBe(200);
    const d = (await res.json()) as Record<string, unknown> & { meta: Record<string, unknown> };
    for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo']) expect(d[k]).toBe(`${BASE}/${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`);
    expect(d.meta.caaIdentities).toEqual([baseConfig.caaIssuerDomain]);
    expect(d.meta).toMatchObject({ termsOfService: expect.any(String), website: expect.any(String), externalAccountRequired: false, profiles: { dv: expect.any(String) } });
  });

  it('hands out a fresh nonce on HEAD (200) and GET (204) with Cache-Control: no-store', async () => {
    const head = await s.app.request(`${BASE}/new-nonce`, { method: 'HEAD' });
    const get = await s.app.request(`${BASE}/new-nonce`);
    expect([head.status, get.status]).toEqual([200, 204]);
    expect(head.headers.get('cache-control')).toBe('no-store');
    // 6 octets of issue time, 16 random, 16 of HMAC (api/acme/nonces.ts), base64url.
    expect(head.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]{51}$/);
    expect(head.headers.get('replay-nonce')).not.toBe(get.headers.get('replay-nonce'));
    expect(head.headers.get('link')).toContain(`<${DIRECTORY}>;rel="index"`);
  });
});

describe('RFC 8555 §6 request authentication: bad input changes no state', () => {
  let c: AcmeTestClient;
  beforeAll(async () => {
    c = await registeredClient(s);
  });

  const order = () => ({ identifiers: [{ type: 'dns', value: `www.${zone}` }] });

  it.each([
    ['not JSON', (_n: string) => 'this is not json', 'malformed', 400],
    ['a compact JWS', (_n: string) => JSON.stringify('eyJhbGciOiJFUzI1NiJ9.e30.c2ln'), 'malformed', 400],
    ['a JWS without signature', (_n: string) => JSON.stringify({ protected: base64url.encode('{"alg":"ES256"}'), payload: '' }), 'malformed', 400],
    ['an unprotected header', (_n: string) => JSON.stringify({ protected: base64url.encode('{"alg":"ES256"}'), header: {}, payload: '', signature: '' }), 'malformed', 400],
  ])('%s is malformed', async (_name, body, type, status) => {
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newOrder!, order(), { rawBody: body('') });
      expect(res.status).toBe(status);
      expect((await problem(res)).type).toBe(`urn:ietf:params:acme:error:${type}`);
    });
  });

  it('a wrong content type is refused (§6.2: application/jose+json)', async () => {
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newOrder!, order(), { contentType: 'application/json' });
      expect(res.status).toBe(415);
    });
  });

  it('a bad signature is malformed and does NOT use up the nonce', async () => {
    const nonce = await withoutStateChange(s, async () => {
      const nonce = await c.freshNonce();
      const good = await signJws(c.key, { nonce, url: c.directory.newOrder, kid: c.kid }, order());
      const forged = { ...good, signature: good.signature.slice(0, -4) + (good.signature.endsWith('AAAA') ? 'BBBB' : 'AAAA') };
      const res = await c.post(c.directory.newOrder!, order(), { rawBody: JSON.stringify(forged) });
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:malformed');
      return nonce;
    });
    const retry = await c.post(c.directory.newOrder!, order(), { nonce });
    expect(retry.status).toBe(201);
  });

  it('a replayed nonce is badNonce with a fresh nonce to retry with (§6.5)', async () => {
    const nonce = await c.freshNonce();
    expect((await c.post(c.kid!, '', { nonce })).status).toBe(200);
    await withoutStateChange(s, async () => {
      const replay = await c.post(c.directory.newOrder!, order(), { nonce });
      expect(replay.status).toBe(400);
      expect((await problem(replay)).type).toBe('urn:ietf:params:acme:error:badNonce');
      expect(replay.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]+$/);
      const made = await c.post(c.directory.newOrder!, order(), { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect((await problem(made)).type).toBe('urn:ietf:params:acme:error:badNonce');
      const missing = await c.post(c.directory.newOrder!, order(), { header: { nonce: undefined } });
      expect((await problem(missing)).type).toBe('urn:ietf:params:acme:error:badNonce');
    });
  });

  it('a url header that is not the request URL is unauthorized (§6.4)', async () => {
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newOrder!, order(), { header: { url: `${BASE}/new-account` } });
      expect(res.status).toBe(403);
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:unauthorized');
      const http = await c.post(c.directory.newOrder!, order(), { header: { url: c.directory.newOrder!.replace('https:', 'http:') } });
      expect((await problem(http)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    });
  });

  it('an unknown account (kid) is accountDoesNotExist', async () => {
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newOrder!, order(), { header: { kid: `${BASE}/acct/00000000-0000-4000-8000-000000000000` } });
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:accountDoesNotExist');
    });
  });

  it('jwk where kid is required, both, or neither are malformed (§6.2)', async () => {
    await withoutStateChange(s, async () => {
      const jwk = await c.post(c.directory.newOrder!, order(), { useJwk: true });
      expect((await problem(jwk)).type).toBe('urn:ietf:params:acme:error:malformed');
      const both = await c.post(c.directory.newOrder!, order(), { header: { jwk: c.key.jwk } });
      expect((await problem(both)).type).toBe('urn:ietf:params:acme:error:malformed');
      const neither = await c.post(c.directory.newOrder!, order(), { header: { kid: undefined } });
      expect((await problem(neither)).type).toBe('urn:ietf:params:acme:error:malformed');
    });
  });

  it('algorithms outside the allow-list are badSignatureAlgorithm and name the accepted ones', async () => {
    await withoutStateChange(s, async () => {
      const hs = await c.post(c.directory.newOrder!, order(), {
        key: { alg: 'HS256', privateKey: new Uint8Array(32) as never, jwk: c.key.jwk },
      });
      const p = await problem(hs);
      expect(p.type).toBe('urn:ietf:params:acme:error:badSignatureAlgorithm');
      expect(p.algorithms).toEqual(expect.arrayContaining(['ES256', 'RS256', 'EdDSA']));
      const none = JSON.stringify({ protected: base64url.encode(JSON.stringify({ alg: 'none', nonce: await c.freshNonce(), url: c.directory.newOrder, kid: c.kid })), payload: base64url.encode('{}'), signature: '' });
      const r = await c.post(c.directory.newOrder!, order(), { rawBody: none });
      expect((await problem(r)).type).toBe('urn:ietf:params:acme:error:badSignatureAlgorithm');
    });
  });

  it('a weak RSA account key (1024 bits) is badPublicKey', async () => {
    // jose refuses to sign with such a key, so the JWS is made by hand (RFC 7515 §5.1) with node:crypto.
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const k = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const prot = base64url.encode(JSON.stringify({ alg: 'RS256', nonce: await c.freshNonce(), url: c.directory.newAccount, jwk: k.publicKey.export({ format: 'jwk' }) }));
    const payload = base64url.encode(JSON.stringify({ termsOfServiceAgreed: true }));
    const signature = base64url.encode(sign('sha256', Buffer.from(`${prot}.${payload}`), k.privateKey));
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newAccount!, {}, { rawBody: JSON.stringify({ protected: prot, payload, signature }) });
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:badPublicKey');
    });
  });

  it('an oversized body is refused before it is read (413)', async () => {
    await withoutStateChange(s, async () => {
      const res = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `www.${zone}` }], pad: 'x'.repeat(80 * 1024) });
      expect(res.status).toBe(413);
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:malformed');
    });
  });

  it('a revoked account (operator action) is unauthorized', async () => {
    const r = await registeredClient(s);
    await revokeAcmeAccount(s.fresh.handle.db, r.kid!.split('/').pop()!, { actor: 'test' });
    await withoutStateChange(s, async () => {
      const res = await r.post(r.directory.newOrder!, order());
      expect(res.status).toBe(403);
      expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    });
  });
});
