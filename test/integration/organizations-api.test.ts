/**
 * The organizations door (CP 3.2.2.1, 4.1.1) and OV order intake on real PostgreSQL, with a recording Temporal
 * gateway: bad input (a wrong check digit, an address outside Japan, missing fields) is a 4xx problem and stores
 * nothing; a failed workflow start stores nothing; documents are typed by their content and limited to 5 MB; an OV
 * order must name the applicant's own organization with a vetting, and a DV order none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { setVettingStatus } from '../../db/repositories/organizations';
import { maxDocumentBytes } from '../../domain/documents';
import { currentAcceptance } from '../support/acceptance';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let keyA: string;
let keyB: string;
const config = loadConfig();
const workflows = fakeWorkflows();

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'orgs' });
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  keyA = (await createAccount(fresh.handle.db, { name: 'A' })).apiKey;
  keyB = (await createAccount(fresh.handle.db, { name: 'B' })).apiKey;
});
afterAll(async () => {
  await fresh?.drop();
});

const good = {
  legalName: '株式会社テスト商事',
  corporateNumber: '7000012050002',
  address: { country: 'JP', prefecture: '東京都', city: '千代田区', street: '永田町1丁目10番1号' },
  telephone: '03-1234-5678',
  representative: { name: '日本 太郎', title: '代表取締役', email: 'rep@example.jp' },
};
const post = (path: string, body: unknown, key = keyA, type = 'application/json') =>
  app.request(path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body: body instanceof Uint8Array ? body : JSON.stringify(body) });
async function counts() {
  const [r] = await fresh.handle.sql`select (select count(*)::int from organizations) as organizations, (select count(*)::int from vettings) as vettings,
    (select count(*)::int from organization_documents) as documents, (select count(*)::int from orders) as orders`;
  return r!;
}
const problem = async (res: Response) => ({ status: res.status, type: ((await res.json()) as { type: string }).type });

describe('POST /v1/organizations', () => {
  it.each([
    ['CP 3.2.2.1: the corporate number’s check digit is wrong', { ...good, corporateNumber: '8000012050002' }],
    ['CP 4.1.1: an office in Japan (country)', { ...good, address: { ...good.address, country: 'US' } }],
    ['CP 4.1.1: the prefecture is a Japanese one', { ...good, address: { ...good.address, prefecture: 'California' } }],
    ['the representative is required', { ...good, representative: undefined }],
    ['a corporate number or no legal personality, not both', { ...good, noLegalPersonality: true }],
    ['neither', { ...good, corporateNumber: undefined }],
    ['BR 7.1.4.2: O at most 64 characters', { ...good, legalName: 'あ'.repeat(65) }],
  ])('%s → 400 malformed, nothing stored', async (_rule, body) => {
    const before = await counts();
    expect(await problem(await post('/v1/organizations', body))).toEqual({ status: 400, type: '/problems/malformed' });
    expect(await counts()).toEqual(before);
  });

  it('stores nothing when the vetting workflow cannot start (503)', async () => {
    const before = await counts();
    workflows.failing.add('startVetting');
    try {
      expect((await post('/v1/organizations', good)).status).toBe(503);
    } finally {
      workflows.failing.delete('startVetting');
    }
    expect(await counts()).toEqual(before);
  });

  it('registers the organization and starts its vetting with ids and search attributes only', async () => {
    const res = await post('/v1/organizations', good);
    expect(res.status).toBe(201);
    const org = (await res.json()) as { id: string; vetting: { id: string; status: string } };
    expect(org.vetting.status).toBe('matching');
    expect(workflows.calls.startVetting.at(-1)![0]).toEqual({ vettingId: org.vetting.id, organizationId: org.id, corporateNumber: '7000012050002', organizationName: '株式会社テスト商事' });
    // Another account does not see it.
    expect((await app.request(`/v1/organizations/${org.id}`, { headers: { authorization: `Bearer ${keyB}` } })).status).toBe(404);
  });
});

describe('POST /v1/organizations/{id}/documents (typed by content, ≤ 5 MB)', () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = ((await (await post('/v1/organizations', { ...good, corporateNumber: undefined, noLegalPersonality: true })).json()) as { id: string }).id;
  });
  const pdf = new TextEncoder().encode('%PDF-1.7\n%test registry certificate\n');
  const upload = (body: Uint8Array, q = '?fileName=tokibo.pdf') => post(`/v1/organizations/${orgId}/documents${q}`, body, keyA, 'application/octet-stream');

  it('stores a PDF with the type read from its bytes, and tells the workflow', async () => {
    const res = await upload(pdf);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ contentType: 'application/pdf', size: pdf.byteLength });
    expect(workflows.calls.signalDocumentUploaded).toHaveLength(1);
  });
  it('refuses HTML named .pdf (415) and stores nothing', async () => {
    const before = await counts();
    expect(await problem(await upload(new TextEncoder().encode('<html><script>alert(1)</script>')))).toEqual({ status: 415, type: '/problems/unsupportedMediaType' });
    expect(await counts()).toEqual(before);
  });
  it('refuses more than 5 MB (413)', async () => {
    const big = new Uint8Array(maxDocumentBytes + 1);
    big.set(pdf);
    expect(await problem(await upload(big))).toEqual({ status: 413, type: '/problems/payloadTooLarge' });
  });
  it('accepts up to 5 MB on this path only (other bodies stay below 64 KiB)', async () => {
    const big = new Uint8Array(maxDocumentBytes);
    big.set(pdf);
    expect((await upload(big)).status).toBe(201);
    expect((await post('/v1/organizations', { ...good, legalName: 'x'.repeat(70_000) })).status).toBe(413);
  });
});

describe('OV order intake (CP 7.1.1)', () => {
  const csr = () => makeCsr({ names: [`ov.${config.dns.devZone}`] }).pem;
  /** POST /v1/orders with the documents in force accepted (CP 4.1.2), so what is judged is the organization. */
  const order = (body: Record<string, unknown>, key = keyA) => post('/v1/orders', { ...body, acceptance: currentAcceptance() }, key);
  it('needs the applicant’s own organization, with a vetting in progress; DV names none', async () => {
    const org = (await (await post('/v1/organizations', good)).json()) as { id: string; vetting: { id: string } };
    const before = await counts();
    expect(await problem(await order({ csr: csr(), profile: 'ov' }))).toEqual({ status: 400, type: '/problems/malformed' });
    expect(await problem(await order({ csr: csr(), profile: 'ov', organizationId: org.id }, keyB))).toEqual({ status: 404, type: '/problems/notFound' });
    expect(await problem(await order({ csr: csr(), profile: 'dv', organizationId: org.id }))).toEqual({ status: 400, type: '/problems/malformed' });
    expect(await counts()).toEqual(before);

    const res = await order({ csr: csr(), profile: 'ov', organizationId: org.id });
    expect(res.status).toBe(201);
    expect(workflows.calls.startIssuance.at(-1)![0]).toMatchObject({ organizationId: org.id });

    // A rejected vetting: the organization cannot be named any more.
    await setVettingStatus(fresh.handle.db, org.vetting.id, 'rejected', { actor: 'test', now: new Date() });
    expect(await problem(await order({ csr: csr(), profile: 'ov', organizationId: org.id }))).toEqual({ status: 403, type: '/problems/organizationNotVetted' });
  });

  it('a designated provider registers its subscriber’s organization and relays its OV order (CP 1.3, 3.4 (1))', async () => {
    const provider = await createAccount(fresh.handle.db, { name: 'Provider', kind: 'provider' });
    const shop = await createAccount(fresh.handle.db, { name: 'Shop', providerAccountId: provider.account.id });
    const res = await post('/v1/organizations', { ...good, onBehalfOf: shop.account.id }, provider.apiKey);
    expect(res.status).toBe(201);
    const org = (await res.json()) as { id: string; accountId: string; providerAccountId: string };
    expect(org).toMatchObject({ accountId: shop.account.id, providerAccountId: provider.account.id });
    // The subscriber sees it; another account does not.
    expect((await app.request(`/v1/organizations/${org.id}`, { headers: { authorization: `Bearer ${shop.apiKey}` } })).status).toBe(200);
    expect((await app.request(`/v1/organizations/${org.id}`, { headers: { authorization: `Bearer ${keyB}` } })).status).toBe(404);
    const relayed = await order({ csr: csr(), profile: 'ov', organizationId: org.id, onBehalfOf: shop.account.id }, provider.apiKey);
    expect(relayed.status).toBe(201);
    expect(await relayed.json()).toMatchObject({ accountId: shop.account.id, providerAccountId: provider.account.id, organizationId: org.id, profile: 'ov' });
  });
});

