/**
 * The date-keyed issuance policy: "which rules apply at instant t" (POLICY-2026.md).
 *
 * The CP (v3.40) says the latest CA/Browser Forum Baseline Requirements prevail over it, and the BR tighten
 * several limits on fixed dates. Every such limit is kept here as DATA — a timeline of dated values, each citing
 * its section — never as `if (now > ...)` scattered through the code. `policyAt(t)` folds the timelines into one
 * `Policy` for t. Where the CP is stricter than the BR the CP value stands (random values: 25 days, not 30).
 *
 * Dates are read as 00:00:00 UTC of the effective day: the BR give no time zone, and UTC is the zone every
 * certificate field and log timestamp uses, so a certificate issued at 2026-03-15T00:00:00Z is under the new rule.
 *
 * Pure: no I/O, no clock — Temporal workflows import this module and pass `workflow now` in.
 * A `Policy` carries functions (quorum, SCT counts): do not send it across a Temporal boundary; send the instant
 * and call `policyAt` on the other side.
 */
import { CaError } from './errors';

/** The BR 3.2.2.4 domain-validation methods the CP names (3.2.2.4.2/.4/.7/.12/.18/.19). */
export const dcvMethodIds = ['3.2.2.4.2', '3.2.2.4.4', '3.2.2.4.7', '3.2.2.4.12', '3.2.2.4.18', '3.2.2.4.19'] as const;
export type DcvMethodId = (typeof dcvMethodIds)[number];

/** 'discouraged' = allowed but the BR say SHOULD NOT: new validations should pick another method. */
export type DcvMethodStatus = 'allowed' | 'discouraged' | 'prohibited';

export const SECONDS_PER_DAY = 86_400;
const HOUR = 3_600;
const DAY = SECONDS_PER_DAY;

/** One non-corroboration allowance: with at least `fromRemotes` remote perspectives, `allowed` may disagree. */
export interface NonCorroborationStep {
  readonly fromRemotes: number;
  readonly allowed: number;
}

interface MpicRule {
  readonly minRemotePerspectives: number;
  /** Ascending by fromRemotes; the last step whose fromRemotes ≤ remotes applies. */
  readonly nonCorroborating: readonly NonCorroborationStep[];
  /** Before 2025-09-15 the BR required MPIC to run but let issuance proceed without quorum. */
  readonly quorumEnforced: boolean;
}

/** The plain values that change with time (everything in `Policy` that is not derived). */
interface PolicyValues {
  readonly maxValidityDays: number;
  readonly dcvReuseDays: number;
  readonly orgDataReuseDays: number;
  readonly randomValueValidityDays: number;
  readonly minRandomValueBits: number;
  readonly mpic: MpicRule;
  readonly minCorroboratingRirRegions: number;
  readonly caaRfc8657Required: boolean;
  readonly serverAuthOnlyEku: boolean;
  readonly dnssecValidationRequired: boolean;
  readonly reverseZoneNamesProhibited: boolean;
  readonly dcvMethods: Readonly<Record<DcvMethodId, DcvMethodStatus>>;
}

interface Dated<T> {
  /** ISO date (YYYY-MM-DD, UTC midnight) from which the value applies; null = since before this CA existed. */
  readonly from: string | null;
  readonly value: T;
  readonly cite: string;
}

type Timeline<T> = readonly Dated<T>[];

// Each timeline is ascending by `from`; its first entry has from: null.
type PolicyTable = { readonly [K in keyof PolicyValues]: Timeline<PolicyValues[K]> };

const dcvBefore2025_07_15: Readonly<Record<DcvMethodId, DcvMethodStatus>> = {
  '3.2.2.4.2': 'allowed',
  '3.2.2.4.4': 'allowed',
  '3.2.2.4.7': 'allowed',
  '3.2.2.4.12': 'allowed',
  '3.2.2.4.18': 'allowed',
  '3.2.2.4.19': 'allowed',
};

/** A requirement that does not apply before `from` and applies from that day on, each side citing its rule. */
function takesEffectOn(from: string, citeBefore: string, citeFrom: string): Timeline<boolean> {
  return [
    { from: null, value: false, cite: citeBefore },
    { from, value: true, cite: citeFrom },
  ];
}

/**
 * A dated BR 3.2.2.9 MPIC row. Unless the row says otherwise, one remote perspective may fail to corroborate
 * whatever the number of remotes (the BR phase-in tables up to 2026-12-15).
 */
function mpicFrom(
  from: string | null,
  rule: Omit<MpicRule, 'nonCorroborating'> & { readonly nonCorroborating?: MpicRule['nonCorroborating'] },
): Dated<MpicRule> {
  const { minRemotePerspectives, nonCorroborating = [{ fromRemotes: 0, allowed: 1 }], quorumEnforced } = rule;
  return { from, value: { minRemotePerspectives, nonCorroborating, quorumEnforced }, cite: 'BR 3.2.2.9' };
}

/** The rule table. Change a rule by adding a dated row, never by editing code paths. */
export const policyTable: PolicyTable = {
  maxValidityDays: [
    { from: null, value: 398, cite: 'BR 6.3.2; CP 6.3.2 (issued since 2020-09-01)' },
    { from: '2026-03-15', value: 200, cite: 'BR 6.3.2 (ballot SC-081)' },
    { from: '2027-03-15', value: 100, cite: 'BR 6.3.2 (ballot SC-081)' },
    { from: '2029-03-15', value: 47, cite: 'BR 6.3.2 (ballot SC-081)' },
  ],
  dcvReuseDays: [
    { from: null, value: 398, cite: 'BR 4.2.1' },
    { from: '2026-03-15', value: 200, cite: 'BR 4.2.1 (ballot SC-081)' },
    { from: '2027-03-15', value: 100, cite: 'BR 4.2.1 (ballot SC-081)' },
    { from: '2029-03-15', value: 10, cite: 'BR 4.2.1 (ballot SC-081)' },
  ],
  orgDataReuseDays: [
    { from: null, value: 825, cite: 'BR 4.2.1' },
    { from: '2026-03-15', value: 398, cite: 'BR 4.2.1 (ballot SC-081)' },
  ],
  randomValueValidityDays: [
    // The BR allow 30 days; the CP 3.2.2.4 (.2/.4/.7/.18/.19) says 25, and the stricter CP value stands.
    { from: null, value: 25, cite: 'CP 3.2.2.4 (BR 3.2.2.4: 30 days)' },
  ],
  minRandomValueBits: [{ from: null, value: 112, cite: 'BR 1.6.1 "Random Value"; CP 3.2.2.4' }],
  mpic: [
    // MPIC ran from 2025-03-15 but a failed quorum did not block issuance until 2025-09-15.
    mpicFrom(null, { minRemotePerspectives: 2, quorumEnforced: false }),
    mpicFrom('2025-09-15', { minRemotePerspectives: 2, quorumEnforced: true }),
    mpicFrom('2026-03-15', { minRemotePerspectives: 3, quorumEnforced: true }),
    mpicFrom('2026-06-15', { minRemotePerspectives: 4, quorumEnforced: true }),
    mpicFrom('2026-12-15', {
      minRemotePerspectives: 5,
      quorumEnforced: true,
      nonCorroborating: [
        { fromRemotes: 0, allowed: 1 },
        { fromRemotes: 6, allowed: 2 },
      ],
    }),
  ],
  minCorroboratingRirRegions: [
    { from: null, value: 1, cite: 'BR 3.2.2.9' },
    { from: '2026-03-15', value: 2, cite: 'BR 3.2.2.9 (corroborating perspectives in ≥ 2 RIR regions)' },
  ],
  caaRfc8657Required: takesEffectOn('2027-03-15', 'BR 3.2.2.8 (RFC 8657 SHOULD)', 'BR 3.2.2.8 (RFC 8657 accounturi/validationmethods MUST)'),
  serverAuthOnlyEku: takesEffectOn('2027-03-15', 'BR 7.1.2.7.10 (serverAuth, clientAuth MAY)', 'Chrome Root Program Policy (serverAuth only in leaves)'),
  dnssecValidationRequired: takesEffectOn('2026-03-15', 'BR 3.2.2.8.1', 'BR 3.2.2.4 / 3.2.2.8.1 (primary perspective validates DNSSEC)'),
  reverseZoneNamesProhibited: takesEffectOn('2026-03-15', 'BR 7.1.2.7.12', 'BR 7.1.2.7.12 (no dNSName under in-addr.arpa / ip6.arpa)'),
  dcvMethods: [
    { from: null, value: dcvBefore2025_07_15, cite: 'CP 3.2.2.4' },
    {
      from: '2025-07-15',
      value: { ...dcvBefore2025_07_15, '3.2.2.4.2': 'prohibited' },
      cite: 'BR 3.2.2.4.2 (ballot SC-080: WHOIS e-mail prohibited)',
    },
    {
      from: '2026-03-15',
      value: { ...dcvBefore2025_07_15, '3.2.2.4.2': 'prohibited', '3.2.2.4.4': 'discouraged' },
      cite: 'BR 3.2.2.4.4 (SHOULD NOT from 2026-03-15)',
    },
    {
      from: '2028-03-15',
      value: { ...dcvBefore2025_07_15, '3.2.2.4.2': 'prohibited', '3.2.2.4.4': 'prohibited' },
      cite: 'BR 3.2.2.4.4 (prohibited from 2028-03-15)',
    },
  ],
};

/** Limits that do not change with time (yet). Each cites its section. */
const fixedLimits = {
  ct: {
    /** Chrome/Apple CT policy: a lifetime of at most 180 days needs 2 SCTs, longer needs 3. */
    shortLifetimeMaxDays: 180,
    sctsShortLifetime: 2,
    sctsLongLifetime: 3,
    /** Chrome: SCTs from at least 2 distinct log operators. */
    minDistinctOperators: 2,
    /** Apple: at least one SCT from an RFC 6962 log. */
    minRfc6962Logs: 1,
    /** Apple: SCTs counted per operator — at most 1 for lifetimes ≤ 180 days, at most 2 above (POLICY-2026.md). */
    maxCountedPerOperatorShortLifetime: 1,
    maxCountedPerOperatorLongLifetime: 2,
  },
  crl: {
    /** CP 4.9.7 / BR 4.9.7: a new CRL at least every 7 days (we carry OCSP URLs). */
    maxIntervalSeconds: 7 * DAY,
    /** CP 4.9.7 / BR 4.9.7: nextUpdate ≤ thisUpdate + 10 days. */
    maxNextUpdateSeconds: 10 * DAY,
    /** BR 4.9.7: a new CRL within 24 hours of any revocation. */
    maxAfterRevocationSeconds: 24 * HOUR,
  },
  ocsp: {
    /** BR 4.9.10: 8 hours ≤ nextUpdate - thisUpdate ≤ 10 days. */
    minValiditySeconds: 8 * HOUR,
    maxValiditySeconds: 10 * DAY,
    /** BR 4.9.10: refresh at least 8 hours before nextUpdate and within 4 days of thisUpdate. */
    refreshBeforeNextUpdateSeconds: 8 * HOUR,
    maxRefreshAfterThisUpdateSeconds: 4 * DAY,
  },
} as const;

export interface Policy extends Omit<PolicyValues, 'mpic'> {
  /** The instant the policy was computed for. */
  readonly at: Date;
  /** Start of the interval in which this exact rule set applies (the latest change at or before `at`); null when
   *  no dated change precedes `at`. */
  readonly effectiveFrom: Date | null;
  /** The next rule change after `at`, or null if none is scheduled: the policy must be recomputed from then on. */
  readonly nextChangeAt: Date | null;
  readonly mpic: {
    readonly minRemotePerspectives: number;
    readonly quorumEnforced: boolean;
    readonly nonCorroborating: readonly NonCorroborationStep[];
    /** BR 3.2.2.9: how many of `remotes` remote perspectives may fail to corroborate. */
    maxNonCorroborating(remotes: number): number;
  };
  /** Chrome/Apple CT policy: embedded SCTs needed for a certificate of this lifetime (days, inclusive count). */
  ctMinScts(lifetimeDays: number): number;
  readonly ct: typeof fixedLimits.ct;
  readonly crl: typeof fixedLimits.crl;
  readonly ocsp: typeof fixedLimits.ocsp;
  /** Citation per rule for the value in force, for error details and audit records. */
  readonly cites: { readonly [K in keyof PolicyValues]: string };
}

function dayStart(iso: string): number {
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new CaError('internal', `bad policy date ${iso}`);
  return ms;
}

function pick<T>(timeline: Timeline<T>, t: number): { entry: Dated<T>; fromMs: number; nextMs: number | null } {
  let chosen: Dated<T> | undefined;
  let fromMs = Number.NEGATIVE_INFINITY;
  let nextMs: number | null = null;
  for (const entry of timeline) {
    const ms = entry.from === null ? Number.NEGATIVE_INFINITY : dayStart(entry.from);
    if (ms <= t) {
      chosen = entry;
      fromMs = ms;
    } else {
      nextMs = ms;
      break;
    }
  }
  if (!chosen) throw new CaError('internal', 'policy timeline has no entry for the instant');
  return { entry: chosen, fromMs, nextMs };
}

/** The rules in force at instant t (BR/CP as of POLICY-2026.md). Deterministic: same t, same answer. */
export function policyAt(t: Date): Policy {
  const ms = t.getTime();
  if (Number.isNaN(ms)) throw new CaError('internal', 'policyAt: invalid date');
  let effectiveFrom = Number.NEGATIVE_INFINITY;
  let nextChange: number | null = null;
  const values: Record<string, unknown> = {};
  const cites: Record<string, string> = {};
  for (const key of Object.keys(policyTable) as (keyof PolicyValues)[]) {
    const { entry, fromMs, nextMs } = pick<unknown>(policyTable[key], ms);
    values[key] = entry.value;
    cites[key] = entry.cite;
    effectiveFrom = Math.max(effectiveFrom, fromMs);
    if (nextMs !== null) nextChange = nextChange === null ? nextMs : Math.min(nextChange, nextMs);
  }
  const v = values as unknown as PolicyValues;
  const steps = v.mpic.nonCorroborating;
  return Object.freeze({
    ...v,
    at: new Date(ms),
    effectiveFrom: Number.isFinite(effectiveFrom) ? new Date(effectiveFrom) : null,
    nextChangeAt: nextChange === null ? null : new Date(nextChange),
    mpic: Object.freeze({
      minRemotePerspectives: v.mpic.minRemotePerspectives,
      quorumEnforced: v.mpic.quorumEnforced,
      nonCorroborating: steps,
      maxNonCorroborating(remotes: number): number {
        let allowed = 0;
        for (const s of steps) if (remotes >= s.fromRemotes) allowed = s.allowed;
        return allowed;
      },
    }),
    ctMinScts(lifetimeDays: number): number {
      return lifetimeDays <= fixedLimits.ct.shortLifetimeMaxDays
        ? fixedLimits.ct.sctsShortLifetime
        : fixedLimits.ct.sctsLongLifetime;
    },
    ct: fixedLimits.ct,
    crl: fixedLimits.crl,
    ocsp: fixedLimits.ocsp,
    cites: Object.freeze(cites) as Policy['cites'],
  });
}

/**
 * A policy computed for one instant must not be applied at an instant where other rules are in force (a workflow
 * that accepted an order on 2027-03-14 and signs on 2027-03-15 must use the 100-day limit). Refuse loudly.
 */
function assertPolicyCovers(policy: Policy, now: Date): void {
  const t = now.getTime();
  if (Number.isNaN(t)) throw new CaError('internal', 'invalid date');
  const beforeStart = policy.effectiveFrom !== null && t < policy.effectiveFrom.getTime();
  const afterEnd = policy.nextChangeAt !== null && t >= policy.nextChangeAt.getTime();
  if (beforeStart || afterEnd) {
    throw new CaError('internal', `policy computed for ${policy.at.toISOString()} does not apply at ${now.toISOString()}`, {
      rule: 'BR 6.3.2',
    });
  }
}

/**
 * BR 6.3.2 maximum validity period, in seconds, counted the BR way: notBefore..notAfter INCLUSIVE, so a
 * certificate satisfies it iff `notAfter - notBefore + 1 s ≤ maxValidity`. (The largest allowed
 * `notAfter - notBefore` is therefore `maxValidity - 1`.) Throws if `policy` is not the policy in force at `now`.
 */
export function maxValidity(policy: Policy, now: Date): number {
  assertPolicyCovers(policy, now);
  return policy.maxValidityDays * SECONDS_PER_DAY;
}

/** BR 6.3.2 validity period of a certificate in seconds (both ends inclusive). */
export function validityPeriodSeconds(notBefore: Date, notAfter: Date): number {
  return Math.floor((notAfter.getTime() - notBefore.getTime()) / 1000) + 1;
}

/**
 * The longest validity window allowed for a certificate signed at `now`.
 * notBefore = now truncated to the whole second (X.509 times have second precision, so the encoded value equals
 * this Date; BR 7.1.2.7: within 48 h of signing — we neither backdate nor postdate);
 * notAfter = notBefore + N days - 1 s, so that notAfter - notBefore + 1 s = N × 86,400 s exactly (BR 6.3.2).
 */
export function validityWindow(now: Date, policy: Policy): { notBefore: Date; notAfter: Date } {
  const seconds = maxValidity(policy, now);
  const notBeforeMs = Math.floor(now.getTime() / 1000) * 1000;
  return { notBefore: new Date(notBeforeMs), notAfter: new Date(notBeforeMs + (seconds - 1) * 1000) };
}

/** The status of a DCV method at the policy's instant. */
export function dcvMethodStatus(policy: Policy, method: DcvMethodId): DcvMethodStatus {
  return policy.dcvMethods[method];
}
