/**
 * `npm run bench:acme [-- --n 20 --concurrency 4]`: N certificates obtained by lego v4.35.2 (dns-01 through the
 * exec hook into the development DNS servers, RSA-2048 keys) from our ACME server — HTTPS listener, Temporal
 * workflow with MPIC (5 local perspectives), linting, SoftHSM2 signatures — and, in the same run and with the same
 * client, hook, DNS server and key type, from Debian's pebble (the reference ACME test server, which signs in memory
 * and validates from one perspective). Reported as issuances/s and latency for each, and their ratio.
 * Services live under .data-bench-acme/ on their own ports; CT is off on our side (pebble has none either).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnvironment, percentile } from './lib/bench-env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '4' } } });
const N = Number(values.n);
const C = Number(values.concurrency);

Object.assign(process.env, benchEnvironment('acme', { pg: 26433, temporal: 27243, dns: 28063, api: 28090 }, { CA_CT_SUBMISSION: 'off', CA_LOG_LEVEL: 'ERROR' }));

const { loadConfig } = await import('../config');
const { bringUpServices } = await import('./lib/services');
const { startAcmeHarness, lego, adminUrls, toolPath } = await import('../test/support/acme-harness');
const { uniqueLabel } = await import('../test/support/ca-harness');

const config = loadConfig();
const services = await bringUpServices(config, { log: () => {}, persistTemporal: false, temporalUi: false, devDns: false, ctLogs: false });
process.env.DATABASE_URL = services.databaseUrl;
process.env.HSM_PIN = services.hsmPin;
process.env.SOFTHSM2_CONF = config.hsm.softhsmConf;
const h = await startAcmeHarness();

/** N lego runs against `server`, C at a time, each worker with its own account directory. */
async function measure(label: string, server: string, count = N): Promise<{ perSec: number; p50: number; p95: number; failures: number; seconds: number }> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const base = mkdtempSync(path.join(tmpdir(), `bench-acme-${label}-`));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(C, count) }, async (_, w) => {
      while (next < count) {
        next++;
        const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
        const t = performance.now();
        const r = await lego({ ...h, acme: { ...h.acme, directoryUrl: server } }, path.join(base, `w${w}`), [
          '--domains', name, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s', 'run',
        ]);
        if (r.code === 0) latencies.push(performance.now() - t);
        else {
          failures++;
          if (failures <= 2) console.error(`[${label}] lego failed:\n${r.out.slice(-1500)}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  rmSync(base, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { perSec: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), failures, seconds };
}

let pebble: ChildProcess | null = null;
try {
  // Pebble with the same TLS certificate (trusted through the same stand-in root) and the same DNS server.
  const dir = mkdtempSync(path.join(tmpdir(), 'pebble-'));
  const pebblePort = 28443;
  writeFileSync(
    path.join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${pebblePort}`,
        managementListenAddress: '127.0.0.1:28444',
        certificate: config.acme.tlsCertFile,
        privateKey: config.acme.tlsKeyFile,
        httpPort: 5002,
        tlsPort: 5001,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  pebble = spawn('pebble', ['-config', path.join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${h.config.dns.devPort}`, '-strict'], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 1500));

  console.error(`lego ${toolPath('lego')}; hook admin URLs: ${adminUrls(h)}`);
  // Warm-up (JIT, first account registration, connection pools) on both, not counted.
  await measure('warmup-ours', h.acme.directoryUrl, C).catch(() => undefined);
  await measure('warmup-pebble', `https://127.0.0.1:${pebblePort}/dir`, C).catch(() => undefined);
  const ours = await measure('ours', h.acme.directoryUrl);
  const ref = await measure('pebble', `https://127.0.0.1:${pebblePort}/dir`);
  const row = {
    date: new Date().toISOString().slice(0, 10),
    n: N,
    concurrency: C,
    ours: { perSec: ours.perSec.toFixed(2), p50: Math.round(ours.p50), p95: Math.round(ours.p95), failures: ours.failures, seconds: ours.seconds.toFixed(1) },
    pebble: { perSec: ref.perSec.toFixed(2), p50: Math.round(ref.p50), p95: Math.round(ref.p95), failures: ref.failures, seconds: ref.seconds.toFixed(1) },
    ratio: (ours.perSec / ref.perSec).toFixed(2),
  };
  console.log(JSON.stringify(row, null, 2));
  console.log(
    `| ${row.date} | ${N} / ${C} | ${row.ours.perSec} | ${row.ours.p50} ms | ${row.ours.p95} ms | ${row.pebble.perSec} | ${row.pebble.p50} ms | ${row.pebble.p95} ms | ${row.ratio} |`,
  );
} finally {
  pebble?.kill('SIGTERM');
  await h.stop();
  await services.stop();
}
