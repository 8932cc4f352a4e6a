/**
 * `npm run bench:issue [-- --n 200 --concurrency 20]`: N DV certificates through the whole path — HTTP API,
 * Temporal (dev server), main and signing workers, PostgreSQL, SoftHSM2 and DNS answered locally — and, in the same
 * run, the machine's raw RSA-2048 sign rate (`openssl speed`) and the SoftHSM sign rate, so the figures can be read
 * as ratios on a shared, noisy machine. Services live under .data-bench/ on their own ports.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { benchEnvironment } from './lib/bench-env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '16' } } });
const N = Number(values.n);
const C = Number(values.concurrency);

Object.assign(process.env, benchEnvironment('issue', { pg: 25433, temporal: 27233, dns: 28053 }));

const { loadConfig } = await import('../config');
const { bringUpServices } = await import('./lib/services');
const { openHsm } = await import('../pki/hsm');
const { readHsmPin } = await import('./lib/softhsm');
const { startHarness } = await import('../test/support/ca-harness');
const { orderWorkflowId } = await import('../workflows/contracts');

const config = loadConfig();
const services = await bringUpServices(config, { log: () => {}, persistTemporal: false, temporalUi: false, devDns: false });
process.env.DATABASE_URL = services.databaseUrl;
const h = await startHarness();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  // Baseline 1: OpenSSL's raw RSA-2048 sign rate on this machine (one process, one core).
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const speedLine = speed.split('\n').find((l) => /^rsa 2048 bits/.test(l))!;
  const opensslSignsPerSec = Number(speedLine.trim().split(/\s+/)[5]);

  // Baseline 2: SoftHSM2 signatures over PKCS#11 with the signing worker's session count, through our signer.
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config), sessions: config.hsm.sessions });
  const data = new Uint8Array(512).fill(7);
  const hsmN = 1000;
  let t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: config.hsm.sessions }, async () => {
    while (next++ < hsmN) await hsm.signSha256Rsa('dv-g4', data);
  }));
  const hsmSignsPerSec = hsmN / ((performance.now() - t0) / 1000);
  await hsm.close();

  // The issuance path. One applicant key for every CSR (key generation is the applicant's cost, not the CA's).
  const { apiKey } = await h.newAccount('Bench Applicant');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  execFileSync('openssl', ['genrsa', '-out', path.join(dir, 'key.pem'), '2048'], { stdio: 'ignore' });
  const run = Date.now().toString(36);
  const csrs = Array.from({ length: N }, (_, i) => {
    const name = `c${i}.b${run}.${config.dns.devZone}`;
    execFileSync('openssl', ['req', '-new', '-key', path.join(dir, 'key.pem'), '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-outform', 'DER', '-out', path.join(dir, `${i}.der`)], { stdio: 'ignore' });
    return readFileSync(path.join(dir, `${i}.der`));
  });
  writeFileSync(path.join(dir, 'done'), '');
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });

  const latencies: number[] = [];
  let failures = 0;
  let cursor = 0;
  t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (cursor < N) {
      const i = cursor++;
      const start = performance.now();
      const res = await h.api('/v1/orders?profile=dv', { method: 'POST', apiKey, headers: { 'content-type': 'application/pkcs10' }, body: csrs[i] });
      const order = (await res.json()) as { id: string; authorizations: Array<{ challenges: Array<{ id: string; recordName: string; recordValue: string }> }> };
      const ch = order.authorizations[0]!.challenges[0]!;
      h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
      await h.api(`/v1/orders/${order.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey });
      const result = (await client.workflow.getHandle(orderWorkflowId(order.id)).result()) as { status: string };
      if (result.status !== 'valid') failures++;
      latencies.push(performance.now() - start);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await connection.close();
  rmSync(dir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const certsPerSec = N / seconds;
  const report = {
    n: N,
    concurrency: C,
    failures,
    certificatesPerSecond: Number(certsPerSec.toFixed(2)),
    latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    opensslRsa2048SignsPerSecond: opensslSignsPerSec,
    softhsmSignsPerSecond: Math.round(hsmSignsPerSec),
    // Each certificate costs two CA signatures (precertificate + certificate).
    ratios: {
      certificatesPerSecondVsOpensslSigns: Number((certsPerSec / opensslSignsPerSec).toFixed(4)),
      certificatesPerSecondVsSofthsmSigns: Number((certsPerSec / hsmSignsPerSec).toFixed(4)),
      softhsmVsOpenssl: Number((hsmSignsPerSec / opensslSignsPerSec).toFixed(3)),
    },
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await h.stop();
  await services.stop();
}
