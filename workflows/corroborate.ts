/**
 * Issuance cycle steps 3 and 9 inside the workflow (issue #3): multi-perspective issuance corroboration of the DCV
 * result and the CAA permission (BR 3.2.2.9, 3.2.2.8), and the CAA re-check before the final certificate.
 *
 * Every check runs on the primary perspective (the main task queue) and on every remote perspective (its own task
 * queue `perspective-<id>`, its own resolver) in parallel; the perspectives RETURN their results, the quorum of
 * policy(now) is applied here with pure code (domain/mpic.ts), and each round is stored with every perspective's
 * evidence (activities/corroboration.ts). A retry is a new round: earlier corroborations are never reused.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createCorroborationActivities } from '../activities/corroboration';
import type { DcvCheckSpec, PerspectiveActivities, PerspectiveCaaResult, PerspectiveCheckResult } from '../activities/perspective';
import type { CaaCheckSpec } from '../activities/validation/caa';
import { caaCheckValidUntil } from '../domain/caa';
import { caaValidationMethodLabel, dcvMethods, type DcvMethodId } from '../domain/dcv';
import { describeQuorum, evaluateQuorum, type PerspectiveResult, type QuorumResult } from '../domain/mpic';
import { policyAt } from '../domain/policy';
import type { IssueCertificateInput } from './contracts';

type CorroborationActivities = ReturnType<typeof createCorroborationActivities>;

const store = proxyActivities<CorroborationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The primary perspective's checks run on the main task queue (the main worker registers them). */
const primaryChecks = proxyActivities<PerspectiveActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * A remote perspective: a short deadline (a perspective that does not answer within it counts as non-corroborating,
 * BR 3.2.2.9), one retry for transient faults.
 */
const remoteChecks = (taskQueue: string) =>
  proxyActivities<PerspectiveActivities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '45 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 2 },
  });

function reason(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export interface AuthorizationToCorroborate {
  readonly authorizationId: string;
  readonly challengeId: string;
  readonly fqdn: string;
  readonly method: DcvMethodId;
  /** What the primary saw (null when the name was authorized by reuse: then only CAA is corroborated). */
  readonly dcv: DcvCheckSpec | null;
}

export interface CorroborationOutcome {
  readonly passed: boolean;
  /** The order's error when it failed: names the rule, the FQDN, and every perspective's result. */
  readonly error: { type: string; title: string; detail: string; rule: string; identifier: string; perspectives: PerspectiveResult[] } | null;
  /** The earliest instant a CAA re-check becomes necessary (BR 3.2.2.8: checkedAt + max(TTL, 8 h)), ISO. */
  readonly caaValidUntil: string | null;
}

type Remote = NonNullable<IssueCertificateInput['perspectives']>[number];

function asResult(r: PerspectiveCheckResult): PerspectiveResult {
  return { perspective: r.perspective, region: r.region, outcome: r.outcome, detail: r.detail };
}

function unreachable(p: Remote, err: unknown, query: string): PerspectiveCheckResult {
  return {
    perspective: p.id,
    region: p.region,
    resolver: 'unknown',
    outcome: 'error',
    detail: `perspective unavailable: ${reason(err)}`,
    query,
    authorizationDomainName: '',
    raw: null,
    checkedAt: new Date().toISOString(),
  };
}

async function storeRound(
  a: AuthorizationToCorroborate,
  orderId: string,
  phase: 'step3' | 'step9',
  check: 'dcv' | 'caa',
  method: string,
  q: QuorumResult,
  evidence: PerspectiveCheckResult[],
): Promise<void> {
  const { primary, remotes, ...counts } = q;
  await store.recordCorroboration({
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
  });
}

/**
 * Corroborates each authorization's DCV result (when `a.dcv` is given) and CAA permission. `onlyCaa` is the step 9
 * re-check. Returns the first failure (every authorization's rounds are stored regardless).
 */
export async function corroborate(
  input: IssueCertificateInput,
  authzs: readonly AuthorizationToCorroborate[],
  opts: { onlyCaa?: boolean } = {},
): Promise<CorroborationOutcome> {
  const policy = policyAt(new Date());
  const phase = opts.onlyCaa ? 'step9' : 'step3';
  // The perspectives come from the deployment's configuration unless the input names them (tests, replays).
  const cfg = input.perspectives ? { perspectives: input.perspectives, primaryRegion: input.primaryRegion ?? 'APNIC' } : await store.mpicConfiguration();
  const remotes = cfg.perspectives;
  const primaryRegion = cfg.primaryRegion;
  let validUntil: number | null = null;
  const failures: NonNullable<CorroborationOutcome['error']>[] = [];

  await Promise.all(
    authzs.map(async (a) => {
      const wildcard = a.fqdn.startsWith('*.');
      const caaSpec: CaaCheckSpec = {
        fqdn: a.fqdn,
        wildcard,
        accountUri: input.accountUri ?? null,
        validationMethod: caaValidationMethodLabel(a.method, input.viaAcme ?? false),
      };
      const methodLabel = `${a.method} (${dcvMethods[a.method].acmeLabel ?? dcvMethods[a.method].caaLabel})`;
      const dcv = opts.onlyCaa ? null : a.dcv;
      const [primaryCaa, remoteDcv, remoteCaa] = await Promise.all([
        primaryChecks.perspectiveCheckCaa(caaSpec).catch((err): PerspectiveCaaResult => ({
          ...unreachable({ id: 'primary', region: primaryRegion, taskQueue: '' }, err, `CAA ${a.fqdn}`),
          caa: null,
        })),
        dcv
          ? Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckDcv(dcv).catch((err) => unreachable(p, err, 'DCV'))))
          : Promise.resolve(null),
        Promise.all(remotes.map((p) => remoteChecks(p.taskQueue).perspectiveCheckCaa(caaSpec).catch((err) => unreachable(p, err, `CAA ${a.fqdn}`)))),
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
        await storeRound(a, input.orderId, phase, 'dcv', methodLabel, q, remoteDcv);
        if (!q.passed) {
          failures.push({
            type: 'validationFailed',
            title: 'Multi-perspective corroboration of domain validation failed',
            detail: `${a.fqdn}: ${q.reason} (${q.rule})\n${describeQuorum(q)}`,
            rule: q.rule,
            identifier: a.fqdn,
            perspectives: [q.primary, ...q.remotes],
          });
        }
      }

      const q = evaluateQuorum(policy, asResult(primaryCaa), remoteCaa.map(asResult));
      await storeRound(a, input.orderId, phase, 'caa', 'BR 3.2.2.8 (CAA)', q, [primaryCaa, ...remoteCaa]);
      if (!q.passed) {
        const caaRefused = primaryCaa.outcome !== 'corroborates';
        failures.push({
          type: 'caa',
          title: caaRefused ? 'CAA forbids issuance' : 'Multi-perspective corroboration of CAA failed',
          detail: `${a.fqdn}: ${caaRefused ? `${primaryCaa.detail} (${primaryCaa.caa?.rule ?? 'BR 3.2.2.8'})` : `${q.reason} (${q.rule})`}\n${describeQuorum(q)}`,
          rule: caaRefused ? (primaryCaa.caa?.rule ?? 'BR 3.2.2.8') : q.rule,
          identifier: a.fqdn,
          perspectives: [q.primary, ...q.remotes],
        });
      }
      if (primaryCaa.caa) {
        const until = caaCheckValidUntil(new Date(primaryCaa.caa.checkedAt), primaryCaa.caa.ttl).getTime();
        validUntil = validUntil === null ? until : Math.min(validUntil, until);
      }
    }),
  );
  const first = failures[0] ?? null;
  if (first && failures.length > 1) {
    first.detail = failures.map((f) => f.detail).join('\n\n');
  }
  return { passed: failures.length === 0, error: first, caaValidUntil: validUntil === null ? null : new Date(validUntil).toISOString() };
}

/** A corroboration failure as the non-retryable failure failOrder understands (step 9 after the precertificate). */
export function corroborationFailure(outcome: CorroborationOutcome): ApplicationFailure {
  return ApplicationFailure.nonRetryable(outcome.error?.detail ?? 'corroboration failed', outcome.error?.type === 'caa' ? 'CaaForbidden' : 'CorroborationFailed');
}
