/**
 * Revocation rules as data (CP 3.4, 4.9.1–4.9.3, 4.9.12–4.9.16, 7.2.3; BR 4.9.1.1, 7.2.2): which reasons exist,
 * who may ask for which, and by when the CA must have revoked. Pure (no I/O, no clock): the API, the activities
 * and the workflows all call these with `now` and the facts they looked up.
 */

/** RFC 5280 5.3.1 CRLReason values this CA uses (CP 7.2.3). Unspecified is stored as 0 and never encoded. */
export const revocationReasons = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReasonName = keyof typeof revocationReasons;
export type RevocationReasonCode = (typeof revocationReasons)[RevocationReasonName];

export const revocationReasonNames = Object.keys(revocationReasons) as RevocationReasonName[];

/** Every RFC 5280 CRLReason name, so a refusal can say what was asked for (and why it is refused). */
const rfc5280ReasonCodes: Readonly<Record<string, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export function reasonName(code: number): RevocationReasonName | undefined {
  return revocationReasonNames.find((n) => revocationReasons[n] === code);
}

/**
 * The reasonCode CRL entry extension value for a stored reason, or undefined when the entry carries none:
 * CP 7.2.3 / BR 7.2.2 — unspecified (0) is expressed by omitting the extension.
 */
export function crlReasonCode(code: number): number | undefined {
  if (code === revocationReasons.unspecified) return undefined;
  if (reasonName(code) === undefined) throw new Error(`reason ${code} is not one this CA uses (CP 7.2.3)`);
  return code;
}

/** Who is asking (CP 4.9.2, 3.4). */
export type Requester =
  /** The account the certificate was issued to (the subscriber's API key). */
  | { readonly kind: 'subscriber'; readonly accountId: string }
  /** An account of kind 'provider' (the designated provider, 指定事業者) acting for its subscribers. */
  | { readonly kind: 'provider'; readonly accountId: string }
  /**
   * ACME-issued certificates (CP 3.4 (2)): the request is signed by the ACME account the certificate was issued
   * to: the ACME server sets `acmeAccountId` on the facts and asks with this requester.
   */
  | { readonly kind: 'acmeAccount'; readonly acmeAccountId: string }
  /**
   * ACME-issued certificates (CP 3.4 (3), 4.9.2): the request is signed by the certificate's own private key.
   * The ACME server has checked the JWS (RFC 8555 §7.6) and passes the SHA-256 of the signing SPKI.
   */
  | { readonly kind: 'certificateKey'; readonly spkiSha256Hex: string }
  /** The CA's operators (admin CLI): the CA itself may revoke (CP 4.9.1, 4.9.2). */
  | { readonly kind: 'operator'; readonly name: string }
  /** A verified key-compromise report (CP 4.9.12): the CA revokes every certificate with the key. */
  | { readonly kind: 'keyCompromiseReport'; readonly reportId: string };

/**
 * What a revocation workflow (`revoke-<serial>`) starts with: the request the rules accepted. Here rather than in the
 * workflows' contract because activities prepare it too (CP 4.6–4.8: a predecessor revoked as superseded).
 */
export interface RevokeCertificateInput {
  readonly serial: string;
  readonly issuerId: string;
  readonly reason: number;
  readonly requester: Requester;
  /** Audit actor string, e.g. 'account:<id>', 'operator:<name>'. */
  readonly actor: string;
  /** ISO-8601. */
  readonly requestedAt: string;
  /** ISO-8601: BR 4.9.1.1 deadline (24 h / 5 days), a durable timer with escalation. */
  readonly deadline: string;
  readonly deadlineRule: string;
  readonly signingTaskQueue: string;
}

/** What the rules need to know about the certificate. */
export interface CertificateFacts {
  readonly accountId: string;
  /** The designated provider that relayed the application (orders.provider_account_id), if any. */
  readonly providerAccountId: string | null;
  /** Set by the ACME server for ACME-issued certificates; null for API-issued ones (CP 3.4 (2), (3) apply to them only). */
  readonly acmeAccountId: string | null;
  readonly spkiSha256Hex: string;
  readonly status: 'reserved' | 'precertificate' | 'issued' | 'revoked';
  readonly revocationReason: number | null;
  readonly notAfter: Date;
}

export type RevocationDecision =
  | { readonly ok: true; readonly reason: RevocationReasonCode; readonly deadline: Date; readonly deadlineRule: string; readonly reasonChangeOnly: boolean }
  | { readonly ok: false; readonly kind: 'badRevocationReason' | 'notFound' | 'conflict'; readonly detail: string; readonly rule: string };

/** Reasons a subscriber-side requester may choose (BR 7.2.2: privilegeWithdrawn is the CA's own reason). */
const subscriberReasons: readonly RevocationReasonName[] = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'];

const HOUR_MS = 3_600_000;

/**
 * BR 4.9.1.1 deadlines as data. 24 hours: the subscriber (or whoever acts for it) asks, or the key is compromised,
 * or the original request was not authorized; 5 days: the CA's own findings (breach of terms, superseded after
 * mis-issuance, affiliation data no longer accurate, ...).
 */
export const revocationDeadlines = {
  requestedBySubscriberSide: { hours: 24, rule: 'BR 4.9.1.1 (1): the subscriber requests revocation — within 24 hours' },
  keyCompromise: { hours: 24, rule: 'BR 4.9.1.1 (3): evidence of key compromise — within 24 hours' },
  caInitiated: { hours: 5 * 24, rule: 'BR 4.9.1.1 (second list): the CA’s own finding — within 5 days' },
} as const;

export function revocationDeadline(requester: Requester, reason: RevocationReasonCode, requestedAt: Date): { deadline: Date; rule: string } {
  const d =
    reason === revocationReasons.keyCompromise
      ? revocationDeadlines.keyCompromise
      : requester.kind === 'operator'
        ? revocationDeadlines.caInitiated
        : requester.kind === 'keyCompromiseReport'
          ? revocationDeadlines.keyCompromise
          : revocationDeadlines.requestedBySubscriberSide;
  return { deadline: new Date(requestedAt.getTime() + d.hours * HOUR_MS), rule: d.rule };
}

/** Parses a reason as the API and CLI receive it: a CP 7.2.3 name or its RFC 5280 code. */
export function parseReason(input: string | number | undefined): { ok: true; code: RevocationReasonCode } | { ok: false; detail: string; rule: string } {
  if (input === undefined) return { ok: true, code: revocationReasons.unspecified };
  const code = typeof input === 'number' ? input : /^\d+$/.test(input) ? Number(input) : rfc5280ReasonCodes[input];
  if (code === 6) {
    return { ok: false, detail: 'certificateHold is never used: this CA does not suspend certificates', rule: 'CP 4.9.13–4.9.16, BR 7.2.2' };
  }
  const name = code === undefined ? undefined : reasonName(code);
  if (name === undefined) {
    return {
      ok: false,
      detail: `reason ${String(input)} is not accepted; use one of ${revocationReasonNames.join(', ')}`,
      rule: 'CP 7.2.3, BR 7.2.2',
    };
  }
  return { ok: true, code: revocationReasons[name] };
}

function isRelated(requester: Requester, cert: CertificateFacts): boolean {
  switch (requester.kind) {
    case 'subscriber':
      return cert.accountId === requester.accountId;
    case 'provider':
      return cert.providerAccountId !== null && cert.providerAccountId === requester.accountId;
    case 'acmeAccount':
      return cert.acmeAccountId !== null && cert.acmeAccountId === requester.acmeAccountId;
    case 'certificateKey':
      // CP 4.9.2: for ACME-issued certificates, anyone holding the key may ask (RFC 8555 §7.6, signed with that key).
      return cert.acmeAccountId !== null && cert.spkiSha256Hex === requester.spkiSha256Hex.toLowerCase();
    case 'keyCompromiseReport':
      // The report's workflow only asks for certificates whose key it proved compromised.
      return true;
    case 'operator':
      return true;
  }
}

/**
 * May `requester` revoke `cert` with `reasonCode` at `now`? Unrelated requesters get 'notFound' (another account
 * learns nothing about certificates it has no relation to, as with orders). An already revoked certificate may only
 * have its reason changed to keyCompromise (BR 7.2.2: the CA may update the reasonCode when it learns of a
 * compromise after revocation); any other repeat is a 'conflict'.
 */
export function authorizeRevocation(requester: Requester, cert: CertificateFacts, reasonCode: number, now: Date): RevocationDecision {
  if (!isRelated(requester, cert)) {
    return { ok: false, kind: 'notFound', detail: 'no such certificate for this requester', rule: 'CP 4.9.2, 3.4' };
  }
  const parsed = parseReason(reasonCode);
  if (!parsed.ok) return { ok: false, kind: 'badRevocationReason', detail: parsed.detail, rule: parsed.rule };
  const reason = parsed.code;
  const name = reasonName(reason)!;
  if (requester.kind === 'keyCompromiseReport' && reason !== revocationReasons.keyCompromise) {
    return { ok: false, kind: 'badRevocationReason', detail: 'a key-compromise report revokes with keyCompromise', rule: 'CP 4.9.12, BR 7.2.2' };
  }
  if (requester.kind !== 'operator' && requester.kind !== 'keyCompromiseReport' && !subscriberReasons.includes(name)) {
    return {
      ok: false,
      kind: 'badRevocationReason',
      detail: `${name} is chosen by the CA only; a subscriber may ask for ${subscriberReasons.join(', ')}`,
      rule: 'CP 7.2.3, BR 7.2.2 (privilegeWithdrawn)',
    };
  }
  if (cert.status === 'reserved') {
    // Nothing was signed for this serial: there is nothing to revoke (a precertificate would be, BR 7.1.2.9).
    return { ok: false, kind: 'conflict', detail: 'the certificate has not been signed', rule: 'BR 7.1.2.9' };
  }
  if (cert.notAfter.getTime() < now.getTime()) {
    return { ok: false, kind: 'conflict', detail: 'the certificate has expired', rule: 'CP 4.9.6' };
  }
  let reasonChangeOnly = false;
  if (cert.status === 'revoked') {
    if (reason !== revocationReasons.keyCompromise || cert.revocationReason === revocationReasons.keyCompromise) {
      return { ok: false, kind: 'conflict', detail: 'the certificate is already revoked', rule: 'CP 4.9.13 (no reinstatement)' };
    }
    reasonChangeOnly = true;
  }
  const { deadline, rule } = revocationDeadline(requester, reason, now);
  return { ok: true, reason, deadline, deadlineRule: rule, reasonChangeOnly };
}

/** CRL cadence and validity (CP 4.9.7, BR 4.9.7): published at least every 7 days, nextUpdate ≤ thisUpdate + 10 days. */
export const crlPolicy = {
  maxPublicationIntervalSeconds: 7 * 86_400,
  maxValiditySeconds: 10 * 86_400,
  /** BR 4.9.7: a new CRL within 24 hours of a revocation (we aim for seconds; the debounce is configurable). */
  maxDelayAfterRevocationSeconds: 24 * 3_600,
} as const;

/**
 * The CN a CSR must carry to report its own key compromised (CP 4.9.12: e.g. CN="This key is compromised").
 * Any CN stating the key is compromised is accepted; the signature is the proof.
 */
export function statesKeyCompromise(commonName: string | undefined): boolean {
  return commonName !== undefined && /\bcompromised\b/i.test(commonName);
}
