/**
 * ACME account keys (RFC 8555 §6.2, §7.3, §11.1): one public key is one account — a JWK is taken only in its
 * canonical form, so no second spelling of a key makes a second account — and a certificate's key is never the
 * account's. The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { createPrivateKey } from 'node:crypto';
import { base64url, exportPKCS8, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { client, problem, state, useAcmeTestServer, zone } from './acme-fixture';
import { makeCsr } from '../support/csr';

const s = useAcmeTestServer('acme_keys');

/** `member` of the JWK spelled otherwise: the same octets with a leading zero, or another base64url spelling. */
const withLeadingZero = (jwk: JWK, member: 'n' | 'e'): JWK => ({ ...jwk, [member]: base64url.encode(new Uint8Array([0, ...base64url.decode(jwk[member]!)])) });

/** The last character's unused low bits set: decodes to the same octets (base64url of 32 octets leaves 2 bits over). */
function respelled(value: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return value.slice(0, -1) + alphabet[alphabet.indexOf(value.at(-1)!) ^ 0b01]!;
}

describe('one public key, one ACME account (RFC 7638 thumbprint of the canonical JWK)', () => {
  it.each<[string, 'RS256' | 'ES256', (jwk: JWK) => JWK]>([
    ['RFC 7518 §6.3.1.1: n with a leading zero octet', 'RS256', (jwk) => withLeadingZero(jwk, 'n')],
    ['RFC 7518 §6.3.1.2: e with a leading zero octet', 'RS256', (jwk) => withLeadingZero(jwk, 'e')],
    ['RFC 7515 §2: x spelled in non-canonical base64url', 'ES256', (jwk) => ({ ...jwk, x: respelled(jwk.x!) })],
  ])('%s is badPublicKey, and makes no second account for the key', async (_rule, alg, spell) => {
    const c = await client(s, alg);
    expect((await c.register()).status).toBe(201);
    const before = await state(s);
    const other = spell(c.key.jwk);
    const again = await c.post(c.directory.newAccount!, { termsOfServiceAgreed: true }, { useJwk: true, key: { ...c.key, jwk: other } });
    expect(again.status).toBe(400);
    expect((await problem(again)).type).toBe('urn:ietf:params:acme:error:badPublicKey');
    expect(await state(s)).toEqual(before);
  });

  it('the canonical spelling of a registered key finds its account (200, the same Location)', async () => {
    const c = await client(s, 'RS256');
    const first = await c.register();
    const again = await c.post(c.directory.newAccount!, { termsOfServiceAgreed: true }, { useJwk: true });
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
  });
});

describe('RFC 8555 §11.1: a finalize CSR whose key is the account key is badCSR', () => {
  it('refuses it, leaves the order ready, and signals nothing', async () => {
    const c = await client(s, 'RS256');
    await c.register();
    const name = `same-key.${zone}`;
    const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
    const o = (await created.json()) as { finalize: string };
    const orderId = created.headers.get('location')!.split('/').pop()!;
    await s.fresh.handle.sql`update orders set status = 'ready' where id = ${orderId}`;
    const keyPem = await exportPKCS8(c.key.privateKey as never);
    expect(createPrivateKey(keyPem).asymmetricKeyType).toBe('rsa');
    const csr = makeCsr({ names: [name], keyPem });
    const finalizes = s.workflows.calls.signalFinalize.length;
    const res = await c.post(o.finalize, { csr: base64url.encode(csr.der) });
    const p = await problem(res);
    expect(p.type).toBe('urn:ietf:params:acme:error:badCSR');
    expect(p.detail).toContain('account key');
    const [row] = await s.fresh.handle.sql`select status from orders where id = ${orderId}`;
    expect(row!.status).toBe('ready');
    expect(s.workflows.calls.signalFinalize.length).toBe(finalizes);
  });
});
