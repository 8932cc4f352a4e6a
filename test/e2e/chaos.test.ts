/**
 * The short seeded chaos run of `npm test` (docs/RELIABILITY.md; the long runs are `npm run chaos`): a whole CA of
 * real processes on its own ports and data directory (scripts/lib/chaos/dev-target.ts), 20 orders through the REST
 * API and the ACME server, six faults of the seed — a CT log answering invalid SCTs, the HSM closing its sessions,
 * SIGKILL of Temporal, the dev DNS answering SERVFAIL, SIGKILL of the perspectives process and of PostgreSQL — then
 * quiescence and every invariant: each order ended with a stated outcome, one certificate per order, no serial
 * reused, each precertificate issued or revoked, OCSP and CRL agreeing with the database, the audit chain intact.
 * It binds port 80 for its HTTP-01 orders: run it under `flock /tmp/port80.lock`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { startDevTarget } from '../../scripts/lib/chaos/dev-target';
import { runChaos, type ChaosResult } from '../../scripts/lib/chaos/run';
import type { ChaosTarget } from '../../scripts/lib/chaos/target';

const SEED = 14;
let target: ChaosTarget;
let result: ChaosResult;
const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);

beforeAll(async () => {
  target = await startDevTarget({ dataDir: path.join(loadConfig().dataDir, 'chaos-e2e'), http01: true, log });
}, 300_000);
afterAll(async () => {
  await target?.stop();
}, 120_000);

describe(`chaos, seed ${SEED}: 20 orders, 6 faults`, () => {
  it('every invariant holds once the CA is quiet again', async () => {
    result = await runChaos(target, { seed: SEED, orders: 20, faults: 6, acmeShare: 0.25, spanSeconds: 60, log });
    log(`\n${result.table}`);
    expect(result.invariants.violations).toEqual([]);
    expect(result.ok).toBe(true);
  }, 600_000);

  it('injected the seed\'s six faults, every one of them', () => {
    expect(result.faults.map((f) => f.kind).sort()).toEqual(['ct:invalid-sct', 'dns:servfail', 'hsm:close-sessions', 'kill:perspectives', 'kill:postgres', 'kill:temporal']);
    expect(result.faults.filter((f) => f.error)).toEqual([]);
  });

  it('every applicant got its outcome from the CA, and the orders nothing refused became valid', () => {
    expect(result.runs.filter((r) => r.status?.startsWith('gave-up'))).toEqual([]);
    // An order in flight while a CT log answered invalid SCTs may fail (ctSctInvalid / ctPolicyNotMet, compensated);
    // anything else the faults did must only have delayed it.
    const failed = result.runs.filter((r) => r.status !== 'valid');
    for (const r of failed) expect(['ctSctInvalid', 'ctPolicyNotMet']).toContain(r.errorType);
  });
});
