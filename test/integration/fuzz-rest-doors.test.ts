/**
 * Fuzzing of every door of the REST API that takes untrusted DER, through HTTP (the Hono app, as the server mounts
 * it): CSRs of applicants and of designated providers (POST /v1/orders), key-compromise proofs — a CSR or a private
 * key (POST /key-compromise) — and OCSP requests (POST and GET /ocsp/dv). Inputs: test/support/der-fuzz.ts.
 * Property: a 4xx problem document (or, for OCSP, a proper OCSP response), never a 500, and no new rows.
 * Real PostgreSQL (a fresh database); the Temporal side is the recording fake (nothing may reach it anyway).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { certIdIssuerHashes, buildOcspRequest, ocspResponseStatus } from '../../pki/ocsp';
import { certificateFields } from '../../pki/ca-hierarchy';
import { InMemorySigner } from '../../pki/memory-signer';
import { pemEncode } from '../../pki/pem';
import { acceptanceQuery } from '../support/acceptance';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fuzz, malformedDer } from '../support/der-fuzz';
import { fakeWorkflows } from '../support/fake-workflows';
import { seedIssuingCa } from '../support/revocation-fixtures';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
const config = loadConfig();
const zone = config.dns.devZone;
const workflows = fakeWorkflows();
let subscriberKey: string;
let providerKey: string;
let relayedSubscriber: string;
let ocspSample: Uint8Array;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'fuzz_rest' });
  const no = { burst: 1e9, perMinute: 1e9 };
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date(), limits: { keyCompromise: { perClient: no, global: no } } });
  subscriberKey = (await createAccount(fresh.handle.db, { name: 'fuzz subscriber' })).apiKey;
  const provider = await createAccount(fresh.handle.db, { name: 'fuzz provider', kind: 'provider' });
  providerKey = provider.apiKey;
  relayedSubscriber = (await createAccount(fresh.handle.db, { name: 'relayed', providerAccountId: provider.account.id })).account.id;
  const { dvDer } = await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  const { subjectDer, spkiDer } = certificateFields(dvDer);
  ocspSample = buildOcspRequest({ ...certIdIssuerHashes(subjectDer, spkiDer, 'sha1'), serialHex: '4c1d2e3f405162738495a6b7c8d9eaf0' });
}, 120_000);
afterAll(async () => {
  await fresh?.drop();
});

/** Every row a refused request could have left behind. */
async function rows() {
  const [r] = await fresh.handle.sql`select
    (select count(*)::int from orders) as orders, (select count(*)::int from authorizations) as authorizations,
    (select count(*)::int from challenges) as challenges, (select count(*)::int from key_compromise_reports) as reports,
    (select count(*)::int from audit_log) as audit`;
  return r!;
}

async function expectProblem(res: Response, input: Uint8Array | string): Promise<void> {
  const text = await res.text();
  if (res.status < 400 || res.status > 499 || !(res.headers.get('content-type') ?? '').includes('application/problem+json')) {
    throw new Error(`HTTP ${res.status} ${text.slice(0, 300)} for ${typeof input === 'string' ? input.slice(0, 200) : Buffer.from(input).toString('hex').slice(0, 200)}`);
  }
  const doc = JSON.parse(text) as { type: string; status: number };
  expect(doc.status).toBe(res.status);
  expect(doc.type).toMatch(/^\/problems\/[a-zA-Z]+$/);
}

/** Requests in flight at once: the database round trips of one overlap the parsing of the others. */
const concurrency = 8;

const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) => app.request(path, { method: 'POST', headers, body });

/** OpenSSL, independently: does this CSR parse and verify with its own key? (Asked only of what the CA accepted.) */
const opensslVerifiesCsr = (der: Uint8Array) => spawnSync('openssl', ['req', '-inform', 'DER', '-noout', '-verify'], { input: der, encoding: 'utf8' }).stderr.includes('verify OK');

/**
 * The CSR doors' property: a 4xx problem document; or, for the rare mutation that is still a valid self-signed
 * CSR (OpenSSL agrees), the door's success status. Returns whether it was accepted.
 */
async function refusedOrValidCsr(res: Response, der: Uint8Array, success: number): Promise<boolean> {
  if (res.status === success && opensslVerifiesCsr(der)) return true;
  await expectProblem(res, der);
  return false;
}

describe('fuzz: REST doors that take DER (4xx problem, never 500, no rows)', { timeout: 120_000 }, () => {
  let csrs: Uint8Array[];
  beforeAll(() => {
    csrs = [makeCsr({ names: [`a.${zone}`, `b.${zone}`] }).der, makeCsr({ names: [`c.${zone}`], key: 'ec256' }).der];
  });

  it.each([
    // The applications state their acceptance of the documents in force (CP 4.1.2): without it every input would be
    // refused before its CSR is read, and nothing would be fuzzed.
    ['POST /v1/orders (application/pkcs10, applicant)', () => ({ path: `/v1/orders?profile=dv&${acceptanceQuery()}`, key: subscriberKey })],
    ['POST /v1/orders?onBehalfOf (designated provider, CP 1.3)', () => ({ path: `/v1/orders?onBehalfOf=${relayedSubscriber}&${acceptanceQuery()}`, key: providerKey })],
  ])('%s', async (entryPoint, door) => {
    const { path, key } = door();
    // The door reaches the CSR: the unmutated one is accepted.
    expect((await post(path, csrs[0]!, { 'content-type': 'application/pkcs10', authorization: `Bearer ${key}` })).status).toBe(201);
    const before = await rows();
    let accepted = 0;
    await fuzz(entryPoint, malformedDer(csrs), async (der) => {
      if (await refusedOrValidCsr(await post(path, der, { 'content-type': 'application/pkcs10', authorization: `Bearer ${key}` }), der, 201)) accepted++;
    }, { concurrency });
    const after = await rows();
    expect(after.orders - before.orders).toBe(accepted);
    expect(workflows.calls.startIssuance.length).toBe(after.orders);
  });

  it('POST /key-compromise, a CSR proof (application/pkcs10)', async () => {
    const proofs = [makeCsr({ names: [], cn: 'This key is compromised' }).der];
    const before = await rows();
    let accepted = 0;
    await fuzz('POST /key-compromise (CSR proof)', malformedDer(proofs), async (der) => {
      if (await refusedOrValidCsr(await post('/key-compromise', der, { 'content-type': 'application/pkcs10' }), der, 202)) accepted++;
    }, { concurrency });
    expect((await rows()).reports - before.reports).toBe(accepted);
  });

  it('POST /key-compromise, a private key (PKCS#8, PKCS#1, SEC 1): 400, or 202 when the mutation still is a signing key', async () => {
    const pems: Array<[string, KeyObject, 'pkcs8' | 'pkcs1' | 'sec1']> = [
      // 1024 bits: what is fuzzed is the key's encoding; a smaller key keeps the accepted mutations cheap to sign with.
      ['PRIVATE KEY', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs8'],
      ['RSA PRIVATE KEY', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs1'],
      ['EC PRIVATE KEY', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sec1'],
    ];
    const keys = fc
      .integer({ min: 0, max: pems.length - 1 })
      .chain((i) => malformedDer([new Uint8Array(pems[i]![1].export({ type: pems[i]![2], format: 'der' }))]).map((der) => pemEncode(pems[i]![0], der)));
    const before = await rows();
    let accepted = 0;
    await fuzz('POST /key-compromise (private key)', keys, async (pem) => {
      const res = await post('/key-compromise', JSON.stringify({ privateKey: pem }), { 'content-type': 'application/json' });
      if (res.status === 202) accepted++;
      else await expectProblem(res, pem);
    }, { concurrency });
    const after = await rows();
    console.log(`[fuzz] POST /key-compromise (private key): ${accepted} mutations were still signing keys (202)`);
    expect(after.reports - before.reports).toBe(accepted);
    expect({ ...after, reports: 0, audit: 0 }).toEqual({ ...before, reports: 0, audit: 0 });
  });

  /** A proper OCSP response (RFC 6960 4.2.1): 200, application/ocsp-response, an error status or a signed answer. */
  async function expectOcspAnswer(res: Response, der: Uint8Array): Promise<void> {
    const body = new Uint8Array(await res.arrayBuffer());
    const ok = res.status === 200 && res.headers.get('content-type') === 'application/ocsp-response' && body[0] === 0x30;
    const status = body.length === 5 ? body[4] : body.length > 5 ? ocspResponseStatus.successful : -1;
    if (!ok || ![ocspResponseStatus.malformedRequest, ocspResponseStatus.unauthorized, ocspResponseStatus.successful].includes(status as never)) {
      throw new Error(`HTTP ${res.status} ${Buffer.from(body).toString('hex').slice(0, 80)} for ${Buffer.from(der).toString('hex').slice(0, 200)}`);
    }
  }

  it('POST /ocsp/dv, an OCSPRequest (RFC 6960 A.1)', async () => {
    await fuzz('POST /ocsp/dv', malformedDer([ocspSample]), async (der) =>
      expectOcspAnswer(await post('/ocsp/dv', der, { 'content-type': 'application/ocsp-request' }), der),
    { concurrency });
  });

  it('GET /ocsp/dv/<base64>, an OCSPRequest in the URL (RFC 5019 5)', async () => {
    await fuzz('GET /ocsp/dv/<base64>', malformedDer([ocspSample]), async (der) =>
      expectOcspAnswer(await app.request(`/ocsp/dv/${encodeURIComponent(Buffer.from(der).toString('base64'))}`), der),
    { concurrency });
  });
});
