/**
 * BR 3.2.2.4.18 (agreed-upon change to website v2) and 3.2.2.4.19 (ACME http-01, RFC 8555 §8.3), primary
 * perspective: fetch the file with the careful fetcher (http-fetch.ts) and compare. Every attempt is evidence
 * (BR 5.4.1); a miss throws a retryable kind (`dcvRecordNotFound` for missing or wrong content, `connectionFailed` or
 * `dnsLookupFailed` as the fetcher classified it) so the workflow's backoff applies, as for the DNS change.
 *
 *  - .18: `http://<FQDN>/.well-known/pki-validation/<file>`; the file NAME is a second random value and the random
 *    value is only in the content (it must never appear in the request); the content must contain the value as a
 *    line of its own (BR: "the Random Value ... in the file").
 *  - .19: `http://<FQDN>/.well-known/acme-challenge/<token>`; the body, trailing whitespace stripped, must equal the
 *    key authorization exactly (RFC 8555 §8.3).
 * Neither validates a wildcard name (BR 3.2.2.4.18/.19); the fetch starts on http port 80 and may be redirected to
 * https:443 only by the allowed redirects.
 */
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { getChallengeForCheck, recordEvidence } from '../../db/repositories/validation';
import { dcvEvidenceLabel, webContentMatches, type DcvCheckSpec, type DcvMethodId } from '../../domain/dcv';
import { CaError } from '../../domain/errors';
import { expectedHttpBody } from './acme-key-authorization';
import { fetchValidationResource, type HttpFetchPolicy } from './http-fetch';

export interface WebValidationDeps {
  readonly db: Db;
  readonly resolver: { readonly host: string; readonly port: number };
  readonly perspective: string;
  readonly region?: string;
  readonly http: HttpFetchPolicy;
  readonly clock: () => Date;
}

/** The URL of a web challenge (http, port 80: BR 3.2.2.4.18/.19 start there). */
export function webChallengeUrl(method: '3.2.2.4.18' | '3.2.2.4.19', fqdn: string, ch: { recordName: string; token: string }): string {
  const path = method === '3.2.2.4.19' ? `/.well-known/acme-challenge/${ch.token}` : ch.recordName;
  return `http://${fqdn}${path}`;
}

export function createWebValidationActivities({ db, resolver, perspective, region, http, clock }: WebValidationDeps) {
  return {
    async checkWebValidation({ challengeId }: { challengeId: string }): Promise<{ url: string; spec: DcvCheckSpec }> {
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw new CaError('invariantViolated', `challenge ${challengeId} not found`);
      const method = ch.method as DcvMethodId;
      if (method !== '3.2.2.4.18' && method !== '3.2.2.4.19') {
        throw new CaError('invariantViolated', `challenge ${challengeId} is not a web challenge (${ch.method})`);
      }
      if (ch.wildcard || ch.fqdn.startsWith('*.')) {
        throw new CaError('validationFailed', `method ${method} cannot validate a wildcard name (BR ${method})`, { rule: `BR ${method}`, identifier: ch.fqdn });
      }
      const url = webChallengeUrl(method, ch.fqdn, ch);
      const expected = method === '3.2.2.4.19' ? expectedHttpBody(ch) : ch.token;
      const spec: DcvCheckSpec = { method, fqdn: ch.fqdn, authorizationDomainName: ch.fqdn, url, expected };
      if (ch.status === 'valid') return { url, spec };
      if (ch.expiresAt.getTime() <= clock().getTime()) {
        throw new CaError('orderExpired', 'the random value has expired (CP 3.2.2.4: 25 days)', { rule: 'CP 3.2.2.4' });
      }
      const r = await fetchValidationResource(url, { ...http, resolver, mustNotContain: method === '3.2.2.4.18' ? ch.token : undefined });
      const found = r.ok && webContentMatches(method, r.body, expected);
      const detail = found
        ? `expected content at ${r.finalUrl}`
        : r.ok
          ? `the content at ${r.finalUrl} does not carry the expected value`
          : `${r.error} (${r.rule})`;
      const evidence = {
        fqdn: ch.fqdn,
        authorizationDomainName: ch.fqdn,
        method: dcvEvidenceLabel(method),
        perspective,
        region: region ?? null,
        resolver: `${resolver.host}:${resolver.port}`,
        query: `GET ${url}`,
        rawAnswers: r.evidence,
        result: found ? ('success' as const) : ('failure' as const),
        detail,
      };
      if (found) {
        await recordChallengeResult(db, { challengeId, status: 'valid', evidence: [evidence], actor: `perspective:${perspective}`, now: clock() });
        return { url, spec };
      }
      await recordEvidence(db, challengeId, [evidence]);
      // Retryable kinds: the workflow's window retries while the applicant fixes the server or the file.
      throw new CaError(r.ok ? 'dcvRecordNotFound' : r.kind, detail, { rule: `BR ${method}`, identifier: ch.fqdn });
    },
  };
}
