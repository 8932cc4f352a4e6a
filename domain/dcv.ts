/**
 * Domain control validation rules (CP 3.2.2.4, BR 3.2.2.4, RFC 8555 8.4, RFC 8657).
 *
 * Static facts about each method live in `dcvMethods`; which methods are allowed at an instant comes from the
 * date-keyed policy (`policy.dcvMethods`). Pure: the DNS lookup itself is an activity.
 */
import { CaError } from './errors';
import { SECONDS_PER_DAY, type DcvMethodId, type Policy } from './policy';

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
  /** Whether a validation by this method may authorize a Wildcard Domain Name (BR 3.2.2.4.18/.19: never). */
  readonly wildcardAllowed: boolean;
}

/** The CP's methods (CP 3.2.2.4). Whether each may be used now is `policyAt(now).dcvMethods`. */
export const dcvMethods: Readonly<Record<DcvMethodId, DcvMethod>> = {
  '3.2.2.4.2': { id: '3.2.2.4.2', name: 'E-mail to domain contact (WHOIS)', acmeLabel: null, caaLabel: 'ca-tbr-2', wildcardAllowed: true },
  '3.2.2.4.4': { id: '3.2.2.4.4', name: 'Constructed e-mail to domain contact', acmeLabel: null, caaLabel: 'ca-tbr-4', wildcardAllowed: true },
  '3.2.2.4.7': { id: '3.2.2.4.7', name: 'DNS change (TXT at _acme-challenge)', acmeLabel: 'dns-01', caaLabel: 'ca-tbr-7', wildcardAllowed: true },
  '3.2.2.4.12': { id: '3.2.2.4.12', name: 'Validating applicant as a domain contact (CA is registrar)', acmeLabel: null, caaLabel: 'ca-tbr-12', wildcardAllowed: true },
  '3.2.2.4.18': { id: '3.2.2.4.18', name: 'Agreed-upon change to website v2', acmeLabel: null, caaLabel: 'ca-tbr-18', wildcardAllowed: false },
  '3.2.2.4.19': { id: '3.2.2.4.19', name: 'Agreed-upon change to website - ACME (http-01)', acmeLabel: 'http-01', caaLabel: 'ca-tbr-19', wildcardAllowed: false },
};

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
