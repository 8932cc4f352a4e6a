/**
 * Pre-issuance linting (issuance cycle step 6, and again for the final certificate before step 10; POLICY-2026.md:
 * lint every to-be-signed certificate, a SHALL since 2025-03-15). The TBS is rebuilt from the database exactly as
 * the signing worker will rebuild it (activities/leaf-tbs.ts), signed by a throwaway key that exists only in this
 * process's memory (pki/memory-signer.ts — never a CA key), and run through zlint and pkilint. Every report is kept
 * with the order (table lint_reports + audit log); any error, or a warning not justified in pki/lint-acceptances.ts,
 * refuses: the signing worker signs only a TBS whose SHA-256 has a passing report from every configured linter.
 */
import { withHeartbeat } from './heartbeat';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getCertificateBySerial } from '../db/repositories/certificates';
import { storeLintReport } from '../db/repositories/ct-lint';
import { CaError } from '../domain/errors';
import { encodeTbs, signCertificate } from '../pki/certificate';
import { lintCertificate, type DevelopmentAcceptance, type LintRun } from '../pki/lint';
import { InMemorySigner } from '../pki/memory-signer';
import { verifiedSctListExtension } from './ct/scts';
import { loadLeafTbs } from './leaf-tbs';

export interface LintDeps {
  readonly db: Db;
  readonly config: Pick<CaConfig, 'certificateBaseUrl' | 'cps' | 'lint' | 'ct' | 'environment' | 'dns'>;
  readonly clock?: () => Date;
}

export interface LintSummary {
  readonly passed: boolean;
  readonly reports: ReadonlyArray<{ linter: string; version: string; errors: string[]; warnings: string[]; accepted: string[] }>;
}

const inZone = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

/**
 * Development only: the dev zone is an Internal Name (BR 1.6.1) that api/accept.ts admits only in development, so
 * zlint/pkilint flag certificates for it. Only findings about dev-zone names are accepted; in production this list
 * is empty and such a finding refuses like any other error.
 */
export function developmentAcceptances(config: Pick<LintDeps['config'], 'environment' | 'dns'>, dnsNames: readonly string[]): DevelopmentAcceptance[] {
  if (config.environment !== 'development') return [];
  const zone = config.dns.devZone.toLowerCase();
  const why = `the development zone ${zone} stands in for public names (api/accept.ts admits it in development only)`;
  return [
    // zlint names no host; every other internal name was refused at acceptance, so the dev zone is the one flagged.
    { linter: 'zlint', code: 'e_dnsname_not_valid_tld', applies: () => dnsNames.some((n) => inZone(n.toLowerCase(), zone)), justification: why },
    {
      linter: 'pkilint',
      code: 'cabf.internal_domain_name',
      applies: (f) => {
        const host = /Internal domain name: "([^"]+)"/.exec(f.message ?? '')?.[1]?.toLowerCase();
        return host !== undefined && inZone(host.replace(/^\*\./, ''), zone);
      },
      justification: why,
    },
  ];
}

function summarize(runs: readonly LintRun[]): LintSummary {
  return {
    passed: runs.every((r) => r.passed),
    reports: runs.map((r) => ({
      linter: r.linter,
      version: r.version,
      errors: r.findings.filter((f) => (f.severity === 'error' || f.severity === 'fatal') && !f.acceptedBecause).map((f) => f.code + (f.message ? `: ${f.message}` : '')),
      warnings: r.findings.filter((f) => f.severity === 'warning' && !f.acceptedBecause).map((f) => f.code + (f.message ? `: ${f.message}` : '')),
      accepted: r.findings.filter((f) => f.acceptedBecause).map((f) => f.code),
    })),
  };
}

export function createLintActivities({ db, config, clock = () => new Date() }: LintDeps) {
  // The throwaway lint key: RSA 2048 like the issuing CA's, so the linted DER has the shape of the real one.
  const throwaway = new InMemorySigner();

  return {
    /**
     * Lints the precertificate (step 6) or the final certificate with the SCT list of `sctLogIds` (before step 10).
     * Stores one report per linter; throws `lintFailed` (not retried) when any refuses.
     */
    async lintToBeSigned(input: { orderId: string; serial: string; kind: 'precertificate' | 'final'; sctLogIds?: readonly string[] }): Promise<LintSummary> {
      // The linters are external processes that take seconds: heartbeat so a dead worker is noticed at once.
      return withHeartbeat(() => lintOnce(input));
    },
  };

  async function lintOnce(input: { orderId: string; serial: string; kind: 'precertificate' | 'final'; sctLogIds?: readonly string[] }): Promise<LintSummary> {
    {
      const { orderId, serial, kind } = input;
      let sctListExtensionValue: Uint8Array | undefined;
      if (kind === 'final' && input.sctLogIds && input.sctLogIds.length > 0) {
        const cert = await getCertificateBySerial(db, serial);
        if (!cert?.precertDer) throw new CaError('invariantViolated', `no precertificate stored for ${serial}`);
        sctListExtensionValue = await verifiedSctListExtension(db, {
          serial,
          issuerId: cert.issuerId,
          precertDer: cert.precertDer,
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
          logIds: input.sctLogIds,
          logListFile: config.ct.logListFile,
          now: clock(),
        });
      }
      const { tbs, cert, profile } = await loadLeafTbs(db, config, { orderId, serial, kind, ...(sctListExtensionValue ? { sctListExtensionValue } : {}) });
      const tbsDer = encodeTbs(tbs);
      const der = await signCertificate(tbs, throwaway, 'lint');
      const runs = await lintCertificate(der, {
        kind,
        profile,
        linters: config.lint.linters,
        binaries: { zlint: config.lint.zlintBin, pkilint: config.lint.pkilintBin },
        developmentAcceptances: developmentAcceptances(config, cert.dnsNames),
      });
      for (const r of runs) {
        await storeLintReport(db, {
          orderId,
          serial,
          kind,
          linter: r.linter,
          linterVersion: r.version,
          verdict: r.passed ? 'pass' : 'fail',
          tbsDer,
          findings: r.findings.map((f) => ({ ...f })),
          actor: 'workflow',
        });
      }
      const summary = summarize(runs);
      if (!summary.passed) {
        const why = summary.reports
          .filter((r) => r.errors.length + r.warnings.length > 0)
          .map((r) => `${r.version}: ${[...r.errors.map((e) => `error ${e}`), ...r.warnings.map((w) => `unaccepted warning ${w}`)].join('; ')}`)
          .join(' | ');
        throw new CaError('lintFailed', `pre-issuance lint refused the ${kind} ${serial}: ${why}`, { rule: 'BR 4.3.1.2' });
      }
      return summary;
    }
  }
}
