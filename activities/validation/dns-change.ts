/**
 * BR 3.2.2.4.7 / CP 3.2.2.4.7 — DNS change: the random value must appear in a TXT record at
 * `_acme-challenge.<ADN>` (the `*` label of a wildcard replaced), where the Authorization Domain Name is the FQDN or
 * a parent obtained by label pruning (BR 1.6.1). Each attempt stores its evidence (BR 5.4.1): the FQDN, the
 * authorization domain name, the method, the resolver, the raw answers and the result. A miss throws a retryable
 * kind — `dcvRecordNotFound` when every name answered without the value, `dnsLookupFailed` when a lookup failed
 * (SERVFAIL, also a validating resolver's answer to a bogus DNSSEC chain; a timeout) — and the workflow's retry
 * policy gives the backoff. The spec it returns is what the remote perspectives must see (step 3, BR 3.2.2.9).
 */
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { getChallengeForCheck, recordEvidence, validatedAdn } from '../../db/repositories/validation';
import { dcvEvidenceLabel, dnsChangeCandidateNames, txtRecordMatches, type DcvCheckSpec } from '../../domain/dcv';
import { CaError } from '../../domain/errors';
import { registeredDomain } from '../../domain/public-suffix';
import { expectedTxtValue } from './acme-key-authorization';
import { describeRcode, lookupTxt } from './dns-client';

export interface DnsValidationDeps {
  readonly db: Db;
  readonly resolver: { readonly host: string; readonly port: number };
  readonly perspective: string;
  /** RIR region label of the primary perspective (evidence, BR 5.4.1). */
  readonly region?: string;
  readonly clock: () => Date;
}

export const dnsChangeMethod = '3.2.2.4.7' as const;

export interface DnsChangeResult {
  readonly recordName: string;
  /** What the remote perspectives must see to corroborate (step 3): the record name the primary found it at. */
  readonly spec: DcvCheckSpec;
}

export function createDnsValidationActivities({ db, resolver, perspective, region, clock }: DnsValidationDeps) {
  return {
    /**
     * The primary perspective's check of the DNS change: the TXT record at `_acme-challenge.<ADN>` for the FQDN's
     * ADN, then for each ADN obtained by pruning labels down to the registered domain (BR 1.6.1, 3.2.2.4.7), CNAMEs
     * followed, several TXT values at a name allowed. Every attempt is evidence; a miss throws a retryable failure.
     */
    async checkDnsChange({ challengeId }: { challengeId: string }): Promise<DnsChangeResult> {
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw new CaError('invariantViolated', `challenge ${challengeId} not found`);
      const candidates = dnsChangeCandidateNames(ch.fqdn, registeredDomain(ch.fqdn));
      const specFor = (c: { recordName: string; adn: string }): DcvCheckSpec => ({
        method: '3.2.2.4.7',
        fqdn: ch.fqdn,
        authorizationDomainName: c.adn,
        recordName: c.recordName,
        // An ACME dns-01 challenge expects the key-authorization digest (RFC 8555 §8.4), not the bare token.
        token: expectedTxtValue(ch),
      });
      if (ch.status === 'valid') {
        const adn = await validatedAdn(db, challengeId);
        const c = candidates.find((x) => x.adn === adn) ?? candidates[0]!;
        return { recordName: c.recordName, spec: specFor(c) };
      }
      if (ch.expiresAt.getTime() <= clock().getTime()) {
        // CP 3.2.2.4: a random value is valid for 25 days, never longer.
        throw new CaError('orderExpired', 'the random value has expired (CP 3.2.2.4: 25 days)', { rule: 'CP 3.2.2.4' });
      }
      const resolverName = `${resolver.host}:${resolver.port}`;
      const misses = [];
      // A name whose lookup failed may hold the value: then the check could not see, rather than did not find.
      let lookupFailed = false;
      for (const c of candidates) {
        const query = `${c.recordName} IN TXT`;
        let found = false;
        let detail: string;
        let raw: unknown;
        try {
          const answer = await lookupTxt(resolver, c.recordName, { dnssecOk: true });
          raw = answer.responses.map((r) => r.raw);
          found = answer.rcode === 'NOERROR' && txtRecordMatches(answer.values, expectedTxtValue(ch));
          const failed = answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN';
          if (failed) lookupFailed = true;
          detail = found
            ? `random value found at ${c.recordName}${answer.chain.length > 1 ? ` (via CNAME ${answer.chain.join(' -> ')})` : ''}`
            : failed
              ? // A validating resolver's SERVFAIL names the DNSSEC failure behind it (RFC 8914).
                `lookup of ${c.recordName} failed: ${describeRcode(answer.answer)}`
              : `${answer.rcode}: ${answer.values.length} TXT value(s) at ${c.recordName}, none matches the random value`;
        } catch (err) {
          lookupFailed = true;
          raw = { error: String(err) };
          detail = `lookup of ${c.recordName} failed: ${(err as Error).message}`;
        }
        const evidence = {
          fqdn: ch.fqdn,
          authorizationDomainName: c.adn,
          method: dcvEvidenceLabel(dnsChangeMethod),
          perspective,
          resolver: resolverName,
          query,
          rawAnswers: raw,
          result: found ? ('success' as const) : ('failure' as const),
          detail,
        };
        if (found) {
          await recordChallengeResult(db, {
            challengeId,
            status: 'valid',
            evidence: [{ ...evidence, region }],
            actor: `perspective:${perspective}`,
            now: clock(),
          });
          return { recordName: c.recordName, spec: specFor(c) };
        }
        misses.push({ ...evidence, region });
      }
      await recordEvidence(db, challengeId, misses);
      throw new CaError(lookupFailed ? 'dnsLookupFailed' : 'dcvRecordNotFound', misses.map((m) => m.detail).join('; '), {
        rule: 'BR 3.2.2.4.7',
        identifier: ch.fqdn,
      });
    },
  };
}
