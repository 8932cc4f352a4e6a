/**
 * One chaos run (docs/RELIABILITY.md): N applicants drive their orders through the REST API and the ACME server at
 * seeded moments while seeded faults are injected; then the harness waits for quiescence — every applicant has its
 * outcome and no issuance, revocation or CRL workflow runs any more — lets the OCSP refresh schedule run once (the
 * periodic catch-up of BR 4.9.10, as time would), and checks the invariants.
 */
import { orderStartGraceSeconds, orderSweepIntervalSeconds } from '../../../api/order-intake';
import { createAccount } from '../../../db/repositories/accounts';
import { temporalCaWorkflows } from '../../../temporal/client';
import { ocspRefreshScheduleId } from '../../../domain/workflow-ids';
import { makeCsr } from '../../../test/support/csr';
import { runAcmeOrder } from './acme-orders';
import { assignLogs, availableKinds, planFaults, runFaults, type FaultKind, type InjectedFault, type PlannedFault } from './faults';
import { checkInvariants, type InvariantReport } from './invariants';
import { drive, runRestOrder, sleep, type OrderRun } from './orders';
import { faultTable } from './report';
import { seededRng } from './rng';
import type { ChaosTarget } from './target';

export interface ChaosOptions {
  readonly seed: number;
  readonly orders: number;
  readonly faults: number;
  /** Share of the orders placed through ACME (the rest through the REST API). */
  readonly acmeShare: number;
  /** The window (seconds) over which faults are drawn. */
  readonly spanSeconds: number;
  /** The share of that window over which the orders arrive (default 0.8; the whole-CA scenario sends them at once). */
  readonly arrivalShare?: number;
  /** The fault kinds to draw from (default: every kind the target supports). */
  readonly kinds?: readonly FaultKind[];
  /** How many kill:ca faults also kill PostgreSQL (the issue's scenario: one of four). */
  readonly caKillsWithPostgres?: number;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly seed: number;
  readonly target: string;
  readonly runs: OrderRun[];
  readonly plan: PlannedFault[];
  readonly faults: InjectedFault[];
  readonly invariants: InvariantReport;
  /** From the last fault healed until quiescence. */
  readonly quiescenceMs: number;
  readonly durationMs: number;
  readonly unexpectedExits: Record<string, number>;
  readonly table: string;
  readonly ok: boolean;
}

const RUNNING = (type: string) => `WorkflowType = '${type}' AND ExecutionStatus = 'Running'`;

async function runningWorkflowIds(target: ChaosTarget, type: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of target.temporal.workflow.list({ query: RUNNING(type) })) ids.push(w.workflowId);
  return ids;
}

/** Until no workflow of these types runs (abandoned orders excepted: they wait for their applicant by design). */
async function quiesce(target: ChaosTarget, abandonedWorkflows: ReadonlySet<string>, log: (line: string) => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const busy: string[] = [];
      for (const type of ['issueCertificate', 'revokeCertificate', 'publishCrl', 'refreshOcsp', 'keyCompromise']) {
        busy.push(...(await runningWorkflowIds(target, type)).filter((id) => !abandonedWorkflows.has(id)));
      }
      if (busy.length === 0) return;
      if (i % 15 === 0) log(`waiting for quiescence: ${busy.length} workflow(s) running (${busy.slice(0, 3).join(', ')}…)`);
    } catch (e) {
      log(`waiting for quiescence: ${String(e)}`);
    }
    await sleep(2_000);
  }
}

/**
 * Orders stored without their workflow (a door killed between the two) are the API process's sweep's to remove
 * (api/order-intake.ts); it gets the time it needs — the grace period and two sweeps — before the invariants judge.
 */
async function awaitOrderSweep(target: ChaosTarget, accountIds: readonly string[], driven: ReadonlySet<string>, log: (line: string) => void): Promise<void> {
  const workflows = temporalCaWorkflows(target.temporal, target.config);
  const limitMs = (orderStartGraceSeconds + 2 * orderSweepIntervalSeconds) * 1000;
  for (;;) {
    const pending = await target.db.sql`select id, created_at from orders where account_id = any(${accountIds}::uuid[]) and status = 'pending'`;
    const orphans: Array<{ id: string; createdAt: number }> = [];
    for (const o of pending) if (!driven.has(o.id) && !(await workflows.issuanceExists(o.id))) orphans.push({ id: o.id, createdAt: new Date(o.created_at).getTime() });
    if (orphans.length === 0 || orphans.every((o) => Date.now() - o.createdAt > limitMs)) return;
    log(`${orphans.length} order(s) stored without a workflow: waiting for the API's sweep`);
    await sleep(10_000);
  }
}

export async function runChaos(target: ChaosTarget, opts: ChaosOptions): Promise<ChaosResult> {
  const { log } = opts;
  const rng = seededRng(opts.seed);
  const label = `r${opts.seed.toString(36)}`;
  const kinds = opts.kinds ?? availableKinds(target);
  const spanMs = opts.spanSeconds * 1000;
  const plan = assignLogs(rng, planFaults(rng, { count: opts.faults, spanMs, kinds, caKillsWithPostgres: opts.caKillsWithPostgres }), target.ct.logIds);
  const runs: OrderRun[] = Array.from({ length: opts.orders }, (_, index) => {
    const via = rng.chance(opts.acmeShare) ? 'acme' : 'rest';
    const challenge = via === 'acme' && target.http01 && rng.chance(0.5) ? 'http-01' : 'dns-01';
    return { index, via, challenge, fqdn: `o${index}.${label}.${target.config.dns.devZone}`, created: [], startedAt: 0, endedAt: null, status: null, errorType: null, errorDetail: null };
  });
  const arrivals = runs.map(() => Math.round(rng.between(0, opts.arrivalShare ?? 0.8) * spanMs));
  log(`seed ${opts.seed}: ${runs.length} orders (${runs.filter((r) => r.via === 'acme').length} via ACME), ${plan.length} faults over ${opts.spanSeconds} s on ${target.name}`);
  for (const f of plan) log(`  planned +${(f.at / 1000).toFixed(1)} s ${f.kind}${f.detail ? ` (${f.detail})` : ''} for ${(f.durationMs / 1000).toFixed(1)} s`);

  const { account, apiKey } = await createAccount(target.db.db, { name: `Chaos ${label}` });
  // One applicant key for all CSRs (key generation is the applicant's cost, not the CA's).
  const keyPem = makeCsr({ names: [`key.${label}.${target.config.dns.devZone}`] }).keyPem;
  const csrs = runs.map((r) => makeCsr({ names: [r.fqdn], keyPem }));

  const t0 = Date.now();
  const faultsDone = runFaults(target, plan, t0, () => runs.map((r) => r.fqdn), log);
  await Promise.all(
    runs.map(async (r, i) => {
      await sleep(arrivals[i]!);
      r.startedAt = Date.now();
      await drive(r, () => (r.via === 'acme' ? runAcmeOrder(target, r, csrs[i]!) : runRestOrder(target, apiKey, r, csrs[i]!)));
      log(`order ${r.index} (${r.via}, ${r.challenge}): ${r.status}${r.errorType ? ` ${r.errorType}` : ''} after ${((r.endedAt! - r.startedAt) / 1000).toFixed(1)} s`);
    }),
  );
  const faults = await faultsDone;
  const lastHealed = Math.max(t0, ...faults.map((f) => f.healedAt ?? Date.now()));

  const acmeAccounts = await target.db.sql`select account_id from acme_accounts`.catch(() => []);
  const accountIds = [account.id, ...acmeAccounts.map((a) => a.account_id as string)];
  const ids = runs.map((r) => r.created.at(-1)).filter((id): id is string => id !== undefined);
  // Orders whose applicant never learned of them (the answer to its request was lost) wait for it, by design.
  const others = await target.db.sql`select id from orders where account_id = any(${accountIds}::uuid[]) and not (id = any(${ids}::uuid[]))`;
  const abandoned = new Set(others.map((o) => `order-${o.id as string}`));
  await quiesce(target, abandoned, log);
  const quiescenceMs = Date.now() - lastHealed;
  // The periodic OCSP catch-up (BR 4.9.10) once, as time would run it; then quiet again.
  await target.temporal.schedule.getHandle(ocspRefreshScheduleId).trigger();
  await sleep(3_000);
  await quiesce(target, abandoned, log);

  // The failure kind each invalid order stored (an ACME client sees its RFC 8555 error type instead).
  const stored = await target.db.sql`select id, error from orders where id = any(${ids}::uuid[])`;
  for (const r of runs) {
    const row = stored.find((o) => o.id === r.created.at(-1));
    if (row?.error) [r.errorType, r.errorDetail] = [row.error.type as string, row.error.detail as string];
  }
  await awaitOrderSweep(target, accountIds, new Set(ids), log);
  const invariants = await checkInvariants(target, runs, accountIds);
  const unexpectedExits = target.unexpectedExits();
  const durationMs = Date.now() - t0;
  const table = faultTable(runs, faults, invariants, { quiescenceMs, durationMs, unexpectedExits });
  return { seed: opts.seed, target: target.name, runs, plan, faults, invariants, quiescenceMs, durationMs, unexpectedExits, table, ok: invariants.violations.length === 0 };
}
