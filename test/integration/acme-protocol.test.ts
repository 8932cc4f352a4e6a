/**
 * The ACME server at the protocol level (RFC 8555 §6, §7; RFC 9773; issue #6), with a JS client (jose) that breaks
 * one rule at a time. Real PostgreSQL (a fresh database); the Temporal side is a recording fake, so these tests pin
 * what the server stores and signals — the real workflow is exercised by test/e2e/acme-clients.test.ts.
 *
 * The rule of the issue pinned throughout: bad input (malformed JWS, replayed nonce, wrong URL, unknown account,
 * oversized payload, revoked account) changes no state — counted over every ACME table, the orders, and the audit log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base64url } from 'jose';
import { acmeApp, type AcmeDeps } from '../../api/acme/app';
import { createNonceStore } from '../../api/acme/nonces';
import type { WorkflowGateway } from '../../api/workflow-gateway';
import { loadConfig, type CaConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { createEabKey, revokeAcmeAccount } from '../../db/repositories/acme';
import type { IssueCertificateInput } from '../../workflows/contracts';
import { AcmeTestClient, externalAccountBinding, newAccountKey, signJws } from '../support/acme-client';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';

const BASE = 'https://acme.test.example:8443/acme';
const DIRECTORY = `${BASE}/directory`;
const baseConfig = loadConfig();
const zone = baseConfig.dns.devZone;

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
const started: IssueCertificateInput[] = [];
const readySignals: Array<[string, string]> = [];
const finalizeSignals: string[] = [];
let failStart = false;
let eabRequired = false;

const gateway: WorkflowGateway = {
  async startIssuance(input) {
    if (failStart) throw new Error('Temporal is down (injected)');
    started.push(input);
  },
  async signalChallengeReady(orderId, challengeId) {
    readySignals.push([orderId, challengeId]);
  },
};

let app: ReturnType<typeof acmeApp>;
const fetchApp = (url: string, init?: RequestInit) => app.request(url, init);

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'acme' });
  const config: CaConfig = {
    ...baseConfig,
    get acme() {
      return { ...baseConfig.acme, eabRequired };
    },
  };
  const deps: AcmeDeps = {
    db: fresh.handle.db,
    workflows: gateway,
    acmeWorkflows: { signalFinalize: async (id) => void finalizeSignals.push(id) },
    revocation: null,
    config,
    clock: () => new Date(),
    nonces: createNonceStore(),
    baseUrl: BASE,
  };
  app = acmeApp(deps);
});
afterAll(async () => {
  await fresh?.drop();
});
afterEach(() => {
  eabRequired = false;
  failStart = false;
});

/** Every row count the ACME server could change, and the audit chain's length. */
async function state() {
  const [r] = await fresh.handle.sql`select
    (select count(*)::int from accounts) as accounts,
    (select count(*)::int from acme_accounts) as acme_accounts,
    (select count(*)::int from acme_eab_keys where bound_at is not null) as eab_bound,
    (select count(*)::int from acme_orders) as acme_orders,
    (select count(*)::int from orders) as orders,
    (select count(*)::int from challenges where key_authorization is not null) as answered,
    (select string_agg(status || coalesce(jsonb_array_length(contact)::text, ''), ',' order by id) from acme_accounts) as account_states,
    (select count(*)::int from audit_log) as audit`;
  return r!;
}

async function client(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256') {
  return new AcmeTestClient(fetchApp, DIRECTORY, await newAccountKey(alg)).init();
}

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { type: string; detail: string; status: number; algorithms?: string[]; subproblems?: unknown[] };
}

describe('RFC 8555 §7.1.1 directory and §7.2 nonces', () => {
  it('lists every resource and the meta fields of issue #6', async () => {
    const res = await app.request(DIRECTORY);
    expect(res.status).toBe(200);
    const d = (await res.json()) as Record<string, unknown> & { meta: Record<string, unknown> };
    for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo']) expect(d[k]).toBe(`${BASE}/${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`);
    expect(d.meta.caaIdentities).toEqual([baseConfig.caaIssuerDomain]);
    expect(d.meta).toMatchObject({ termsOfService: expect.any(String), website: expect.any(String), externalAccountRequired: false, profiles: { dv: expect.any(String) } });
  });

  it('hands out a fresh nonce on HEAD (200) and GET (204) with Cache-Control: no-store', async () => {
    const head = await app.request(`${BASE}/new-nonce`, { method: 'HEAD' });
    const get = await app.request(`${BASE}/new-nonce`);
    expect([head.status, get.status]).toEqual([200, 204]);
    expect(head.headers.get('cache-control')).toBe('no-store');
    expect(head.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(head.headers.get('replay-nonce')).not.toBe(get.headers.get('replay-nonce'));
    expect(head.headers.get('link')).toContain(`<${DIRECTORY}>;rel="index"`);
  });
});

describe('RFC 8555 §7.3 accounts', () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)('creates an account with a %s key, finds it again, and only returns existing ones when asked', async (alg) => {
    const c = await client(alg);
    const before = await state();
    const created = await c.register();
    expect(created.status).toBe(201);
    expect(c.kid).toMatch(new RegExp(`^${BASE}/acct/[0-9a-f-]{36}$`));
    expect(await created.json()).toMatchObject({ status: 'valid', contact: ['mailto:ops@example.jp'], termsOfServiceAgreed: true, orders: `${c.kid}/orders` });
    const again = await c.post(c.directory.newAccount!, { onlyReturnExisting: true }, { useJwk: true });
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(c.kid);
    const after = await state();
    expect(after.acme_accounts).toBe(before.acme_accounts + 1);
    expect(after.accounts).toBe(before.accounts + 1);
  });

  it('onlyReturnExisting with an unknown key is accountDoesNotExist and creates nothing', async () => {
    const c = await client();
    const before = await state();
    const res = await c.post(c.directory.newAccount!, { onlyReturnExisting: true }, { useJwk: true });
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:accountDoesNotExist');
    expect(await state()).toEqual(before);
  });

  it('refuses contacts other than one mailto address (unsupportedContact, invalidContact) and missing ToS agreement', async () => {
    const c = await client();
    const before = await state();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ termsOfServiceAgreed: true, contact: ['tel:+81312345678'] }, 'unsupportedContact'],
      [{ termsOfServiceAgreed: true, contact: ['mailto:a@example.jp?subject=x'] }, 'invalidContact'],
      [{ termsOfServiceAgreed: true, contact: ['mailto:not-an-address'] }, 'invalidContact'],
      [{ contact: ['mailto:a@example.jp'] }, 'userActionRequired'],
    ];
    for (const [payload, type] of cases) {
      const res = await c.post(c.directory.newAccount!, payload, { useJwk: true });
      expect((await problem(res)).type).toBe(`urn:ietf:params:acme:error:${type}`);
    }
    expect(await state()).toEqual(before);
  });

  it('updates the contact and deactivates; a deactivated account can do nothing more (§7.3.6)', async () => {
    const c = await client();
    await c.register();
    const upd = await c.post(c.kid!, { contact: ['mailto:new@example.jp'] });
    expect(upd.status).toBe(200);
    expect(((await upd.json()) as { contact: string[] }).contact).toEqual(['mailto:new@example.jp']);
    const get = await c.post(c.kid!, '');
    expect(((await get.json()) as { contact: string[] }).contact).toEqual(['mailto:new@example.jp']);
    const deact = await c.post(c.kid!, { status: 'deactivated' });
    expect(((await deact.json()) as { status: string }).status).toBe('deactivated');
    const before = await state();
    const after = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `x.${zone}` }] });
    expect(after.status).toBe(403);
    expect((await problem(after)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const reg = await c.post(c.directory.newAccount!, { termsOfServiceAgreed: true }, { useJwk: true });
    expect((await problem(reg)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(await state()).toEqual(before);
  });

  it('keyChange (§7.3.5): the new key works, the old one no longer does, and a key in use by another account is a 409', async () => {
    const c = await client();
    await c.register();
    const oldKey = c.key;
    const newKey = await newAccountKey('ES384');
    const inner = await signJws(newKey, { jwk: newKey.jwk, url: c.directory.keyChange }, { account: c.kid, oldKey: oldKey.jwk });
    const res = await c.post(c.directory.keyChange!, inner);
    expect(res.status).toBe(200);
    c.key = newKey;
    expect((await c.post(c.kid!, '')).status).toBe(200);
    const withOld = await c.post(c.kid!, '', { key: oldKey });
    expect((await problem(withOld)).type).toBe('urn:ietf:params:acme:error:malformed');

    const other = await client();
    await other.register();
    const before = await state();
    const clash = await signJws(other.key, { jwk: other.key.jwk, url: c.directory.keyChange }, { account: c.kid, oldKey: newKey.jwk });
    const conflict = await c.post(c.directory.keyChange!, clash);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('location')).toBe(other.kid);
    expect(await state()).toEqual(before);
  });
});

describe('RFC 8555 §6 request authentication: bad input changes no state', () => {
  let c: AcmeTestClient;
  beforeAll(async () => {
    c = await client();
    await c.register();
  });

  const order = () => ({ identifiers: [{ type: 'dns', value: `www.${zone}` }] });

  it.each([
    ['not JSON', (_n: string) => 'this is not json', 'malformed', 400],
    ['a compact JWS', (_n: string) => JSON.stringify('eyJhbGciOiJFUzI1NiJ9.e30.c2ln'), 'malformed', 400],
    ['a JWS without signature', (_n: string) => JSON.stringify({ protected: base64url.encode('{"alg":"ES256"}'), payload: '' }), 'malformed', 400],
    ['an unprotected header', (_n: string) => JSON.stringify({ protected: base64url.encode('{"alg":"ES256"}'), header: {}, payload: '', signature: '' }), 'malformed', 400],
  ])('%s is malformed', async (_name, body, type, status) => {
    const before = await state();
    const res = await c.post(c.directory.newOrder!, order(), { rawBody: body('') });
    expect(res.status).toBe(status);
    expect((await problem(res)).type).toBe(`urn:ietf:params:acme:error:${type}`);
    expect(await state()).toEqual(before);
  });

  it('a wrong content type is refused (§6.2: application/jose+json)', async () => {
    const before = await state();
    const res = await c.post(c.directory.newOrder!, order(), { contentType: 'application/json' });
    expect(res.status).toBe(415);
    expect(await state()).toEqual(before);
  });

  it('a bad signature is malformed and does NOT use up the nonce', async () => {
    const before = await state();
    const nonce = await c.freshNonce();
    const good = await signJws(c.key, { nonce, url: c.directory.newOrder, kid: c.kid }, order());
    const forged = { ...good, signature: good.signature.slice(0, -4) + (good.signature.endsWith('AAAA') ? 'BBBB' : 'AAAA') };
    const res = await c.post(c.directory.newOrder!, order(), { rawBody: JSON.stringify(forged) });
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await state()).toEqual(before);
    const retry = await c.post(c.directory.newOrder!, order(), { nonce });
    expect(retry.status).toBe(201);
  });

  it('a replayed nonce is badNonce with a fresh nonce to retry with (§6.5)', async () => {
    const nonce = await c.freshNonce();
    expect((await c.post(c.kid!, '', { nonce })).status).toBe(200);
    const before = await state();
    const replay = await c.post(c.directory.newOrder!, order(), { nonce });
    expect(replay.status).toBe(400);
    expect((await problem(replay)).type).toBe('urn:ietf:params:acme:error:badNonce');
    expect(replay.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]+$/);
    const made = await c.post(c.directory.newOrder!, order(), { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    expect((await problem(made)).type).toBe('urn:ietf:params:acme:error:badNonce');
    const missing = await c.post(c.directory.newOrder!, order(), { header: { nonce: undefined } });
    expect((await problem(missing)).type).toBe('urn:ietf:params:acme:error:badNonce');
    expect(await state()).toEqual(before);
  });

  it('a url header that is not the request URL is unauthorized (§6.4)', async () => {
    const before = await state();
    const res = await c.post(c.directory.newOrder!, order(), { header: { url: `${BASE}/new-account` } });
    expect(res.status).toBe(403);
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const http = await c.post(c.directory.newOrder!, order(), { header: { url: c.directory.newOrder!.replace('https:', 'http:') } });
    expect((await problem(http)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(await state()).toEqual(before);
  });

  it('an unknown account (kid) is accountDoesNotExist', async () => {
    const before = await state();
    const res = await c.post(c.directory.newOrder!, order(), { header: { kid: `${BASE}/acct/00000000-0000-4000-8000-000000000000` } });
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:accountDoesNotExist');
    expect(await state()).toEqual(before);
  });

  it('jwk where kid is required, both, or neither are malformed (§6.2)', async () => {
    const before = await state();
    const jwk = await c.post(c.directory.newOrder!, order(), { useJwk: true });
    expect((await problem(jwk)).type).toBe('urn:ietf:params:acme:error:malformed');
    const both = await c.post(c.directory.newOrder!, order(), { header: { jwk: c.key.jwk } });
    expect((await problem(both)).type).toBe('urn:ietf:params:acme:error:malformed');
    const neither = await c.post(c.directory.newOrder!, order(), { header: { kid: undefined } });
    expect((await problem(neither)).type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await state()).toEqual(before);
  });

  it('algorithms outside the allow-list are badSignatureAlgorithm and name the accepted ones', async () => {
    const before = await state();
    const hs = await c.post(c.directory.newOrder!, order(), {
      key: { alg: 'HS256', privateKey: new Uint8Array(32) as never, jwk: c.key.jwk },
    });
    const p = await problem(hs);
    expect(p.type).toBe('urn:ietf:params:acme:error:badSignatureAlgorithm');
    expect(p.algorithms).toEqual(expect.arrayContaining(['ES256', 'RS256', 'EdDSA']));
    const none = JSON.stringify({ protected: base64url.encode(JSON.stringify({ alg: 'none', nonce: await c.freshNonce(), url: c.directory.newOrder, kid: c.kid })), payload: base64url.encode('{}'), signature: '' });
    const r = await c.post(c.directory.newOrder!, order(), { rawBody: none });
    expect((await problem(r)).type).toBe('urn:ietf:params:acme:error:badSignatureAlgorithm');
    expect(await state()).toEqual(before);
  });

  it('a weak RSA account key (1024 bits) is badPublicKey', async () => {
    // jose refuses to sign with such a key, so the JWS is made by hand (RFC 7515 §5.1) with node:crypto.
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const k = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const prot = base64url.encode(JSON.stringify({ alg: 'RS256', nonce: await c.freshNonce(), url: c.directory.newAccount, jwk: k.publicKey.export({ format: 'jwk' }) }));
    const payload = base64url.encode(JSON.stringify({ termsOfServiceAgreed: true }));
    const signature = base64url.encode(sign('sha256', Buffer.from(`${prot}.${payload}`), k.privateKey));
    const before = await state();
    const res = await c.post(c.directory.newAccount!, {}, { rawBody: JSON.stringify({ protected: prot, payload, signature }) });
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:badPublicKey');
    expect(await state()).toEqual(before);
  });

  it('an oversized body is refused before it is read (413)', async () => {
    const before = await state();
    const res = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `www.${zone}` }], pad: 'x'.repeat(80 * 1024) });
    expect(res.status).toBe(413);
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await state()).toEqual(before);
  });

  it('a revoked account (operator action) is unauthorized', async () => {
    const r = await client();
    await r.register();
    await revokeAcmeAccount(fresh.handle.db, r.kid!.split('/').pop()!, { actor: 'test' });
    const before = await state();
    const res = await r.post(r.directory.newOrder!, order());
    expect(res.status).toBe(403);
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(await state()).toEqual(before);
  });
});

describe('RFC 8555 §7.3.4 external account binding', () => {
  it('is required when configured, binds the ACME account to the provider account, and is single use', async () => {
    eabRequired = true;
    const provider = await createAccount(fresh.handle.db, { name: 'Designated Provider', kind: 'provider' });
    const { keyId, hmacKey } = await createEabKey(fresh.handle.db, { accountId: provider.account.id, actor: 'test' });
    const c = await client();
    const before = await state();
    const without = await c.register();
    expect((await problem(without)).type).toBe('urn:ietf:params:acme:error:externalAccountRequired');
    const wrongMac = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey: base64url.encode(new Uint8Array(32).fill(7)), jwk: c.key.jwk, url: c.directory.newAccount! }) });
    expect((await problem(wrongMac)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const otherKey = await newAccountKey();
    const wrongJwk = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: otherKey.jwk, url: c.directory.newAccount! }) });
    expect((await problem(wrongJwk)).type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await state()).toEqual(before);

    const ok = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: c.key.jwk, url: c.directory.newAccount! }) });
    expect(ok.status).toBe(201);
    const [row] = await fresh.handle.sql`select account_id, eab_key_id from acme_accounts where id = ${c.kid!.split('/').pop()!}`;
    expect(row).toEqual({ account_id: provider.account.id, eab_key_id: keyId });
    expect((await state()).accounts).toBe(before.accounts); // no subscriber account was made: the provider's is used

    const second = await client();
    const reuse = await second.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: second.key.jwk, url: c.directory.newAccount! }) });
    expect((await problem(reuse)).type).toBe('urn:ietf:params:acme:error:unauthorized');
  });
});

describe('RFC 8555 §7.4 orders, §7.5 challenges, finalize', () => {
  let c: AcmeTestClient;
  beforeAll(async () => {
    c = await client();
    await c.register();
  });

  it('newOrder stores the order with dns-01 and http-01 (not for wildcards) and starts the workflow marked ACME', async () => {
    const label = `o${Date.now().toString(36)}`;
    const res = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `www.${label}.${zone}` }, { type: 'dns', value: `*.${label}.${zone}` }] });
    if (res.status !== 201) throw new Error(await res.text());
    const o = (await res.json()) as { status: string; authorizations: string[]; finalize: string; identifiers: unknown[] };
    expect(o.status).toBe('pending');
    expect(res.headers.get('location')).toMatch(new RegExp(`^${BASE}/order/`));
    expect(o.identifiers).toEqual([{ type: 'dns', value: `www.${label}.${zone}` }, { type: 'dns', value: `*.${label}.${zone}` }]);
    const authzs = await Promise.all(o.authorizations.map(async (u) => (await c.post(u, '')).json() as Promise<{ identifier: { value: string }; wildcard?: boolean; challenges: Array<{ type: string; token: string; url: string; status: string }> }>));
    expect(authzs.map((a) => [a.identifier.value, a.wildcard ?? false, a.challenges.map((x) => x.type)])).toEqual([
      [`www.${label}.${zone}`, false, ['dns-01', 'http-01']],
      [`${label}.${zone}`, true, ['dns-01']],
    ]);
    for (const a of authzs) for (const ch of a.challenges) expect(ch.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const input = started.at(-1)!;
    expect(input).toMatchObject({ viaAcme: true, accountUri: c.kid });
    expect(input.authorizations[0]!.alternatives).toEqual([{ challengeId: expect.any(String), method: '3.2.2.4.19' }]);
    expect(input.authorizations[1]!.alternatives).toEqual([]);
  });

  it('refuses bad identifiers with subproblems and stores nothing', async () => {
    const before = await state();
    const ip = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'ip', value: '192.0.2.1' }] });
    expect((await problem(ip)).type).toBe('urn:ietf:params:acme:error:unsupportedIdentifier');
    const bad = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: 'under_score.example.jp' }, { type: 'dns', value: 'localhost' }] });
    const p = await problem(bad);
    expect(p.type).toBe('urn:ietf:params:acme:error:rejectedIdentifier');
    expect(p.subproblems).toHaveLength(2);
    const profile = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `a.${zone}` }], profile: 'ov' });
    expect((await problem(profile)).type).toBe('urn:ietf:params:acme:error:invalidProfile');
    expect(await state()).toEqual(before);
  });

  it('leaves nothing behind when the workflow cannot be started (503)', async () => {
    failStart = true;
    const before = await state();
    const res = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `down.${zone}` }] });
    expect(res.status).toBe(503);
    const after = await state();
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
  });

  it('answering a challenge fixes the key authorization and signals the workflow once; finalize needs a ready order', async () => {
    const name = `f${Date.now().toString(36)}.${zone}`;
    const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
    const orderUrl = created.headers.get('location')!;
    const o = (await created.json()) as { authorizations: string[]; finalize: string };
    const authz = (await (await c.post(o.authorizations[0]!, '')).json()) as { challenges: Array<{ type: string; url: string; token: string }> };
    const dns = authz.challenges.find((x) => x.type === 'dns-01')!;
    const signalsBefore = readySignals.length;
    const answered = await c.post(dns.url, {});
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { status: string }).status).toBe('processing');
    expect(answered.headers.get('link')).toContain(`<${o.authorizations[0]}>;rel="up"`);
    await c.post(dns.url, {});
    expect(readySignals.length).toBe(signalsBefore + 1);
    const [row] = await fresh.handle.sql`select key_authorization from challenges where token = ${dns.token}`;
    expect(row!.key_authorization).toBe(`${dns.token}.${await c.thumbprint()}`);
    // The other challenge of the same authorization cannot be answered too.
    const http = authz.challenges.find((x) => x.type === 'http-01')!;
    expect((await c.post(http.url, {})).status).toBe(409);

    const csr = makeCsr({ names: [name] });
    const early = await c.post(o.finalize, { csr: base64url.encode(csr.der) });
    expect(early.status).toBe(403);
    expect((await problem(early)).type).toBe('urn:ietf:params:acme:error:orderNotReady');

    // What the workflow does once the authorizations are valid (step 4a): the order becomes ready.
    const orderId = orderUrl.split('/').pop()!;
    await fresh.handle.sql`update orders set status = 'ready' where id = ${orderId}`;
    const before = await state();
    const wrong = await c.post(o.finalize, { csr: base64url.encode(makeCsr({ names: [`other.${zone}`] }).der) });
    expect((await problem(wrong)).type).toBe('urn:ietf:params:acme:error:badCSR');
    const ec = await c.post(o.finalize, { csr: base64url.encode(makeCsr({ names: [name], key: 'ec256' }).der) });
    expect((await problem(ec)).type).toBe('urn:ietf:params:acme:error:badPublicKey');
    expect(await state()).toEqual(before);

    const fin = await c.post(o.finalize, { csr: base64url.encode(csr.der) });
    expect(fin.status).toBe(200);
    expect(fin.headers.get('retry-after')).toBe('2');
    expect(((await fin.json()) as { status: string }).status).toBe('processing');
    expect(finalizeSignals).toContain(orderId);
    const [stored] = await fresh.handle.sql`select csr_der, status from orders where id = ${orderId}`;
    expect(Buffer.from(stored!.csr_der as Uint8Array).equals(Buffer.from(csr.der))).toBe(true);
    expect(stored!.status).toBe('processing');
    const twice = await c.post(o.finalize, { csr: base64url.encode(csr.der) });
    expect((await problem(twice)).type).toBe('urn:ietf:params:acme:error:orderNotReady');
  });

  it("another account's order, authorization and challenge do not exist for it", async () => {
    const other = await client();
    await other.register();
    const created = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `mine.${zone}` }] });
    const o = (await created.json()) as { authorizations: string[] };
    const before = await state();
    expect((await other.post(created.headers.get('location')!, '')).status).toBe(404);
    expect((await other.post(o.authorizations[0]!, '')).status).toBe(404);
    expect(await state()).toEqual(before);
  });
});

describe('RFC 9773 renewal information', () => {
  it('answers 404 for an unknown certID and malformed for a broken one', async () => {
    const unknown = await app.request(`${BASE}/renewal-info/${base64url.encode(new Uint8Array(20).fill(1))}.${base64url.encode(Uint8Array.of(0x41, 2, 3))}`);
    expect(unknown.status).toBe(404);
    const broken = await app.request(`${BASE}/renewal-info/nodot`);
    expect((await problem(broken)).type).toBe('urn:ietf:params:acme:error:malformed');
  });
});
