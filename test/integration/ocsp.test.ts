/**
 * The OCSP responder on the real services, as relying parties see it: responses signed in SoftHSM2 by a delegated
 * responder certificate, stored in PostgreSQL, served over HTTP by the API (createApp, a real socket) and by the
 * standalone responder, and read by independent tools — `openssl ocsp -url` (status, reason, signature and responder
 * chain) and pkilint (`lint_ocsp_response`). The responder certificate itself, the storage rules and the refresh
 * schedule are test/integration/ocsp-responder.test.ts. Everything runs in a database of its own (the CA rows are
 * copied; the keys are the token's): test/support/ocsp-testbed.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { startOcspServer } from '../../api/ocsp-server';
import { repoRoot, type CaConfig } from '../../config';
import { markCertificateRevoked } from '../../db/repositories/certificates';
import { getOcspResponse } from '../../db/repositories/ocsp';
import { buildOcspRequest } from '../../pki/ocsp';
import { eventually } from '../support/ca-harness';
import { seedCertificates } from '../support/ocsp-fixtures';
import { fakeWorkflows } from '../support/fake-workflows';
import { openOcspTestbed, type OcspTestbed } from '../support/ocsp-testbed';

const hasPkilint = spawnSync('lint_ocsp_response', ['--help'], { stdio: 'ignore' }).status === 0;

let testbed: OcspTestbed;
let fresh: OcspTestbed['fresh'];
let config: CaConfig;
let acts: OcspTestbed['acts'];
let files: OcspTestbed['files'];
let dvHashes: OcspTestbed['dvHashes'];
let work: string;
let server: ServerType;
let baseUrl: string;

// OCSP never reaches Temporal: any workflow call fails.
const noWorkflows = fakeWorkflows({ fail: 'all' });

beforeAll(async () => {
  testbed = await openOcspTestbed('ocsp');
  ({ fresh, config, acts, files, dvHashes, work } = testbed);
  const app = createApp({ db: fresh.handle.db, workflows: noWorkflows, config, clock: () => new Date() });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await testbed?.close();
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

  it('serves the CPS in force at /repository/cps — the placeholder is gone (test/integration/repository-documents.test.ts has the rest)', async () => {
    const res = await fetch(`${baseUrl}/repository/cps`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('認証局運用規程（CPS）');
    expect(html).not.toMatch(/placeholder/i);
  });

  it('serves the CRL URLs as a JSON array for CCADB, equal to the certificates\' CRL DP URLs', async () => {
    const all = await fetch(`${baseUrl}/repository/crl-urls.json`);
    expect(all.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await all.json()).toEqual([config.urls.dv.crl, config.urls.ov.crl]);
    expect(await (await fetch(`${baseUrl}/repository/crl-urls/dv.json`)).json()).toEqual([config.urls.dv.crl]);
    expect((await fetch(`${baseUrl}/repository/crl-urls/root.json`)).status).toBe(404);
  });
});
