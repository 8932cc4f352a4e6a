/**
 * One network perspective's checks (BR 3.2.2.9): the DCV check and the CAA check, run with this perspective's own
 * resolver, RETURNING their results — no database, so a perspective can run in another region with nothing but a
 * Temporal connection. The workflow stores the evidence and applies the quorum (domain/mpic.ts).
 *
 * The same activities are registered by the main worker as the primary perspective (task queue of the main worker)
 * and by each remote perspective worker on `perspective-<id>` (worker/perspective.ts).
 */
import type { CaaCheckSpec } from '../domain/caa';
import { txtRecordMatches, webContentMatches, type DcvCheckSpec } from '../domain/dcv';
import type { PerspectiveCaaResult, PerspectiveCheckResult } from '../domain/mpic';
import { policyAt } from '../domain/policy';
import { checkCaa } from './validation/caa';
import { isDnsTransportError, lookupTxt, type DnsResolverAddress } from './validation/dns-client';
import { fetchValidationResource, type HttpFetchPolicy } from './validation/http-fetch';

export interface PerspectiveIdentity {
  readonly id: string;
  readonly region: string;
  readonly resolver: DnsResolverAddress;
}

export interface PerspectiveDeps {
  readonly perspective: PerspectiveIdentity;
  readonly caaIssuerDomain: string;
  /** Development only (see activities/validation/caa.ts `climbStopsAt`). */
  readonly caaClimbStopsAt?: string;
  readonly http: HttpFetchPolicy;
  readonly clock: () => Date;
}

export function createPerspectiveActivities({ perspective, caaIssuerDomain, caaClimbStopsAt, http, clock }: PerspectiveDeps) {
  const resolverName = `${perspective.resolver.host}:${perspective.resolver.port}`;
  const base = (query: string, adn: string) => ({
    perspective: perspective.id,
    region: perspective.region,
    resolver: resolverName,
    query,
    authorizationDomainName: adn,
    checkedAt: clock().toISOString(),
  });
  const checks = {
    /** Runs one DCV check from this perspective. Never throws for a negative result: it returns it. */
    async perspectiveCheckDcv(spec: DcvCheckSpec): Promise<PerspectiveCheckResult> {
      if (spec.method === '3.2.2.4.7') {
        const query = `${spec.recordName} IN TXT`;
        try {
          const r = await lookupTxt(perspective.resolver, spec.recordName, { dnssecOk: true });
          const found = r.rcode === 'NOERROR' && txtRecordMatches(r.values, spec.token);
          // NOERROR without the value or NXDOMAIN is the zone's answer, a "no"; any other rcode (SERVFAIL, REFUSED —
          // also a validating resolver's answer to a bogus DNSSEC chain) means this perspective could not see, as the
          // primary's check treats it (dns-change.ts): an error, after which the round may be run again.
          const answered = r.rcode === 'NOERROR' || r.rcode === 'NXDOMAIN';
          return {
            ...base(query, spec.authorizationDomainName),
            outcome: found ? 'corroborates' : answered ? 'disagrees' : 'error',
            detail: found ? `random value found at ${spec.recordName}` : `${r.rcode}: ${r.values.length} TXT value(s) at ${spec.recordName}, none matches`,
            raw: r.responses.map((x) => x.raw),
          };
        } catch (err) {
          if (!isDnsTransportError(err)) throw err;
          return { ...base(query, spec.authorizationDomainName), outcome: 'error', detail: err.message, raw: err.details };
        }
      }
      const query = `GET ${spec.url}`;
      const r = await fetchValidationResource(spec.url, {
        ...http,
        resolver: perspective.resolver,
        mustNotContain: spec.method === '3.2.2.4.18' ? spec.expected : undefined,
      });
      const ok = r.ok && webContentMatches(spec.method, r.body, spec.expected);
      return {
        ...base(query, spec.authorizationDomainName),
        outcome: ok ? 'corroborates' : r.ok ? 'disagrees' : 'error',
        detail: ok ? `expected content at ${r.finalUrl}` : r.ok ? `content at ${r.finalUrl} does not match` : r.error,
        raw: r.evidence,
      };
    },

    /** Runs the CAA check from this perspective (BR 3.2.2.8, 3.2.2.9). */
    async perspectiveCheckCaa(spec: CaaCheckSpec): Promise<PerspectiveCaaResult> {
      const query = `CAA ${spec.fqdn} (tree climbing, RFC 8659 §3)`;
      const now = clock();
      const caa = await checkCaa(perspective.resolver, spec, {
        issuerDomain: caaIssuerDomain,
        policy: policyAt(now),
        climbStopsAt: caaClimbStopsAt,
        clock,
      });
      const failed = !caa.permitted && caa.rule === 'BR 3.2.2.8';
      return {
        ...base(query, caa.relevantDomain ?? spec.fqdn.replace(/^\*\./, '')),
        outcome: caa.permitted ? 'corroborates' : failed ? 'error' : 'disagrees',
        detail: caa.reason,
        raw: caa.lookups,
        caa,
      };
    },
  };
  return {
    ...checks,
    /**
     * One round from this perspective in one activity: the DCV check (when `dcv` is given; a CAA re-check has none) and
     * the CAA check, run together (BR 3.2.2.9: both are corroborated by every remote perspective). Half the activities
     * of two separate checks; an unexpected error of either fails the attempt, as it failed its own activity before.
     */
    async perspectiveCheck(spec: { dcv: DcvCheckSpec | null; caa: CaaCheckSpec | null }): Promise<{ dcv: PerspectiveCheckResult | null; caa: PerspectiveCaaResult | null }> {
      const [dcv, caa] = await Promise.all([spec.dcv ? checks.perspectiveCheckDcv(spec.dcv) : null, spec.caa ? checks.perspectiveCheckCaa(spec.caa) : null]);
      return { dcv, caa };
    },
  };
}

export type PerspectiveActivities = ReturnType<typeof createPerspectiveActivities>;
