/**
 * CP 4.1.2 in tests: the acceptance every REST application states — the versions of the terms, CP and CPS in force
 * (domain/repository-documents.ts) — as the JSON member and as the query parameters of an application/pkcs10 request.
 */
import { currentDocumentVersions, type DocumentVersions } from '../../domain/repository-documents';

export function currentAcceptance(now: Date = new Date()): DocumentVersions {
  const v = currentDocumentVersions(now);
  if (!v.terms || !v.cp || !v.cps) throw new Error('the repository has no terms, CP and CPS in force');
  return { terms: v.terms, cp: v.cp, cps: v.cps };
}

/** `acceptTerms=…&acceptCp=…&acceptCps=…` for application/pkcs10 requests. */
export function acceptanceQuery(now: Date = new Date()): string {
  const a = currentAcceptance(now);
  return new URLSearchParams({ acceptTerms: a.terms, acceptCp: a.cp, acceptCps: a.cps }).toString();
}
