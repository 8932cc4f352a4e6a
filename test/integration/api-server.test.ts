/**
 * The API process over real sockets (api/server.ts on a fresh database and the test Temporal): HTTP and HTTPS
 * listeners, Location headers on the https base, malformed DER answered 400 (the two commands of the issue that
 * reported 500s), and a genuine bug answered 500 with a request id that is logged — without the API key — and counted
 * in ca_http_server_errors_total.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { loadConfig, type CaConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { redirectLog } from '../../observability/log';
import { acmeTlsCaFile } from '../../scripts/lib/acme-tls';
import { acceptanceQuery } from '../support/acceptance';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let api: RunningApiServer;
let config: CaConfig;
let apiKey: string;
const logged: string[] = [];

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'api_server' });
  const base = loadConfig();
  // A task queue no worker polls: the orders started here stay with this test.
  config = { ...base, database: { ...base.database, url: fresh.url }, temporal: { ...base.temporal, taskQueue: 'api-server-test-unpolled' } };
  apiKey = (await createAccount(fresh.handle.db, { name: 'Applicant' })).apiKey;
  // The process's one logger (observability/log.ts), read back: what a 500 logs, and that no API key is in it.
  redirectLog({ write: (line: string) => logged.push(line) });
  api = await startApiServer(config, { port: 0, tlsPort: 0 });
});
afterAll(async () => {
  redirectLog(null);
  await api?.close();
  await fresh?.drop();
});

/** A request over HTTPS trusting the development root (the listener's certificate names 127.0.0.1). */
function httpsRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers, ca: readFileSync(acmeTlsCaFile(config)) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const zone = loadConfig().dns.devZone;

const der = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('the applicant API on HTTPS, its links on the https base', () => {
  it('takes an application over HTTPS and answers with an https Location and links', async () => {
    const res = await httpsRequest(`${api.httpsUrl}/v1/orders?profile=dv&${acceptanceQuery()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/pkcs10' },
      body: makeCsr({ names: [`tls.${zone}`] }).der,
    });
    expect(res.status, res.body).toBe(201);
    const order = JSON.parse(res.body) as { id: string };
    expect(res.headers.location).toBe(`${api.httpsUrl}/v1/orders/${order.id}`);
    expect(res.body).not.toContain(api.url); // (web-file challenge URLs stay http: BR 3.2.2.4.18 fetches them so)
    const again = await httpsRequest(res.headers.location as string, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(again.status).toBe(200);
  });

  it('still serves plain HTTP (the repository, OCSP and CRLs are http URLs, BR 7.1.2.7.7)', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });
});

describe('malformed DER is a 400 problem document, never a 500 (the commands that answered 500 before)', () => {
  it.each([
    // The application states its acceptance of the documents (CP 4.1.2), so the CSR is what the door refuses.
    ['POST /v1/orders with a CSR that is a malformed GeneralizedTime', `/v1/orders?profile=dv&${acceptanceQuery()}`, true],
    ['POST /key-compromise (unauthenticated) with the same bytes', '/key-compromise', false],
  ])('%s', async (_name, path, withKey) => {
    // printf '\x18\x03abc' | curl … -H 'content-type: application/pkcs10' --data-binary @-
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/pkcs10', ...(withKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: der('1803616263'),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { type: string; status: number; detail: string };
    expect(problem).toMatchObject({ type: '/problems/malformed', status: 400 });
    expect(problem.detail).toMatch(/^CSR: /);
  });
});

describe('a genuine bug: 500 with a request id, logged without the API key, counted per route', () => {
  it('the database vanishes under the API', async () => {
    const metric = () => register.getSingleMetric('ca_http_server_errors_total')!.get();
    const before = (await metric()).values.find((v) => v.labels.route === 'GET /v1/orders')?.value ?? 0;
    await fresh.drop();
    const res = await fetch(`${api.url}/v1/orders`, { headers: { authorization: `Bearer ${apiKey}`, 'x-api-key': apiKey } });
    expect(res.status).toBe(500);
    const problem = (await res.json()) as { type: string; detail: string; requestId: string };
    expect(problem.type).toBe('/problems/internal');
    expect(problem.detail).toBe('internal error');
    expect(problem.requestId).toBe(res.headers.get('x-request-id'));
    const lines = logged.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The request id is the log context's `reqId` (observability/log.ts), on every line the request logged.
    expect(lines.find((l) => l.reqId === problem.requestId)).toMatchObject({ door: 'api', route: 'GET /v1/orders', path: '/v1/orders' });
    // The key travelled in two headers of this request and in every request before: nowhere in the log.
    expect(logged.join('')).not.toContain(apiKey);
    expect(logged.join('')).not.toContain(apiKey.slice(-16));
    const after = (await metric()).values.find((v) => v.labels.door === 'api' && v.labels.route === 'GET /v1/orders')!.value;
    expect(after).toBe(before + 1);
  });
});
