/**
 * CPU accounting by process tree from /proc (Linux): what each component of the CA spent between two snapshots.
 *
 * Per process, /proc/<pid>/stat gives its own user and system time (every thread) and those of the children it has
 * waited for (cutime, cstime). Summing own + reaped-children time over a process tree is conserved when a member exits
 * and its parent in the tree reaps it, so the difference of two snapshots is the tree's CPU in between, including
 * short-lived children (a zlint process per lint) and long-lived ones (the resident pkilint interpreters).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc counts in clock ticks of 1/100 s on every Linux architecture that matters here. */
const TICKS_PER_SECOND = 100;

export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** Own user + system ticks (all threads). */
  readonly own: number;
  /** Ticks of the children this process waited for. */
  readonly reaped: number;
}

export type ProcTable = ReadonlyMap<number, ProcEntry>;

function readEntry(pid: number): ProcEntry | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile
  }
  // The command name is in parentheses and may contain spaces or parentheses: the fields follow the LAST ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number) => Number(f[field - 3]);
  return { pid, ppid: n(4), comm, own: n(14) + n(15), reaped: n(16) + n(17) };
}

/** Every process of the machine now. */
export function snapshotProcesses(): ProcTable {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const e = readEntry(Number(name));
    if (e) table.set(e.pid, e);
  }
  return table;
}

/** The process and all its descendants in `table`. */
export function treeOf(table: ProcTable, root: number): ProcEntry[] {
  const children = new Map<number, number[]>();
  for (const e of table.values()) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e.pid]);
  const out: ProcEntry[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const e = table.get(pid);
    if (!e) continue;
    out.push(e);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The command line of a process (NUL-separated arguments joined by spaces), '' once it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * Which CPU of a process counts for a component: `tree` = the process and everything under it; `self` = its own
 * time; `reaped` = the time of the children it has waited for (e.g. a linter process per lint); `children` = the live
 * subtrees of its direct children whose command name matches `comm` (e.g. the resident pkilint interpreters, or the
 * esbuild service that tsx keeps beside every Node process).
 */
export type ComponentRoot =
  | { readonly pid: number; readonly part: 'tree' | 'self' | 'reaped' }
  | { readonly pid: number; readonly part: 'children'; readonly comm: RegExp };

export type Components = Readonly<Record<string, readonly ComponentRoot[]>>;

const treeTicks = (table: ProcTable, pid: number) => treeOf(table, pid).reduce((sum, e) => sum + e.own + e.reaped, 0);

function ticksOf(table: ProcTable, root: ComponentRoot): number {
  const self = table.get(root.pid);
  if (!self) return 0;
  switch (root.part) {
    case 'tree':
      return treeTicks(table, root.pid);
    case 'self':
      return self.own;
    case 'reaped':
      return self.reaped;
    case 'children':
      return [...table.values()].filter((e) => e.ppid === root.pid && root.comm.test(e.comm)).reduce((s, e) => s + treeTicks(table, e.pid), 0);
  }
}

/** CPU-seconds per component at this instant (cumulative since each process started). */
export function componentSeconds(table: ProcTable, components: Components): Record<string, number> {
  return Object.fromEntries(
    Object.entries(components).map(([name, roots]) => [name, roots.reduce((s, r) => s + ticksOf(table, r), 0) / TICKS_PER_SECOND]),
  );
}

/** The machine's busy CPU-seconds (all cores, every process: ours and everyone else's) from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = everything but idle and iowait.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** A measurement window: CPU-seconds per component, and of the whole machine, between start() and stop(). */
export function cpuWindow(components: () => Components) {
  const take = () => ({ at: performance.now(), machine: machineBusySeconds(), by: componentSeconds(snapshotProcesses(), components()) });
  const start = take();
  return {
    stop() {
      const end = take();
      const by = Object.fromEntries(Object.keys(end.by).map((k) => [k, round(end.by[k]! - (start.by[k] ?? 0))]));
      return { wallSeconds: round((end.at - start.at) / 1000), machineBusySeconds: round(end.machine - start.machine), bySeconds: by };
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
