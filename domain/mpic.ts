/**
 * Multi-Perspective Issuance Corroboration quorum (BR 3.2.2.9). Pure: the workflow collects each perspective's
 * result (activities on the `perspective-<id>` task queues) and asks this module whether the corroboration holds
 * under policy(now). The primary perspective's own result must succeed; the remote perspectives corroborate.
 *
 *  - at least `minRemotePerspectives` remote perspectives must have been asked (4 now, 5 from 2026-12-15);
 *  - at most `maxNonCorroborating(remotes)` of them may fail to corroborate (1; 2 with ≥ 6 remotes from 2026-12-15) —
 *    a perspective that could not be reached or errored counts as non-corroborating;
 *  - the corroborating ones must span at least `minCorroboratingRirRegions` RIR regions (2 from 2026-03-15).
 * Before 2025-09-15 the quorum was computed but not enforced (`quorumEnforced`).
 */
import type { CaaCheckResult } from './caa';
import type { Policy } from './policy';

export type PerspectiveOutcome = 'corroborates' | 'disagrees' | 'error';

export interface PerspectiveResult {
  readonly perspective: string;
  /** RIR region label of the perspective (ARIN, RIPE, APNIC, LACNIC, AFRINIC). */
  readonly region: string;
  readonly outcome: PerspectiveOutcome;
  readonly detail: string;
}

/**
 * What a perspective's check returns to the workflow (activities/perspective.ts): its outcome and the evidence the
 * workflow stores with the round (BR 5.4.1: the perspective, its region and resolver, the query and the raw answers).
 */
export interface PerspectiveCheckResult extends PerspectiveResult {
  readonly resolver: string;
  readonly query: string;
  readonly authorizationDomainName: string;
  readonly raw: unknown;
  readonly checkedAt: string;
}

/** A perspective's CAA check: the result plus the decision (null when the perspective could not be reached). */
export interface PerspectiveCaaResult extends PerspectiveCheckResult {
  readonly caa: CaaCheckResult | null;
}

export interface QuorumResult {
  readonly passed: boolean;
  readonly reason: string;
  readonly rule: string;
  readonly primary: PerspectiveResult;
  readonly remotes: readonly PerspectiveResult[];
  readonly requiredRemotes: number;
  readonly allowedNonCorroborating: number;
  readonly corroborating: number;
  readonly nonCorroborating: number;
  readonly corroboratingRegions: readonly string[];
  readonly requiredRegions: number;
  readonly enforced: boolean;
}

/** RIR regions the BR mean (BR 1.6.1 "Regional Internet Registry"). */
export const rirRegions = ['AFRINIC', 'APNIC', 'ARIN', 'LACNIC', 'RIPE'] as const;

export function evaluateQuorum(
  policy: Pick<Policy, 'mpic' | 'minCorroboratingRirRegions' | 'cites'>,
  primary: PerspectiveResult,
  remotes: readonly PerspectiveResult[],
): QuorumResult {
  const requiredRemotes = policy.mpic.minRemotePerspectives;
  const allowed = policy.mpic.maxNonCorroborating(remotes.length);
  const corroborating = remotes.filter((r) => r.outcome === 'corroborates');
  const nonCorroborating = remotes.length - corroborating.length;
  const regions = [...new Set(corroborating.map((r) => r.region.toUpperCase()))].sort();
  const requiredRegions = policy.minCorroboratingRirRegions;
  const base = {
    primary,
    remotes,
    requiredRemotes,
    allowedNonCorroborating: allowed,
    corroborating: corroborating.length,
    nonCorroborating,
    corroboratingRegions: regions,
    requiredRegions,
    enforced: policy.mpic.quorumEnforced,
    rule: policy.cites.mpic,
  };
  const failures: string[] = [];
  if (primary.outcome !== 'corroborates') failures.push(`the primary perspective did not succeed (${primary.detail})`);
  if (remotes.length < requiredRemotes) {
    failures.push(`only ${remotes.length} remote perspective(s) configured; at least ${requiredRemotes} are required`);
  }
  if (nonCorroborating > allowed) {
    failures.push(`${nonCorroborating} of ${remotes.length} remote perspectives did not corroborate; at most ${allowed} may`);
  }
  if (regions.length < requiredRegions) {
    failures.push(`corroborating perspectives span ${regions.length} RIR region(s) (${regions.join(', ') || 'none'}); at least ${requiredRegions} are required`);
  }
  if (failures.length === 0) {
    return { ...base, passed: true, reason: `${corroborating.length}/${remotes.length} remote perspectives corroborate in ${regions.join(', ')}` };
  }
  // The primary's own failure always blocks; before 2025-09-15 a failed quorum was recorded but did not block.
  const passed = primary.outcome === 'corroborates' && !policy.mpic.quorumEnforced;
  return { ...base, passed, reason: failures.join('; ') };
}

/**
 * A failed round that decided nothing: no perspective said no, and at least one could not answer (unreachable, timed
 * out, a lookup that failed). The workflow may run such a round again (workflows/corroborate.ts); a "no" stands.
 */
export function roundUndecided(q: QuorumResult): boolean {
  const all = [q.primary, ...q.remotes];
  return !q.passed && all.every((r) => r.outcome !== 'disagrees') && all.some((r) => r.outcome === 'error');
}

/**
 * Whether a failed CAA round is CAA's own refusal (BR 3.2.2.8): the primary perspective reached a decision and it was
 * not permission. A primary that could not be reached decided nothing: the round failed, CAA refused nothing.
 */
export function primaryRefusedCaa(primary: PerspectiveCaaResult): boolean {
  return primary.caa !== null && primary.outcome !== 'corroborates';
}

/** One line per perspective, for problem documents and the order's error: "dev-ripe (RIPE): disagrees — ...". */
export function describeQuorum(q: QuorumResult): string {
  const line = (r: PerspectiveResult) => `${r.perspective} (${r.region}): ${r.outcome} — ${r.detail}`;
  return [line(q.primary), ...q.remotes.map(line)].join('\n');
}
