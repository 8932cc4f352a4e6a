/**
 * The table a chaos run prints: for each kind of fault injected, how many times, for how long in total, and the
 * outcomes of the orders that were in flight while it lasted (an order counts under every fault it lived through);
 * then the totals, the invariants and the figures (time to quiescence, exits nobody caused).
 */
import type { InjectedFault } from './faults';
import type { InvariantReport } from './invariants';
import type { OrderRun } from './orders';

const outcomeOf = (r: OrderRun): string => (r.status === 'invalid' ? `invalid:${r.errorType ?? '?'}` : (r.status ?? 'none'));

function tally(runs: readonly OrderRun[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(outcomeOf(r), (counts.get(outcomeOf(r)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '—';
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function faultTable(
  runs: readonly OrderRun[],
  faults: readonly InjectedFault[],
  inv: InvariantReport,
  figures: { quiescenceMs: number; durationMs: number; unexpectedExits: Record<string, number> },
): string {
  const kinds = [...new Set(faults.map((f) => f.kind))].sort();
  const rows = [['fault', 'injected', 'seconds', 'orders in flight', 'their outcomes']];
  for (const kind of kinds) {
    const of = faults.filter((f) => f.kind === kind);
    const during = runs.filter((r) => of.some((f) => r.startedAt < (f.healedAt ?? Infinity) && (r.endedAt ?? Infinity) > f.startedAt));
    const seconds = of.reduce((s, f) => s + ((f.healedAt ?? f.startedAt) - f.startedAt) / 1000, 0);
    const failedToInject = of.filter((f) => f.error).length;
    rows.push([kind, `${of.length}${failedToInject ? ` (${failedToInject} failed)` : ''}`, seconds.toFixed(0), String(during.length), tally(during)]);
  }
  const untouched = runs.filter((r) => !faults.some((f) => r.startedAt < (f.healedAt ?? Infinity) && (r.endedAt ?? Infinity) > f.startedAt));
  rows.push(['(no fault)', '', '', String(untouched.length), tally(untouched)]);
  rows.push(['all orders', String(faults.length), '', String(runs.length), tally(runs)]);
  const exits = Object.entries(figures.unexpectedExits).filter(([, n]) => n > 0);
  const failed = runs.filter((r) => r.status !== 'valid').map((r) => `  order ${r.index} (${r.via}, ${r.challenge}): ${r.status} ${r.errorType ?? ''} — ${(r.errorDetail ?? '').split('\n')[0]!.slice(0, 160)}`);
  return [
    pad(rows),
    '',
    ...(failed.length ? ['orders not valid (the stated reason):', ...failed, ''] : []),
    `certificates ${inv.certificates}, OCSP answers checked ${inv.ocspChecked}, CRL entries ${inv.crlEntries}, audit entries ${inv.auditEntries}, abandoned orders ${inv.abandoned}, orders swept (stored without a workflow) ${inv.swept}`,
    `time to quiescence after the last fault ${(figures.quiescenceMs / 1000).toFixed(1)} s, whole run ${(figures.durationMs / 1000).toFixed(1)} s`,
    `process exits nobody caused: ${exits.length ? exits.map(([p, n]) => `${p} ${n}`).join(', ') : 'none'}`,
    inv.violations.length === 0 ? 'invariants: all hold' : `INVARIANT VIOLATIONS (${inv.violations.length}):\n${inv.violations.map((v) => `  - ${v}`).join('\n')}`,
  ].join('\n');
}
