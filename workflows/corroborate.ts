/**
 * Issuance cycle steps 3 and 9 inside the workflow: multi-perspective issuance corroboration of the DCV result and
 * the CAA permission (BR 3.2.2.9, 3.2.2.8), and the CAA re-check before the final certificate.
 *
 * Every check runs on the primary perspective (the main task queue) and on every remote perspective (its own task
 * queue `perspective-<id>`, its own resolver) in parallel; the perspectives RETURN their results, the quorum of
 * policy(now) is applied here with pure code (domain/mpic.ts), and each round is stored with every perspective's
 * evidence (activities/corroboration.ts). A retry is a new round: earlier corroborations are never reused. A round
 * in which perspectives could not answer (unreachable, timed out) decided nothing: it is stored, and run again after
 * a pause, a few times (`undecidedRoundPauses`); a perspective that answered "no" is never asked again.
 */
import { patched, proxyActivities, proxyLocalActivities, sleep, workflowInfo, type ApplicationFailure } from '@temporalio/workflow';
import type { createCorroborationActivities } from '../activities/corroboration';
import type { PerspectiveActivities } from '../activities/perspective';
import { caaCheckValidUntil, type CaaCheckSpec } from '../domain/caa';
import { caaValidationMethodLabel, dcvEvidenceLabel, type DcvCheckSpec, type DcvMethodId } from '../domain/dcv';
import { storedFailure, type StoredFailure } from '../domain/errors';
import {
  describeQuorum,
  evaluateQuorum,
  primaryRefusedCaa,
  roundUndecided,
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

/** One round's record (activities/corroboration.ts stores it with its evidence). */
function roundRecord(
  a: AuthorizationToCorroborate,
  orderId: string,
  round: { phase: CorroborationPhase; n: number; retrying: boolean },
  check: 'dcv' | 'caa',
  method: string,
  q: QuorumResult,
  evidence: PerspectiveCheckResult[],
  caaValidUntil: string | null = null,
) {
  const { primary, remotes, ...counts } = q;
  // Unique per round within this run (and stable across replays and activity retries): no module state.
  const roundKey = `${workflowInfo().runId}:${round.phase}:${check}:${a.fqdn}${round.n === 0 ? '' : `:round${round.n + 1}`}`;
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
    roundKey,
    ...(round.retrying ? { retrying: true } : {}),
    ...(caaValidUntil ? { caaValidUntil } : {}),
  };
}

/**
 * Pauses before the next round of a check whose perspectives could not answer. A whole-CA restart, a perspective
 * worker being replaced or a DNS outage of a few minutes must not fail an order the applicant did everything right
 * for; a negative answer is never retried, and after the last pause the quorum's verdict stands (BR 3.2.2.9).
 */
export const undecidedRoundPauses = ['10 seconds', '30 seconds', '60 seconds'] as const;

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
      let dcv = opts.onlyCaa ? null : a.dcv;
      let caaDone = false;
      for (let n = 0; ; n++) {
        const caa = caaDone ? null : caaSpec;
        const [primaryCaa, [remoteDcv, remoteCaa]] = await Promise.all([
          caa
            ? (opts.lean ? primaryChecksLocal : primaryChecks).perspectiveCheckCaa(caa).catch((err): PerspectiveCaaResult => ({
                ...unreachable({ id: 'primary', region: primaryRegion }, err, `CAA ${a.fqdn}`),
                caa: null,
              }))
            : null,
          opts.lean ? remoteRound(remotes, dcv, caa, a.fqdn) : remoteChecksApart(remotes, dcv, caa, a.fqdn),
        ]);
        const rounds: Array<ReturnType<typeof roundRecord>> = [];

        let dcvQ: QuorumResult | null = null;
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
          dcvQ = evaluateQuorum(policy, asResult(primary), remoteDcv.map(asResult));
        }
        const caaQ = primaryCaa && remoteCaa ? evaluateQuorum(policy, asResult(primaryCaa), remoteCaa.map(asResult)) : null;
        // Another round only when nothing failed for good and something is undecided (checked in this order, so the
        // patch marker is written only when a round is actually repeated).
        const undecided = (q: QuorumResult | null) => q !== null && roundUndecided(q);
        const decidedNo = (q: QuorumResult | null) => q !== null && !q.passed && !roundUndecided(q);
        const again =
          n < undecidedRoundPauses.length &&
          !decidedNo(dcvQ) &&
          !decidedNo(caaQ) &&
          (undecided(dcvQ) || undecided(caaQ)) &&
          patched('mpic-undecided-round-again');
        const round = (q: QuorumResult) => ({ phase, n, retrying: again && !q.passed }) as const;

        if (dcv && remoteDcv && dcvQ) {
          rounds.push(roundRecord(a, input.orderId, round(dcvQ), 'dcv', methodLabel, dcvQ, remoteDcv));
          if (dcvQ.passed) dcv = null;
          else if (!again) {
            failures.push(
              roundFailure('corroborationFailed', `${a.fqdn}: ${dcvQ.reason} (${dcvQ.rule})\n${describeQuorum(dcvQ)}`, dcvQ.rule, a.fqdn, dcvQ),
            );
          }
        }

        if (primaryCaa && remoteCaa && caaQ) {
          const until = primaryCaa.caa ? caaCheckValidUntil(new Date(primaryCaa.caa.checkedAt), primaryCaa.caa.ttl).toISOString() : null;
          rounds.push(roundRecord(a, input.orderId, round(caaQ), 'caa', 'BR 3.2.2.8 (CAA)', caaQ, [primaryCaa, ...remoteCaa], until));
          if (caaQ.passed) caaDone = true;
          else if (!again) {
            // The primary's own refusal is CAA's answer (BR 3.2.2.8); otherwise the remotes did not corroborate it. A
            // lookup the primary made that failed (outcome `error`: SERVFAIL, a DNSSEC failure, a timeout) is a DNS
            // failure, not a record that forbids this CA.
            const caaRefused = primaryRefusedCaa(primaryCaa);
            const rule = caaRefused ? (primaryCaa.caa?.rule ?? 'BR 3.2.2.8') : caaQ.rule;
            const why = caaRefused ? `${primaryCaa.detail} (${rule})` : `${caaQ.reason} (${caaQ.rule})`;
            const kind = !caaRefused ? 'corroborationFailed' : primaryCaa.outcome === 'error' ? 'dnsLookupFailed' : 'caa';
            failures.push(roundFailure(kind, `${a.fqdn}: ${why}\n${describeQuorum(caaQ)}`, rule, a.fqdn, caaQ));
          }
          if (until !== null) validUntil = validUntil === null ? Date.parse(until) : Math.min(validUntil, Date.parse(until));
        }
        // Every round is stored (the evidence of BR 3.2.2.9), passed or not: since the patch in one call, else one each.
        if (opts.lean) await records.recordCorroborations(rounds);
        else for (const r of rounds) await records.recordCorroboration(r);
        if (!again) break;
        await sleep(undecidedRoundPauses[n]!);
      }
    }),
  );
  const first = failures[0];
  // The first failure's kind and rule stand for the order; the detail lists every failed round.
  const error = first && failures.length > 1 ? { ...first, detail: failures.map((f) => f.detail).join('\n\n') } : (first ?? null);
  return { passed: failures.length === 0, error, caaValidUntil: validUntil === null ? null : new Date(validUntil).toISOString() };
}

type Remotes = ReadonlyArray<Remote & { readonly taskQueue: string }>;
type RemoteResults = Promise<[PerspectiveCheckResult[] | null, PerspectiveCheckResult[] | null]>;

/** Every remote perspective's DCV and CAA checks (each when given), one activity each (histories before the patch). */
async function remoteChecksApart(remotes: Remotes, dcv: DcvCheckSpec | null, caa: CaaCheckSpec | null, fqdn: string): RemoteResults {
  return Promise.all([
    dcv ? Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckDcv(dcv).catch((err) => unreachable(p, err, 'DCV')))) : null,
    caa ? Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckCaa(caa).catch((err) => unreachable(p, err, `CAA ${fqdn}`)))) : null,
  ]);
}

/** Every remote perspective's round in ONE activity per perspective (DCV and CAA, each when given); an unreachable one fails both. */
async function remoteRound(remotes: Remotes, dcv: DcvCheckSpec | null, caa: CaaCheckSpec | null, fqdn: string): RemoteResults {
  if (!dcv && !caa) return [null, null];
  const results = await Promise.all(
    remotes.map((p) =>
      remoteChecks(p.taskQueue)
        .perspectiveCheck({ dcv, caa })
        .catch((err) => ({ dcv: dcv ? unreachable(p, err, 'DCV') : null, caa: caa ? unreachable(p, err, `CAA ${fqdn}`) : null })),
    ),
  );
  return [dcv ? results.map((r) => r.dcv!) : null, caa ? results.map((r) => r.caa!) : null];
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
