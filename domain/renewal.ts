/**
 * Renewal (CP 4.6: same key), re-key (CP 4.7: new key pair) and modification (CP 4.8: registered data other than the
 * CN changes) of a certificate: which one a new application for an existing certificate is, from what changes between
 * the predecessor and the application. All three follow the issuance procedure (CP 4.3.1) with its notices (4.3.2);
 * the validations they reuse are those policy(now) still allows (BR 4.2.1, activities/reuse.ts). Pure.
 */
import { commonNameFor } from './profiles';
import type { RenewalKind } from './statuses';

export interface CertificateSubject {
  /** The certificate's FQDNs (dNSName SANs), in certificate order: the first that fits is the CN (domain/profiles.ts). */
  readonly dnsNames: readonly string[];
  /** SHA-256 of the SubjectPublicKeyInfo, hex. */
  readonly spkiSha256Hex: string;
}

export type RenewalClassification =
  | { readonly ok: true; readonly kind: RenewalKind; readonly addedNames: readonly string[]; readonly removedNames: readonly string[] }
  | { readonly ok: false; readonly reason: string; readonly rule: string };

const norm = (names: readonly string[]) => names.map((n) => n.toLowerCase());

/**
 * What a new application for `predecessor` is:
 *  - the same names and the same key: a renewal (CP 4.6);
 *  - the same names, a new key: a re-key (CP 4.7);
 *  - other names with the same CN (whatever the key): a modification (CP 4.8: data other than the CN changes);
 *  - another CN: none of them — CP 4.8 keeps the CN, so that is a new application, refused here.
 */
export function classifyRenewal(predecessor: CertificateSubject, next: CertificateSubject): RenewalClassification {
  const before = norm(predecessor.dnsNames);
  const after = norm(next.dnsNames);
  const cnBefore = commonNameFor(before);
  const cnAfter = commonNameFor(after);
  if (cnBefore !== cnAfter) {
    return {
      ok: false,
      reason: `the subject CN would change from ${cnBefore ?? '(none)'} to ${cnAfter ?? '(none)'}: a modification keeps the CN; apply for a new certificate instead`,
      rule: 'CP 4.8',
    };
  }
  const addedNames = after.filter((n) => !before.includes(n));
  const removedNames = before.filter((n) => !after.includes(n));
  if (addedNames.length > 0 || removedNames.length > 0) return { ok: true, kind: 'modification', addedNames, removedNames };
  const sameKey = predecessor.spkiSha256Hex.toLowerCase() === next.spkiSha256Hex.toLowerCase();
  return { ok: true, kind: sameKey ? 'renewal' : 'rekey', addedNames, removedNames };
}

/** The CP section of each kind, as notices and documents cite it. */
export const renewalRule: Readonly<Record<RenewalKind, string>> = {
  renewal: 'CP 4.6',
  rekey: 'CP 4.7',
  modification: 'CP 4.8',
};
