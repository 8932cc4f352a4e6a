/**
 * `npm run chaos` — the fault-injection harness (docs/RELIABILITY.md). Brings up a whole CA from an empty data
 * directory (scripts/lib/chaos/dev-target.ts), drives N orders through the REST API and the ACME server while seeded
 * faults are injected, waits for quiescence, checks the invariants, prints the fault × outcome table, and exits
 * non-zero on any violation.
 *
 *   npm run chaos -- [--orders 50] [--faults 12] [--seed N] [--runs K] [--span 150] [--acme 0.2]
 *                    [--kinds kill:worker,ct:down,...] [--scenario whole-ca] [--no-http01]
 *
 * `--scenario whole-ca` is the scenario of the issue: 30 orders through the API within 4 s, the whole CA killed
 * (SIGKILL of every process and Temporal, once also PostgreSQL) four times within 40 s, every order must become valid. `--runs K` repeats
 * with seeds N, N+1, … (a fresh CA each). HTTP-01 orders bind port 80: run under `flock /tmp/port80.lock`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { faultKinds, type FaultKind } from './lib/chaos/faults';
import { startDevTarget } from './lib/chaos/dev-target';
import { randomSeed } from './lib/chaos/rng';
import { runChaos, type ChaosOptions, type ChaosResult } from './lib/chaos/run';

const { values } = parseArgs({
  options: {
    orders: { type: 'string' },
    faults: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '1' },
    span: { type: 'string' },
    acme: { type: 'string' },
    kinds: { type: 'string' },
    scenario: { type: 'string' },
    'no-http01': { type: 'boolean', default: false },
  },
});

const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const wholeCa = values.scenario === 'whole-ca';
if (values.scenario && !wholeCa) throw new Error(`unknown scenario ${values.scenario} (known: whole-ca)`);
const kinds = values.kinds?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
for (const k of kinds ?? []) if (!faultKinds.includes(k)) throw new Error(`unknown fault kind ${k} (known: ${faultKinds.join(', ')})`);

const firstSeed = values.seed ? Number(values.seed) : randomSeed();
const base: Omit<ChaosOptions, 'seed'> = wholeCa
  ? // The issue's scenario: 30 orders submitted within seconds, the whole CA killed 4 times while they are processed
    // (each restart stalls them, so the later kills still find orders in flight).
    { orders: 30, faults: 4, acmeShare: 0, spanSeconds: 40, arrivalShare: 0.1, kinds: ['kill:ca'], caKillsWithPostgres: 1, log }
  : { orders: 50, faults: 12, acmeShare: 0.2, spanSeconds: 150, ...(kinds ? { kinds } : {}), log };
const options = {
  ...base,
  ...(values.orders ? { orders: Number(values.orders) } : {}),
  ...(values.faults ? { faults: Number(values.faults) } : {}),
  ...(values.span ? { spanSeconds: Number(values.span) } : {}),
  ...(values.acme ? { acmeShare: Number(values.acme) } : {}),
};

const results: ChaosResult[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const seed = firstSeed + i;
  // One directory per seed, kept when something went wrong (the processes' logs are in its logs/).
  const dataDir = path.join(loadConfig().dataDir, 'chaos', `seed-${seed}`);
  const target = await startDevTarget({ dataDir, http01: !values['no-http01'] && !wholeCa, log });
  let keep = true;
  try {
    const result = await runChaos(target, { ...options, seed });
    results.push(result);
    keep = !result.ok || result.faults.some((f) => f.error) || Object.values(result.unexpectedExits).some((n) => n > 0);
    const allValid = result.runs.every((r) => r.status === 'valid');
    console.log(`\n=== seed ${seed}: ${result.ok && (!wholeCa || allValid) ? 'PASS' : 'FAIL'}${wholeCa ? ` (${result.runs.filter((r) => r.status === 'valid').length}/${result.runs.length} valid)` : ''}\n${result.table}\n`);
  } finally {
    await target.stop();
    if (keep) log(`kept ${dataDir} (logs/ has every process's log)`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

const failed = results.filter((r) => !r.ok || (wholeCa && !r.runs.every((o) => o.status === 'valid')));
console.log(`seeds ${results.map((r) => r.seed).join(', ')}: ${results.length - failed.length}/${results.length} passed`);
process.exit(failed.length === 0 ? 0 : 1);
