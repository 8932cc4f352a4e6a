/**
 * POST /v1/certificates/{serial}/renewals (CP 4.6 renewal, 4.7 re-key, 4.8 modification) at the REST door: who may
 * renew, what kind each application is, the one order intake (a workflow started for a linked order), and the
 * refusals — nothing stored for them. GET /v1/certificates/{serial} shows the renewal window (ARI's) and the
 * succession. Real PostgreSQL; Temporal is the recording fake (issuance end to end: test/e2e/renewal.test.ts).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { supersedePredecessor } from '../../db/repositories/lifecycle';
import { orders } from '../../db/schema';
import { suggestedRenewalWindow } from '../../domain/ari';
import { InMemorySigner } from '../../pki/memory-signer';
import { currentAcceptance } from '../support/acceptance';
import { makeCsr, type TestCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { markIssued, postOrder } from '../support/lifecycle-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';

const config = loadConfig();
const zone = config.dns.devZone;
const workflows = fakeWorkflows();
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
const keys = {} as Record<'owner' | 'stranger' | 'provider', string>;
let shop: { id: string; apiKey: string };
let label = 0;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'renewal_api' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  for (const [who, kind] of [['owner', 'subscriber'], ['stranger', 'subscriber'], ['provider', 'provider']] as const) {
    keys[who] = (await createAccount(fresh.handle.db, { name: who, kind })).apiKey;
  }
  const provider = await fresh.handle.sql`select id from accounts where name = 'provider'`;
  const managed = await createAccount(fresh.handle.db, { name: 'shop', providerAccountId: provider[0]!.id as string });
  shop = { id: managed.account.id, apiKey: managed.apiKey };
});
afterAll(async () => {
  await fresh?.drop();
});

/** A certificate issued to `apiKey`'s account for fresh names (or `names`), with its CSR. */
async function issued(apiKey = keys.owner, opts: { names?: string[]; status?: 'precertificate' | 'revoked' } = {}) {
  const names = opts.names ?? [`www.r${++label}.${zone}`, `r${label}.${zone}`];
  const csr = makeCsr({ names });
  const order = await postOrder(app, apiKey, csr);
  return { serial: await markIssued(fresh.handle.db, order.id, opts.status ? { status: opts.status } : {}), orderId: order.id, csr, names };
}

const renew = (serial: string, body: Record<string, unknown>, apiKey = keys.owner) =>
  app.request(`/v1/certificates/${serial}/renewals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ acceptance: currentAcceptance(), ...body }),
  });

const spkiOf = async (orderId: string) => {
  const [o] = await fresh.handle.db.select().from(orders).where(eq(orders.id, orderId));
  return o!;
};

describe('the kind of a renewal comes from what changes (CP 4.6–4.8); each is a new order linked to its predecessor', () => {
  it.each<[string, (p: Awaited<ReturnType<typeof issued>>) => TestCsr | null, string]>([
    ['CP 4.6 renewal: no CSR, the same key (the predecessor’s CSR again)', () => null, 'renewal'],
    ['CP 4.7 re-key: a CSR with a new key and the same names', (p) => makeCsr({ names: p.names }), 'rekey'],
    ['CP 4.8 modification: a CSR (same key) with another name added, the CN kept', (p) => makeCsr({ names: [...p.names, `shop.${p.names[1]}`], keyPem: p.csr.keyPem }), 'modification'],
  ])('%s', async (_rule, csrFor, kind) => {
    const p = await issued();
    const csr = csrFor(p);
    const starts = workflows.calls.startIssuance.length;
    const res = await renew(p.serial, csr ? { csr: csr.pem } : {});
    expect(res.status, await res.clone().text()).toBe(201);
    const view = (await res.json()) as { id: string; renewal: unknown; acceptance: unknown; dnsNames: string[]; accountId: string };
    expect(view.renewal).toEqual({ kind, predecessor: p.serial, revokePredecessor: false });
    expect(view.acceptance).toMatchObject(currentAcceptance());
    // The one order intake: the order is stored and its workflow started, like any application.
    expect(workflows.calls.startIssuance.length).toBe(starts + 1);
    expect(workflows.calls.startIssuance.at(-1)![0]).toMatchObject({ orderId: view.id, fqdns: view.dnsNames });
    const [before, after] = [await spkiOf(p.orderId), await spkiOf(view.id)];
    expect(Buffer.from(after.spkiSha256).equals(Buffer.from(before.spkiSha256))).toBe(kind !== 'rekey');
    if (kind === 'renewal') expect(Buffer.from(after.csrDer).equals(Buffer.from(before.csrDer))).toBe(true);
    expect(after).toMatchObject({ predecessorSerial: p.serial, renewalKind: kind, accountId: before.accountId });
  });

  it('stores the request to revoke the predecessor (reason superseded) once the new certificate is issued', async () => {
    const p = await issued();
    const view = (await (await renew(p.serial, { revokePredecessor: true })).json()) as { renewal: { revokePredecessor: boolean } };
    expect(view.renewal.revokePredecessor).toBe(true);
  });

  it('CP 3.4 (1): the designated provider that relayed the certificate renews it for its subscriber', async () => {
    const p = await issued(keys.provider, { names: [`relay${++label}.${zone}`] });
    // postOrder as the provider without onBehalfOf made it the provider's own; relay one for the shop instead.
    const csr = makeCsr({ names: [`shop${++label}.${zone}`] });
    const relayed = await postOrder(app, keys.provider, csr, { onBehalfOf: shop.id });
    const serial = await markIssued(fresh.handle.db, relayed.id);
    const res = await renew(serial, {}, keys.provider);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ accountId: shop.id, providerAccountId: expect.any(String) });
    expect((await renew(p.serial, {}, keys.stranger)).status).toBe(404);
  });
});

describe('refusals store nothing', () => {
  const count = async () => (await fresh.handle.sql`select count(*)::int as n from orders`)[0]!.n as number;
  const refused = async (res: Response | Promise<Response>, status: number, type: string) => {
    const before = await count();
    const r = await res;
    expect(r.status).toBe(status);
    expect(((await r.json()) as { type: string }).type).toBe(`/problems/${type}`);
    expect(await count()).toBe(before);
  };

  it('another account learns nothing (404), as for orders', async () => {
    const p = await issued();
    await refused(renew(p.serial, {}, keys.stranger), 404, 'notFound');
  });

  it('CP 4.1.2: without acceptance of the documents in force → 403 userActionRequired', async () => {
    const p = await issued();
    await refused(renew(p.serial, { acceptance: undefined }), 403, 'userActionRequired');
  });

  it('CP 4.8: a CSR with another CN is a new application, not a modification → 400 badCsr', async () => {
    const p = await issued();
    await refused(renew(p.serial, { csr: makeCsr({ names: [`other${++label}.${zone}`, ...p.names] }).pem }), 400, 'badCsr');
  });

  it('a precertificate that was never issued has nothing to renew → 409 conflict', async () => {
    const p = await issued(keys.owner, { status: 'precertificate' });
    await refused(renew(p.serial, {}), 409, 'conflict');
  });

  it('one renewal at a time, and a superseded certificate is renewed through its successor → 409 alreadyReplaced', async () => {
    const p = await issued();
    const first = (await (await renew(p.serial, {})).json()) as { id: string };
    await refused(renew(p.serial, {}), 409, 'alreadyReplaced');
    await fresh.handle.db.update(orders).set({ status: 'valid' }).where(eq(orders.id, first.id));
    const successor = await markIssued(fresh.handle.db, first.id);
    await supersedePredecessor(fresh.handle.db, { orderId: first.id, successorSerial: successor, at: new Date() });
    const r = await renew(p.serial, {});
    expect(r.status).toBe(409);
    expect(r.headers.get('location')).toBe(`${config.api.publicBaseUrl}/v1/certificates/${successor}`);
  });
});

describe('GET /v1/certificates/{serial}: the renewal window and the succession', () => {
  it('gives each certificate the renewal window ACME clients get (RFC 9773), and where to renew it', async () => {
    const p = await issued();
    const res = await app.request(`/v1/certificates/${p.serial}`, { headers: { authorization: `Bearer ${keys.owner}` } });
    const view = (await res.json()) as { status: string; notBefore: string; notAfter: string; renewalWindow: { start: string; end: string }; renewals: string; supersededBy: null };
    const ari = suggestedRenewalWindow({ notBefore: new Date(view.notBefore), notAfter: new Date(view.notAfter), revoked: false }, new Date());
    expect(view.renewalWindow).toEqual({ start: ari.start.toISOString(), end: ari.end.toISOString() });
    expect(view).toMatchObject({ status: 'issued', supersededBy: null, renewals: `${config.api.publicBaseUrl}/v1/certificates/${p.serial}/renewals` });
  });

  it('shows a renewed certificate as superseded by its successor (still valid, not revoked)', async () => {
    const p = await issued();
    const next = (await (await renew(p.serial, {})).json()) as { id: string };
    const successor = await markIssued(fresh.handle.db, next.id);
    const marked = await supersedePredecessor(fresh.handle.db, { orderId: next.id, successorSerial: successor, at: new Date() });
    expect(marked).toEqual({ predecessorSerial: p.serial, revokePredecessor: false, marked: true });
    // Idempotent: a retried activity marks nothing twice and audits once.
    expect((await supersedePredecessor(fresh.handle.db, { orderId: next.id, successorSerial: successor, at: new Date() }))!.marked).toBe(false);
    const audits = await fresh.handle.sql`select data from audit_log where serial = ${p.serial} and event = 'certificate.superseded'`;
    expect(audits).toHaveLength(1);
    const view = (await (await app.request(`/v1/certificates/${p.serial}`, { headers: { authorization: `Bearer ${keys.owner}` } })).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ status: 'superseded', supersededBy: successor, revokedAt: null });
  });
});
