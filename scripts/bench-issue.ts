/**
 * `npm run bench:issue [-- --n 200 --concurrency 20]`: N DV certificates through the whole path — HTTP API,
 * Temporal (dev server), main and signing workers, PostgreSQL, SoftHSM2 and DNS answered locally — and, in the same
 * run, the machine's raw RSA-2048 sign rate (`openssl speed`) and the SoftHSM sign rate, so the figures can be read
 * as ratios on a shared, noisy machine. Services live under .data-bench/ on their own ports.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions } from '../temporal/connection';
import { benchEnvironment, percentile } from './lib/bench-env';
import { issueThroughApi, makeBenchCsrs } from './lib/bench-issuance';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '16' } } });
const N = Number(values.n);
const C = Number(values.concurrency);

Object.assign(process.env, benchEnvironment('issue', { pg: 25433, temporal: 27233, dns: 28053 }));

const { loadConfig } = await import('../config');
const { bringUpServices } = await import('./lib/services');
const { openHsm } = await import('../pki/hsm');
const { readHsmPin } = await import('../pki/hsm-pin');
const { startHarness } = await import('../test/support/ca-harness');
const { measureGate } = await import('./lib/bench-gate');

const config = loadConfig();
const services = await bringUpServices(config, { log: () => {}, persistTemporal: false, temporalUi: false, devDns: false });
process.env.DATABASE_URL = services.databaseUrl;
const h = await startHarness();

try {
  // Baseline 1: OpenSSL's raw RSA-2048 sign rate on this machine (one process, one core).
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const speedLine = speed.split('\n').find((l) => /^rsa 2048 bits/.test(l))!;
  const opensslSignsPerSec = Number(speedLine.trim().split(/\s+/)[5]);

  // Baseline 2: SoftHSM2 signatures over PKCS#11 with the signing worker's session count, through our signer.
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: config.hsm.sessions });
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
  const csrs = makeBenchCsrs(N, `b${Date.now().toString(36)}`, config.dns.devZone);
  const connection = await Connection.connect(connectionOptions(config));
  const client = new Client({ connection, namespace: config.temporal.namespace });

  const latencies: number[] = [];
  let failures = 0;
  let cursor = 0;
  t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (cursor < N) {
      const i = cursor++;
      const r = await issueThroughApi(h, client, apiKey, csrs[i]!);
      if (!r.ok) failures++;
      latencies.push(r.ms);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await connection.close();

  // The signer's issuance gate, per signature, on the certificates just issued (scripts/lib/bench-gate.ts).
  const issued = await h.db.sql<Array<{ orderId: string; serial: string; keyLabel: string }>>`
    select c.order_id as "orderId", c.serial, i.key_label as "keyLabel" from certificates c join issuers i on i.id = c.issuer_id
    where c.cert_der is not null order by c.created_at desc limit ${N}`;
  const gateHsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 1 });
  const gate = await measureGate(h.db.db, config, gateHsm, issued);
  await gateHsm.close();

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
    issuanceGate: gate,
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
