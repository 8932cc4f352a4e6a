/**
 * CAA lookup (BR 3.2.2.8; RFC 8659 §3; CP 4.2.4): finds the relevant CAA RRset by climbing from the FQDN towards the
 * root (a CNAME at a name is followed for that name only), then decides with domain/caa.ts. Used by the primary
 * perspective (main worker) and by every remote perspective (worker/perspective.ts): the function takes its resolver,
 * returns the decision with the raw answers as evidence, and touches no database.
 *
 * Lookup failures fail closed. BR 3.2.2.8 lets a failure count as permission only outside the CA's infrastructure,
 * retried once, in a zone provably without DNSSEC; our perspectives ask their own recursive resolver, so an upstream
 * failure arrives as SERVFAIL (never permission) and a resolver timeout is inside our infrastructure (never
 * permission). `lookupFailurePermits` encodes the rule; the facts passed to it here make it refuse — see
 * docs/VALIDATION.md.
 */
import {
  evaluateCaa,
  lookupFailurePermits,
  relevantRrsetSearchOrder,
  type CaaCheckResult,
  type CaaCheckSpec,
  type CaaDecision,
  type CaaLookupEvidence,
  type CaaRecord,
} from '../../domain/caa';
import type { Policy } from '../../domain/policy';
import { describeRcode, isDnsTransportError, isDnssecFailure, lookupFollowingCnames, type DnsResolverAddress } from './dns-client';

export interface CaaCheckOptions {
  readonly issuerDomain: string;
  readonly policy: Pick<Policy, 'caaRfc8657Required'>;
  /**
   * Development only: the dev DNS server is authoritative for its zone alone and REFUSES its parents ("test"); names
   * strictly above this zone are not asked. Never set in production, where the resolver answers for the whole tree.
   */
  readonly climbStopsAt?: string;
  readonly timeoutMs?: number;
  readonly clock?: () => Date;
}

const isAbove = (name: string, zone: string): boolean => zone !== name && zone.endsWith(`.${name}`);

export async function checkCaa(resolver: DnsResolverAddress, spec: CaaCheckSpec, opts: CaaCheckOptions): Promise<CaaCheckResult> {
  const checkedAt = (opts.clock ?? (() => new Date()))().toISOString();
  const lookups: CaaLookupEvidence[] = [];
  const names = relevantRrsetSearchOrder(spec.fqdn).filter((n) => !(opts.climbStopsAt && isAbove(n, opts.climbStopsAt.toLowerCase())));
  const ctx = { issuerDomain: opts.issuerDomain, wildcard: spec.wildcard, accountUri: spec.accountUri, validationMethod: spec.validationMethod, policy: opts.policy };
  const finish = (d: CaaDecision, relevantDomain: string | null, records: CaaRecord[], ttl: number): CaaCheckResult => ({
    permitted: d.permitted,
    reason: d.reason,
    rule: d.rule,
    relevantDomain,
    records,
    ttl,
    dnssecValidated: lookups.length > 0 && lookups.every((l) => l.ad),
    iodef: d.iodef,
    lookups,
    checkedAt,
  });
  for (const name of names) {
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const r = await lookupFollowingCnames(resolver, name, 'CAA', { dnssecOk: true, timeoutMs: opts.timeoutMs ?? 5_000 });
        const records = r.records.map((a) => a.data as CaaRecord);
        lookups.push({ name, rcode: r.rcode, ad: r.ad, chain: r.chain, records, raw: r.responses.map((x) => x.raw) });
        if (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN') {
          // SERVFAIL (also what a validating resolver answers for a bogus DNSSEC chain, saying so in RFC 8914 EDE), REFUSED, ...
          const dnssecFailure = isDnssecFailure(r.answer.extendedErrors);
          const permits = lookupFailurePermits({ rcode: r.rcode, dnssecFailure, outsideCaInfrastructure: false, retried: attempt > 1, zoneProvablyInsecure: false });
          if (!permits && attempt < 2) continue; // retried once (BR 3.2.2.8), then refused
          return finish({ permitted: permits, reason: `CAA lookup of ${name} failed: ${describeRcode(r.answer)} (BR 3.2.2.8: not permission)`, rule: 'BR 3.2.2.8', iodef: [] }, null, [], 0);
        }
        if (records.length > 0) {
          const ttl = Math.min(...r.records.map((a) => a.ttl));
          return finish(evaluateCaa(records, ctx), name, records, ttl);
        }
        break; // empty: climb to the parent
      } catch (err) {
        if (!isDnsTransportError(err)) throw err;
        lookups.push({ name, rcode: null, ad: false, chain: [name], records: [], error: err.message, raw: err.details });
        // A timeout talking to our own resolver, or a CNAME loop: never permission.
        if (attempt < 2 && err.kind !== 'cnameChain') continue;
        return finish({ permitted: false, reason: `CAA lookup of ${name} failed: ${err.message} (BR 3.2.2.8: not permission)`, rule: 'BR 3.2.2.8', iodef: [] }, null, [], 0);
      }
    }
  }
  return finish(evaluateCaa([], ctx), null, [], 0);
}
