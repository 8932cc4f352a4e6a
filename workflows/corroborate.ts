/**
 * Issuance cycle steps 3 and 9 inside the workflow: multi-perspective issuance corroboration of the DCV result and
 * the CAA permission (BR 3.2.2.9, 3.2.2.8), and the CAA re-check before the final certificate.
 *
 * Every check runs on the primary perspective (the main task queue) and on every remote perspective (its own task
 * queue `perspective-<id>`, its own resolver) in parallel; the perspectives RETURN their results, the quorum of
 * policy(now) is applied here with pure code (domain/mpic.ts), and each round is stored with every perspective's
 * evidence (activities/corroboration.ts). A retry is a new round: earlier corroborations are never reused.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo, type ApplicationFailure } from '@temporalio/workflow';
import type { createCorroborationActivities } from '../activities/corroboration';
import type { PerspectiveActivities } from '../activities/perspective';
import { caaCheckValidUntil, type CaaCheckSpec } from '../domain/caa';
import { caaValidationMethodLabel, dcvEvidenceLabel, type DcvCheckSpec, type DcvMethodId } from '../domain/dcv';
import { storedFailure, type StoredFailure } from '../domain/errors';
import {
  describeQuorum,
  evaluateQuorum,
  type PerspectiveCaaResult,
  type PerspectiveCheckResult,
  type PerspectiveResult,
  type QuorumResult,
} from '../domain/mpic';
import { policyAt } from '../domain/policy';
import { bookkeeping, perspectivePrimary, perspectiveRemote, storage } from './activity-options';
import type { IssueCertificateInput } from './contracts';
import { failureOf, workflowFailure } from './failures';

type CorroborationActivities = ReturnType<typeof createCorroborationActivities>;

const store = proxyActivities<CorroborationActivities>(storage);
const storeLocal = proxyLocalActivities<CorroborationActivities>(bookkeeping);
/** The primary perspective's checks run on the main task queue (the main worker registers them). */
const primaryChecks = proxyActivities<PerspectiveActivities>(perspectivePrimary);
/** Since the `cost-per-certificate` patch: the primary's CAA check as a local activity of the main worker. */
const primaryChecksLocal = proxyLocalActivities<PerspectiveActivities>({ startToCloseTimeout: perspectivePrimary.startToCloseTimeout, retry: perspectivePrimary.retry });
const remoteChecks = (taskQueue: string) => proxyActivities<PerspectiveActivities>(perspectiveRemote(taskQueue));

export interface AuthorizationToCorroborate {
  readonly authorizationId: string;
  readonly challengeId: string;
  readonly fqdn: string;
  readonly method: DcvMethodId;
  /** What the primary saw (null when the name was authorized by reuse: then only CAA is corroborated). */
  readonly dcv: DcvCheckSpec | null;
}

/** The order's error of a failed round: the kind, the rule, the FQDN, and every perspective's result. */
export interface CorroborationFailure extends StoredFailure {
  readonly type: 'caa' | 'dnsLookupFailed' | 'corroborationFailed';
  readonly rule: string;
  readonly identifier: string;
  readonly perspectives: PerspectiveResult[];
}

export interface CorroborationOutcome {
  readonly passed: boolean;
  readonly error: CorroborationFailure | null;
  /** The earliest instant a CAA re-check becomes necessary (BR 3.2.2.8: checkedAt + max(TTL, 8 h)), ISO. */
  readonly caaValidUntil: string | null;
}

interface Remote {
  readonly id: string;
  readonly region: string;
}

function asResult(r: PerspectiveCheckResult): PerspectiveResult {
  return { perspective: r.perspective, region: r.region, outcome: r.outcome, detail: r.detail };
}

function unreachable(p: Remote, err: unknown, query: string): PerspectiveCheckResult {
  return {
    perspective: p.id,
    region: p.region,
    resolver: 'unknown',
    outcome: 'error',
    detail: `perspective unavailable: ${failureOf(err).message}`,
    query,
    authorizationDomainName: '',
    raw: null,
    checkedAt: new Date().toISOString(),
  };
}

/** Which step a round belongs to: step 3, the CAA re-check before the precertificate (step 7), or step 9. */
export type CorroborationPhase = 'step3' | 'step7' | 'step9';

function round(
  a: AuthorizationToCorroborate,
  orderId: string,
  phase: CorroborationPhase,
  check: 'dcv' | 'caa',
  method: string,
  q: QuorumResult,
  evidence: PerspectiveCheckResult[],
  caaValidUntil: string | null = null,
) {
  const { primary, remotes, ...counts } = q;
  return {
    orderId,
    authorizationId: a.authorizationId,
    challengeId: a.challengeId,
    fqdn: a.fqdn,
    check,
    method,
    passed: q.passed,
    quorum: { ...counts, primary, remotes: [...remotes] },
    evidence,
    // Unique per round within this run (and stable across replays and activity retries): no module state.
    roundKey: `${workflowInfo().runId}:${phase}:${check}:${a.fqdn}`,
    ...(caaValidUntil ? { caaValidUntil } : {}),
  };
}

/**
 * Corroborates each authorization's DCV result (when `a.dcv` is given) and CAA permission. `onlyCaa` is a CAA
 * re-check: step 9, or `phase: 'step7'` before the precertificate. Returns the first failure (every authorization's
 * rounds are stored regardless).
 */
export async function corroborate(
  input: IssueCertificateInput,
  authzs: readonly AuthorizationToCorroborate[],
  opts: { onlyCaa?: boolean; phase?: CorroborationPhase; lean?: boolean } = {},
): Promise<CorroborationOutcome> {
  const policy = policyAt(new Date());
  const phase = opts.phase ?? (opts.onlyCaa ? 'step9' : 'step3');
  const records = opts.lean ? storeLocal : store;
  // The perspectives come from the deployment's configuration, recorded in the history by the activity.
  const { perspectives: remotes, primaryRegion } = await records.mpicConfiguration();
  let validUntil: number | null = null;
  const failures: CorroborationFailure[] = [];

  await Promise.all(
    authzs.map(async (a) => {
      const wildcard = a.fqdn.startsWith('*.');
      const caaSpec: CaaCheckSpec = {
        fqdn: a.fqdn,
        wildcard,
        accountUri: input.accountUri ?? null,
        validationMethod: caaValidationMethodLabel(a.method, input.viaAcme ?? false),
      };
      const methodLabel = dcvEvidenceLabel(a.method);
      const dcv = opts.onlyCaa ? null : a.dcv;
      const rounds: Array<ReturnType<typeof round>> = [];
      const [primaryCaa, [remoteDcv, remoteCaa]] = await Promise.all([
        (opts.lean ? primaryChecksLocal : primaryChecks).perspectiveCheckCaa(caaSpec).catch((err): PerspectiveCaaResult => ({
          ...unreachable({ id: 'primary', region: primaryRegion }, err, `CAA ${a.fqdn}`),
          caa: null,
        })),
        opts.lean ? remoteRound(remotes, dcv, caaSpec) : remoteChecksApart(remotes, dcv, caaSpec),
      ]);

      if (dcv && remoteDcv) {
        // The primary's own DCV success was established in step 2 (with its evidence); it is the reference here.
        const primary: PerspectiveCheckResult = {
          perspective: 'primary',
          region: primaryRegion,
          resolver: 'primary',
          outcome: 'corroborates',
          detail: `validated in step 2 at ${dcv.authorizationDomainName}`,
          query: dcv.method === '3.2.2.4.7' ? `${dcv.recordName} IN TXT` : `GET ${dcv.url}`,
          authorizationDomainName: dcv.authorizationDomainName,
          raw: null,
          checkedAt: new Date().toISOString(),
        };
        const q = evaluateQuorum(policy, asResult(primary), remoteDcv.map(asResult));
        rounds.push(round(a, input.orderId, phase, 'dcv', methodLabel, q, remoteDcv));
        if (!q.passed) {
          failures.push(
            roundFailure('corroborationFailed', `${a.fqdn}: ${q.reason} (${q.rule})\n${describeQuorum(q)}`, q.rule, a.fqdn, q),
          );
        }
      }

      const q = evaluateQuorum(policy, asResult(primaryCaa), remoteCaa.map(asResult));
      const until = primaryCaa.caa ? caaCheckValidUntil(new Date(primaryCaa.caa.checkedAt), primaryCaa.caa.ttl).toISOString() : null;
      rounds.push(round(a, input.orderId, phase, 'caa', 'BR 3.2.2.8 (CAA)', q, [primaryCaa, ...remoteCaa], until));
      // Every round is stored (the evidence of BR 3.2.2.9), passed or not: since the patch in one call, else one each.
      if (opts.lean) await records.recordCorroborations(rounds);
      else for (const r of rounds) await records.recordCorroboration(r);
      if (!q.passed) {
        // The primary's own refusal is CAA's answer (BR 3.2.2.8); otherwise the remotes did not corroborate it. A
        // lookup that failed (outcome `error`: SERVFAIL, a DNSSEC failure, a timeout) is a DNS failure, not a record
        // that forbids this CA.
        const caaRefused = primaryCaa.outcome !== 'corroborates';
        const rule = caaRefused ? (primaryCaa.caa?.rule ?? 'BR 3.2.2.8') : q.rule;
        const why = caaRefused ? `${primaryCaa.detail} (${rule})` : `${q.reason} (${q.rule})`;
        const kind = !caaRefused ? 'corroborationFailed' : primaryCaa.outcome === 'error' ? 'dnsLookupFailed' : 'caa';
        failures.push(roundFailure(kind, `${a.fqdn}: ${why}\n${describeQuorum(q)}`, rule, a.fqdn, q));
      }
      if (until !== null) validUntil = validUntil === null ? Date.parse(until) : Math.min(validUntil, Date.parse(until));
    }),
  );
  const first = failures[0];
  // The first failure's kind and rule stand for the order; the detail lists every failed round.
  const error = first && failures.length > 1 ? { ...first, detail: failures.map((f) => f.detail).join('\n\n') } : (first ?? null);
  return { passed: failures.length === 0, error, caaValidUntil: validUntil === null ? null : new Date(validUntil).toISOString() };
}

type Remotes = ReadonlyArray<Remote & { readonly taskQueue: string }>;
type RemoteResults = Promise<[PerspectiveCheckResult[] | null, PerspectiveCheckResult[]]>;

/** Every remote perspective's DCV (when given) and CAA checks, one activity each (histories before the patch). */
async function remoteChecksApart(remotes: Remotes, dcv: DcvCheckSpec | null, caa: CaaCheckSpec): RemoteResults {
  return Promise.all([
    dcv ? Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckDcv(dcv).catch((err) => unreachable(p, err, 'DCV')))) : null,
    Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckCaa(caa).catch((err) => unreachable(p, err, `CAA ${caa.fqdn}`)))),
  ]);
}

/** Every remote perspective's round in ONE activity per perspective (DCV when given, and CAA); an unreachable one fails both. */
async function remoteRound(remotes: Remotes, dcv: DcvCheckSpec | null, caa: CaaCheckSpec): RemoteResults {
  const results = await Promise.all(
    remotes.map((p) =>
      remoteChecks(p.taskQueue)
        .perspectiveCheck({ dcv, caa })
        .catch((err) => ({ dcv: dcv ? unreachable(p, err, 'DCV') : null, caa: unreachable(p, err, `CAA ${caa.fqdn}`) })),
    ),
  );
  return [dcv ? results.map((r) => r.dcv!) : null, results.map((r) => r.caa)];
}

function roundFailure(kind: CorroborationFailure['type'], detail: string, rule: string, fqdn: string, q: QuorumResult): CorroborationFailure {
  return { ...storedFailure(kind, detail, { rule, identifier: fqdn }), type: kind, rule, identifier: fqdn, perspectives: [q.primary, ...q.remotes] };
}

/** A failed step 9 re-check as the failure the order fails with (after the precertificate: compensation follows). */
export function corroborationFailure(outcome: CorroborationOutcome): ApplicationFailure {
  const e = outcome.error;
  return e
    ? workflowFailure(e.type, e.detail, { rule: e.rule, identifier: e.identifier, perspectives: e.perspectives })
    : workflowFailure('corroborationFailed', 'corroboration failed');
}
