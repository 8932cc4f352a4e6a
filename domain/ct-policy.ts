/**
 * The CT policy of the browsers (issuance cycle step 8), as a pure rule the workflow evaluates after each SCT:
 * Chrome — ≥ 2 SCTs for a lifetime ≤ 180 days, ≥ 3 above, from ≥ 2 distinct log operators; Apple — the same
 * counts with at most 1 SCT per operator counted (≤ 180 days) or 2 (above), and at least one from an RFC 6962 log
 * (POLICY-2026.md "Certificate Transparency"). The numbers live in domain/policy.ts (fixed limits).
 * Pure: imported by the workflow.
 */
import type { Policy } from './policy';

/** RFC 6962 logs serve the RFC 6962 read API; static-CT logs serve tiles (c2sp.org/static-ct-api). */
export type CtLogApi = 'rfc6962' | 'static-ct';

export interface CtRequirement {
  readonly lifetimeDays: number;
  readonly minScts: number;
  readonly minOperators: number;
  readonly minRfc6962: number;
  readonly maxCountedPerOperator: number;
}

/**
 * Step 8's plan, made by an activity from the configured log list before the precertificate is signed: the logs,
 * what the CT policy requires for this certificate's lifetime, the deadline and the per-attempt timeout.
 */
export interface CtPlan {
  readonly enabled: boolean;
  readonly logs: ReadonlyArray<{ id: string; operator: string; api: CtLogApi }>;
  readonly requirement: CtRequirement | null;
  readonly deadlineSeconds: number;
  readonly attemptTimeoutSeconds: number;
}

export interface CollectedSct {
  readonly logId: string;
  readonly operator: string;
  readonly api: CtLogApi;
}

export interface CtEvaluation {
  readonly met: boolean;
  /** SCTs that count (per-operator cap applied). */
  readonly counted: number;
  readonly operators: number;
  readonly rfc6962: number;
  /** Human-readable: what is still missing (empty when met). */
  readonly missing: string;
}

/** Lifetime as the CT policies count it: notAfter is inclusive (RFC 5280 4.1.2.5), so a 1-second certificate has lifetime 1 s. */
export function lifetimeDays(notBefore: Date, notAfter: Date): number {
  return (notAfter.getTime() - notBefore.getTime() + 1000) / 86_400_000;
}

export function ctRequirement(policy: Policy, days: number): CtRequirement {
  const short = days <= policy.ct.shortLifetimeMaxDays;
  return {
    lifetimeDays: days,
    minScts: policy.ctMinScts(days),
    minOperators: policy.ct.minDistinctOperators,
    minRfc6962: policy.ct.minRfc6962Logs,
    maxCountedPerOperator: short ? policy.ct.maxCountedPerOperatorShortLifetime : policy.ct.maxCountedPerOperatorLongLifetime,
  };
}

export function evaluateCtPolicy(req: CtRequirement, scts: readonly CollectedSct[]): CtEvaluation {
  const byLog = new Map(scts.map((s) => [s.logId, s]));
  const perOperator = new Map<string, number>();
  for (const s of byLog.values()) perOperator.set(s.operator, (perOperator.get(s.operator) ?? 0) + 1);
  let counted = 0;
  for (const n of perOperator.values()) counted += Math.min(n, req.maxCountedPerOperator);
  const operators = perOperator.size;
  const rfc6962 = [...byLog.values()].filter((s) => s.api === 'rfc6962').length;
  const gaps: string[] = [];
  if (counted < req.minScts) gaps.push(`${counted}/${req.minScts} SCTs counted (at most ${req.maxCountedPerOperator} per operator)`);
  if (operators < req.minOperators) gaps.push(`${operators}/${req.minOperators} distinct log operators`);
  if (rfc6962 < req.minRfc6962) gaps.push(`${rfc6962}/${req.minRfc6962} SCTs from RFC 6962 logs`);
  return { met: gaps.length === 0, counted, operators, rfc6962, missing: gaps.join('; ') };
}
