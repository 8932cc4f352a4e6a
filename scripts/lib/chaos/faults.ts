/**
 * The faults of `npm run chaos` (docs/RELIABILITY.md), their seeded schedule, and their injection. Faults run one
 * after another (a fault is healed before the next starts), at moments drawn from the seed while the orders are
 * processed:
 *   kill:<component>  SIGKILL of one CA process, Temporal or PostgreSQL's postmaster; started again after a pause
 *   kill:ca           the whole CA (every process and Temporal, sometimes PostgreSQL too) — the issue's scenario
 *   ct:down|slow|invalid-sct   one CT log unreachable, 5 s late, or answering with an SCT that does not verify
 *   dns:servfail      the development DNS answers SERVFAIL for the orders' names
 *   http01:hang       the applicants' HTTP-01 server accepts connections and never answers
 *   hsm:error         every PKCS#11 signature fails (CKR_DEVICE_ERROR)
 *   hsm:close-sessions  the token closes all sessions once (an HSM restart)
 */
import type { Rng } from './rng';
import { components, type ChaosTarget, type Component } from './target';

export const faultKinds = [
  'kill:worker',
  'kill:signing',
  'kill:perspectives',
  'kill:api',
  'kill:acme',
  'kill:temporal',
  'kill:postgres',
  'kill:ca',
  'ct:down',
  'ct:slow',
  'ct:invalid-sct',
  'dns:servfail',
  'http01:hang',
  'hsm:error',
  'hsm:close-sessions',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface PlannedFault {
  readonly kind: FaultKind;
  /** Milliseconds after the run's start. */
  readonly at: number;
  /** How long the fault lasts (a killed component stays down that long). */
  readonly durationMs: number;
  /** The CT log of a ct:* fault; `with-postgres` for a kill:ca that takes PostgreSQL down too. */
  readonly detail: string | null;
}

export interface InjectedFault extends PlannedFault {
  startedAt: number;
  healedAt: number | null;
  error: string | null;
}

/** The kinds this target supports (no HTTP-01 faults without the port-80 server, no HSM faults without the module). */
export function availableKinds(target: ChaosTarget): FaultKind[] {
  return faultKinds.filter((k) => (k === 'http01:hang' ? target.http01 !== null : k.startsWith('hsm:') ? target.hsmFaults : true));
}

/**
 * `count` faults at seeded moments within the first `spanMs` of the run (after a short calm start), of seeded kinds
 * from `kinds`; `caKillsWithPostgres` of the kill:ca faults take PostgreSQL down too (the first ones).
 */
export function planFaults(rng: Rng, opts: { count: number; spanMs: number; kinds: readonly FaultKind[]; caKillsWithPostgres?: number }): PlannedFault[] {
  const times = Array.from({ length: opts.count }, () => rng.between(0.05, 1) * opts.spanMs).sort((a, b) => a - b);
  let postgresLeft = opts.caKillsWithPostgres ?? 0;
  return times.map((at) => {
    const kind = rng.pick(opts.kinds);
    const kill = kind.startsWith('kill:');
    const durationMs = Math.round(kill ? rng.between(1_000, 8_000) : rng.between(5_000, 30_000));
    let detail: string | null = null;
    // Exactly `caKillsWithPostgres` of them when given (the issue's scenario: once), else about a third.
    if (kind === 'kill:ca') detail = (opts.caKillsWithPostgres === undefined ? rng.chance(0.3) : postgresLeft-- > 0) ? 'with-postgres' : null;
    return { kind, at: Math.round(at), durationMs, detail };
  });
}

/** Picks the CT log of ct:* faults (seeded too, once the target's logs are known). */
export function assignLogs(rng: Rng, plan: PlannedFault[], logIds: readonly string[]): PlannedFault[] {
  return plan.map((f) => (f.kind.startsWith('ct:') ? { ...f, detail: rng.pick(logIds) } : f));
}

const processComponents = components.filter((c) => c !== 'temporal' && c !== 'postgres');

/** The whole CA down: every process and Temporal at once (PostgreSQL too when asked), then up again in order. */
async function killWholeCa(target: ChaosTarget, withPostgres: boolean, downMs: number): Promise<void> {
  const down: Component[] = [...processComponents, 'temporal', ...(withPostgres ? (['postgres'] as const) : [])];
  await Promise.all(down.map((c) => target.kill(c)));
  await new Promise((r) => setTimeout(r, downMs));
  if (withPostgres) await target.start('postgres');
  await target.start('temporal');
  await target.start('worker');
  await Promise.all(processComponents.filter((c) => c !== 'worker').map((c) => target.start(c)));
}

/** Injects one fault, waits its duration, heals it. */
export async function inject(target: ChaosTarget, fault: PlannedFault, names: () => readonly string[]): Promise<void> {
  const wait = () => new Promise((r) => setTimeout(r, fault.durationMs));
  const [family, what] = fault.kind.split(':') as [string, string];
  switch (family) {
    case 'kill':
      if (what === 'ca') return killWholeCa(target, fault.detail === 'with-postgres', fault.durationMs);
      await target.kill(what as Component);
      await wait();
      return target.start(what as Component);
    case 'ct':
      target.ct.setFault(fault.detail!, what as 'down' | 'slow' | 'invalid-sct');
      await wait();
      return target.ct.setFault(fault.detail!, null);
    case 'dns': {
      const affected = names().flatMap((n) => [n, `_acme-challenge.${n}`]);
      for (const n of affected) target.dns.setServfail(n, true);
      await wait();
      for (const n of affected) target.dns.setServfail(n, false);
      return;
    }
    case 'http01':
      target.http01!.setHanging(true);
      await wait();
      return target.http01!.setHanging(false);
    case 'hsm':
      target.setHsmFault(what as 'error' | 'close-sessions');
      await wait();
      return target.setHsmFault(null);
  }
}

/** Runs the plan: each fault at its moment, or when the previous one is healed if that is later. */
export async function runFaults(target: ChaosTarget, plan: readonly PlannedFault[], t0: number, names: () => readonly string[], log: (line: string) => void): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  for (const f of plan) {
    const wait = t0 + f.at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const injected: InjectedFault = { ...f, startedAt: Date.now(), healedAt: null, error: null };
    done.push(injected);
    log(`fault ${f.kind}${f.detail ? ` (${f.detail})` : ''} for ${(f.durationMs / 1000).toFixed(1)} s at +${((injected.startedAt - t0) / 1000).toFixed(1)} s`);
    try {
      await inject(target, f, names);
    } catch (e) {
      injected.error = e instanceof Error ? e.message : String(e);
      log(`fault ${f.kind}: ${injected.error}`);
    }
    injected.healedAt = Date.now();
  }
  return done;
}
