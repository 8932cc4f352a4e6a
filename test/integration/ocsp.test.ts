/**
 * The OCSP responder on the real services: responses signed in SoftHSM2 by a delegated responder certificate the
 * issuing CA issued in SoftHSM2, stored in PostgreSQL, served over HTTP by the API (createApp, a real socket), and
 * read by independent tools — `openssl ocsp -url` (status, reason, signature and responder chain), pkilint
 * (`lint_ocsp_response`, and the CA/B linter on the responder certificate), zlint, `openssl x509 -text`.
 * The refresh schedule runs in the real Temporal dev server with the real main and signing workers.
 * Everything runs in a database of its own (the CA rows are copied; the keys are the token's).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOcspActivities } from '../../activities/ocsp';
import { createApp } from '../../api/app';
import { startOcspServer } from '../../api/ocsp-server';
import { loadConfig, repoRoot, type CaConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { markCertificateRevoked } from '../../db/repositories/certificates';
import { listIssuers, upsertIssuer } from '../../db/repositories/issuers';
import { getOcspResponse, storeOcspResponses } from '../../db/repositories/ocsp';
import { ocspResponders, ocspResponses } from '../../db/schema';
import { openHsm, type Hsm } from '../../pki/hsm';
import { buildOcspRequest, certIdIssuerHashes } from '../../pki/ocsp';
import { certificateFields } from '../../pki/ca-hierarchy';
import { pemEncode } from '../../pki/pem';
import { readHsmPin } from '../../pki/hsm-pin';
import { ensureOcspRefreshSchedule } from '../../worker/ocsp-schedule';
import { ocspRefreshScheduleId } from '../../workflows/refreshOcsp';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { eventually, runWorker, type RunningWorker } from '../support/ca-harness';
import { ageOcspResponse, seedCertificates } from '../support/ocsp-fixtures';
import { createMainWorker } from '../../worker/main';
import { createSigningWorker } from '../../worker/signing';

const HOUR = 3600_000;
const work = mkdtempSync(path.join(tmpdir(), 'ocsp-it-'));
const hasPkilint = spawnSync('lint_ocsp_response', ['--help'], { stdio: 'ignore' }).status === 0;
const hasZlint = spawnSync('zlint', ['-list-lints-source'], { stdio: 'ignore' }).status === 0;

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let config: CaConfig;
let hsm: Hsm;
let server: ServerType;
let baseUrl: string;
let acts: ReturnType<typeof createOcspActivities>;
let files: { root: string; dv: string; ov: string };
let dvHashes: ReturnType<typeof certIdIssuerHashes>;

// OCSP never reaches Temporal: any workflow call fails.
const noWorkflows = fakeWorkflows({ fail: 'all' });

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'ocsp' });
  const base = loadConfig();
  config = { ...base, database: { ...base.database, url: fresh.url } };
  const main = createDb(base.database.url, { max: 1 });
  try {
    for (const row of await listIssuers(main.db)) await upsertIssuer(fresh.handle.db, row, { actor: 'test' });
  } finally {
    await main.close();
  }
  hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 2 });
  acts = createOcspActivities({ db: fresh.handle.db, signer: hsm, keys: hsm, config, clock: () => new Date() });
  const app = createApp({ db: fresh.handle.db, workflows: noWorkflows, config, clock: () => new Date() });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const issuers = await listIssuers(fresh.handle.db);
  const pem = (id: string) => {
    const file = path.join(work, `${id}.pem`);
    writeFileSync(file, pemEncode('CERTIFICATE', issuers.find((i) => i.id === id)!.certDer!));
    return file;
  };
  files = { root: pem('root'), dv: pem('dv'), ov: pem('ov') };
  const dv = issuers.find((i) => i.id === 'dv')!;
  const { subjectDer, spkiDer } = certificateFields(dv.certDer!);
  dvHashes = certIdIssuerHashes(subjectDer, spkiDer, 'sha1');
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await hsm?.close();
  await fresh?.drop();
  rmSync(work, { recursive: true, force: true });
});

/**
 * Runs a program asynchronously (stdout + stderr): the server under test lives in this process, so a synchronous
 * spawn of an HTTP client would block the event loop that has to answer it.
 */
function run(cmd: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, out: `${stdout}${stderr}` });
    });
  });
}

/** `openssl ocsp` as a relying party would run it: request over HTTP, verify the response against the root. */
async function opensslOcsp(serial: string, opts: { issuer?: string; url?: string } = {}): Promise<string> {
  const issuer = opts.issuer ?? files.dv;
  const url = opts.url ?? `${baseUrl}/ocsp/dv`;
  return (await run('openssl', ['ocsp', '-timeout', '10', '-issuer', issuer, '-serial', `0x${serial}`, '-url', url, '-CAfile', files.root, '-verify_other', issuer, '-resp_text'])).out;
}

const request = (serial: string) => buildOcspRequest({ ...dvHashes, serialHex: serial });

async function post(serial: string | Uint8Array, issuer = 'dv'): Promise<Response> {
  const body = typeof serial === 'string' ? request(serial) : serial;
  return fetch(`${baseUrl}/ocsp/${issuer}`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: body as Uint8Array<ArrayBuffer> });
}

/** The OCSPResponseStatus of a DER OCSPResponse, by openssl. */
function responseStatus(der: Uint8Array): string {
  const file = path.join(work, `status-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, der);
  const r = spawnSync('openssl', ['ocsp', '-respin', file, '-resp_text', '-noverify'], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  // openssl: "OCSP Response Status: successful (0x0)" or, for the error statuses, "Responder Error: unauthorized (6)".
  return /(?:OCSP Response Status|Responder Error): (\S+)/.exec(out)?.[1] ?? out;
}

describe('answers (BR 4.9.10, RFC 5019), checked with openssl ocsp -url', () => {
  it('a precertificate is answered good right after step 7, though its final certificate never issues', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'precertificate' });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    const out = await opensslOcsp(cert!.serial);
    expect(out).toContain('Response verify OK');
    expect(out).toMatch(new RegExp(`0x${cert!.serial}: good`, 'i'));
    // The validity window of the policy (8 h – 10 days): 48 h by default.
    const thisUpdate = Date.parse(/This Update: (.+)/.exec(out)![1]!);
    const nextUpdate = Date.parse(/Next Update: (.+)/.exec(out)![1]!);
    expect(nextUpdate - thisUpdate).toBe(config.ocsp.timing.responseValiditySeconds * 1000);
    expect(Math.abs(thisUpdate - Date.now())).toBeLessThan(60_000);
  });

  it('an issued certificate is good; after markCertificateRevoked + signOcspResponses it is revoked with its reason, within seconds', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    expect(await opensslOcsp(cert!.serial)).toMatch(new RegExp(`0x${cert!.serial}: good`, 'i'));

    const revokedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const t0 = Date.now();
    await markCertificateRevoked(fresh.handle.db, cert!.serial, { reason: 1, at: revokedAt, actor: 'test' });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    // The API holds the good answer in its cache for CA_OCSP_CACHE_SECONDS (30 s), but the signer's NOTIFY drops it:
    // the revocation is served within moments, far inside the TTL.
    expect(config.ocsp.cacheSeconds).toBeGreaterThanOrEqual(10);
    const out = await eventually(async () => {
      const o = await opensslOcsp(cert!.serial);
      return /: revoked/.test(o) ? o : null;
    }, 15_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(out).toContain('Response verify OK');
    expect(out).toContain('Revocation Reason: keyCompromise (0x1)');
    expect(Date.parse(/Revocation Time: (.+)/.exec(out)![1]!)).toBe(revokedAt.getTime());
  });

  it('revoked without a reason (unspecified) carries no revocationReason', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'revoked', reason: 0 });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    const out = await opensslOcsp(cert!.serial);
    expect(out).toMatch(/: revoked/);
    expect(out).not.toContain('Revocation Reason');
  });

  it('a serial never issued is unauthorized, never good (BR 4.9.10)', async () => {
    const out = await opensslOcsp('5c0ffee0000000000000000000000000000001');
    expect(out).toContain('Responder Error: unauthorized (6)');
    expect(out).not.toMatch(/: good/);
  });

  it('a reserved serial (nothing signed yet) is unauthorized, and signOcspResponses skips it', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'reserved' });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    expect(await getOcspResponse(fresh.handle.db, cert!.serial)).toBeNull();
    expect(await opensslOcsp(cert!.serial)).toContain('Responder Error: unauthorized (6)');
  });

  it("a DV serial asked of the OV endpoint (the other CA's CertID) is unauthorized", async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    expect(await opensslOcsp(cert!.serial, { url: `${baseUrl}/ocsp/ov` })).toContain('Responder Error: unauthorized (6)');
    expect(await opensslOcsp(cert!.serial, { issuer: files.ov, url: `${baseUrl}/ocsp/ov` })).toContain('Responder Error: unauthorized (6)');
  });
});

describe('HTTP (RFC 5019 5, 6; RFC 6960 A.1)', () => {
  let serial: string;
  beforeAll(async () => {
    // A serial whose base64 request contains '/' or '+', so the GET path exercises url-encoding.
    for (;;) {
      const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
      if (/[+/]/.test(Buffer.from(request(cert!.serial)).toString('base64'))) {
        serial = cert!.serial;
        break;
      }
    }
    await acts.signOcspResponses({ serials: [serial] });
  });

  it('GET (url-encoded base64 path) and POST answer the same bytes, with the caching headers of the response', async () => {
    const b64 = Buffer.from(request(serial)).toString('base64');
    const byPost = await post(serial);
    const byGet = await fetch(`${baseUrl}/ocsp/dv/${encodeURIComponent(b64)}`);
    const byRawGet = await fetch(`${baseUrl}/ocsp/dv/${b64}`); // some clients do not encode '+' and '/'
    const stored = (await getOcspResponse(fresh.handle.db, serial))!;
    for (const res of [byPost, byGet, byRawGet]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(stored.responseDer));
      expect(res.headers.get('expires')).toBe(stored.nextUpdate.toUTCString());
      expect(res.headers.get('last-modified')).toBe(stored.thisUpdate.toUTCString());
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control')!)![1]);
      // Never cacheable beyond nextUpdate (RFC 5019 6.2).
      expect(maxAge).toBeLessThanOrEqual((stored.nextUpdate.getTime() - Date.now()) / 1000 + 1);
      expect(maxAge).toBeGreaterThan((stored.nextUpdate.getTime() - Date.now()) / 1000 - 60);
      expect(res.headers.get('cache-control')).toMatch(/public/);
    }
  });

  it('the standalone responder process (api/ocsp-server.ts) answers GET and POST with the same bytes and headers', async () => {
    const standalone = await startOcspServer(config, { port: 0, host: '127.0.0.1' });
    try {
      const b64 = encodeURIComponent(Buffer.from(request(serial)).toString('base64'));
      const viaApi = await post(serial);
      for (const res of [
        await fetch(`${standalone.url}/ocsp/dv`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request(serial) as Uint8Array<ArrayBuffer> }),
        await fetch(`${standalone.url}/ocsp/dv/${b64}`),
      ]) {
        expect(res.status).toBe(200);
        for (const h of ['content-type', 'expires', 'last-modified', 'etag']) expect(res.headers.get(h), h).toBe(viaApi.headers.get(h));
        expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(await viaApi.clone().arrayBuffer()));
      }
      const out = await opensslOcsp(serial, { url: `${standalone.url}/ocsp/dv` });
      expect(out).toContain('Response verify OK');
      expect(responseStatus(new Uint8Array(await (await fetch(`${standalone.url}/ocsp/dv/%%%`)).arrayBuffer()))).toBe('malformedrequest');
      expect((await fetch(`${standalone.url}/elsewhere`)).status).toBe(404);
    } finally {
      await standalone.close();
    }
  });

  it('If-None-Match with the ETag answers 304 Not Modified', async () => {
    const b64 = encodeURIComponent(Buffer.from(request(serial)).toString('base64'));
    const first = await fetch(`${baseUrl}/ocsp/dv/${b64}`);
    const again = await fetch(`${baseUrl}/ocsp/dv/${b64}`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('a nonce in the request is ignored: the pre-signed response is served as is (RFC 5019 2.1.2)', async () => {
    const r = await run('openssl', ['ocsp', '-timeout', '10', '-issuer', files.dv, '-serial', `0x${serial}`, '-url', `${baseUrl}/ocsp/dv`, '-CAfile', files.root, '-verify_other', files.dv]);
    expect(r.out).toContain('WARNING: no nonce in response');
    expect(r.stdout).toMatch(/: good/);
  });

  it.each([
    ['POST of garbage', () => post(new TextEncoder().encode('this is not DER'))],
    ['POST of an empty body', () => post(new Uint8Array())],
    ['POST of a certificate', () => post(readFileSync(files.dv))],
    ['GET with a path that is not base64', () => fetch(`${baseUrl}/ocsp/dv/not*base64!`)],
    ['GET of base64 that is not an OCSPRequest', () => fetch(`${baseUrl}/ocsp/dv/${Buffer.from('hello').toString('base64')}`)],
  ])('malformedRequest: %s', async (_n, send) => {
    const res = await send();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/ocsp-response');
    expect(responseStatus(new Uint8Array(await res.arrayBuffer()))).toBe('malformedrequest');
  });

  it('an unknown endpoint id is unauthorized (no responder for it)', async () => {
    const res = await post(serial, 'root');
    expect(responseStatus(new Uint8Array(await res.arrayBuffer()))).toBe('unauthorized');
  });
});

describe('linters on what is served', () => {
  it.runIf(hasPkilint)('pkilint lint_ocsp_response: 0 errors/warnings for a good and a revoked response', async () => {
    const [good] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    const [revoked] = await seedCertificates(fresh.handle.db, { count: 1, status: 'revoked', reason: 4 });
    await acts.signOcspResponses({ serials: [good!.serial, revoked!.serial] });
    for (const s of [good!.serial, revoked!.serial]) {
      const file = path.join(work, `lint-${s}.der`);
      writeFileSync(file, new Uint8Array(await (await post(s)).arrayBuffer()));
      const r = spawnSync('lint_ocsp_response', ['lint', '-s', 'WARNING', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(spawnSync('lint_ocsp_response', ['lint', '-s', 'ALL', file], { encoding: 'utf8' }).stdout).toMatch(/basicOCSPResponse\.tbsResponseData/);
    }
  });
});

describe('delegated responder certificate (CP 7.3), issued by the issuing CA in the HSM', () => {
  let responderPem: string;
  let txt: string;
  beforeAll(async () => {
    await acts.ensureOcspResponder({ issuerId: 'dv' });
    const [row] = await fresh.handle.db.select().from(ocspResponders).where(eq(ocspResponders.issuerId, 'dv')).limit(1);
    responderPem = path.join(work, 'responder.pem');
    writeFileSync(responderPem, pemEncode('CERTIFICATE', row!.certDer));
    txt = execFileSync('openssl', ['x509', '-in', responderPem, '-noout', '-text'], { encoding: 'utf8' });
  });

  it('matches the CP 7.3 profile field by field (openssl x509 -text)', () => {
    expect(txt).toContain('Version: 3 (0x2)');
    expect(txt).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(txt).toMatch(/Issuer: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?JPRS Domain Validation Authority - G4\n/);
    const host = new URL(config.urls.dv.ocsp).hostname.replace(/\./g, '\\.');
    expect(txt).toMatch(new RegExp(`Subject: C ?= ?JP, O ?= ?"?Japan Registry Services Co\\., Ltd\\."?, CN ?= ?${host}\\n`));
    expect(txt).toContain('Public-Key: (2048 bit)');
    expect(txt).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(txt).toMatch(/X509v3 Extended Key Usage: \n\s+OCSP Signing\n/);
    expect(txt).toMatch(/OCSP No Check: ?\n/);
    expect(txt).toContain('X509v3 Authority Key Identifier');
    expect(txt).toContain('X509v3 Subject Key Identifier');
    expect(txt).not.toContain('Certificate Policies');
    expect(txt).not.toContain('CA:TRUE');
    const start = Date.parse(/Not Before: (.+)/.exec(txt)![1]!);
    const end = Date.parse(/Not After : (.+)/.exec(txt)![1]!);
    // CP 7.3 example: 4 days (inclusive of the last second).
    expect(end - start + 1000).toBe(config.ocsp.timing.responderValiditySeconds * 1000);
  });

  it('chains to the root for purpose ocsphelper', () => {
    const out = execFileSync('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.dv, '-purpose', 'ocsphelper', responderPem], { encoding: 'utf8' });
    expect(out.trim()).toBe(`${responderPem}: OK`);
  });

  it('its key is in the HSM: sensitive, never extractable (CP 6.1.1)', async () => {
    const a = await hsm.privateKeyAttributes('ocsp-dv');
    expect(a).toMatchObject({ sensitive: true, extractable: false, neverExtractable: true, modulusBits: 2048 });
  });

  it.runIf(hasPkilint)('pkilint (CA/B, OCSP-RESPONDER) reports no error', () => {
    const r = spawnSync('lint_cabf_serverauth_cert', ['lint', '-t', 'OCSP-RESPONDER', '-s', 'ERROR', responderPem], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  });

  it.runIf(hasZlint)('zlint reports no error or warning', () => {
    const r = spawnSync('zlint', ['-pretty', responderPem], { encoding: 'utf8' });
    const results = JSON.parse(r.stdout) as Record<string, { result: string }>;
    expect(Object.entries(results).filter(([, v]) => ['error', 'fatal', 'warn'].includes(v.result)).map(([k]) => k)).toEqual([]);
  });

  it('is renewed once fewer than renewBefore seconds are left, and responses then use the new one', async () => {
    const t = config.ocsp.timing;
    const current = await acts.ensureOcspResponder({ issuerId: 'dv' });
    expect(current.renewed).toBe(false);
    // A clock moved to just past the renewal point of the current responder.
    const later = new Date(Date.parse(current.notAfter) - t.responderRenewBeforeSeconds * 1000 + 60_000);
    const lateActs = createOcspActivities({ db: fresh.handle.db, signer: hsm, keys: hsm, config, clock: () => later });
    const renewed = await lateActs.ensureOcspResponder({ issuerId: 'dv' });
    expect(renewed.renewed).toBe(true);
    expect(renewed.serial).not.toBe(current.serial);
    expect(Date.parse(renewed.notAfter)).toBeGreaterThan(Date.parse(current.notAfter));
    expect((await lateActs.ensureOcspResponder({ issuerId: 'dv' })).renewed).toBe(false);
    // Every response outlives neither of its signers: signed "later", it is signed by the renewed responder.
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    await lateActs.signOcspResponses({ serials: [cert!.serial] });
    const row = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    expect(row.responderSerial).toBe(renewed.serial);
    expect(row.nextUpdate.getTime()).toBeLessThanOrEqual(Date.parse(renewed.notAfter));
  });
});

describe('storage rules', () => {
  it('a revoked response is never replaced by a good one, nor a newer by an older (CP 4.9.13)', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'revoked', reason: 1 });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    const revoked = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    // A late write of a good response (a refresh that read the status before the revocation) is ignored...
    await storeOcspResponses(fresh.handle.db, [{ ...revoked, certStatus: 'good', thisUpdate: new Date(revoked.thisUpdate.getTime() + 1000) }], { actor: 'test' });
    // ...and so is an older revoked one.
    await storeOcspResponses(fresh.handle.db, [{ ...revoked, thisUpdate: new Date(revoked.thisUpdate.getTime() - 5000), responseDer: Uint8Array.of(1) }], { actor: 'test' });
    const after = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    expect(after.certStatus).toBe('revoked');
    expect(Buffer.from(after.responseDer)).toEqual(Buffer.from(revoked.responseDer));
  });
});

describe('the ocsp-refresh Temporal Schedule (real Temporal, main and signing workers)', () => {
  let workers: RunningWorker[] = [];
  let client: Client;
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    // createMainWorker creates (or updates) the schedule itself.
    workers = [await runWorker(await createMainWorker(config)), await runWorker(await createSigningWorker(config))];
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await connection?.close();
  });

  it('exists after worker start with the configured interval, overlap SKIP, starting refreshOcsp; creation is idempotent', async () => {
    await ensureOcspRefreshSchedule(config, { client });
    const d = await client.schedule.getHandle(ocspRefreshScheduleId).describe();
    expect(d.action.type).toBe('startWorkflow');
    expect(d.action.type === 'startWorkflow' && d.action.workflowType).toBe('refreshOcsp');
    expect(d.spec.intervals?.[0]?.every).toBe(config.ocsp.timing.scheduleIntervalSeconds * 1000);
    expect(d.policies.overlap).toBe('SKIP');
  });

  it('signs missing responses and re-signs those older than refreshAfter when it fires', async () => {
    const [missing] = await seedCertificates(fresh.handle.db, { count: 1, status: 'precertificate' });
    const [aged] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    const [expired] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued', notAfter: new Date(Date.now() - HOUR) });
    await acts.signOcspResponses({ serials: [aged!.serial] });
    await ageOcspResponse(fresh.handle.db, aged!.serial, config.ocsp.timing.refreshAfterSeconds + 60);
    const agedBefore = (await getOcspResponse(fresh.handle.db, aged!.serial))!.thisUpdate;

    await client.schedule.getHandle(ocspRefreshScheduleId).trigger();
    const refreshed = await eventually(async () => {
      const m = await getOcspResponse(fresh.handle.db, missing!.serial);
      const a = await getOcspResponse(fresh.handle.db, aged!.serial);
      return m && a && a.thisUpdate > agedBefore ? { m, a } : null;
    }, 60_000);
    expect(refreshed.m.certStatus).toBe('good');
    expect(Date.now() - refreshed.a.thisUpdate.getTime()).toBeLessThan(60_000);
    // An expired certificate is not refreshed (and was never signed here).
    expect(await getOcspResponse(fresh.handle.db, expired!.serial)).toBeNull();
    // And nothing this database serves is left stale for the next run.
    const rows = await fresh.handle.db.select().from(ocspResponses);
    expect(rows.filter((r) => Date.now() - r.thisUpdate.getTime() >= config.ocsp.timing.refreshAfterSeconds * 1000)).toEqual([]);
  });
});

describe('the static repository (CP 2.2)', () => {
  it('serves the CP as UTF-8 text, byte for byte the published copy of the specification', async () => {
    for (const p of ['/repository/cp', '/repository/cp-ja.txt']) {
      const res = await fetch(`${baseUrl}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const text = await res.text();
      expect(text).toBe(readFileSync(path.join(repoRoot, 'docs', 'repository', 'cp-ja.txt'), 'utf8'));
      expect(text).toContain('JPRS サーバー証明書認証局証明書ポリシー');
    }
  });

  it('serves a CPS page that says plainly it is a placeholder', async () => {
    const res = await fetch(`${baseUrl}/repository/cps`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/This page is a placeholder/);
  });

  it('serves the CRL URLs as a JSON array for CCADB, equal to the certificates\' CRL DP URLs', async () => {
    const all = await fetch(`${baseUrl}/repository/crl-urls.json`);
    expect(all.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await all.json()).toEqual([config.urls.dv.crl, config.urls.ov.crl]);
    expect(await (await fetch(`${baseUrl}/repository/crl-urls/dv.json`)).json()).toEqual([config.urls.dv.crl]);
    expect((await fetch(`${baseUrl}/repository/crl-urls/root.json`)).status).toBe(404);
  });
});
