/**
 * Domain control validation rules (CP 3.2.2.4, BR 3.2.2.4, RFC 8555 8.4, RFC 8657).
 *
 * Static facts about each method live in `dcvMethods`; which methods are allowed at an instant comes from the
 * date-keyed policy (`policy.dcvMethods`). Pure: the DNS lookup itself is an activity.
 */
import { CaError } from './errors';
import { policyTable, SECONDS_PER_DAY, type DcvMethodId, type Policy } from './policy';

export type { DcvMethodId } from './policy';

export interface DcvMethod {
  readonly id: DcvMethodId;
  readonly name: string;
  /** RFC 8555 challenge type when the method is performed over ACME, else null. */
  readonly acmeLabel: 'dns-01' | 'http-01' | null;
  /**
   * RFC 8657 CAA `validationmethods` label for the method performed OUTSIDE ACME (CA/B Forum `ca-tbr-<n>` labels,
   * BR 3.2.2.8). Over ACME the ACME label applies (`caaValidationMethodLabel`).
   */
  readonly caaLabel: string;
  /** The challenge `type` the REST API shows, and the name an applicant may use for the method in `methods`. */
  readonly apiLabel: string;
  /** Whether a validation by this method may authorize a Wildcard Domain Name (BR 3.2.2.4.18/.19: never). */
  readonly wildcardAllowed: boolean;
}

/**
 * The CP's methods (CP 3.2.2.4), the one table of their labels: every door and every piece of evidence names a method
 * from here. Whether each may be used now is `policyAt(now).dcvMethods`.
 */
export const dcvMethods: Readonly<Record<DcvMethodId, DcvMethod>> = {
  '3.2.2.4.2': { id: '3.2.2.4.2', name: 'E-mail to domain contact (WHOIS)', acmeLabel: null, caaLabel: 'ca-tbr-2', apiLabel: 'whois-email', wildcardAllowed: true },
  '3.2.2.4.4': { id: '3.2.2.4.4', name: 'Constructed e-mail to domain contact', acmeLabel: null, caaLabel: 'ca-tbr-4', apiLabel: 'email', wildcardAllowed: true },
  '3.2.2.4.7': { id: '3.2.2.4.7', name: 'DNS change (TXT at _acme-challenge)', acmeLabel: 'dns-01', caaLabel: 'ca-tbr-7', apiLabel: 'dns-01', wildcardAllowed: true },
  '3.2.2.4.12': { id: '3.2.2.4.12', name: 'Validating applicant as a domain contact (CA is registrar)', acmeLabel: null, caaLabel: 'ca-tbr-12', apiLabel: 'registrant', wildcardAllowed: true },
  '3.2.2.4.18': { id: '3.2.2.4.18', name: 'Agreed-upon change to website v2', acmeLabel: null, caaLabel: 'ca-tbr-18', apiLabel: 'web-file', wildcardAllowed: false },
  '3.2.2.4.19': { id: '3.2.2.4.19', name: 'Agreed-upon change to website - ACME (http-01)', acmeLabel: 'http-01', caaLabel: 'ca-tbr-19', apiLabel: 'http-01', wildcardAllowed: false },
};

/** The RFC 8555 §8 challenge type the ACME door offers for a method, or null when ACME cannot perform it. */
export function acmeChallengeType(method: DcvMethodId): 'dns-01' | 'http-01' | null {
  return dcvMethods[method].acmeLabel;
}

/** How evidence rows and corroboration rounds name the method (BR 5.4.1): the CP section and its protocol label. */
export function dcvEvidenceLabel(method: DcvMethodId): string {
  const m = dcvMethods[method];
  return `${method} (${m.acmeLabel ?? m.caaLabel})`;
}

/** The label a CAA `validationmethods` list must contain to permit this validation (RFC 8657 4). */
export function caaValidationMethodLabel(method: DcvMethodId, viaAcme: boolean): string {
  const m = dcvMethods[method];
  return viaAcme && m.acmeLabel !== null ? m.acmeLabel : m.caaLabel;
}

/**
 * May `method` validate this name at the policy's instant? Refuses prohibited methods (.2 since 2025-07-15, .4 from
 * 2028-03-15) and wildcard names for .18/.19; reports BR "SHOULD NOT" methods as `discouraged`.
 */
export function checkDcvMethod(
  policy: Pick<Policy, 'dcvMethods'>,
  method: DcvMethodId,
  name: { wildcard: boolean },
): { ok: true; discouraged: boolean } | { ok: false; reason: string; rule: string } {
  const m = dcvMethods[method];
  const status = policy.dcvMethods[method];
  if (status === 'prohibited') {
    return { ok: false, reason: `DCV method ${method} (${m.name}) is prohibited by the Baseline Requirements`, rule: `BR ${method}` };
  }
  if (name.wildcard && !m.wildcardAllowed) {
    return { ok: false, reason: `DCV method ${method} cannot validate a wildcard name`, rule: `BR ${method}` };
  }
  return { ok: true, discouraged: status === 'discouraged' };
}

const ACME_CHALLENGE_LABEL = '_acme-challenge';

/**
 * CP 3.2.2.4.7 / RFC 8555 8.4: the TXT record name for the DNS change method: `_acme-challenge.<FQDN>`; for a
 * wildcard the `*` label is replaced, so `*.example.com` -> `_acme-challenge.example.com`. Lower-cased (DNS names
 * compare case-insensitively, and the record name is shown to the applicant).
 */
export function dnsChangeRecordName(fqdn: string): string {
  const name = fqdn.toLowerCase();
  const rest = name.startsWith('*.') ? name.slice(2) : name;
  if (rest.length === 0 || rest.includes('*') || rest.startsWith('.') || rest.endsWith('.')) {
    throw new CaError('internal', `dnsChangeRecordName: "${fqdn}" is not a checked FQDN`, { identifier: fqdn });
  }
  return `${ACME_CHALLENGE_LABEL}.${rest}`;
}

/**
 * When a challenge's random value stops being usable: createdAt + 25 days (CP 3.2.2.4: the random value is valid
 * 25 days — stricter than the BR's 30, so the CP value stands).
 */
export function challengeExpiry(createdAt: Date, policy: Pick<Policy, 'randomValueValidityDays'>): Date {
  return new Date(createdAt.getTime() + policy.randomValueValidityDays * SECONDS_PER_DAY * 1000);
}

/**
 * Does one TXT value at the record name equal the random value? Exact, case-sensitive comparison (the value is a
 * base64url token); only surrounding ASCII whitespace is ignored, which some DNS consoles add. Partial matches,
 * values containing the token among other text, and empty tokens never match.
 */
export function txtRecordMatches(values: readonly string[], token: string): boolean {
  if (token.length === 0) return false;
  return values.some((v) => v.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') === token);
}

/**
 * BR 1.6.1 "Authorization Domain Name" and 3.2.2.4.7: the DNS change may be found at `_acme-challenge.<ADN>` where the
 * ADN is the FQDN (the `*.` of a wildcard removed) or a name obtained by pruning labels from its left, down to the
 * registered domain — never a public suffix (BR 3.2.2.4: an ADN of a public suffix proves nothing about one
 * registrant). Returns the candidate record names, most specific first: the CA looks at them in this order and
 * records which one held the value. `registered` is the registered domain (domain/public-suffix.ts) or null.
 */
export function dnsChangeCandidateNames(fqdn: string, registered: string | null): Array<{ recordName: string; adn: string }> {
  const base = fqdn.toLowerCase().replace(/^\*\./, '');
  const out = [{ recordName: dnsChangeRecordName(base), adn: base }];
  if (!registered) return out;
  const reg = registered.toLowerCase();
  if (base !== reg && !base.endsWith(`.${reg}`)) return out;
  let name = base;
  while (name !== reg) {
    name = name.slice(name.indexOf('.') + 1);
    out.push({ recordName: dnsChangeRecordName(name), adn: name });
  }
  return out;
}

/** The date (YYYY-MM-DD) from which `method` is prohibited by the policy table, or null if it never is. */
export function methodProhibitedSince(method: DcvMethodId): string | null {
  for (const row of policyTable.dcvMethods) if (row.value[method] === 'prohibited') return row.from;
  return null;
}

/**
 * The method an applicant (or a door) names: its CP section (optionally written "BR 3.2.2.4.n"), its ACME challenge
 * type, its CAA label or its REST label — exactly the labels of `dcvMethods`, case-insensitively. null otherwise.
 */
export function parseDcvMethod(name: string): DcvMethodId | null {
  const n = name.trim().toLowerCase().replace(/^br\s+/, '');
  const found = Object.values(dcvMethods).find((m) => m.id === n || m.acmeLabel === n || m.caaLabel === n || m.apiLabel === n);
  return found?.id ?? null;
}

/**
 * An applicant asked for these methods: refuse the ones the BR prohibit at the policy's instant, citing the rule and
 * the date (e.g. 3.2.2.4.2, e-mail to the WHOIS contact, prohibited since 2025-07-15), and names no method we know.
 */
export function checkRequestedMethods(
  policy: Pick<Policy, 'dcvMethods'>,
  names: readonly string[],
): { ok: true; methods: DcvMethodId[] } | { ok: false; kind: 'malformed' | 'prohibited'; reason: string; rule: string } {
  const methods: DcvMethodId[] = [];
  for (const name of names) {
    const m = parseDcvMethod(name);
    if (!m) return { ok: false, kind: 'malformed', reason: `unknown domain validation method "${name}"`, rule: 'CP 3.2.2.4' };
    if (policy.dcvMethods[m] === 'prohibited') {
      const since = methodProhibitedSince(m);
      return {
        ok: false,
        kind: 'prohibited',
        reason: `domain validation method ${m} (${dcvMethods[m].name}) is prohibited by the Baseline Requirements${since ? ` since ${since}` : ''}`,
        rule: `BR ${m}`,
      };
    }
    methods.push(m);
  }
  return { ok: true, methods };
}

/** CP 3.2.2.4.4 / BR 3.2.2.4.4: the local parts of the constructed addresses. */
export const constructedLocalParts = ['admin', 'administrator', 'webmaster', 'hostmaster', 'postmaster'] as const;

/**
 * CP 3.2.2.4.4: the constructed addresses for an FQDN: each local part at the registered domain (ICANN section of the
 * PSL) and at the FQDN itself, where a leading `*` or `www` label is stripped — unless the `www.` is part of the
 * registered domain (e.g. the registered domain `www.example.jp` itself keeps its label). `registered` comes from
 * domain/public-suffix.ts; with none (the name is a public suffix) there is no address.
 */
export function constructedEmailAddresses(fqdn: string, registered: string | null): string[] {
  if (!registered) return [];
  const reg = registered.toLowerCase();
  let name = fqdn.toLowerCase();
  if (name.startsWith('*.')) name = name.slice(2);
  const rest = name.slice(4);
  if (name.startsWith('www.') && name !== reg && (rest === reg || rest.endsWith(`.${reg}`))) name = rest;
  const domains = [...new Set([reg, name])];
  return domains.flatMap((d) => constructedLocalParts.map((l) => `${l}@${d}`));
}

/**
 * BR 4.2.1 / 3.2.2.4: may an earlier validation of the same applicant and FQDN be reused at `now`? While it is younger
 * than the reuse period of policy(now) (200 days now, 100 from 2027-03-15, 10 from 2029-03-15), and never once its
 * method is prohibited (a validation by 3.2.2.4.2 may not be reused after 2025-07-15, one by 3.2.2.4.4 not after
 * 2028-03-15 — "never across a method's sunset date").
 */
export function validationReusable(
  policy: Pick<Policy, 'dcvReuseDays' | 'dcvMethods'>,
  earlier: { validatedAt: Date; method: DcvMethodId },
  now: Date,
): { ok: true; until: Date } | { ok: false; reason: string; rule: string } {
  const until = new Date(earlier.validatedAt.getTime() + policy.dcvReuseDays * SECONDS_PER_DAY * 1000);
  if (policy.dcvMethods[earlier.method] === 'prohibited') {
    return { ok: false, reason: `method ${earlier.method} is prohibited now; its validations cannot be reused`, rule: `BR ${earlier.method}` };
  }
  if (earlier.validatedAt.getTime() > now.getTime()) return { ok: false, reason: 'validated in the future', rule: 'BR 4.2.1' };
  if (now.getTime() >= until.getTime()) {
    return { ok: false, reason: `validated ${earlier.validatedAt.toISOString()}: older than ${policy.dcvReuseDays} days`, rule: 'BR 4.2.1' };
  }
  return { ok: true, until };
}

/** What a remote perspective must see for the DCV check to corroborate the primary's (BR 3.2.2.9). */
export type DcvCheckSpec =
  | {
      /** BR 3.2.2.4.7: the random value in a TXT record at `recordName` (the name the primary found it at). */
      readonly method: '3.2.2.4.7';
      readonly fqdn: string;
      readonly authorizationDomainName: string;
      readonly recordName: string;
      readonly token: string;
    }
  | {
      /** BR 3.2.2.4.18 / .19: the expected content at `url` (http, port 80; the fetcher follows allowed redirects). */
      readonly method: '3.2.2.4.18' | '3.2.2.4.19';
      readonly fqdn: string;
      readonly authorizationDomainName: string;
      readonly url: string;
      readonly expected: string;
    };

/**
 * The methods whose result the remote perspectives corroborate (BR 3.2.2.9): those a `DcvCheckSpec` can describe (a
 * TXT record, a file or an http-01 response any perspective can look at). Constructed e-mail (3.2.2.4.4) and the
 * registrar's own records (3.2.2.4.12) have no such check: only their CAA permission is corroborated.
 */
export const mpicCorroboratedMethods = ['3.2.2.4.7', '3.2.2.4.18', '3.2.2.4.19'] as const satisfies readonly DcvCheckSpec['method'][];

export function dcvCorroborationRequired(method: DcvMethodId): boolean {
  return (mpicCorroboratedMethods as readonly string[]).includes(method);
}

/**
 * Does the fetched body carry the expected value under the method's rule? .19 (RFC 8555 §8.3): the body, trailing
 * whitespace stripped, is exactly the key authorization; .18 (BR 3.2.2.4.18): the random value is a line of its own.
 */
export function webContentMatches(method: '3.2.2.4.18' | '3.2.2.4.19', body: string, expected: string): boolean {
  if (expected.length === 0) return false;
  if (method === '3.2.2.4.19') return body.replace(/[ \t\r\n]+$/, '') === expected;
  return body.split(/\r?\n/).some((line) => line.trim() === expected);
}
