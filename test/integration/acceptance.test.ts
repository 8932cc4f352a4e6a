/**
 * CP 4.1.2 and 4.4.1 at the REST door: an application is refused unless it states acceptance of the terms, CP and CPS
 * in force, and the versions accepted are stored with the order; the first download of the certificate is recorded as
 * its acceptance, once. Real PostgreSQL; the Temporal side is the recording fake. (ACME: acme-acceptance.test.ts.)
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { auditLog, certificates, orders } from '../../db/schema';
import { InMemorySigner } from '../../pki/memory-signer';
import { acceptanceQuery, currentAcceptance } from '../support/acceptance';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { markIssued, postOrder } from '../support/lifecycle-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';

const config = loadConfig();
const zone = config.dns.devZone;
const workflows = fakeWorkflows();
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let apiKey: string;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'acceptance' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  apiKey = (await createAccount(fresh.handle.db, { name: 'Applicant' })).apiKey;
});
afterAll(async () => {
  await fresh?.drop();
});

const orderCount = async () => (await fresh.handle.sql`select count(*)::int as n from orders`)[0]!.n as number;
const submit = (body: Record<string, unknown>) =>
  app.request('/v1/orders', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ csr: makeCsr({ names: [`acc.${zone}`] }).pem, ...body }),
  });

describe('CP 4.1.2: an application states acceptance of the terms, CP and CPS in force', () => {
  it.each<[string, Record<string, unknown>]>([
    ['no acceptance', {}],
    ['a document missing', { acceptance: { terms: '1.0', cp: '3.40' } }],
    ['a version that is not in force', { acceptance: { ...currentAcceptance(), cps: '0.9' } }],
  ])('%s → 403 userActionRequired naming the versions in force; nothing is stored, no workflow starts', async (_rule, body) => {
    const before = { orders: await orderCount(), starts: workflows.calls.startIssuance.length };
    const res = await submit(body);
    expect(res.status).toBe(403);
    const problem = (await res.json()) as { type: string; rule: string; current: unknown; documents: string };
    expect(problem).toMatchObject({ type: '/problems/userActionRequired', rule: 'CP 4.1.2', current: currentAcceptance() });
    expect(problem.documents).toBe(`${config.api.publicBaseUrl}/repository/documents.json`);
    expect({ orders: await orderCount(), starts: workflows.calls.startIssuance.length }).toEqual(before);
  });

  it('stores the versions accepted, when and through which door, with the order (and its audit entry)', async () => {
    const res = await submit({ acceptance: currentAcceptance() });
    expect(res.status).toBe(201);
    const view = (await res.json()) as { id: string; acceptance: Record<string, string> };
    expect(view.acceptance).toMatchObject(currentAcceptance());
    const [row] = await fresh.handle.db.select().from(orders).where(eq(orders.id, view.id));
    expect(row!.acceptance).toMatchObject({ ...currentAcceptance(), channel: 'api' });
    expect(Date.parse(row!.acceptance!.acceptedAt)).toBeLessThanOrEqual(Date.now());
    const [created] = await fresh.handle.db.select().from(auditLog).where(eq(auditLog.orderId, view.id));
    expect(created!.data).toMatchObject({ acceptance: { ...currentAcceptance(), channel: 'api' } });
  });

  it('application/pkcs10 states it in the query (acceptTerms, acceptCp, acceptCps)', async () => {
    const der = makeCsr({ names: [`der.${zone}`] }).der;
    const post = (query: string) =>
      app.request(`/v1/orders${query}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/pkcs10' }, body: der });
    expect((await post('')).status).toBe(403);
    expect((await post(`?${acceptanceQuery()}`)).status).toBe(201);
  });
});

describe('CP 4.4.1: the first download of the certificate is its acceptance', () => {
  it('is recorded once, with the door and the account; later downloads change nothing', async () => {
    const order = await postOrder(app, apiKey, makeCsr({ names: [`dl.${zone}`] }));
    const serial = await markIssued(fresh.handle.db, order.id);
    const download = () => app.request(`/v1/orders/${order.id}/certificate`, { headers: { authorization: `Bearer ${apiKey}` } });
    const [before] = await fresh.handle.db.select().from(certificates).where(eq(certificates.serial, serial));
    expect(before!.acceptedAt).toBeNull();
    expect((await download()).status).toBe(200);
    const [after] = await fresh.handle.db.select().from(certificates).where(eq(certificates.serial, serial));
    expect(after!.acceptedVia).toBe('api');
    expect(after!.acceptedAt).not.toBeNull();
    expect((await download()).status).toBe(200);
    const [again] = await fresh.handle.db.select().from(certificates).where(eq(certificates.serial, serial));
    expect(again!.acceptedAt).toEqual(after!.acceptedAt);
    const entries = await fresh.handle.sql`select actor, data from audit_log where serial = ${serial} and event = 'certificate.accepted'`;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.data).toMatchObject({ via: 'api', rule: 'CP 4.4.1' });
    const status = (await (await app.request(`/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { acceptedAt: string };
    expect(status.acceptedAt).toBe(after!.acceptedAt!.toISOString());
  });

  it('a certificate not yet issued is not accepted by asking for it', async () => {
    const order = await postOrder(app, apiKey, makeCsr({ names: [`pre.${zone}`] }));
    const serial = await markIssued(fresh.handle.db, order.id, { status: 'precertificate' });
    expect((await app.request(`/v1/orders/${order.id}/certificate`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(409);
    const [row] = await fresh.handle.db.select().from(certificates).where(eq(certificates.serial, serial));
    expect(row!.acceptedAt).toBeNull();
  });
});
