/**
 * Self-audit activities (main task queue; BR 8.7, CP 8). The workflow (workflows/selfAudit.ts) draws and records the
 * sample, checks it page by page, and completes the report:
 *  - each sampled certificate is linted again with today's zlint and pkilint (a lint added since issuance may fire);
 *  - its DCV, MPIC and CAA evidence must exist and have been within the limits in force at issuance
 *    (domain/self-audit.ts `auditIssuanceEvidence`, policy(at issuance)).
 * The report is stored with the audit and sent to the operators.
 */
import { randomBytes } from 'node:crypto';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import {
  completeSelfAudit,
  createSelfAudit,
  getSelfAudit,
  issuanceEvidence,
  issuedSerials,
  lastSelfAuditPeriodEnd,
  recordSampleResult,
  sampleResults,
  uncheckedSamples,
} from '../db/repositories/self-audits';
import { CaError } from '../domain/errors';
import { profileOfCa } from '../domain/profiles';
import { auditIssuanceEvidence, seededSample, selfAuditRule, selfAuditSampleSize, type SelfAuditFinding } from '../domain/self-audit';
import { lintCertificate } from '../pki/lint';
import { withHeartbeat } from './heartbeat';
import { developmentAcceptances } from './lint';
import { counterOf } from './metrics';
import type { NoticePort } from './operator-notices';

export interface SelfAuditDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly notices: NoticePort;
  readonly config: Pick<CaConfig, 'lint' | 'environment' | 'dns'>;
  /** The sampling seed: 128 bits from the CSPRNG (tests fix it to know the sample in advance). */
  readonly seed?: () => string;
}

const ACTOR = 'self-audit';

const flaggedCounter = () => counterOf('ca_self_audit_flagged_total', 'Sampled certificates the self-audit flagged (BR 8.7)');

export function createSelfAuditActivities({ db, clock, notices, config, seed: drawSeed = () => randomBytes(16).toString('hex') }: SelfAuditDeps) {
  /** Today's linters on the certificate: every error, fatal or unaccepted warning is a finding. */
  async function lintFindings(der: Uint8Array, dnsNames: readonly string[], caId: string): Promise<SelfAuditFinding[]> {
    const runs = await lintCertificate(der, {
      kind: 'final',
      profile: profileOfCa(caId),
      linters: config.lint.linters,
      binaries: { zlint: config.lint.zlintBin, pkilint: config.lint.pkilintBin },
      developmentAcceptances: developmentAcceptances(config, dnsNames),
    });
    return runs.flatMap((r) =>
      r.findings
        .filter((f) => (f.severity === 'fatal' || f.severity === 'error' || f.severity === 'warning') && !f.acceptedBecause)
        .map((f) => ({ code: `lint:${r.linter}:${f.code}`, rule: 'BR 8.7 (re-lint), BR 4.3.1.2', detail: `${r.version}: ${f.severity}${f.message ? ` — ${f.message}` : ''}` })),
    );
  }

  return {
    /**
     * Draws the sample of the certificates issued since the previous self-audit: max(1, 3 %) by a PRNG seeded from
     * the CSPRNG, and records seed, population and sample (so it can be drawn again). Idempotent by `auditId`.
     */
    async sampleSelfAudit(input: { auditId: string; workflowId: string }): Promise<{ auditId: string; population: number; sampleSize: number; seed: string; periodFrom: string | null; periodTo: string }> {
      const existing = await getSelfAudit(db, input.auditId);
      const audit =
        existing ??
        (await (async () => {
          const periodTo = clock();
          const periodFrom = await lastSelfAuditPeriodEnd(db, periodTo);
          const population = await issuedSerials(db, periodFrom, periodTo);
          const seed = drawSeed();
          const sample = seededSample(population, selfAuditSampleSize(population.length), seed);
          return createSelfAudit(db, { id: input.auditId, periodFrom, periodTo, seed, population: population.length, sample, workflowId: input.workflowId, actor: ACTOR });
        })());
      return {
        auditId: audit.id,
        population: audit.population,
        sampleSize: audit.sampleSize,
        seed: audit.seed,
        periodFrom: audit.periodFrom?.toISOString() ?? null,
        periodTo: audit.periodTo.toISOString(),
      };
    },

    /** Checks the next `limit` sampled certificates (linters are external processes: heartbeats). */
    async checkSelfAuditSamples(input: { auditId: string; limit: number }): Promise<{ checked: number; flagged: number; remaining: boolean }> {
      return withHeartbeat(async () => {
        const page = await uncheckedSamples(db, input.auditId, input.limit);
        let flagged = 0;
        for (const s of page) {
          const evidence = await issuanceEvidence(db, s.serial);
          if (!evidence) throw new CaError('invariantViolated', `sampled certificate ${s.serial} not found`);
          const findings = auditIssuanceEvidence(evidence);
          if (s.der) findings.push(...(await lintFindings(s.der, s.dnsNames, s.caId)));
          else findings.push({ code: 'certificate-missing', rule: 'CP 5.5.2', detail: 'no final certificate stored' });
          await recordSampleResult(db, { auditId: input.auditId, serial: s.serial, at: clock(), findings: findings.map((f) => ({ ...f })) });
          if (findings.length > 0) flagged++;
        }
        if (flagged > 0) flaggedCounter().inc(flagged);
        return { checked: page.length, flagged, remaining: page.length === input.limit };
      });
    },

    /**
     * The report: the rule, the period, the seed, each sampled certificate's verdict and findings; stored, and a notice
     * to the operators in the outbox, whose delivery the workflow starts.
     */
    async completeSelfAudit(input: { auditId: string }): Promise<{ population: number; sampleSize: number; flagged: string[]; noticeId: string }> {
      const audit = await getSelfAudit(db, input.auditId);
      if (!audit) throw new CaError('notFound', `no self-audit ${input.auditId}`);
      const samples = await sampleResults(db, audit.id);
      const flagged = samples.filter((s) => s.verdict === 'flagged').map((s) => s.serial);
      const report = {
        rule: `${selfAuditRule.cite}: max(${selfAuditRule.minimum}, ${selfAuditRule.fraction * 100} %) of the certificates issued since the previous self-audit`,
        period: { from: audit.periodFrom?.toISOString() ?? null, to: audit.periodTo.toISOString() },
        seed: audit.seed,
        sampling: 'domain/self-audit.ts seededSample: xoshiro128** from the seed over the serials in ascending order',
        population: audit.population,
        sampleSize: audit.sampleSize,
        linters: config.lint.linters,
        samples: samples.map((s) => ({ serial: s.serial, position: s.position, verdict: s.verdict, findings: s.findings })),
        flagged,
      };
      if (!audit.completedAt) {
        await completeSelfAudit(db, { auditId: audit.id, at: clock(), flagged: flagged.length, report, actor: ACTOR });
      }
      const { noticeId } = await notices.enqueue({
        kind: 'self-audit-report',
        recipient: 'operators',
        idempotencyKey: `self-audit:${audit.id}`,
        data: { auditId: audit.id, period: report.period, population: audit.population, sampleSize: audit.sampleSize, flagged, command: `npm run admin -- self-audit show ${audit.id}` },
      });
      return { population: audit.population, sampleSize: audit.sampleSize, flagged, noticeId };
    },
  };
}
