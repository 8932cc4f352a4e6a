/**
 * `npm run soak -- --minutes 30 [--rate 6]` — issues DV orders at a fixed rate (per minute) through the REST API of
 * a whole development CA (scripts/lib/chaos/dev-target.ts) and samples, every 30 s, the RSS of each process (the
 * five CA processes, Temporal, PostgreSQL's postmaster) and the bytes PostgreSQL and Temporal keep. It reports the
 * RSS over time, each process's trend after the warm-up and the storage each certificate costs; it fails (exit 1)
 * when an RSS floor grows (a leak) or an order does not become valid. docs/RELIABILITY.md has a 30-minute run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createAccount } from '../db/repositories/accounts';
import { makeCsr } from '../test/support/csr';
import { startDevTarget } from './lib/chaos/dev-target';
import { drive, runRestOrder, sleep, type OrderRun } from './lib/chaos/orders';
import { rssTrends, storagePerCertificate, type Sample } from './lib/chaos/soak-stats';
import { rssBytes } from './lib/chaos/supervisor';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '6' },
    'sample-seconds': { type: 'string', default: '30' },
  },
});
const minutes = Number(values.minutes);
const perMinute = Number(values.rate);
const sampleSeconds = Number(values['sample-seconds']);
const warmupSeconds = Math.max(180, minutes * 60 * 0.2);
const log = (line: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

const dataDir = path.join(loadConfig().dataDir, 'soak');
const target = await startDevTarget({ dataDir, http01: false, log });
const runs: OrderRun[] = [];
const samples: Sample[] = [];
let ok = false;
try {
  const { apiKey } = await createAccount(target.db.db, { name: 'Soak' });
  const label = `s${Date.now().toString(36)}`;
  const keyPem = makeCsr({ names: [`key.${label}.${target.config.dns.devZone}`] }).keyPem;
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  const issued = () => runs.filter((r) => r.status === 'valid').length;
  const sample = async () => {
    const pids = target.pids();
    samples.push({
      t: Math.round((Date.now() - t0) / 1000),
      rss: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssBytes(pid)])),
      storage: await target.storageBytes(),
      issued: issued(),
    });
  };
  log(`${minutes} min at ${perMinute} orders/min; RSS sampled every ${sampleSeconds} s; warm-up ${Math.round(warmupSeconds / 60)} min`);
  await sample();
  const sampler = (async () => {
    while (Date.now() < end) {
      await sleep(sampleSeconds * 1000);
      await sample();
      const last = samples.at(-1)!;
      log(`+${(last.t / 60).toFixed(1)} min: ${last.issued} issued; RSS ${Object.entries(last.rss).map(([n, b]) => `${n} ${b === null ? '—' : (b / 2 ** 20).toFixed(0)}`).join(', ')} MB`);
    }
  })();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; Date.now() < end; i++) {
    const run: OrderRun = { index: i, via: 'rest', challenge: 'dns-01', fqdn: `s${i}.${label}.${target.config.dns.devZone}`, created: [], startedAt: Date.now(), endedAt: null, status: null, errorType: null, errorDetail: null };
    runs.push(run);
    const csr = makeCsr({ names: [run.fqdn], keyPem });
    inFlight.push(drive(run, () => runRestOrder(target, apiKey, run, csr)));
    await sleep(Math.max(0, t0 + ((i + 1) * 60_000) / perMinute - Date.now()));
  }
  await sampler;
  await Promise.all(inFlight);
  await sample();

  const trends = rssTrends(samples, { warmupSeconds, window: 4, maxMbPerHour: 10, maxSharePerHour: 0.05 });
  const perCert = storagePerCertificate(samples.filter((s) => s.t >= warmupSeconds));
  const notValid = runs.filter((r) => r.status !== 'valid');
  const every = Math.max(1, Math.round(300 / sampleSeconds));
  const names = trends.map((t) => t.process);
  const rows = [['minute', 'issued', ...names].join('\t')];
  for (const s of samples.filter((_, i) => i % every === 0 || i === samples.length - 1)) {
    rows.push([(s.t / 60).toFixed(0), String(s.issued), ...names.map((n) => (s.rss[n] ? (s.rss[n]! / 2 ** 20).toFixed(0) : '—'))].join('\t'));
  }
  console.log(`\nRSS (MB) over time:\n${rows.join('\n')}\n`);
  console.log('RSS trend after the warm-up (floor of each 2-minute window, least squares):');
  const rate = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} MB/h`;
  for (const t of trends) console.log(`  ${t.process.padEnd(13)} mean ${t.meanMb.toFixed(0)} MB, ${t.firstMb.toFixed(0)} → ${t.lastMb.toFixed(0)} MB, ${rate(t.mbPerHour)} (last half ${rate(t.lastHalfMbPerHour)})${t.growing ? '  GROWING' : ''}`);
  console.log(`storage per certificate (after the warm-up, ${perCert.certificates} certificates): PostgreSQL ${(perCert.postgres / 1024).toFixed(1)} KiB, Temporal ${(perCert.temporal / 1024).toFixed(1)} KiB`);
  console.log(`orders: ${runs.length}, valid ${issued()}, not valid ${notValid.length}${notValid.length ? `: ${notValid.slice(0, 5).map((r) => `${r.fqdn} ${r.status} ${r.errorType ?? ''}`).join('; ')}` : ''}`);
  console.log(`process exits nobody caused: ${JSON.stringify(target.unexpectedExits())}`);
  writeFileSync(path.join(dataDir, 'soak-result.json'), JSON.stringify({ minutes, perMinute, samples, trends, perCert, orders: runs.length, valid: issued() }, null, 2));
  ok = notValid.length === 0 && trends.every((t) => !t.growing);
  console.log(ok ? 'soak: PASS' : 'soak: FAIL');
} finally {
  await target.stop();
}
process.exit(ok ? 0 : 1);
