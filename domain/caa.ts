/**
 * CAA evaluation (CP 4.2.4; BR 3.2.2.8; RFC 8659; RFC 8657). Pure: the DNS lookups are an activity
 * (activities/validation/caa.ts); this module decides, from the relevant RRset, whether this CA may issue.
 *
 *  - The relevant RRset (RFC 8659 §3) is the CAA RRset of the FQDN, else of its parent, and so on up to (not
 *    including) the root; a CNAME at a name is followed by the resolver for that name only — the climb continues from
 *    the parent of the ORIGINAL name, not of the CNAME target (RFC 8659 dropped RFC 6844's target climbing).
 *    `relevantRrsetSearchOrder` gives the names in order; the activity stops at the first non-empty answer.
 *  - In the relevant RRset: an unknown tag with the critical flag forbids issuance (RFC 8659 §4.1). For a wildcard
 *    name, `issuewild` properties, when present, are the only ones that count; otherwise `issue` (§4.3). No
 *    applicable property at all = any CA may issue.
 *  - A property authorizes us when its issuer-domain-name equals ours (case-insensitively) and its parameters allow
 *    this issuance (RFC 8657): `accounturi` must equal the applicant's account URI, `validationmethods` must list the
 *    label of the method used. Unknown parameters are ignored. A value that does not parse is a property that
 *    authorizes nobody (§4.2) — it still restricts.
 *  - `iodef` URLs are collected for incident reports (§4.4); they never permit or forbid.
 */
import type { Policy } from './policy';

export interface CaaRecord {
  readonly flags: number;
  readonly tag: string;
  readonly value: string;
}

export interface CaaContext {
  /** CP 4.2.4: this CA's issuer domain name (`jprs.jp`, config CA_CAA_ISSUER_DOMAIN). */
  readonly issuerDomain: string;
  /** The name being checked is a Wildcard Domain Name ("*.example.com"). */
  readonly wildcard: boolean;
  /** RFC 8657 §3: the applicant's account URI at this CA (our API: `<base>/v1/accounts/<id>`). */
  readonly accountUri: string | null;
  /** RFC 8657 §4: the validation method label (`dns-01`, `http-01`, `ca-tbr-7`, `ca-tbr-18`, ...). */
  readonly validationMethod: string;
  /** RFC 8657 processing is SHOULD before 2027-03-15 and MUST from then on; we process it always. */
  readonly policy?: Pick<Policy, 'caaRfc8657Required'>;
}

export type CaaDecision =
  | { readonly permitted: true; readonly reason: string; readonly rule: string; readonly iodef: readonly string[] }
  | { readonly permitted: false; readonly reason: string; readonly rule: string; readonly iodef: readonly string[] };

/** What the CAA check of one name is asked (primary and remote perspectives alike, BR 3.2.2.8 and 3.2.2.9). */
export interface CaaCheckSpec {
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly accountUri: string | null;
  /** RFC 8657 label of the method that validated the name (`dns-01`, `ca-tbr-18`, ...). */
  readonly validationMethod: string;
}

/** One CAA query of the tree climb, kept as evidence (BR 5.4.1). */
export interface CaaLookupEvidence {
  readonly name: string;
  readonly rcode: string | null;
  readonly ad: boolean;
  readonly chain: readonly string[];
  readonly records: readonly CaaRecord[];
  readonly error?: string;
  readonly raw: unknown;
}

/** The outcome of one perspective's CAA check: the decision, the relevant RRset and the raw answers. */
export interface CaaCheckResult {
  readonly permitted: boolean;
  readonly reason: string;
  readonly rule: string;
  /** Where the relevant RRset was found (null: nowhere — no CAA restriction). */
  readonly relevantDomain: string | null;
  readonly records: readonly CaaRecord[];
  /** Smallest TTL of the relevant RRset (0 when empty): the check stays good for max(TTL, 8 h). */
  readonly ttl: number;
  /** Every response had the AD bit (the resolver validated the answers with DNSSEC). */
  readonly dnssecValidated: boolean;
  readonly iodef: readonly string[];
  readonly lookups: readonly CaaLookupEvidence[];
  readonly checkedAt: string;
}

/** Tags this CA understands (RFC 8659 §4; CA/B Forum contactemail/contactphone, BR 3.2.2.4.13-.16 / A.1.1). */
export const knownCaaTags: readonly string[] = ['issue', 'issuewild', 'iodef', 'contactemail', 'contactphone'];

/** RFC 8659 §4.1: the Issuer Critical flag is the high bit of the flags octet. */
export const CAA_CRITICAL = 0x80;

export interface ParsedIssueValue {
  /** Lower-cased issuer domain name, or null for the empty issuer (";" = nobody may issue). */
  readonly issuer: string | null;
  readonly parameters: Readonly<Record<string, string>>;
}

const label = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const issuerRe = new RegExp(`^${label}(?:\\.${label})*$`);
const paramTagRe = new RegExp(`^${label}$`);
// RFC 8659 §4.2: value = *(%x21-3A / %x3C-7E) — printable ASCII without ";" and space.
const paramValueRe = /^[\x21-\x3a\x3c-\x7e]*$/;

/**
 * RFC 8659 §4.2 issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]], parameters separated by
 * ";" as `tag *WSP "=" *WSP value`. Returns null when the value does not match the grammar.
 */
export function parseIssueValue(value: string): ParsedIssueValue | null {
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).replace(/^[ \t]+|[ \t]+$/g, '');
  if (head !== '' && !issuerRe.test(head)) return null;
  const parameters: Record<string, string> = {};
  if (semi >= 0) {
    const rest = value.slice(semi + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (rest !== '') {
      for (const part of rest.split(';')) {
        const p = part.replace(/^[ \t]+|[ \t]+$/g, '');
        const eq = p.indexOf('=');
        if (eq <= 0) return null;
        const tag = p.slice(0, eq).replace(/[ \t]+$/, '');
        const v = p.slice(eq + 1).replace(/^[ \t]+/, '');
        if (!paramTagRe.test(tag) || !paramValueRe.test(v)) return null;
        parameters[tag.toLowerCase()] = v;
      }
    }
  }
  return { issuer: head === '' ? null : head.toLowerCase().replace(/\.$/, ''), parameters };
}

/**
 * RFC 8659 §3: the names whose CAA RRsets are searched, in order: the FQDN (without "*."), then each parent, up to
 * and including the top-level domain (the root is never queried).
 */
export function relevantRrsetSearchOrder(fqdn: string): string[] {
  const name = fqdn.toLowerCase().replace(/^\*\./, '').replace(/\.+$/, '');
  const labels = name.split('.').filter((l) => l.length > 0);
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** Does this issue/issuewild property authorize this issuance? (RFC 8659 §4.2, RFC 8657 §3-4). */
function propertyAuthorizes(p: ParsedIssueValue | null, ctx: CaaContext): { ok: boolean; why: string } {
  if (!p) return { ok: false, why: 'malformed property value (authorizes no CA)' };
  if (p.issuer === null) return { ok: false, why: 'empty issuer (no CA may issue)' };
  if (p.issuer !== ctx.issuerDomain.toLowerCase()) return { ok: false, why: `issuer ${p.issuer} is not ${ctx.issuerDomain}` };
  const accounturi = p.parameters.accounturi;
  if (accounturi !== undefined && accounturi !== ctx.accountUri) {
    return { ok: false, why: `accounturi ${accounturi} is not the applicant's account (RFC 8657 §3)` };
  }
  const methods = p.parameters.validationmethods;
  if (methods !== undefined) {
    const labels = methods.split(',').map((m) => m.trim());
    if (!labels.includes(ctx.validationMethod)) {
      return { ok: false, why: `validationmethods ${methods} does not include ${ctx.validationMethod} (RFC 8657 §4)` };
    }
  }
  return { ok: true, why: `issue ${p.issuer} authorizes this CA` };
}

/**
 * Decides on the relevant RRset (the first non-empty CAA RRset found by `relevantRrsetSearchOrder`; pass [] when
 * none was found). Records of other types must already be filtered out.
 */
export function evaluateCaa(rrset: readonly CaaRecord[], ctx: CaaContext): CaaDecision {
  const iodef = rrset.filter((r) => r.tag.toLowerCase() === 'iodef').map((r) => r.value);
  if (rrset.length === 0) return { permitted: true, reason: 'no CAA records: any CA may issue', rule: 'RFC 8659 §3', iodef };
  const criticalUnknown = rrset.find((r) => (r.flags & CAA_CRITICAL) !== 0 && !knownCaaTags.includes(r.tag.toLowerCase()));
  if (criticalUnknown) {
    return { permitted: false, reason: `unknown critical CAA property "${criticalUnknown.tag}"`, rule: 'RFC 8659 §4.1', iodef };
  }
  const issue = rrset.filter((r) => r.tag.toLowerCase() === 'issue');
  const issuewild = rrset.filter((r) => r.tag.toLowerCase() === 'issuewild');
  const applicable = ctx.wildcard && issuewild.length > 0 ? issuewild : issue;
  const tagName = ctx.wildcard && issuewild.length > 0 ? 'issuewild' : 'issue';
  if (applicable.length === 0) {
    return { permitted: true, reason: `no ${ctx.wildcard ? 'issuewild or issue' : 'issue'} property: any CA may issue`, rule: 'RFC 8659 §4.2-4.3', iodef };
  }
  const whys: string[] = [];
  for (const r of applicable) {
    const verdict = propertyAuthorizes(parseIssueValue(r.value), ctx);
    if (verdict.ok) return { permitted: true, reason: `${tagName} "${r.value}" authorizes ${ctx.issuerDomain}`, rule: 'RFC 8659 §4.2; RFC 8657', iodef };
    whys.push(`${tagName} "${r.value}": ${verdict.why}`);
  }
  const rule = whys.some((w) => w.includes('RFC 8657')) ? 'RFC 8657' : tagName === 'issuewild' ? 'RFC 8659 §4.3' : 'RFC 8659 §4.2';
  return { permitted: false, reason: `CAA forbids issuance by ${ctx.issuerDomain}: ${whys.join('; ')}`, rule, iodef };
}

/** BR 3.2.2.8: a CAA check is good for max(TTL of the relevant RRset, 8 hours); after that it must be redone. */
export const CAA_MIN_REUSE_SECONDS = 8 * 3600;

export function caaCheckValidUntil(checkedAt: Date, ttlSeconds: number): Date {
  return new Date(checkedAt.getTime() + Math.max(ttlSeconds, CAA_MIN_REUSE_SECONDS) * 1000);
}

/**
 * Step 9: must CAA be checked again before the certificate is signed at `now`? `validUntil` is the earliest
 * `caaCheckValidUntil` of the order's names (step 3 or the previous re-check).
 */
export function caaRecheckNeeded(validUntil: Date, now: Date): boolean {
  return now.getTime() > validUntil.getTime();
}

/**
 * BR 3.2.2.8: a lookup failure may be treated as permission only when (1) the failure is outside the CA's
 * infrastructure, (2) the lookup was retried at least once, and (3) the domain's zone has no DNSSEC validation chain
 * to the ICANN root. SERVFAIL and DNSSEC failures (bogus answers) never count as permission.
 */
export interface CaaLookupFailure {
  readonly rcode: string | null;
  readonly dnssecFailure: boolean;
  readonly outsideCaInfrastructure: boolean;
  readonly retried: boolean;
  readonly zoneProvablyInsecure: boolean;
}

export function lookupFailurePermits(f: CaaLookupFailure): boolean {
  if (f.dnssecFailure || f.rcode === 'SERVFAIL') return false;
  return f.outsideCaInfrastructure && f.retried && f.zoneProvablyInsecure;
}
