/**
 * RFC 8914 Extended DNS Errors: the EDNS option in which a resolver says why it answered as it did. A validating
 * resolver (Unbound with `ede: yes`) answers a bogus DNSSEC chain with SERVFAIL and EDE 6 "DNSSEC Bogus" plus its
 * reason, so a DCV or CAA lookup that fails can say that DNSSEC validation failed and why (POLICY-2026: validation at
 * the primary perspective is mandatory; BR 3.2.2.8: a DNSSEC failure is never permission to issue).
 */
import type { DecodedPacket } from 'dns-packet';

/** RFC 8914 Extended DNS Error: why a resolver answered as it did (e.g. 6 "DNSSEC Bogus" with the validator's reason). */
export interface ExtendedDnsError {
  readonly code: number;
  /** The registered meaning of the code (RFC 8914 §4). */
  readonly purpose: string;
  /** EXTRA-TEXT, the resolver's own words. */
  readonly text: string;
}

/** RFC 8914 §4: info codes; 1, 2 and 5–12 say that DNSSEC validation failed. */
const extendedErrorPurposes: Readonly<Record<number, string>> = {
  0: 'Other Error', 1: 'Unsupported DNSKEY Algorithm', 2: 'Unsupported DS Digest Type', 3: 'Stale Answer', 4: 'Forged Answer',
  5: 'DNSSEC Indeterminate', 6: 'DNSSEC Bogus', 7: 'Signature Expired', 8: 'Signature Not Yet Valid', 9: 'DNSKEY Missing',
  10: 'RRSIGs Missing', 11: 'No Zone Key Bit Set', 12: 'NSEC Missing', 13: 'Cached Error', 14: 'Not Ready', 15: 'Blocked',
  16: 'Censored', 17: 'Filtered', 18: 'Prohibited', 19: 'Stale NXDOMAIN Answer', 20: 'Not Authoritative', 21: 'Not Supported',
  22: 'No Reachable Authority', 23: 'Network Error', 24: 'Invalid Data',
};
const dnssecFailureCodes = new Set([1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);

/** The EDNS option code of Extended DNS Errors (RFC 8914 §2). */
const EDE_OPTION = 15;

/** True when the resolver said that DNSSEC validation failed (a bogus chain, an expired signature, a missing key). */
export function isDnssecFailure(errors: readonly ExtendedDnsError[]): boolean {
  return errors.some((e) => dnssecFailureCodes.has(e.code));
}

/** The rcode, and the resolver's extended errors when it gave any: what a failed lookup's message says. */
export function describeRcode(answer: { readonly rcode: string; readonly extendedErrors: readonly ExtendedDnsError[] }): string {
  const why = answer.extendedErrors.map((e) => `${dnssecFailureCodes.has(e.code) ? 'DNSSEC validation failed: ' : ''}EDE ${e.code} ${e.purpose}${e.text ? `: ${e.text}` : ''}`);
  return why.length > 0 ? `${answer.rcode} (${why.join('; ')})` : answer.rcode;
}

/** The Extended DNS Errors of a response's OPT record (RFC 8914 §2: INFO-CODE, then UTF-8 EXTRA-TEXT). */
export function extendedErrorsOf(packet: Pick<DecodedPacket, 'additionals'>): ExtendedDnsError[] {
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') as { options?: Array<{ code: number; data?: Buffer }> } | undefined;
  return (opt?.options ?? [])
    .filter((o) => o.code === EDE_OPTION && Buffer.isBuffer(o.data) && o.data.length >= 2)
    .map((o) => {
      const code = o.data!.readUInt16BE(0);
      return { code, purpose: extendedErrorPurposes[code] ?? 'Unassigned', text: o.data!.subarray(2).toString('utf8').replace(/\0+$/, '') };
    });
}
