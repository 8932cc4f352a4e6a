/**
 * The quarterly self-audit (BR 8.7; CP 8): "at least every quarter, a random sample of at least the greater of one
 * certificate or three percent of the certificates issued since the previous self-audit", checked against the CP, the
 * CPS and the BR. Pure: the sample is drawn from a recorded seed (anyone holding the seed and the population draws the
 * same sample), and each sampled certificate's evidence is judged by the rules in force when it was issued —
 * policy(at issuance), never today's.
 */
import { caaCheckValidUntil } from './caa';
import type { DcvMethodId } from './dcv';
import { evaluateQuorum, type PerspectiveResult } from './mpic';
import { dcvMethodIds, policyAt, SECONDS_PER_DAY, validityPeriodSeconds } from './policy';

export const selfAuditRule = { fraction: 0.03, minimum: 1, cite: 'BR 8.7' } as const;

/** BR 8.7: max(1, 3 %) of the population, rounded up; nothing issued, nothing to sample. */
export function selfAuditSampleSize(population: number): number {
  if (population <= 0) return 0;
  return Math.min(population, Math.max(selfAuditRule.minimum, Math.ceil(population * selfAuditRule.fraction)));
}

/** The murmur3 finalizer: spreads a seed word over the whole state, so seeds with few set bits draw well too. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded with 128 bits (32 hex digits): small, well studied, and the same in every JavaScript runtime.
 * Each state word is chained through mix32 from the seed words, and the first outputs are discarded.
 */
function prng(seedHex: string): () => number {
  if (!/^[0-9a-f]{32}$/.test(seedHex)) throw new Error('the self-audit seed is 32 lowercase hex digits');
  let acc = 0;
  const s = [0, 8, 16, 24].map((i) => (acc = mix32(acc ^ parseInt(seedHex.slice(i, i + 8), 16)))) as [number, number, number, number];
  if (s.every((v) => v === 0)) s[0] = 1;
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/**
 * `k` members of `population` drawn without replacement by a partial Fisher–Yates shuffle driven by the seed. The
 * population must be in a canonical order (the activity sorts serials), so the draw is reproducible.
 */
export function seededSample<T>(population: readonly T[], k: number, seedHex: string): T[] {
  const next = prng(seedHex);
  const a = [...population];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    // Rejection sampling: an unbiased index in [i, a.length).
    const range = a.length - i;
    const limit = 2 ** 32 - (2 ** 32 % range);
    let r = next();
    while (r >= limit) r = next();
    const j = i + (r % range);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

/** What PostgreSQL holds about one FQDN of a sampled certificate (db/repositories/self-audits.ts gathers it). */
export interface NameEvidence {
  readonly fqdn: string;
  /** The authorization of the order for this name; null when none exists. */
  readonly authorization: { readonly status: string; readonly validatedAt: Date | null } | null;
  /** The validation that authorized it (the order's own, or the earlier one it reused, BR 4.2.1). */
  readonly validation: { readonly method: string; readonly validatedAt: Date; readonly reused: boolean } | null;
  /** The primary perspective's successful DCV evidence rows of that validation (BR 3.2.2.4, 5.4.1). */
  readonly dcvEvidenceRows: number;
  /** The latest DCV corroboration round of that validation (BR 3.2.2.9), with its stored quorum. */
  readonly dcvCorroboration: { readonly result: string; readonly checkedAt: Date; readonly quorum: Record<string, unknown> } | null;
  /** The latest CAA corroboration round of the order for this name (BR 3.2.2.8, 3.2.2.9). */
  readonly caaCorroboration: {
    readonly result: string;
    readonly checkedAt: Date;
    readonly quorum: Record<string, unknown>;
    /** Smallest TTL of the relevant CAA RRset the primary saw (0 when none): the check was good for max(TTL, 8 h). */
    readonly ttlSeconds: number;
  } | null;
}

export interface IssuanceEvidence {
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly names: readonly NameEvidence[];
}

export interface SelfAuditFinding {
  /** Stable code, e.g. 'dcv-evidence-missing', 'lint:zlint:e_…'. */
  readonly code: string;
  readonly rule: string;
  readonly detail: string;
  readonly fqdn?: string;
}

/** Methods validated without MPIC: e-mail (3.2.2.4.4) and the registrant method (3.2.2.4.12) involve no DNS/HTTP fetch. */
const uncorroboratedMethods: readonly string[] = ['3.2.2.4.4', '3.2.2.4.12'];

const isDcvMethod = (m: string): m is DcvMethodId => (dcvMethodIds as readonly string[]).includes(m);

/** Re-evaluates a stored quorum under the policy of the instant it was computed (BR 3.2.2.9 as in force then). */
function quorumHeld(round: { checkedAt: Date; quorum: Record<string, unknown> }): boolean {
  const primary = round.quorum.primary as PerspectiveResult | undefined;
  const remotes = round.quorum.remotes as PerspectiveResult[] | undefined;
  if (!primary || !Array.isArray(remotes)) return false;
  return evaluateQuorum(policyAt(round.checkedAt), primary, remotes).passed;
}

/**
 * The findings for one issued certificate: every name has an authorization validated by a method allowed when it
 * was validated, with its DCV evidence, within the reuse period of policy(at issuance) (BR 4.2.1); a passing MPIC
 * round under the quorum rule of its day (BR 3.2.2.9); a passing CAA check no older than max(TTL, 8 hours) at issuance
 * (BR 3.2.2.8); and a validity within policy(at issuance) (BR 6.3.2). An empty list: nothing to flag.
 */
export function auditIssuanceEvidence(e: IssuanceEvidence): SelfAuditFinding[] {
  const issuedAt = e.notBefore;
  const policy = policyAt(issuedAt);
  const out: SelfAuditFinding[] = [];
  const validity = validityPeriodSeconds(e.notBefore, e.notAfter);
  if (validity > policy.maxValidityDays * SECONDS_PER_DAY) {
    out.push({ code: 'validity-too-long', rule: policy.cites.maxValidityDays, detail: `${validity} s exceeds ${policy.maxValidityDays} days in force at issuance` });
  }
  for (const n of e.names) {
    const at = (code: string, rule: string, detail: string) => out.push({ code, rule, detail, fqdn: n.fqdn });
    if (!n.authorization || n.authorization.status !== 'valid') {
      at('authorization-missing', 'BR 3.2.2.4', n.authorization ? `the authorization is ${n.authorization.status}` : 'no authorization of the order names it');
      continue;
    }
    const v = n.validation;
    if (!v) {
      at('validation-missing', 'BR 3.2.2.4', 'no valid challenge (own or reused) authorizes the name');
      continue;
    }
    if (!isDcvMethod(v.method)) at('dcv-method-unknown', 'CP 3.2.2.4', `method ${v.method} is not one of the CP's`);
    else if (policyAt(v.validatedAt).dcvMethods[v.method] === 'prohibited') {
      at('dcv-method-prohibited', policyAt(v.validatedAt).cites.dcvMethods, `method ${v.method} was prohibited when the name was validated (${v.validatedAt.toISOString()})`);
    }
    if (n.dcvEvidenceRows === 0) at('dcv-evidence-missing', 'BR 3.2.2.4, 5.4.1', `no successful DCV evidence row for the ${v.reused ? 'reused ' : ''}validation`);
    const ageDays = (issuedAt.getTime() - v.validatedAt.getTime()) / (SECONDS_PER_DAY * 1000);
    if (ageDays > policy.dcvReuseDays) at('dcv-too-old', policy.cites.dcvReuseDays, `validated ${ageDays.toFixed(1)} days before issuance; at most ${policy.dcvReuseDays} then`);
    if (v.validatedAt.getTime() > issuedAt.getTime() + 1000) at('dcv-after-issuance', 'BR 3.2.2.4', 'validated after the certificate was issued');
    if (!uncorroboratedMethods.includes(v.method)) {
      const round = n.dcvCorroboration;
      if (!round) at('mpic-missing', 'BR 3.2.2.9', 'no DCV corroboration round for the validation');
      else if (round.result !== 'pass' || !quorumHeld(round)) at('mpic-quorum-not-met', 'BR 3.2.2.9', `the DCV round of ${round.checkedAt.toISOString()} does not meet the quorum in force then`);
    }
    const caa = n.caaCorroboration;
    if (!caa) at('caa-missing', 'BR 3.2.2.8', 'no CAA check of the order for the name');
    else {
      if (caa.result !== 'pass' || !quorumHeld(caa)) at('caa-not-permitted', 'BR 3.2.2.8, 3.2.2.9', `the CAA round of ${caa.checkedAt.toISOString()} did not pass`);
      if (issuedAt.getTime() > caaCheckValidUntil(caa.checkedAt, caa.ttlSeconds).getTime()) {
        at('caa-too-old', 'BR 3.2.2.8', `CAA checked ${caa.checkedAt.toISOString()}: older than max(TTL ${caa.ttlSeconds} s, 8 hours) at issuance`);
      }
    }
  }
  return out;
}
