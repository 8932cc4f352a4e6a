/**
 * The applicant's door refuses bad input with RFC 7807 problem documents and leaves nothing half-stored.
 * Real PostgreSQL (a fresh migrated database per file); the Temporal side is a recording gateway here so that a
 * failing workflow start can be injected — the real one is exercised by test/e2e.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount, setAccountStatus } from '../../db/repositories/accounts';
import { allFailureKinds, CaError, failureKinds } from '../../domain/errors';
import { makeCsr, withBrokenSignature, toPemString } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { acceptanceQuery, currentAcceptance } from '../support/acceptance';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let keyA: string;
let keyB: string;
const zone = loadConfig().dns.devZone;
const config = loadConfig();
const workflows = fakeWorkflows();
/** The issuance workflow inputs started so far. */
const started = () => workflows.calls.startIssuance.map(([input]) => input);
const signals = workflows.calls.signalChallengeReady;

beforeAll(async () => {
  fresh = await freshDatabase();
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  keyA = (await createAccount(fresh.handle.db, { name: 'A' })).apiKey;
  keyB = (await createAccount(fresh.handle.db, { name: 'B' })).apiKey;
});
afterAll(async () => {
  await fresh?.drop();
});

async function counts() {
  const [r] = await fresh.handle.sql`select
    (select count(*)::int from orders) as orders,
    (select count(*)::int from authorizations) as authorizations,
    (select count(*)::int from challenges) as challenges`;
  return r!;
}

function post(body: string | Uint8Array, opts: { key?: string | null; type?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.type ?? 'application/json' };
  if (opts.key !== null) headers.authorization = `Bearer ${opts.key ?? keyA}`;
  // CP 4.1.2: every application states acceptance of the documents in force (JSON member, or query for DER).
  return app.request(opts.type === 'application/pkcs10' ? `/v1/orders?${acceptanceQuery()}` : '/v1/orders', { method: 'POST', headers, body });
}

const json = (csr: string | Uint8Array, profile = 'dv') =>
  JSON.stringify({ csr: typeof csr === 'string' ? csr : Buffer.from(csr).toString('base64'), profile, acceptance: currentAcceptance() });

const good = () => makeCsr({ names: [`a.${zone}`, `b.${zone}`] });

describe('POST /v1/orders refuses bad input with a problem document and stores nothing', () => {
  const cases: Array<{ rule: string; body: () => string | Uint8Array; type?: string; key?: string | null; status: number; problem: string }> = [
    { rule: 'no API key → 401', body: () => json(good().pem), key: null, status: 401, problem: 'unauthorized' },
    { rule: 'unknown API key → 401', body: () => json(good().pem), key: 'ca_nope', status: 401, problem: 'unauthorized' },
    { rule: 'body is not JSON', body: () => '{"csr":', status: 400, problem: 'malformed' },
    { rule: 'unsupported media type', body: () => 'hello', type: 'text/plain', status: 400, problem: 'malformed' },
    { rule: 'garbage CSR', body: () => json('-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n-----END CERTIFICATE REQUEST-----\n'), status: 400, problem: 'malformed' },
    { rule: 'truncated CSR', body: () => json(good().der.slice(0, 200)), status: 400, problem: 'malformed' },
    { rule: 'CP 3.2.1 CSR signature does not verify', body: () => json(toPemString('CERTIFICATE REQUEST', withBrokenSignature(good().der))), status: 400, problem: 'badCsr' },
    { rule: 'CP 6.1.5 RSA 4096 is not RSA 2048', body: () => json(makeCsr({ names: [`a.${zone}`], key: 'rsa4096' }).pem), status: 400, problem: 'badPublicKey' },
    { rule: 'CP 6.1.5 RSA 1024', body: () => json(makeCsr({ names: [`a.${zone}`], key: 'rsa1024' }).pem), status: 400, problem: 'badPublicKey' },
    { rule: 'CP 6.1.5 ECDSA P-256 is not RSA 2048', body: () => json(makeCsr({ names: [`a.${zone}`], key: 'ec256' }).pem), status: 400, problem: 'badPublicKey' },
    { rule: 'invalid FQDN (label starts with hyphen)', body: () => json(makeCsr({ names: [`-bad.${zone}`] }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'underscore in a dNSName', body: () => json(makeCsr({ names: [`a_b.${zone}`] }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'wildcard not in the leftmost label', body: () => json(makeCsr({ names: [`www.*.${zone}`], cn: null }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'partial wildcard label', body: () => json(makeCsr({ names: [`w*.${zone}`], cn: null }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'duplicate names', body: () => json(makeCsr({ names: [`a.${zone}`, `A.${zone}`] }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'IP address as a dNSName', body: () => json(makeCsr({ names: ['192.0.2.1'] }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'reserved TLD outside the development zone', body: () => json(makeCsr({ names: ['www.example.test'] }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'CN that is not a SAN (BR 7.1.4.3)', body: () => json(makeCsr({ names: [`a.${zone}`], cn: `other.${zone}` }).pem), status: 400, problem: 'rejectedIdentifier' },
    { rule: 'unknown profile', body: () => json(good().pem, 'ev'), status: 400, problem: 'unsupportedProfile' },
    { rule: 'body over the size limit', body: () => JSON.stringify({ csr: 'A'.repeat(70_000), profile: 'dv' }), status: 413, problem: 'payloadTooLarge' },
  ];

  for (const c of cases) {
    it(c.rule, async () => {
      const before = await counts();
      const res = await post(c.body(), { key: c.key, type: c.type });
      expect(res.status).toBe(c.status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as { type: string; status: number; title: string; detail: string };
      expect(problem.type).toBe(`/problems/${c.problem}`);
      expect(problem.status).toBe(c.status);
      expect(problem.detail.length).toBeGreaterThan(0);
      expect(await counts()).toEqual(before);
    });
  }

  it('BR 6.1.6: an RSA exponent below 2^16+1 (e = 3) is refused at intake, the rule in the problem document', async () => {
    const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const before = await counts();
    const res = await post(json(makeCsr({ names: [`e3.${zone}`], keyPem }).pem));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: '/problems/badPublicKey', rule: 'BR 6.1.6', detail: 'RSA public exponent 3 is smaller than 2^16+1 (65537)' });
    expect(await counts()).toEqual(before);
  });

  it('names the rule and the FQDN it concerns', async () => {
    const res = await post(json(makeCsr({ names: [`ok.${zone}`, `a_b.${zone}`] }).pem));
    const problem = (await res.json()) as { rule: string; identifier: string };
    expect(problem.identifier).toBe(`a_b.${zone}`);
    expect(problem.rule).toMatch(/BR|RFC/);
  });

  it('leaves nothing stored when the workflow cannot be started', async () => {
    const before = await counts();
    workflows.failing.add('startIssuance');
    try {
      const res = await post(json(good().pem));
      expect(res.status).toBe(503);
      expect(((await res.json()) as { type: string }).type).toBe('/problems/serviceUnavailable');
    } finally {
      workflows.failing.delete('startIssuance');
    }
    expect(await counts()).toEqual(before);
  });
});

describe('the order intake undoes an order whose workflow cannot start (api/order-intake.ts)', () => {
  it('503 with Retry-After (a header, not a body member); the audit log keeps order.created and order.aborted', async () => {
    workflows.failing.add('startIssuance');
    let res: Response;
    try {
      res = await post(json(good().pem));
    } finally {
      workflows.failing.delete('startIssuance');
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).not.toHaveProperty('retryAfterSeconds');
    const [aborted] = await fresh.handle.sql`select order_id, actor from audit_log where event = 'order.aborted' order by id desc limit 1`;
    const events = await fresh.handle.sql`select event from audit_log where order_id = ${aborted!.order_id} order by id`;
    expect(events.map((e) => e.event)).toEqual(['order.created', 'order.aborted']);
    expect(aborted!.actor).toMatch(/^account:/);
    const [{ n }] = (await fresh.handle.sql`select count(*)::int as n from orders where id = ${aborted!.order_id}`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });
});

describe('problem types (RFC 7807)', () => {
  it('GET /problems/<kind> documents every kind of the failure table; anything else is a 404 problem', async () => {
    for (const kind of allFailureKinds) {
      const res = await app.request(`/problems/${kind}`);
      expect(res.status, kind).toBe(200);
      expect(await res.json()).toEqual({ type: `/problems/${kind}`, ...failureKinds[kind].problem });
    }
    const unknown = await app.request('/problems/constructor');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { type: string }).type).toBe('/problems/notFound');
  });
});

describe('orders', () => {
  it('accepts a CSR in PEM, base64 DER or application/pkcs10 and starts one workflow per order', async () => {
    const csr = good();
    const viaPem = await post(json(csr.pem));
    const viaB64 = await post(json(csr.der));
    const viaDer = await post(csr.der, { type: 'application/pkcs10' });
    for (const res of [viaPem, viaB64, viaDer]) expect(res.status).toBe(201);
    const order = (await viaPem.json()) as { id: string; status: string; dnsNames: string[]; authorizations: Array<{ challenges: Array<{ recordName: string; recordValue: string; id: string }> }> };
    expect(order.status).toBe('pending');
    expect(order.dnsNames).toEqual([`a.${zone}`, `b.${zone}`]);
    expect(viaPem.headers.get('location')).toContain(`/v1/orders/${order.id}`);
    const start = started().find((s) => s.orderId === order.id)!;
    expect(start.authorizations.map((a) => a.fqdn)).toEqual([`a.${zone}`, `b.${zone}`]);
    // CP 3.2.2.4.7: a random value per order; never reused across orders.
    const values = order.authorizations.map((a) => a.challenges[0]!.recordValue);
    expect(new Set(values).size).toBe(values.length);
    expect(order.authorizations[0]!.challenges[0]!.recordName).toBe(`_acme-challenge.a.${zone}`);
  });

  it('a wildcard FQDN gets its TXT record at _acme-challenge.<base> (CP 3.2.2.4.7)', async () => {
    const res = await post(json(makeCsr({ names: [`*.w.${zone}`] }).pem));
    expect(res.status).toBe(201);
    const order = (await res.json()) as { authorizations: Array<{ wildcard: boolean; challenges: Array<{ recordName: string }> }> };
    expect(order.authorizations[0]!.wildcard).toBe(true);
    expect(order.authorizations[0]!.challenges[0]!.recordName).toBe(`_acme-challenge.w.${zone}`);
  });

  it('an account sees only its own orders', async () => {
    const res = await post(json(good().pem));
    const order = (await res.json()) as { id: string; authorizations: Array<{ challenges: Array<{ id: string }> }> };
    const asB = await app.request(`/v1/orders/${order.id}`, { headers: { authorization: `Bearer ${keyB}` } });
    expect(asB.status).toBe(404);
    const listB = (await (await app.request('/v1/orders', { headers: { authorization: `Bearer ${keyB}` } })).json()) as { orders: unknown[] };
    expect(listB.orders).toHaveLength(0);
    const readyB = await app.request(`/v1/orders/${order.id}/challenges/${order.authorizations[0]!.challenges[0]!.id}/ready`, { method: 'POST', headers: { authorization: `Bearer ${keyB}` } });
    expect(readyB.status).toBe(404);
    expect(signals.some(([o]) => o === order.id)).toBe(false);
    const readyA = await app.request(`/v1/orders/${order.id}/challenges/${order.authorizations[0]!.challenges[0]!.id}/ready`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` } });
    expect(readyA.status).toBe(202);
    expect(signals).toContainEqual([order.id, order.authorizations[0]!.challenges[0]!.id]);
  });

  it('unknown orders and malformed ids are 404 problems; no certificate before issuance is 409', async () => {
    const unknown = await app.request('/v1/orders/00000000-0000-4000-8000-000000000000', { headers: { authorization: `Bearer ${keyA}` } });
    expect(unknown.status).toBe(404);
    const malformedId = await app.request('/v1/orders/not-a-uuid', { headers: { authorization: `Bearer ${keyA}` } });
    expect(malformedId.status).toBe(404);
    const res = await post(json(good().pem));
    const order = (await res.json()) as { id: string };
    const cert = await app.request(`/v1/orders/${order.id}/certificate`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(cert.status).toBe(409);
    expect(((await cert.json()) as { type: string }).type).toBe('/problems/conflict');
  });

  it('publishes an OpenAPI document', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/challenges/{challengeId}/ready', '/v1/orders/{id}/certificate']));
  });
});

describe('designated providers relay applications for the subscribers they manage (CP 1.3, 3.4 (1))', () => {
  type Who = 'provider' | 'otherProvider' | 'managed' | 'otherManaged' | 'unmanaged' | 'disabledManaged';
  const acct = {} as Record<Who, { id: string; key: string }>;

  beforeAll(async () => {
    const db = fresh.handle.db;
    const make = async (who: Who, input: Parameters<typeof createAccount>[1]) => {
      const { account, apiKey } = await createAccount(db, input);
      acct[who] = { id: account.id, key: apiKey };
    };
    await make('provider', { name: 'Provider', kind: 'provider' });
    await make('otherProvider', { name: 'Other provider', kind: 'provider' });
    await make('managed', { name: 'Shop', providerAccountId: acct.provider.id });
    await make('otherManaged', { name: 'Other shop', providerAccountId: acct.otherProvider.id });
    await make('unmanaged', { name: 'Independent' });
    await make('disabledManaged', { name: 'Closed shop', providerAccountId: acct.provider.id });
    await setAccountStatus(db, acct.disabledManaged.id, 'disabled', { actor: 'test' });
  });

  const get = (path: string, who: Who) => app.request(path, { headers: { authorization: `Bearer ${acct[who].key}` } });
  const relay = (who: Who, onBehalfOf: string, via: 'json' | 'pkcs10' = 'json') => {
    const csr = good();
    return via === 'json'
      ? post(JSON.stringify({ csr: csr.pem, onBehalfOf, acceptance: currentAcceptance() }), { key: acct[who].key })
      : app.request(`/v1/orders?onBehalfOf=${encodeURIComponent(onBehalfOf)}&${acceptanceQuery()}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${acct[who].key}`, 'content-type': 'application/pkcs10' },
          body: csr.der,
        });
  };

  it.each<[string, Who, () => string, 'json' | 'pkcs10']>([
    ['CP 3.4 (1): the provider relays for its subscriber (JSON body)', 'provider', () => acct.managed.id, 'json'],
    ['CP 3.4 (1): the provider relays for its subscriber (application/pkcs10, ?onBehalfOf)', 'provider', () => acct.managed.id, 'pkcs10'],
  ])('%s → 201, the order is the subscriber’s and records the provider; both read it', async (_rule, who, target, via) => {
    const res = await relay(who, target(), via);
    expect(res.status, await res.clone().text()).toBe(201);
    const order = (await res.json()) as { id: string; accountId: string; providerAccountId: string | null; authorizations: Array<{ challenges: Array<{ id: string }> }> };
    expect(order).toMatchObject({ accountId: acct.managed.id, providerAccountId: acct.provider.id });
    const [row] = await fresh.handle.sql`select account_id, provider_account_id from orders where id = ${order.id}`;
    expect(row).toEqual({ account_id: acct.managed.id, provider_account_id: acct.provider.id });
    // The audit log records who submitted it (the provider) and for whom.
    const [audit] = await fresh.handle.sql`select actor, data from audit_log where order_id = ${order.id} and event = 'order.created'`;
    expect(audit!.actor).toBe(`account:${acct.provider.id}`);
    expect(audit!.data).toMatchObject({ accountId: acct.managed.id, providerAccountId: acct.provider.id });
    // RFC 8657 accounturi: the order's account, the subscriber.
    expect(started().find((s) => s.orderId === order.id)!.accountUri).toMatch(new RegExp(`/v1/accounts/${acct.managed.id}$`));

    for (const reader of ['managed', 'provider'] as const) {
      expect((await get(`/v1/orders/${order.id}`, reader)).status, reader).toBe(200);
      // Readable, just not issued yet: 409, not 404.
      expect((await get(`/v1/orders/${order.id}/certificate`, reader)).status, reader).toBe(409);
      const list = (await (await get('/v1/orders', reader)).json()) as { orders: Array<{ id: string; accountId: string; providerAccountId: string | null }> };
      expect(list.orders.find((o) => o.id === order.id), reader).toEqual(expect.objectContaining({ accountId: acct.managed.id, providerAccountId: acct.provider.id }));
    }
    for (const stranger of ['otherProvider', 'otherManaged', 'unmanaged'] as const) {
      expect((await get(`/v1/orders/${order.id}`, stranger)).status, stranger).toBe(404);
      expect((await get(`/v1/orders/${order.id}/certificate`, stranger)).status, stranger).toBe(404);
      const list = (await (await get('/v1/orders', stranger)).json()) as { orders: Array<{ id: string }> };
      expect(list.orders.map((o) => o.id), stranger).not.toContain(order.id);
    }
    const challengeId = order.authorizations[0]!.challenges[0]!.id;
    const readyPath = `/v1/orders/${order.id}/challenges/${challengeId}/ready`;
    const ready = (who: Who) => app.request(readyPath, { method: 'POST', headers: { authorization: `Bearer ${acct[who].key}` } });
    expect((await ready('otherProvider')).status).toBe(404);
    expect(signals.some(([o]) => o === order.id)).toBe(false);
    expect((await ready('provider')).status).toBe(202);
    expect(signals).toContainEqual([order.id, challengeId]);
  });

  it.each<[string, Who, () => string, 'json' | 'pkcs10']>([
    ['CP 3.4 (1): another provider cannot relay for a subscriber it does not manage', 'otherProvider', () => acct.managed.id, 'json'],
    ['CP 3.4 (1): another provider, application/pkcs10', 'otherProvider', () => acct.managed.id, 'pkcs10'],
    ['CP 3.4 (1): a provider cannot apply for an independent subscriber', 'provider', () => acct.unmanaged.id, 'json'],
    ['CP 3.4 (1): a disabled subscriber gets no relayed application', 'provider', () => acct.disabledManaged.id, 'json'],
    ['CP 3.4 (1): a provider is not its own subscriber', 'provider', () => acct.provider.id, 'json'],
    ['CP 3.4 (1): a provider cannot apply as another provider', 'provider', () => acct.otherProvider.id, 'json'],
    ['CP 3.4 (1): an unknown account id', 'provider', () => '00000000-0000-4000-8000-000000000000', 'json'],
    ['CP 3.4 (1): an id that is not a UUID', 'provider', () => 'not-a-uuid', 'pkcs10'],
    ['CP 1.3: a subscriber cannot use onBehalfOf, even for its provider’s other subscriber', 'unmanaged', () => acct.managed.id, 'json'],
    ['CP 1.3: a managed subscriber cannot use onBehalfOf, not even naming itself', 'managed', () => acct.managed.id, 'json'],
  ])('%s → 404 notFound, nothing stored, no workflow', async (_rule, who, target, via) => {
    const before = await counts();
    const startedBefore = started().length;
    const res = await relay(who, target(), via);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toBe('/problems/notFound');
    expect(await counts()).toEqual(before);
    expect(started().length).toBe(startedBefore);
  });

  it.each<[string, () => Parameters<typeof createAccount>[1], string | null]>([
    ['CP 1.3: a subscriber managed by an active provider', () => ({ name: 's', providerAccountId: acct.provider.id }), null],
    ['CP 1.3: the manager must be a provider account', () => ({ name: 's', providerAccountId: acct.unmanaged.id }), 'notFound'],
    ['CP 1.3: the manager must be active', () => ({ name: 's', providerAccountId: acct.disabledManaged.id }), 'notFound'],
    ['CP 1.3: an unknown manager', () => ({ name: 's', providerAccountId: '00000000-0000-4000-8000-000000000000' }), 'notFound'],
    ['CP 1.3: a malformed manager id', () => ({ name: 's', providerAccountId: 'nope' }), 'notFound'],
    ['CP 1.3: a provider account is not managed by another', () => ({ name: 's', kind: 'provider', providerAccountId: acct.provider.id }), 'malformed'],
  ])('createAccount (admin account create --provider): %s', async (_rule, input, refusal) => {
    const [{ n: before }] = (await fresh.handle.sql`select count(*)::int as n from accounts`) as unknown as [{ n: number }];
    const result = await createAccount(fresh.handle.db, input()).then((r) => r.account, (e: unknown) => e);
    const [{ n: after }] = (await fresh.handle.sql`select count(*)::int as n from accounts`) as unknown as [{ n: number }];
    if (refusal === null) {
      expect(result).toMatchObject({ kind: 'subscriber', providerAccountId: acct.provider.id });
      expect(after).toBe(before + 1);
    } else {
      expect(result).toBeInstanceOf(CaError);
      expect((result as CaError).kind).toBe(refusal);
      expect(after).toBe(before);
    }
  });
});
