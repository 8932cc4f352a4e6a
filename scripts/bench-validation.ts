/**
 * `npm run bench:validation [-- --n 300 --concurrency 16]`: the DNS work of MPIC and CAA (BR 3.2.2.9, 3.2.2.8) per FQDN, measured
 * in one run against local development DNS servers (one per perspective, as in the tests), as a ratio to the
 * skeleton's baseline in the same run:
 *   baseline  the primary's DNS change check only (one TXT lookup) — step 2 without corroboration;
 *   MPIC+CAA  the primary's TXT lookup, then the primary's CAA climb and, on each of the 5 remote perspectives, the
 *             TXT lookup and the CAA climb, all in parallel (steps 2 + 3; as workflow activities they add Temporal
 *             round trips and the evidence rows on top, which bench:issue measures end to end).
 * No other services: nothing but UDP on 127.0.0.1.
 */
import { parseArgs } from 'node:util';
import { checkCaa } from '../activities/validation/caa';
import { lookupTxt } from '../activities/validation/dns-client';
import { txtRecordMatches } from '../domain/dcv';
import { policyAt } from '../domain/policy';
import { startDevDnsServer, type DevDns } from './lib/dev-dns';

const { values } = parseArgs({ options: { n: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '16' } } });
const N = Number(values.n);
const C = Number(values.concurrency);
const zone = 'dev.test';
const REMOTES = 5;

const servers: DevDns[] = [];
for (let i = 0; i <= REMOTES; i++) servers.push(await startDevDnsServer({ port: 0, zone, host: '127.0.0.1' }));
const [primary, ...remotes] = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
const names = Array.from({ length: N }, (_, i) => `n${i}.b.${zone}`);
for (const name of names) for (const s of servers) s.add({ name: `_acme-challenge.${name}`, type: 'TXT', value: `v-${name}` });
const caaOpts = { issuerDomain: 'jprs.jp', policy: policyAt(new Date()), climbStopsAt: zone };
const caaSpec = (fqdn: string) => ({ fqdn, wildcard: false, accountUri: null, validationMethod: 'ca-tbr-7' });

async function txt(resolver: { host: string; port: number }, name: string): Promise<void> {
  const r = await lookupTxt(resolver, `_acme-challenge.${name}`, { dnssecOk: true });
  if (!txtRecordMatches(r.values, `v-${name}`)) throw new Error(`no match for ${name}`);
}

async function run(label: string, work: (name: string) => Promise<void>): Promise<{ label: string; perSecond: number; p50: number; p99: number }> {
  const lat: number[] = [];
  let cursor = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (cursor < N) {
      const name = names[cursor++]!;
      const s = performance.now();
      await work(name);
      lat.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => Number(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(2));
  return { label, perSecond: Number((N / seconds).toFixed(1)), p50: pct(50), p99: pct(99) };
}

try {
  // Warm-up (JIT, sockets).
  await run('warm-up', (n) => txt(primary!, n));
  const baseline = await run('baseline: primary TXT only', (n) => txt(primary!, n));
  const full = await run(`MPIC + CAA: primary TXT + CAA, ${REMOTES} remotes × (TXT + CAA)`, async (n) => {
    await txt(primary!, n);
    await Promise.all([
      checkCaa(primary!, caaSpec(n), caaOpts),
      ...remotes.map(async (r) => {
        await Promise.all([txt(r, n), checkCaa(r, caaSpec(n), caaOpts)]);
      }),
    ]);
  });
  console.log(JSON.stringify({
    n: N,
    concurrency: C,
    baseline,
    issue3: full,
    ratios: {
      fqdnsPerSecondIssue3VsBaseline: Number((full.perSecond / baseline.perSecond).toFixed(3)),
      p50LatencyIssue3VsBaseline: Number((full.p50 / baseline.p50).toFixed(2)),
    },
    dnsQueriesPerFqdn: { baseline: 1, issue3: 1 + (REMOTES + 1) * 3 + REMOTES },
  }, null, 2));
} finally {
  for (const s of servers) await s.stop();
}
