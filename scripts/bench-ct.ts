/**
 * `npm run bench:ct [-- --n 40 --concurrency 8]`: issuance throughput WITH Certificate Transparency (add-pre-chain
 * to the three local TesseraCT logs, SCT verification, the SCT list in the final certificate and its lint) against
 * the same path WITHOUT CT (CA_CT_SUBMISSION=off: precertificate and certificate, no logs), measured in the same
 * run on the same services, reported as a ratio (docs/BENCHMARKS.md). Pre-issuance linting (zlint + pkilint) runs in
 * both phases (it is never optional). Services live under .data-bench-ct/ on their own ports.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions } from '../temporal/connection';
import { benchEnvironment, percentile } from './lib/bench-env';
import { issueThroughApi, makeBenchCsrs } from './lib/bench-issuance';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '24' }, concurrency: { type: 'string', default: '8' }, rounds: { type: 'string', default: '2' } },
});
const N = Number(values.n);
const C = Number(values.concurrency);
/** Rounds of the two phases, in ABBA order (see below). */
const ROUNDS = Number(values.rounds);

Object.assign(process.env, benchEnvironment('ct', { pg: 25533, temporal: 27333, dns: 28153 }, { CA_LOG_LEVEL: 'ERROR' }));

const { loadConfig } = await import('./../config');
const { bringUpServices } = await import('./lib/services');
const { startHarness } = await import('../test/support/ca-harness');

const config = loadConfig();
// ctLogs: the three local TesseraCT logs are started once and serve the "with CT" phase.
const services = await bringUpServices(config, { log: () => {}, persistTemporal: false, temporalUi: false, devDns: false, ctLogs: true });
process.env.DATABASE_URL = services.databaseUrl;
process.env.HSM_PIN = services.hsmPin;

async function phase(label: string, env: Record<string, string>) {
  const h = await startHarness({ env });
  const connection = await Connection.connect(connectionOptions(config));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    const { apiKey } = await h.newAccount(`Bench ${label}`);
    // C warm-up orders (not measured: first workflow bundle load, first linter runs), then N measured.
    const csrs = makeBenchCsrs(N + C, `${label}${Date.now().toString(36)}`, h.config.dns.devZone);
    const latencies: number[] = [];
    let failures = 0;
    const issueOne = (i: number) => issueThroughApi(h, client, apiKey, csrs[i]!);
    await Promise.all(Array.from({ length: C }, (_, i) => issueOne(N + i)));
    let cursor = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: C }, async () => {
      while (cursor < N) {
        const r = await issueOne(cursor++);
        if (!r.ok) failures++;
        latencies.push(r.ms);
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      seconds,
      certificatesPerSecond: Number((N / seconds).toFixed(3)),
      failures,
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    };
  } finally {
    await connection.close();
    await h.stop();
  }
}

try {
  // Baseline first, then CT; both on the same services (Temporal, PostgreSQL, SoftHSM2) and the same machine load.
  const withoutCt: Awaited<ReturnType<typeof phase>>[] = [];
  const withCt: Awaited<ReturnType<typeof phase>>[] = [];
  // ABBA order (without, with, with, without, …): a load that drifts during the run, and any cost of coming first
  // or second after the previous phase, fall on both sides alike.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      withoutCt.push(await phase('noct', { CA_CT_SUBMISSION: 'off' }));
      withCt.push(await phase('ct', {}));
    } else {
      withCt.push(await phase('ct', {}));
      withoutCt.push(await phase('noct', { CA_CT_SUBMISSION: 'off' }));
    }
  }
  const rate = (ps: typeof withCt) => (N * ps.length) / ps.reduce((s, p) => s + p.seconds, 0);
  const p50 = (ps: typeof withCt) => ps.map((p) => p.latencyMs.p50).sort((a, b) => a - b)[Math.floor(ps.length / 2)]!;
  console.log(JSON.stringify({
    n: N,
    concurrency: C,
    rounds: ROUNDS,
    withoutCt: withoutCt.map(({ seconds: _s, ...p }) => p),
    withCt: withCt.map(({ seconds: _s, ...p }) => p),
    ratios: {
      throughputWithCtVsWithout: Number((rate(withCt) / rate(withoutCt)).toFixed(3)),
      p50LatencyWithCtVsWithout: Number((p50(withCt) / p50(withoutCt)).toFixed(3)),
    },
  }, null, 2));
} finally {
  await services.stop();
}
