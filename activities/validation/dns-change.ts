/**
 * BR 3.2.2.4.7 / CP 3.2.2.4.7 — DNS change: the random value must appear in a TXT record at
 * `_acme-challenge.<FQDN>` (the `*` label of a wildcard replaced). Each attempt stores its evidence (BR 5.4.1):
 * the FQDN, the authorization domain name, the method, the resolver, the raw answers and the result.
 * A missing record throws a retryable failure: the workflow's retry policy gives the backoff.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { getChallengeForCheck, recordEvidence } from '../../db/repositories/validation';
import { txtRecordMatches } from '../../domain/dcv';
import { failureTypes } from '../../workflows/contracts';
import { lookupTxt } from './dns-client';

export interface DnsValidationDeps {
  readonly db: Db;
  readonly resolver: { readonly host: string; readonly port: number };
  readonly perspective: string;
  readonly clock: () => Date;
}

export const dnsChangeMethod = '3.2.2.4.7';

export function createDnsValidationActivities({ db, resolver, perspective, clock }: DnsValidationDeps) {
  return {
    async checkDnsChange({ challengeId }: { challengeId: string }): Promise<{ recordName: string }> {
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw ApplicationFailure.nonRetryable(`challenge ${challengeId} not found`, failureTypes.policyViolation);
      if (ch.status === 'valid') return { recordName: ch.recordName };
      if (ch.expiresAt.getTime() <= clock().getTime()) {
        // CP 3.2.2.4: a random value is valid for 25 days, never longer.
        throw ApplicationFailure.nonRetryable('the random value has expired (CP 3.2.2.4: 25 days)', failureTypes.policyViolation);
      }
      const resolverName = `${resolver.host}:${resolver.port}`;
      const query = `${ch.recordName} IN TXT`;
      let found = false;
      let detail: string;
      let raw: unknown;
      try {
        const answer = await lookupTxt(resolver, ch.recordName);
        raw = answer.answer.raw ?? answer;
        found = answer.rcode === 'NOERROR' && txtRecordMatches(answer.values, ch.token);
        detail = found
          ? `random value found at ${ch.recordName}`
          : `${answer.rcode}: ${answer.values.length} TXT value(s) at ${ch.recordName}, none matches the random value`;
      } catch (err) {
        raw = { error: String(err) };
        detail = `lookup of ${ch.recordName} failed: ${(err as Error).message}`;
      }
      const evidence = {
        fqdn: ch.fqdn,
        // The ADN is the FQDN itself here; label pruning and CNAME-derived ADNs come with issue #3.
        authorizationDomainName: ch.fqdn.replace(/^\*\./, ''),
        method: `${dnsChangeMethod} (dns-01)`,
        perspective,
        resolver: resolverName,
        query,
        rawAnswers: raw,
        result: found ? ('success' as const) : ('failure' as const),
        detail,
      };
      if (found) {
        await recordChallengeResult(db, { challengeId, status: 'valid', evidence: [evidence], actor: `perspective:${perspective}`, now: clock() });
        return { recordName: ch.recordName };
      }
      await recordEvidence(db, challengeId, [evidence]);
      throw ApplicationFailure.retryable(detail, failureTypes.dcvRecordNotFound);
    },
  };
}
