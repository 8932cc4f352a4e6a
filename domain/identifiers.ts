/**
 * Name policy for dNSName SANs (BR 7.1.2.7.12, BR 3.2.2.6, RFC 1035 2.3.1, RFC 5890, POLICY-2026.md).
 *
 * A dNSName must be a Fully-Qualified Domain Name or a Wildcard Domain Name ("*." + FQDN, BR 1.6.1), composed only
 * of P-Labels (valid `xn--` A-labels) or Non-Reserved LDH Labels, without the root label (no trailing dot), never
 * an Internal Name, a reserved/special-use name, an IP address, or (from 2026-03-15) a name under the reverse
 * zones. Every refusal carries the rule it enforces; the API renders it as a `rejectedIdentifier` problem.
 *
 * Pure: no I/O. The Public Suffix List lookup is a seam (`isPublicSuffix`) supplied by the caller.
 */
import { CaError } from './errors';
import type { Policy } from './policy';

export interface NameCheckOptions {
  /**
   * Reserved suffixes this deployment may issue for anyway (the development configuration's own zone, e.g.
   * `dev.test`, config CA_DEV_ZONE). Never set in production.
   */
  readonly allowedReservedSuffixes?: readonly string[];
  /**
   * PSL seam (BR 3.2.2.6): true when `domain` is a public suffix in the ICANN section of the Public Suffix List.
   * When absent, only the single-label rule (`*.tld`) is enforced; the PSL-backed check is supplied by the caller.
   */
  readonly isPublicSuffix?: (domain: string) => boolean;
  /**
   * The policy at issuance time, for date-dependent name rules (reverse zones from 2026-03-15). When absent the
   * strictest rules apply.
   */
  readonly policy?: Pick<Policy, 'reverseZoneNamesProhibited'>;
}

export type NameRefusal = { ok: false; reason: string; rule: string };
export type DnsNameResult = { ok: true; fqdn: string; wildcard: boolean; baseDomain: string } | NameRefusal;

/** Rule citations, in one place so tests and problem documents agree. */
export const nameRules = {
  san: 'BR 7.1.2.7.12',
  ldh: 'RFC 1035 2.3.1',
  length: 'RFC 1035 2.3.4',
  aLabel: 'RFC 5890 2.3.2.1',
  wildcardSyntax: 'BR 1.6.1',
  wildcardScope: 'BR 3.2.2.6',
  numericTld: 'RFC 3696 2',
  order: 'CA order limits',
} as const;

/**
 * Special-use and internal suffixes (BR 1.6.1 "Internal Name"; RFC 2606, RFC 6761, RFC 6762 (local), RFC 7686
 * (onion), RFC 8375 (home.arpa), RFC 9476 (alt), ICANN's reserved `internal`, and the de facto private `lan`,
 * `corp`). A certificate for any of them would be a certificate for an Internal Name.
 */
export const reservedSuffixes: readonly string[] = [
  'test',
  'example',
  'invalid',
  'localhost',
  'local',
  'internal',
  'home.arpa',
  'lan',
  'corp',
  'onion',
  'alt',
];

/** Reverse-mapping zones: hostnames do not live there (BR 7.1.2.7.12, from 2026-03-15). */
const reverseZones = ['in-addr.arpa', 'ip6.arpa'];

export const MAX_NAMES_PER_ORDER = 100;
const MAX_NAME_LENGTH = 253; // 255 octets on the wire minus the length octet of the first label and the root label.
const MAX_LABEL_LENGTH = 63;

function refuse(reason: string, rule: string): NameRefusal {
  return { ok: false, reason, rule };
}

function underSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

function normalizeSuffix(s: string): string {
  return s.toLowerCase().replace(/^\.+|\.+$/g, '');
}

// RFC 3492 parameters.
const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;
const initialBias = 72;
const initialN = 128;

function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  let d = firstTime ? Math.floor(delta / damp) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((base - tMin) * tMax) >> 1) {
    d = Math.floor(d / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 22; // '0'..'9' -> 26..35
  if (c >= 0x61 && c <= 0x7a) return c - 0x61; // 'a'..'z' -> 0..25
  return base;
}

/** RFC 3492 6.2 decoding; returns the code points or null if the input is not valid Punycode. */
export function decodePunycode(input: string): number[] | null {
  const lastDelim = input.lastIndexOf('-');
  const output: number[] = [];
  const basicEnd = lastDelim < 0 ? 0 : lastDelim;
  for (let j = 0; j < basicEnd; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    output.push(c);
  }
  let n = initialN;
  let i = 0;
  let bias = initialBias;
  let pos = lastDelim < 0 ? 0 : lastDelim + 1;
  while (pos < input.length) {
    const oldi = i;
    let w = 1;
    for (let k = base; ; k += base) {
      if (pos >= input.length) return null;
      const digit = digitValue(input.charCodeAt(pos++));
      if (digit >= base) return null;
      i += digit * w;
      if (i > 0x10ffff * 64) return null; // overflow guard, far beyond any code point
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    bias = adapt(i - oldi, output.length + 1, oldi === 0);
    n += Math.floor(i / (output.length + 1));
    i %= output.length + 1;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
    output.splice(i, 0, n);
    i++;
  }
  return output;
}

/**
 * One label of the FQDN part (already lowercase ASCII). LDH (RFC 1035 2.3.1, as relaxed by RFC 1123 2.1 to allow a
 * leading digit), 1..63 octets, no underscore, and "??--" only as a plausible A-label (RFC 5890 2.3.1: other
 * R-LDH labels are reserved and BR 7.1.2.7.12 allows only Non-Reserved LDH Labels and P-Labels).
 */
function checkLabel(label: string): NameRefusal | null {
  if (label.length === 0) return refuse('empty label (consecutive dots or a leading dot)', nameRules.ldh);
  if (label.length > MAX_LABEL_LENGTH) return refuse(`label longer than ${MAX_LABEL_LENGTH} characters`, nameRules.length);
  if (label.includes('_')) return refuse('underscore in a dNSName label', nameRules.san);
  if (label.includes('*')) return refuse('"*" is allowed only as the whole leftmost label', nameRules.wildcardSyntax);
  if (!/^[a-z0-9-]+$/.test(label)) return refuse(`label "${label}" has characters other than letters, digits and hyphen`, nameRules.ldh);
  if (label.startsWith('-') || label.endsWith('-')) return refuse(`label "${label}" starts or ends with a hyphen`, nameRules.ldh);
  if (label.slice(2, 4) === '--') {
    if (!label.startsWith('xn--')) return refuse(`label "${label}" is a reserved LDH label (hyphens in positions 3-4)`, nameRules.san);
    const decoded = decodePunycode(label.slice(4));
    if (decoded === null || decoded.length === 0) return refuse(`label "${label}" is not valid Punycode`, nameRules.aLabel);
    // A real A-label encodes at least one non-ASCII code point; "xn--abc-" style fakes decode to pure ASCII.
    if (decoded.every((cp) => cp < 0x80)) return refuse(`label "${label}" is not a valid A-label (no non-ASCII content)`, nameRules.aLabel);
    // A U-label's ASCII code points are LDH lower case (RFC 5891 5.4, IDNA2008 PVALID), and C0/C1 controls are
    // never PVALID: "xn--a" decodes to U+0080 and must be refused.
    const plausible = (cp: number) => (cp < 0x80 ? /[a-z0-9-]/.test(String.fromCharCode(cp)) : cp >= 0xa0);
    if (!decoded.every(plausible)) return refuse(`label "${label}" decodes to characters a U-label cannot hold`, nameRules.aLabel);
  }
  return null;
}

const ipv4Like = /^[0-9]+(\.[0-9]+){3}$/;

/**
 * Checks one requested dNSName and normalizes it to lower case.
 * `baseDomain` is the FQDN the CA validates: the name itself, or for `*.example.com` the part after `*.`.
 */
export function checkDnsName(name: string, opts: NameCheckOptions = {}): DnsNameResult {
  if (typeof name !== 'string' || name.length === 0) return refuse('empty name', nameRules.ldh);
  // dNSName is an IA5String of A-labels; a U-label must be converted by the applicant (BR 7.1.4.3 forbids
  // converting P-Labels to Unicode, and we never guess an IDNA mapping on the applicant's behalf).
  if (/[^\x21-\x7e]/.test(name)) return refuse('name contains whitespace, control or non-ASCII characters (use the xn-- A-label form)', nameRules.san);
  const lower = name.toLowerCase();
  if (lower.includes(':')) return refuse('IP addresses are not allowed in a dNSName', nameRules.san);
  if (ipv4Like.test(lower)) return refuse('IP addresses are not allowed in a dNSName', nameRules.san);
  if (lower.endsWith('.')) return refuse('trailing dot (the root label must not be included)', nameRules.san);
  if (lower.length > MAX_NAME_LENGTH) return refuse(`name longer than ${MAX_NAME_LENGTH} characters`, nameRules.length);

  if (lower === '*') return refuse('a bare "*" is not a Wildcard Domain Name ("*." + FQDN)', nameRules.wildcardSyntax);
  const labels = lower.split('.');
  let wildcard = false;
  if (labels[0] === '*') {
    wildcard = true;
    labels.shift();
  }
  for (const label of labels) {
    const bad = checkLabel(label);
    if (bad) return bad;
  }
  const fqdn = lower;
  const baseDomain = labels.join('.');

  if (labels.length < 2) {
    return wildcard
      ? refuse('a wildcard directly under a top-level domain ("*.tld") is not allowed', nameRules.wildcardScope)
      : refuse('a single-label name is not a fully-qualified domain name (Internal Name)', nameRules.san);
  }
  const tld = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(tld)) return refuse('the top-level label is all-numeric', nameRules.numericTld);

  const reverseProhibited = opts.policy?.reverseZoneNamesProhibited ?? true;
  const reverse = reverseZones.find((z) => underSuffix(baseDomain, z));
  if (reverse && reverseProhibited) return refuse(`names under ${reverse} are not allowed`, nameRules.san);

  const allowed = (opts.allowedReservedSuffixes ?? []).map(normalizeSuffix).filter((s) => s.length > 0);
  const reserved = reservedSuffixes.find((s) => underSuffix(baseDomain, s));
  if (reserved && !allowed.some((s) => underSuffix(baseDomain, s))) {
    return refuse(`".${reserved}" is a reserved or internal name (Internal Name)`, nameRules.san);
  }

  if (wildcard && opts.isPublicSuffix?.(baseDomain)) {
    return refuse(`a wildcard directly under the public suffix "${baseDomain}" is not allowed`, nameRules.wildcardScope);
  }
  return { ok: true, fqdn, wildcard, baseDomain };
}

export type OrderNamesResult =
  | { ok: true; names: Array<{ fqdn: string; wildcard: boolean; baseDomain: string }> }
  | { ok: false; errors: Array<{ name: string; reason: string; rule: string }> };

/**
 * Checks the whole SAN list of an order: each name (checkDnsName), plus at least one name (BR 7.1.2.7.12: the SAN
 * must contain at least one entry), no duplicates after case folding, and at most 100 names (our order limit, as
 * the public ACME CAs do: large SAN lists make revocation and validation unwieldy). Reports every error at once.
 */
export function checkOrderNames(names: readonly string[], opts: NameCheckOptions = {}): OrderNamesResult {
  const errors: Array<{ name: string; reason: string; rule: string }> = [];
  if (names.length === 0) {
    return { ok: false, errors: [{ name: '', reason: 'no dNSName requested', rule: nameRules.san }] };
  }
  if (names.length > MAX_NAMES_PER_ORDER) {
    errors.push({ name: '', reason: `more than ${MAX_NAMES_PER_ORDER} names requested (${names.length})`, rule: nameRules.order });
  }
  const seen = new Set<string>();
  const ok: Array<{ fqdn: string; wildcard: boolean; baseDomain: string }> = [];
  for (const name of names) {
    const r = checkDnsName(name, opts);
    if (!r.ok) {
      errors.push({ name, reason: r.reason, rule: r.rule });
      continue;
    }
    if (seen.has(r.fqdn)) {
      errors.push({ name, reason: `duplicate name "${r.fqdn}"`, rule: nameRules.order });
      continue;
    }
    seen.add(r.fqdn);
    ok.push({ fqdn: r.fqdn, wildcard: r.wildcard, baseDomain: r.baseDomain });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, names: ok };
}

/** The CaError for a refused name list (`rejectedIdentifier`), citing the first rule and listing all errors. */
export function orderNamesError(errors: ReadonlyArray<{ name: string; reason: string; rule: string }>): CaError {
  const first = errors[0];
  const message = first ? (first.name ? `${first.name}: ${first.reason}` : first.reason) : 'names refused';
  return new CaError('rejectedIdentifier', message, {
    rule: first?.rule,
    identifier: first?.name || undefined,
    errors: errors.map((e) => ({ ...e })),
  });
}
