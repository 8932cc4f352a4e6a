/**
 * Observability of the real processes, each started as `npm start` starts it (API, ACME, OCSP responder, main,
 * signing and perspective workers): after one DV issuance through the API and one OCSP request by `openssl ocsp`,
 * every process answers /metrics and the counters and histograms of what it did have moved (orders by outcome,
 * issuance steps, HSM signatures, CT submissions per log, OCSP requests by status, HTTP requests), every worker's
 * Temporal SDK exporter answers with `ca_temporal_*`, and every line every process wrote is a JSON event naming its
 * service — none carrying the API key, the HSM PIN or a Temporal task token.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';
import { currentAcceptance } from '../support/acceptance';
import { eventually, uniqueLabel } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import type { OrderJson } from '../support/orders';
import { freePort, sampleValue, startCaProcess, type CaProcess } from '../support/processes';

const config = loadConfig();
const work = mkdtempSync(path.join(tmpdir(), 'e2e-obs-'));
const ports: Record<string, number> = {};
let processes: Record<'api' | 'acme' | 'ocsp' | 'main' | 'signing' | 'perspective', CaProcess>;
let dns: DevDns;
let db: DbHandle;
let apiKey: string;
let order: OrderJson;
const api = (p: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${ports.api}${p}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
const scrape = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};
const acmeGet = (p: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: ports.acme, path: p, ca: readFileSync(path.join(path.dirname(config.acme.tlsCertFile), 'ca.pem')) }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });

beforeAll(async () => {
  for (const name of ['api', 'acme', 'ocsp', 'mainMetrics', 'mainSdk', 'signingMetrics', 'signingSdk', 'perspectiveMetrics', 'perspectiveSdk']) ports[name] = await freePort();
  db = createDb(config.database.url, { max: 2 });
  ({ apiKey } = await createAccount(db.db, { name: 'Observability Applicant' }));
  dns = await startDevDnsServer({ host: '127.0.0.1', port: config.dns.devPort, adminPort: 0, zone: config.dns.devZone });
  const worker = (metrics: number, sdk: number) => ({ CA_METRICS_PORT: String(metrics), CA_TEMPORAL_METRICS_PORT: String(sdk) });
  processes = {
    api: startCaProcess('api', 'api/server.ts', { CA_API_PORT: String(ports.api) }),
    acme: startCaProcess('acme', 'api/acme/server.ts', { CA_ACME_PORT: String(ports.acme) }),
    ocsp: startCaProcess('ocsp', 'api/ocsp-server.ts', { CA_OCSP_PORT: String(ports.ocsp) }),
    main: startCaProcess('worker-main', 'worker/main.ts', worker(ports.mainMetrics!, ports.mainSdk!)),
    signing: startCaProcess('worker-signing', 'worker/signing.ts', worker(ports.signingMetrics!, ports.signingSdk!)),
    perspective: startCaProcess('perspective', 'worker/perspective.ts', worker(ports.perspectiveMetrics!, ports.perspectiveSdk!)),
  };
  await Promise.all([
    processes.api.waitFor('API listening'),
    processes.acme.waitFor('ACME server listening'),
    processes.ocsp.waitFor('OCSP responder listening'),
    processes.main.waitFor('main worker polling', 180_000),
    processes.signing.waitFor('signing worker polling'),
    processes.perspective.waitFor('perspective polling'),
  ]);

  // One DV order through the REST door, answered with dns-01 (BR 3.2.2.4.7).
  const csr = makeCsr({ names: [`www.${uniqueLabel()}.${config.dns.devZone}`] });
  const created = await api('/v1/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: csr.pem, profile: 'dv', acceptance: currentAcceptance() }) });
  expect(created.status).toBe(201);
  order = (await created.json()) as OrderJson;
  const challenge = order.authorizations[0]!.challenges.find((c) => c.recordName)!;
  dns.add({ name: challenge.recordName!, type: 'TXT', value: challenge.recordValue });
  expect((await api(`/v1/orders/${order.id}/challenges/${challenge.id}/ready`, { method: 'POST' })).status).toBe(202);
  order = await eventually(async () => {
    const o = (await (await api(`/v1/orders/${order.id}`)).json()) as OrderJson;
    return o.status === 'valid' || o.status === 'invalid' ? o : null;
  }, 150_000, 500);
  expect(order.status, JSON.stringify(order.error)).toBe('valid');

  // Its status from the standalone OCSP responder, asked by OpenSSL (RFC 6960 over HTTP POST).
  const chain = await (await api(`/v1/orders/${order.id}/certificate`)).text();
  const [leaf, issuer] = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
  writeFileSync(path.join(work, 'cert.pem'), leaf!);
  writeFileSync(path.join(work, 'issuer.pem'), issuer!);
  const ocsp = execFileSync('openssl', ['ocsp', '-issuer', path.join(work, 'issuer.pem'), '-cert', path.join(work, 'cert.pem'),
    '-url', `http://127.0.0.1:${ports.ocsp}/ocsp/dv`, '-noverify'], { encoding: 'utf8' });
  expect(ocsp).toContain(': good');
  expect((await acmeGet('/acme/directory')).status).toBe(200);
}, 420_000);

afterAll(async () => {
  const codes = await Promise.all(Object.values(processes ?? {}).map((p) => p.stop()));
  await dns?.stop();
  await db?.close();
  // SIGTERM is a clean stop for every process.
  expect(codes.every((c) => c === 0)).toBe(true);
}, 60_000);

describe('/metrics of every process after an issuance', () => {
  it('the main worker: the order by outcome, the issuance steps it ran, CT submissions per log', async () => {
    const text = await scrape(ports.mainMetrics!);
    expect(sampleValue(text, 'ca_orders_total', { outcome: 'valid', kind: '' })).toBe(1);
    for (const [step, activity] of [['2-authorize', 'checkDnsChange'], ['3/9-corroborate', 'perspectiveCheckCaa'], ['5-reserve', 'reserveCertificate'], ['6/10-lint', 'lintToBeSigned'], ['8-ct', 'submitToCtLog'], ['11-complete', 'completeOrder']]) {
      expect(sampleValue(text, 'ca_issuance_step_duration_seconds_count', { step: step!, activity: activity!, outcome: 'ok' }), `${step} ${activity}`).toBeGreaterThanOrEqual(1);
    }
    const ctOk = ['local-a1', 'local-a2', 'local-b'].map((log) => sampleValue(text, 'ca_ct_submission_duration_seconds_count', { log, outcome: 'ok' }));
    // The policy is met with 3 SCTs of 2 operators (a 200-day certificate); every SCT came from one of the logs.
    expect(ctOk.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(3);
    expect(text).toContain('# TYPE ca_ct_submission_errors_total counter');
    expect(sampleValue(text, 'ca_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('the signing worker: HSM signatures by key (dv-g4, the DV issuing CA: precertificate, certificate), and the signing steps', async () => {
    const text = await scrape(ports.signingMetrics!);
    expect(sampleValue(text, 'ca_hsm_sign_duration_seconds_count', { key: 'dv-g4', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'ca_issuance_step_duration_seconds_count', { step: '7-precertificate', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'ca_issuance_step_duration_seconds_count', { step: '10-certificate', outcome: 'ok' })).toBe(1);
  });

  it('the perspectives: their corroboration rounds, DCV and CAA in one activity (BR 3.2.2.9)', async () => {
    const text = await scrape(ports.perspectiveMetrics!);
    expect(sampleValue(text, 'ca_issuance_step_duration_seconds_count', { step: '3/9-corroborate', activity: 'perspectiveCheck', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('the OCSP responder: the request by method and response status', async () => {
    expect(sampleValue(await scrape(ports.ocsp!), 'ca_ocsp_requests_total', { method: 'POST', status: 'successful' })).toBe(1);
  });

  it('the API and ACME doors: their requests by route pattern and status', async () => {
    const text = await scrape(ports.api!);
    expect(sampleValue(text, 'ca_http_request_duration_seconds_count', { door: 'api', method: 'POST', route: '/v1/orders', status: '201' })).toBe(1);
    expect(sampleValue(text, 'ca_http_request_duration_seconds_count', { door: 'api', method: 'GET', route: '/v1/orders/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    const acme = await acmeGet('/metrics');
    expect(acme.status).toBe(200);
    expect(sampleValue(acme.body, 'ca_http_request_duration_seconds_count', { door: 'acme', route: '/acme/directory', status: '200' })).toBe(1);
  });

  it('the Temporal SDK of every worker, on its own port (ca_temporal_*)', async () => {
    for (const port of [ports.mainSdk!, ports.signingSdk!, ports.perspectiveSdk!]) {
      const text = await scrape(port);
      expect(text).toMatch(/^ca_temporal_\w+/m);
      expect(text).not.toMatch(/^temporal_/m);
    }
  });
});

describe('the logs of every process', () => {
  it('are JSON events naming their service, with the order and workflow where known', () => {
    for (const p of Object.values(processes)) {
      const notJson = p.lines.filter((l) => !l.startsWith('{'));
      expect(notJson, p.name).toEqual([]);
      expect(p.events().every((e) => e.service === p.name && typeof e.level === 'string' && typeof e.time === 'string'), p.name).toBe(true);
    }
    expect(processes.main.events()).toContainEqual(expect.objectContaining({ msg: 'order ended', status: 'valid', orderId: order.id, workflowId: order.workflowId }));
    // The application: the order it created is named by its events, the closing one included, with one request id.
    const accepted = processes.api.events().find((e) => e.msg === 'order accepted');
    expect(accepted).toMatchObject({ orderId: order.id, workflowId: order.workflowId });
    expect(processes.api.events().find((e) => e.msg === 'request' && e.route === '/v1/orders' && e.method === 'POST'))
      .toMatchObject({ status: 201, orderId: order.id, reqId: accepted!.reqId });
    const reads = processes.api.events().filter((e) => e.msg === 'request' && e.route === '/v1/orders/:id');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((e) => e.orderId === order.id && typeof e.reqId === 'string')).toBe(true);
  });

  it('never carry the API key, the HSM PIN or a Temporal task token', () => {
    const all = Object.values(processes).flatMap((p) => p.lines).join('\n');
    expect(all).not.toContain(apiKey);
    expect(all).not.toContain(process.env.HSM_PIN!);
    expect(all).not.toMatch(/taskToken/i);
  });
});
